"""The OpenAI-compatible path end to end, and honest failure when a backend or LLM is down."""

from __future__ import annotations

import dataclasses

import httpx
from fastapi.testclient import TestClient
from openai import AsyncOpenAI

from app.main import create_app
from graph.llm.openai_composer import OpenAIComposer
from tests.api.helpers import order_of
from tests.fakes import ScriptedChatEndpoint
from tools.errors import BackendUnavailable
from tools.store.backend import SqlStore


def with_llm(services, endpoint: ScriptedChatEndpoint):
    client = AsyncOpenAI(
        base_url="http://llm.test/v1",
        api_key="k",
        max_retries=0,
        http_client=httpx.AsyncClient(transport=endpoint.transport),
    )
    composer = OpenAIComposer(client, model="m", shop="Northwind Supply", max_tokens=80)
    return dataclasses.replace(services, composer=composer)


def test_llm_answer_is_grounded_in_retrieved_passages_and_cited(app_settings, services):
    endpoint = ScriptedChatEndpoint("You can return items within 30 days of delivery [1].")
    app = create_app(app_settings, services=with_llm(services, endpoint))
    with TestClient(app) as client:
        out = client.post("/v1/chat", json={"message": "what is your return policy?"}).json()
    endpoint.assert_done()
    assert out["reply"] == "You can return items within 30 days of delivery [1]."
    prompt = endpoint.requests[0]["messages"][1]["content"]
    first_passage_title = prompt.split("\n", 2)[1].removeprefix("[1] ").split(" — ")[0]
    assert out["citations"] and out["citations"][0]["title"] == first_passage_title
    assert "what is your return policy?" in prompt


def test_llm_failure_escalates_instead_of_guessing(app_settings, services):
    endpoint = ScriptedChatEndpoint()
    endpoint.queue(RuntimeError("model overloaded"))
    app = create_app(app_settings, services=with_llm(services, endpoint))
    with TestClient(app) as client:
        out = client.post("/v1/chat", json={"message": "how long does shipping take?"}).json()
    endpoint.assert_done()
    assert out["escalated"] is True
    assert out["escalation"]["reason"] == "tool_failure"


class OrdersDown(SqlStore):
    """The real store, except that reading an order fails like a dropped connection."""

    def get_order(self, order_id):
        raise BackendUnavailable()


def test_backend_failure_is_honest_and_escalates(app_settings, services, token_for):
    order_id = order_of(services, "C0001", "shipped")
    broken = dataclasses.replace(services, store=OrdersDown(services.store.engine))
    with TestClient(create_app(app_settings, services=broken)) as client:
        out = client.post(
            "/v1/chat", json={"message": f"where is order {order_id}"}, headers=token_for("C0001")
        ).json()
    assert out["escalated"] is True
    assert out["escalation"]["reason"] == "tool_failure"
    assert "nothing was changed" in out["reply"]
    assert out["actions"][0]["tool"] == "get_order" and out["actions"][0]["status"] == "error"
    assert services.store.get_escalation(out["escalation"]["id"]).reason == "tool_failure"
