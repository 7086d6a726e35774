"""The help centre changes under a running service: new articles are answered and cited,
deleted ones stop being cited, without a restart; `support kb search` asks the service."""

from __future__ import annotations

import dataclasses
import json
import shutil
import socket
import threading
import time

import pytest
from fastapi.testclient import TestClient
from typer.testing import CliRunner

from app.auth import mint_token
from app.main import create_app
from cli import kb
from knowledge.config import KnowledgeConfig
from knowledge.ingest import ingest_paths
from knowledge.retrieval import Retriever
from knowledge.tokens import get_tokenizer
from knowledge.vectorstore import LazyCollection, open_collection
from tests.api.helpers import chat

GIFT_WRAP = """---
title: Gift wrapping
url: https://help.northwind.example/gift-wrapping
---
## Gift wrapping at checkout

We gift-wrap any order for $4.50. Tick "gift wrapping" at checkout and add a message for
the card; the wrapping paper is recycled kraft paper.
"""
QUESTION = "Do you offer gift wrapping?"


@pytest.fixture
def live_kb(built, tmp_path) -> KnowledgeConfig:
    """A private copy of the session's help centre (the demo KB), for this test to change."""
    base, _ = built
    shutil.copytree(base.chroma_path, tmp_path / "chroma")
    return dataclasses.replace(base.knowledge, chroma_path=tmp_path / "chroma")


def _cited(client, headers) -> set[str]:
    return {c["doc_id"] for c in chat(client, QUESTION, headers)["citations"]}


def test_an_article_ingested_while_the_service_runs_is_answered_then_deleted(
    live_kb, app_settings, services, token_for, tmp_path
):
    # The service's own retriever, as app/runtime.py builds it; checking the revision on
    # every search (the service checks every second) keeps the test free of waiting.
    retriever = Retriever(LazyCollection(live_kb), refresh_every=0)
    svc = dataclasses.replace(services, retriever=retriever)
    headers = token_for("C0001")
    articles = tmp_path / "articles"
    articles.mkdir()
    tokenizer = get_tokenizer(str(app_settings.tiktoken_cache_dir))
    with TestClient(create_app(app_settings, services=svc)) as client:
        assert "gift-wrapping" not in _cited(client, headers)

        # `support ingest` beside the running service: another Chroma engine writes.
        writer = open_collection(live_kb, fresh=True)
        (articles / "gift-wrapping.md").write_text(GIFT_WRAP, encoding="utf-8")
        assert ingest_paths([articles], writer, tokenizer).added == 1

        out = chat(client, QUESTION, headers)
        assert "gift-wrapping" in {c["doc_id"] for c in out["citations"]}, out
        assert "$4.50" in out["reply"]

        (articles / "gift-wrapping.md").unlink()
        writer = open_collection(live_kb, fresh=True)
        summary = ingest_paths(
            [app_settings.KB_DIR, articles], writer, tokenizer, delete_missing=True
        )
        assert [d for d, _ in summary.delete_plan] == ["gift-wrapping"]

        out = chat(client, QUESTION, headers)
        assert "gift-wrapping" not in {c["doc_id"] for c in out["citations"]}
        assert "$4.50" not in out["reply"]


def test_kb_search_endpoint_needs_an_agent_token(client, app_settings, token_for):
    secret = app_settings.jwt_secret()
    agent = {"Authorization": f"Bearer {mint_token('ann', secret, 600, role='agent')}"}

    assert client.get("/v1/admin/kb/search", params={"q": "refund"}).status_code == 401
    customer = client.get("/v1/admin/kb/search", params={"q": "refund"}, headers=token_for("C0001"))
    assert customer.status_code == 403
    bad = client.get("/v1/admin/kb/search", params={"q": "refund", "mode": "magic"}, headers=agent)
    assert bad.status_code == 422

    found = client.get(
        "/v1/admin/kb/search", params={"q": "how long do refunds take", "k": 3}, headers=agent
    )
    assert found.status_code == 200, found.text
    body = found.json()
    assert (body["collection"], body["chroma"]) == (
        app_settings.KB_COLLECTION,
        str(app_settings.chroma_path),
    )
    assert len(body["passages"]) == 3
    assert body["passages"][0]["doc_id"] == "refund-timing"


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


@pytest.fixture
def served(app_settings, services):
    """The app under a real uvicorn server in a thread: (settings it serves with, port)."""
    import uvicorn

    port = _free_port()
    config = uvicorn.Config(
        create_app(app_settings, services=services),
        host="127.0.0.1",
        port=port,
        log_level="warning",
    )
    server = uvicorn.Server(config)
    thread = threading.Thread(target=server.run, daemon=True)
    thread.start()
    deadline = time.monotonic() + 30
    while not server.started and time.monotonic() < deadline:
        time.sleep(0.05)
    assert server.started, "uvicorn did not start"
    yield port
    server.should_exit = True
    thread.join(timeout=10)


def test_kb_search_cli_asks_the_running_service(served, app_settings, monkeypatch, tmp_path):
    monkeypatch.chdir(tmp_path)
    for name, value in {
        "DATA_DIR": str(app_settings.DATA_DIR),
        "JWT_SECRET": app_settings.jwt_secret(),
        "CHROMA_URL": "",
        "HOST": "127.0.0.1",
        "PORT": str(served),
    }.items():
        monkeypatch.setenv(name, value)
    monkeypatch.delenv("KB_COLLECTION", raising=False)

    result = CliRunner().invoke(kb.app, ["search", "how long do refunds take", "-k", "2", "--json"])

    assert result.exit_code == 0, result.output
    assert result.stderr == ""  # no "searching here" note: the service answered
    rows = json.loads(result.stdout)
    assert [r["doc_id"] for r in rows][:1] == ["refund-timing"]
    assert set(rows[0]) == set(kb.PASSAGE_FIELDS)

    monkeypatch.setenv("JWT_SECRET", "another-secret-" + "y" * 32)  # not this service's
    other = CliRunner().invoke(kb.app, ["search", "how long do refunds take", "-k", "2", "--json"])
    assert other.exit_code == 0, other.output
    assert other.stderr.startswith(f"note: the service at http://127.0.0.1:{served} answered 401")
    assert [r["doc_id"] for r in json.loads(other.stdout)][:1] == ["refund-timing"]


@pytest.mark.parametrize("query", ["\x00", "   ", "💥" * 500, "%ff%fe", "refund " * 300])
def test_kb_search_endpoint_odd_questions_are_answered_or_refused_not_500(
    client, app_settings, query
):
    agent = {
        "Authorization": f"Bearer {mint_token('ann', app_settings.jwt_secret(), 600, role='agent')}"
    }

    response = client.get("/v1/admin/kb/search", params={"q": query}, headers=agent)

    assert response.status_code in (200, 422), response.text
