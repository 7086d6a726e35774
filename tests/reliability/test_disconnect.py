"""A client that hangs up mid-turn still gets its turn: the transcript has the customer's
line followed by the bot's reply, and the turn log has the row."""

from __future__ import annotations

import asyncio
import contextlib
import json

import pytest

from tests.reliability.live import LiveServer, copy_data_dir
from tools.store.db import make_engine
from tools.store.turnlog import turns_since

QUESTIONS = [
    "how long does a refund take?",
    "what is your return policy?",
    "do you ship internationally?",
    "how do I change my password?",
    "can I pay with paypal?",
]
ROUNDS = 10


@pytest.fixture(scope="module")
def server(built, tmp_path_factory):
    settings, _ = built
    data_dir = copy_data_dir(settings.data_dir, tmp_path_factory.mktemp("disconnect") / "data")
    live = LiveServer(data_dir).start()
    yield live
    live.stop()


def hang_up_after_first_event(http, body: dict) -> dict:
    """POST /v1/chat/stream, read the first event's data, close the connection."""
    with http.stream("POST", "/v1/chat/stream", json=body) as response:
        assert response.status_code == 200, response.read()
        for line in response.iter_lines():
            if line.startswith("data:"):
                return json.loads(line.split(":", 1)[1])
    raise AssertionError("the stream ended without an event")


def test_disconnect_mid_stream_keeps_the_reply_and_the_turn_log(server):
    sent: list[str] = []
    with server.client() as http:
        first = hang_up_after_first_event(http, {"message": QUESTIONS[0]})
        session_id = first["session_id"]
        sent.append(QUESTIONS[0])
        for i in range(1, ROUNDS):
            message = QUESTIONS[i % len(QUESTIONS)]
            hang_up_after_first_event(http, {"message": message, "session_id": session_id})
            sent.append(message)
        # A turn waits for the one before it in its session, so this one sees them all done.
        last = http.post("/v1/chat", json={"message": "thanks", "session_id": session_id})
        assert last.status_code == 200, last.text
        sent.append("thanks")
        transcript = http.get(f"/v1/sessions/{session_id}").json()["transcript"]

    roles = [line["role"] for line in transcript]
    assert roles == ["customer", "assistant"] * len(sent)
    assert [line["content"] for line in transcript[0::2]] == sent
    assert all(line["content"] for line in transcript[1::2])
    assert transcript[-1]["content"] == last.json()["reply"]

    engine = make_engine(f"sqlite:///{server.data_dir / 'store.sqlite'}")
    try:
        rows = [row for row in turns_since(engine, None) if row.session_id == session_id]
    finally:
        engine.dispose()
    assert [row.message for row in rows] == sent
    assert [row.intent for row in rows] == [line["intent"] for line in transcript[0::2]]


def test_cancelled_consumer_does_not_cancel_the_turn(client, services):
    """In-process: the task reading a turn's events is cancelled after the first one."""
    chat = client.app.state.chat
    session_id = client.post("/v1/chat", json={"message": "hello"}).json()["session_id"]

    async def read_one_then_go_away() -> str:
        first: asyncio.Future = asyncio.get_running_loop().create_future()

        async def consume() -> None:
            async for event, _ in chat.stream_turn(session_id, None, QUESTIONS[0]):
                if not first.done():
                    first.set_result(event)

        reader = asyncio.create_task(consume())
        name = await first
        reader.cancel()
        with contextlib.suppress(asyncio.CancelledError):
            await reader
        await chat.drain()
        return name

    assert client.portal.call(read_one_then_go_away) == "meta"
    transcript = client.get(f"/v1/sessions/{session_id}").json()["transcript"]
    assert [line["role"] for line in transcript] == ["customer", "assistant"] * 2
    assert transcript[2]["content"] == "how long does a refund take?"
    assert "refund" in transcript[3]["content"].lower()
    rows = [row for row in turns_since(services.store.engine, None) if row.session_id == session_id]
    assert [row.message for row in rows] == ["hello", "how long does a refund take?"]
