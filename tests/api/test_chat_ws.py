"""The chat WebSocket (/v1/chat/ws): the SSE stream's events as JSON frames, agent lines on
the same socket, the HTTP API's identity, checks and limits, and clients that hang up."""

from __future__ import annotations

import threading
from typing import Any

import pytest
from fastapi.testclient import TestClient
from starlette.websockets import WebSocketDisconnect

from app.auth import mint_token
from app.chat import FEEDBACK_PROMPT
from app.main import create_app
from tests.api.helpers import transcript

HELP_QUESTION = "What is your refund policy? How many days do I have to return something?"


def frame(ws, timeout: float = 20.0) -> dict[str, Any]:
    """The next frame, failing (not hanging) when none comes within `timeout` seconds."""
    got: list[Any] = []
    reader = threading.Thread(target=lambda: got.append(_receive(ws)), daemon=True)
    reader.start()
    reader.join(timeout)
    assert got, f"no frame within {timeout} s"
    if isinstance(got[0], BaseException):
        raise got[0]
    return got[0]


def _receive(ws) -> Any:
    try:
        return ws.receive_json()
    except BaseException as exc:  # handed to the test thread
        return exc


def turn(ws, message: str, session_id: str | None = None, **extra) -> list[tuple[str, Any]]:
    """Send one message; its frames up to and including `done` (or `error`)."""
    ws.send_json({"type": "message", "message": message, "session_id": session_id, **extra})
    frames: list[tuple[str, Any]] = []
    while not frames or frames[-1][0] not in ("done", "error"):
        got = frame(ws)
        frames.append((got["event"], got["data"]))
    return frames


def error_of(ws) -> dict[str, Any]:
    got = frame(ws)
    assert got["event"] == "error", got
    return got["data"]


def test_chat_ws_help_centre_answer_streams_meta_deltas_citations_then_done(client, services):
    with client.websocket_connect("/v1/chat/ws") as ws:
        frames = turn(ws, HELP_QUESTION, channel="widget")
    names = [name for name, _ in frames]
    assert names[0] == "meta" and names[-1] == "done"
    assert "delta" in names and "citation" in names and "error" not in names
    done = frames[-1][1]
    assert frames[0][1]["intent"] == done["intent"] == "check_refund_policy"
    assert done["reply"] == "".join(data for name, data in frames if name == "delta")
    assert "30 days" in done["reply"]
    assert [c for name, c in frames if name == "citation"] == done["citations"]
    assert all(c["url"].startswith("http") for c in done["citations"])
    assert frames[0][1]["session_id"] == done["session_id"]
    lines = transcript(client, done["session_id"])
    assert [line["content"] for line in lines] == [HELP_QUESTION, done["reply"]]
    assert services.store.session_channels([done["session_id"]]) == {done["session_id"]: "widget"}


def test_chat_ws_asking_for_a_person_sends_escalation_and_action(client, services):
    with client.websocket_connect("/v1/chat/ws") as ws:
        first = turn(ws, "hello")
        frames = turn(ws, "I want to talk to a person", first[-1][1]["session_id"])
    escalation = dict(frames)["escalation"]
    assert escalation["reason"] == "explicit_request"
    assert dict(frames)["action"] == {
        "tool": "create_escalation",
        "status": "ok",
        "detail": f"{escalation['id']}: explicit_request",
    }
    done = frames[-1][1]
    assert done["escalated"] is True and done["escalation"] == escalation
    assert services.store.get_escalation(escalation["id"]).session_id == done["session_id"]


def test_chat_ws_refused_frames_are_error_frames_and_the_socket_goes_on(client, app_settings):
    too_long = "x" * (app_settings.MAX_MESSAGE_CHARS + 1)
    with client.websocket_connect("/v1/chat/ws") as ws:
        ws.send_text("{not json")
        assert error_of(ws) == {
            "error": {"code": "invalid_request", "message": "frame is not valid JSON"},
            "status": 422,
        }
        ws.send_json({"type": "shout", "message": "hi"})
        assert "type is auth, watch or message" in error_of(ws)["error"]["message"]
        ws.send_json({"type": "message"})
        assert error_of(ws)["error"]["message"] == "message: Field required"
        ws.send_json({"type": "message", "message": "   "})
        assert error_of(ws) == {
            "error": {"code": "invalid_message", "message": "message must not be empty"},
            "status": 422,
        }
        ws.send_json({"type": "message", "message": too_long})
        refused = error_of(ws)
        assert refused["status"] == 413 and refused["error"]["code"] == "message_too_long"
        ws.send_json({"type": "message", "message": "hi", "session_id": "nope"})
        refused = error_of(ws)
        assert refused["status"] == 404 and refused["error"]["code"] == "unknown_session"
        ws.send_json({"type": "watch", "session_id": "nope"})
        assert error_of(ws)["error"]["code"] == "unknown_session"
        frames = turn(ws, "hello")  # still usable
    assert frames[-1][0] == "done"
    lines = transcript(client, frames[-1][1]["session_id"])
    assert [line["content"] for line in lines][:1] == ["hello"]  # nothing refused was kept


def test_chat_ws_flood_limit_is_an_error_frame_with_retry_after(app_settings, services):
    limited = app_settings.model_copy(update={"TURNS_PER_CLIENT_PER_MINUTE": 1})
    with TestClient(create_app(limited, services=services)) as client:
        with client.websocket_connect("/v1/chat/ws") as ws:
            assert turn(ws, "hello")[-1][0] == "done"
            ws.send_json({"type": "message", "message": "hello again"})
            refused = error_of(ws)
    assert refused["status"] == 429 and refused["error"]["code"] == "rate_limited"
    assert 0 < refused["retry_after"] <= 60
    assert "too many messages" in refused["error"]["message"]


def test_chat_ws_agent_reply_and_rating_prompt_arrive_on_the_socket(client, agent_headers):
    with client.websocket_connect("/v1/chat/ws") as ws:
        first = turn(ws, "hello")
        session_id = first[-1][1]["session_id"]
        escalation = dict(turn(ws, "I want to talk to a person", session_id))["escalation"]
        url = f"/v1/agent/escalations/{escalation['id']}"
        sent = client.post(f"{url}/reply", json={"text": "Hi, Ann here."}, headers=agent_headers())
        assert sent.status_code == 200, sent.text
        got = frame(ws)
        assert got["event"] == "agent_reply"
        assert got["data"]["content"] == "Hi, Ann here." and got["data"]["author"] == "ann"
        assert got["data"]["id"] == sent.json()["id"]
        # the customer writes while the agent owns the chat: the bot stays out of it
        frames = turn(ws, "thanks, my order is late", session_id)
        assert [name for name, _ in frames] == ["human_active", "done"]
        assert client.post(f"{url}/resolve", headers=agent_headers()).status_code == 200
        prompt = frame(ws)
        assert prompt["event"] == "message" and prompt["data"]["content"] == FEEDBACK_PROMPT
        assert frame(ws) == {
            "event": "feedback_request",
            "data": {"session_id": session_id, "prompt": FEEDBACK_PROMPT},
        }
    # a new socket (a page reload) catches up from the line id it last saw
    with client.websocket_connect("/v1/chat/ws") as ws:
        ws.send_json({"type": "watch", "session_id": session_id, "after": 0})
        again = frame(ws)
    assert (again["event"], again["data"]["content"]) == ("agent_reply", "Hi, Ann here.")


def test_chat_ws_customer_token_in_the_first_frame_or_the_header(client, token_for):
    token = token_for("C0001")["Authorization"].removeprefix("Bearer ")
    with client.websocket_connect("/v1/chat/ws") as ws:
        ws.send_json({"type": "auth", "token": token})
        session_id = turn(ws, "hello")[-1][1]["session_id"]
        ws.send_json({"type": "auth", "token": token})  # only first: identity never changes
        assert "auth must be the first frame" in error_of(ws)["error"]["message"]
    assert client.get(f"/v1/sessions/{session_id}", headers=token_for("C0001")).status_code == 200
    assert client.get(f"/v1/sessions/{session_id}").status_code == 404
    with client.websocket_connect("/v1/chat/ws", headers=token_for("C0001")) as ws:
        assert turn(ws, "hi again", session_id)[-1][0] == "done"
    with client.websocket_connect("/v1/chat/ws") as ws:  # anonymous: not theirs
        refused = turn(ws, "hi", session_id)
    assert refused[-1][1]["error"]["code"] == "unknown_session"


@pytest.mark.parametrize("how", ["header", "frame"])
def test_chat_ws_bad_token_closes_with_policy_violation(client, app_settings, how):
    expired = mint_token("C0001", app_settings.jwt_secret(), -10)
    if how == "header":
        ws_context = client.websocket_connect(
            "/v1/chat/ws", headers={"Authorization": f"Bearer {expired}"}
        )
    else:
        ws_context = client.websocket_connect("/v1/chat/ws")
    with ws_context as ws:
        if how == "frame":
            ws.send_json({"type": "auth", "token": "not-a-token"})
        with pytest.raises(WebSocketDisconnect) as closed:
            frame(ws)
    assert closed.value.code == 1008
    expected = "token has expired" if how == "header" else "token is not valid"
    assert expected in closed.value.reason


def test_chat_ws_client_that_hangs_up_mid_turn_still_gets_its_turn(client, services):
    with client.websocket_connect("/v1/chat/ws") as ws:
        ws.send_json({"type": "message", "message": HELP_QUESTION})
        meta = frame(ws)  # the first event; then the client goes away mid-turn
    assert meta["event"] == "meta"
    session_id = meta["data"]["session_id"]
    # a turn waits for the one before it in its session, so this one sees it finished
    after = client.post("/v1/chat", json={"message": "thanks", "session_id": session_id})
    assert after.status_code == 200, after.text
    lines = transcript(client, session_id)
    assert [line["role"] for line in lines] == ["customer", "assistant"] * 2
    assert lines[0]["content"] == HELP_QUESTION and "30 days" in lines[1]["content"]
