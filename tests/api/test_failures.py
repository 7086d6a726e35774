"""Backend failures: a locked store mid-refund, a store that is down. The customer hears the
truth, the turn goes to a person with reason tool_failure, and nothing is half-written."""

from __future__ import annotations

import dataclasses
import logging
import sqlite3
import threading

from fastapi.testclient import TestClient

from app.main import create_app
from tests.api.helpers import chat, order_of
from tools.store.backend import SqlStore
from tools.store.db import make_engine


class _Saw(logging.Handler):
    """Sets `event` when the store logs that `call` failed."""

    def __init__(self, call: str) -> None:
        super().__init__()
        self.call = call
        self.event = threading.Event()

    def emit(self, record: logging.LogRecord) -> None:
        if record.args and record.args[0] == self.call:
            self.event.set()


def test_store_locked_during_refund_write_is_honest_and_writes_nothing(
    app_settings, services, token_for
):
    path = app_settings.database_url.removeprefix("sqlite:///")
    quick = SqlStore.from_url(app_settings.database_url, busy_timeout_ms=300)
    svc = dataclasses.replace(services, store=quick)
    headers = token_for("C0001")
    order_id = order_of(services, "C0001", "delivered", recent_days=10)
    saw = _Saw("create_refund")
    store_log = logging.getLogger("support.store")
    store_log.addHandler(saw)
    locker = sqlite3.connect(path, isolation_level=None, check_same_thread=False)

    def hold_lock() -> None:  # another writer holds the store until the refund write failed
        saw.event.wait(timeout=30)
        locker.execute("ROLLBACK")

    try:
        with TestClient(create_app(app_settings, services=svc)) as client:
            offer = chat(client, f"I want a refund for order {order_id}", headers)
            assert "Shall I go ahead?" in offer["reply"]
            locker.execute("BEGIN EXCLUSIVE")
            releaser = threading.Thread(target=hold_lock)
            releaser.start()
            out = chat(client, "yes", headers, offer["session_id"])
            releaser.join()
    finally:
        store_log.removeHandler(saw)
        locker.close()
    assert saw.event.is_set()
    assert out["reply"].startswith("Sorry, I couldn't reach our order system just now, and nothing")
    assert out["escalation"]["reason"] == "tool_failure"
    assert out["actions"][0]["tool"] == "request_refund"
    assert out["actions"][0]["status"] == "error"
    assert services.store.get_escalation(out["escalation"]["id"]).reason == "tool_failure"
    order = services.store.get_order(order_id)
    assert order.refunds == [] and [p.status for p in order.payments] == ["captured"]
    assert services.store.list_audit() == []


def test_store_down_answers_503_with_a_clear_message(app_settings, services, token_for):
    down = SqlStore(make_engine("postgresql://nobody@127.0.0.1:1/none?connect_timeout=2"))
    svc = dataclasses.replace(services, store=down)
    with TestClient(create_app(app_settings, services=svc)) as client:
        response = client.post("/v1/chat", json={"message": "where is my order W1234567?"})
        ready = client.get("/readyz")
    assert response.status_code == 503
    assert response.json() == {
        "error": {
            "code": "store_unavailable",
            "message": "our conversation store is not answering right now; nothing was "
            "changed, please retry in a minute",
        }
    }
    assert ready.status_code == 503


def test_store_down_answers_503_to_a_signed_in_caller_too(app_settings, services, token_for):
    down = SqlStore(make_engine("postgresql://nobody@127.0.0.1:1/none?connect_timeout=2"))
    svc = dataclasses.replace(services, store=down)
    with TestClient(create_app(app_settings, services=svc)) as client:
        response = client.post(
            "/v1/chat", json={"message": "where is my order?"}, headers=token_for("C0001")
        )
    assert response.status_code == 503
    assert response.json()["error"]["code"] == "store_unavailable"


def test_lone_surrogate_is_a_422_that_says_so(client):
    body = '{"message": "where is my order \\ud800 W4520484"}'
    response = client.post(
        "/v1/chat", content=body.encode(), headers={"content-type": "application/json"}
    )
    assert response.status_code == 422
    assert response.json()["error"]["code"] == "invalid_message"
    assert "not valid Unicode" in response.json()["error"]["message"]


def test_invalid_utf8_body_gets_the_error_envelope(client):
    response = client.post(
        "/v1/chat", content=b'{"message": "caf\xe9"}', headers={"content-type": "application/json"}
    )
    assert response.status_code in (400, 422)
    assert set(response.json()) == {"error"}
    assert (
        "UTF-8" in response.json()["error"]["message"]
        or "JSON" in response.json()["error"]["message"]
    )
