"""Agent corrections become labelled data; refund decisions and webhook notices."""

from __future__ import annotations

import dataclasses
import json
import threading
import time
from http.server import BaseHTTPRequestHandler, HTTPServer

import pytest
from fastapi.testclient import TestClient
from typer.testing import CliRunner

from app.auth import mint_token
from app.main import create_app
from tests.api.helpers import chat, order_of, transcript


def agent(settings, name="ann"):
    return {"Authorization": f"Bearer {mint_token(name, settings.jwt_secret(), 600, role='agent')}"}


def test_relabels_edits_and_rejections_are_stored_and_exported(
    client, services, app_settings, token_for, monkeypatch, tmp_path
):
    ann = agent(app_settings)
    first = chat(client, "hello", token_for("C0001"))
    out = chat(client, "I want to talk to a person", token_for("C0001"), first["session_id"])
    esc = out["escalation"]["id"]
    url = f"/v1/agent/escalations/{esc}"
    package = client.get(url, headers=ann).json()
    turn = next(i for i, ln in enumerate(package["transcript"]) if ln["role"] == "customer")

    wrong = client.post(f"{url}/relabel", headers=ann, json={"turn": turn, "intent": "nope"})
    assert wrong.status_code == 422 and "unknown intent" in wrong.json()["error"]["message"]
    bot_line = next(i for i, ln in enumerate(package["transcript"]) if ln["role"] != "customer")
    not_customer = client.post(f"{url}/relabel", headers=ann,
                               json={"turn": bot_line, "intent": "greeting"})  # fmt: skip
    assert not_customer.status_code == 422
    relabelled = client.post(
        f"{url}/relabel",
        headers=ann,
        json={"turn": turn, "intent": "greeting", "entities": [{"type": "name", "value": "x"}]},
    )
    assert relabelled.status_code == 200, relabelled.text
    edited = package["suggested_reply"] + " I've also checked your order."
    sent = client.post(f"{url}/reply", headers=ann, json={"text": edited, "suggestion": "edited"})
    assert sent.status_code == 200
    assert client.post(f"{url}/suggestion/reject", headers=ann).status_code == 200

    rows = services.store.list_corrections()
    assert [r["kind"] for r in rows] == ["relabel", "edited_reply", "rejected_suggestion"]
    assert (rows[0]["text"], rows[0]["intent"], rows[0]["turn_index"]) == (
        "hello",
        "greeting",
        turn,
    )
    assert rows[0]["predicted_intent"] == package["transcript"][turn]["intent"]
    assert rows[1]["text"] == edited and rows[2]["text"] == package["suggested_reply"]
    assert {r["agent"] for r in rows} == {"ann"}

    from cli import cli
    from cli.nlu import _with_corrections
    from nlu.corpus import read_corpus

    monkeypatch.setenv("DATA_DIR", str(app_settings.data_dir))
    monkeypatch.setenv("DATABASE_URL", app_settings.database_url)
    target = tmp_path / "out" / "corrections.jsonl"
    result = CliRunner().invoke(cli, ["nlu", "export-corrections", "--out", str(target)])
    assert result.exit_code == 0, result.output
    exported = [json.loads(line) for line in target.read_text().splitlines()]
    assert [r["kind"] for r in exported] == ["relabel", "edited_reply", "rejected_suggestion"]
    bad = CliRunner().invoke(cli, ["nlu", "export-corrections", "--kind", "typo"])
    assert bad.exit_code == 1

    base = tmp_path / "base.jsonl"
    base.write_text('{"text": "where is my parcel", "intent": "track_order"}\n')
    from cli.common import load_settings

    texts, labels = read_corpus(_with_corrections(base, load_settings()))
    assert list(zip(texts, labels, strict=True)) == [
        ("where is my parcel", "track_order"),
        ("hello", "greeting"),
    ]


def test_agent_decides_a_refund_approval_and_the_customer_hears(app_settings, services, token_for):
    policy = dataclasses.replace(services.policy, auto_approve_limit_cents=10000)
    svc = dataclasses.replace(services, policy=policy)
    with TestClient(create_app(app_settings, services=svc)) as client:
        headers, ann = token_for("C0001"), agent(app_settings)
        order_id = order_of(svc, "C0001", "delivered", recent_days=10)
        offer = chat(client, f"I want a refund for order {order_id}", headers)
        asked = chat(client, "yes", headers, offer["session_id"])
        esc = asked["escalation"]["id"]
        package = client.get(f"/v1/agent/escalations/{esc}", headers=ann).json()
        [pending] = package["approvals"]
        assert (pending["order_id"], pending["amount"], pending["status"]) == (
            order_id, "$168.00", "pending")  # fmt: skip
        assert order_id in [o["id"] for o in package["orders"]]

        as_customer = client.post(f"/v1/agent/approvals/{pending['id']}/decide", headers=headers,
                                  json={"approve": True})  # fmt: skip
        assert as_customer.status_code == 403
        decided = client.post(f"/v1/agent/approvals/{pending['id']}/decide", headers=ann,
                              json={"approve": True, "note": "loyal"})  # fmt: skip
        assert decided.status_code == 200 and decided.json()["status"] == "approved"
        [refund] = svc.store.get_order(order_id).refunds
        assert refund.amount_cents == 16800
        assert transcript(client, asked["session_id"], headers)[-1]["content"].startswith(
            "Good news: an agent approved your refund."
        )
        flip = client.post(f"/v1/agent/approvals/{pending['id']}/decide", headers=ann,
                           json={"approve": False})  # fmt: skip
        assert flip.status_code == 409
        missing = client.post("/v1/agent/approvals/ANOPE/decide", headers=ann,
                              json={"approve": True})  # fmt: skip
        assert missing.status_code == 404


class _Receiver(BaseHTTPRequestHandler):
    bodies: list[dict] = []

    def do_POST(self):  # noqa: N802
        length = int(self.headers["Content-Length"])
        type(self).bodies.append(json.loads(self.rfile.read(length)))
        self.send_response(200)
        self.end_headers()
        self.wfile.write(b"ok")

    def log_message(self, *args):
        pass


@pytest.fixture
def receiver():
    _Receiver.bodies = []
    server = HTTPServer(("127.0.0.1", 0), _Receiver)
    threading.Thread(target=server.serve_forever, daemon=True).start()
    yield f"http://127.0.0.1:{server.server_port}/hook", _Receiver.bodies
    server.shutdown()


def test_new_escalations_notify_the_webhook(app_settings, services, receiver):
    url, bodies = receiver
    settings = app_settings.model_copy(
        update={"ESCALATION_WEBHOOK_URL": url, "PUBLIC_BASE_URL": "http://desk.example"}
    )
    with TestClient(create_app(settings, services=services)) as client:
        out = chat(client, "I want to talk to a person")
        esc = out["escalation"]["id"]
        deadline = time.monotonic() + 5
        while not bodies and time.monotonic() < deadline:
            time.sleep(0.05)
        chat(client, "thanks", session_id=out["session_id"])  # no new escalation, no notice
    [body] = bodies
    assert esc in body["text"] and "explicit request" in body["text"]
    blocks = json.dumps(body["blocks"])
    assert "I want to talk to a person" in blocks
    assert f"http://desk.example/console#/escalations/{esc}" in blocks


def test_a_dead_webhook_never_blocks_the_customer(app_settings, services):
    settings = app_settings.model_copy(update={"ESCALATION_WEBHOOK_URL": "http://127.0.0.1:9/x"})
    with TestClient(create_app(settings, services=services)) as client:
        out = chat(client, "I want to talk to a person")
        assert out["escalated"] is True and out["escalation"]["id"] in out["reply"]
        notifier = client.app.state.notifier
        client.portal.call(notifier.drain)
        assert (notifier.sent, notifier.failed) == (0, 1)


def test_two_fallbacks_in_a_row_go_to_a_person(client):
    first = chat(client, "tell me a joke")
    assert first["intent"] == "out_of_scope" and not first["escalated"]
    second = chat(client, "what's the weather like today?", session_id=first["session_id"])
    assert second["intent"] == "out_of_scope"
    assert second["escalation"]["reason"] == "repeated_fallback"
