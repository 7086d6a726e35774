"""Bad input gets a clear 4xx, sessions are private, the stream sends typed events."""

from __future__ import annotations

from fastapi.testclient import TestClient

from app.main import create_app
from tests.api.helpers import order_of, sse_events


def error_of(response):
    body = response.json()
    return body["error"]["code"], body["error"]["message"]


def test_invalid_json_is_422_with_message(client):
    r = client.post("/v1/chat", content=b"{not json", headers={"content-type": "application/json"})
    assert r.status_code == 422
    assert error_of(r) == ("invalid_request", "request body is not valid JSON")


def test_missing_message_field_is_422(client):
    r = client.post("/v1/chat", json={"session_id": None})
    assert r.status_code == 422
    assert "message" in error_of(r)[1]


def test_empty_message_is_422(client):
    r = client.post("/v1/chat", json={"message": "   "})
    assert r.status_code == 422
    assert error_of(r) == ("invalid_message", "message must not be empty")


def test_oversized_message_is_413(client, app_settings):
    limit = app_settings.MAX_MESSAGE_CHARS
    r = client.post("/v1/chat", json={"message": "a" * (limit + 1)})
    assert r.status_code == 413
    assert error_of(r)[1] == f"message is {limit + 1} characters; the limit is {limit}"


def test_unknown_session_is_404(client):
    r = client.post("/v1/chat", json={"message": "hi", "session_id": "nope"})
    assert r.status_code == 404
    assert error_of(r)[0] == "unknown_session"
    assert client.get("/v1/sessions/nope").status_code == 404


def test_bad_and_expired_tokens_are_401(client, token_for):
    r = client.post("/v1/chat", json={"message": "hi"}, headers={"Authorization": "Bearer abc"})
    assert r.status_code == 401 and error_of(r)[0] == "invalid_token"
    r = client.post("/v1/chat", json={"message": "hi"}, headers=token_for("C0001", ttl=-10))
    assert r.status_code == 401 and "expired" in error_of(r)[1]
    r = client.post("/v1/chat", json={"message": "hi"}, headers=token_for("C9999"))
    assert r.status_code == 401 and "does not exist" in error_of(r)[1]
    r = client.post("/v1/chat", json={"message": "hi"}, headers={"Authorization": "Basic x"})
    assert r.status_code == 401


def test_session_of_another_customer_is_not_found(client, token_for):
    r = client.post("/v1/chat", json={"message": "hello"}, headers=token_for("C0001"))
    session_id = r.json()["session_id"]
    assert client.get(f"/v1/sessions/{session_id}", headers=token_for("C0001")).status_code == 200
    assert client.get(f"/v1/sessions/{session_id}", headers=token_for("C0002")).status_code == 404
    assert client.get(f"/v1/sessions/{session_id}").status_code == 404
    r = client.post(
        "/v1/chat", json={"message": "hi", "session_id": session_id}, headers=token_for("C0002")
    )
    assert r.status_code == 404


def test_rejected_turn_writes_nothing(client, services):
    first = client.post("/v1/chat", json={"message": "hello"}).json()
    sid = first["session_id"]
    client.post("/v1/chat", json={"message": "", "session_id": sid})
    transcript = client.get(f"/v1/sessions/{sid}").json()["transcript"]
    assert [line["content"] for line in transcript] == ["hello", first["reply"]]


def test_stream_sends_typed_events_in_order(client):
    with client.stream(
        "POST", "/v1/chat/stream", json={"message": "how long does a refund take?"}
    ) as r:
        assert r.status_code == 200
        assert r.headers["content-type"].startswith("text/event-stream")
        events = sse_events(r)
    names = [name for name, _ in events]
    assert names[0] == "meta" and names[-1] == "done"
    assert "delta" in names and "citation" in names and "error" not in names
    assert names.index("delta") < names.index("citation")
    done = events[-1][1]
    assert done["reply"] == "".join(data for name, data in events if name == "delta")
    assert [c for n, c in events if n == "citation"] == done["citations"]
    assert events[0][1]["intent"] == done["intent"]


def test_stream_validates_before_streaming(client):
    r = client.post("/v1/chat/stream", json={"message": ""})
    assert r.status_code == 422


def test_stream_escalation_event(client):
    with client.stream("POST", "/v1/chat/stream", json={"message": "let me speak to a human"}) as r:
        events = sse_events(r)
    names = [n for n, _ in events]
    assert "escalation" in names
    escalation = dict(events)["escalation"]
    assert escalation["reason"] == "explicit_request"
    assert events[-1][1]["escalation"] == escalation


def test_restart_keeps_transcript_and_pending_slot(app_settings, services, token_for):
    headers = token_for("C0001")
    order_id = order_of(services, "C0001", "shipped")
    with TestClient(create_app(app_settings, services=services)) as first:
        ask = first.post("/v1/chat", json={"message": "where's my package"}, headers=headers).json()
    sid = ask["session_id"]
    with TestClient(create_app(app_settings, services=services)) as second:
        session = second.get(f"/v1/sessions/{sid}", headers=headers).json()
        assert [line["role"] for line in session["transcript"]] == ["customer", "assistant"]
        assert session["pending"] == {"kind": "slot", "intent": "track_order", "slot": "order_id"}
        out = second.post(
            "/v1/chat", json={"message": f"it's {order_id}", "session_id": sid}, headers=headers
        ).json()
    assert out["intent"] == "track_order" and order_id in out["reply"]


def test_health_and_ready(client):
    assert client.get("/healthz").json() == {"status": "ok"}
    ready = client.get("/readyz")
    assert ready.status_code == 200
    assert ready.json()["knowledge_chunks"] > 20
