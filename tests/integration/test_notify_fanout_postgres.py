"""Live streams on a Postgres store wake on NOTIFY: with the poll interval set far beyond the
test's patience, an agent's reply still reaches the customer's open stream (and the desk's)
within a second or two of being written, so only a notification can have delivered it."""

from __future__ import annotations

import asyncio
import dataclasses
import time
import uuid

import pytest
from fastapi.testclient import TestClient

from app import streams
from app.auth import mint_token
from app.main import create_app
from tools.store.backend import SqlStore

pytestmark = pytest.mark.postgres


@pytest.fixture
def pg_app(built, app_settings, postgres_url, monkeypatch):
    """(client, store): the wired app over a fresh Postgres store, polling every 30 s."""
    monkeypatch.setattr(streams, "POLL_SECONDS", 30.0)
    store = SqlStore.from_url(postgres_url)
    services = dataclasses.replace(built[1], store=store)
    settings = app_settings.model_copy(update={"DATABASE_URL": postgres_url})
    with TestClient(create_app(settings, services=services)) as client:
        yield client, store
    store.engine.dispose()


def first_event_after_write(client, path: str, headers: dict[str, str], write) -> float:
    """Seconds from `write()` (a store write made after the stream is open) to the stream
    sending the event it causes; fails after 5 s."""
    app = client.app

    async def drive() -> float:
        hung_up = asyncio.Event()
        sent = asyncio.Event()
        body = bytearray()
        path_only, _, query = path.partition("?")
        scope = {
            "type": "http", "asgi": {"version": "3.0"}, "http_version": "1.1",
            "method": "GET", "scheme": "http", "path": path_only,
            "raw_path": path_only.encode(), "query_string": query.encode(), "root_path": "",
            "headers": [(b"host", b"testserver")]
            + [(k.lower().encode(), v.encode()) for k, v in headers.items()],
            "client": ("127.0.0.1", 50000), "server": ("testserver", 80),
        }  # fmt: skip

        async def receive():
            await hung_up.wait()
            return {"type": "http.disconnect"}

        async def send(message):
            if message["type"] == "http.response.start":
                assert message["status"] == 200
            elif message["type"] == "http.response.body":
                body.extend(message.get("body", b""))
                if b"event: " in body:  # pings are comments, not events
                    sent.set()

        task = asyncio.create_task(app(scope, receive, send))
        try:
            await asyncio.sleep(1.0)  # the stream is open and has read once
            assert not sent.is_set(), bytes(body)
            started = time.monotonic()
            await asyncio.to_thread(write)
            await asyncio.wait_for(sent.wait(), 5.0)
            return time.monotonic() - started
        finally:
            hung_up.set()
            task.cancel()
            await asyncio.gather(task, return_exceptions=True)

    return client.portal.call(drive)


def test_agent_reply_reaches_the_customers_open_stream_by_notification(pg_app):
    client, store = pg_app
    session_id = uuid.uuid4().hex
    store.create_session(session_id, None)

    def reply() -> None:
        store.add_message(session_id, "agent", "Hi, Ann here.", author="ann")

    took = first_event_after_write(
        client, f"/v1/sessions/{session_id}/events?max_seconds=60", {}, reply
    )
    assert took < 2.0


def test_desk_event_reaches_an_open_console_by_notification(pg_app, app_settings):
    client, store = pg_app
    token = mint_token("ann", app_settings.jwt_secret(), 3600, role="agent")

    def escalate() -> None:
        store.create_escalation(
            session_id="S1", customer_id=None, reason="explicit_request",
            intent="contact_human_agent", confidence=0.9, entities=[],
            transcript=[{"role": "customer", "content": "a person please"}],
        )  # fmt: skip

    took = first_event_after_write(
        client, "/v1/agent/events?max_seconds=60", {"Authorization": f"Bearer {token}"}, escalate
    )
    assert took < 2.0
