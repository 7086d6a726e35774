"""Bad input gets a clear 4xx, sessions are private, the stream sends typed events."""

from __future__ import annotations

import pytest
from fastapi.testclient import TestClient

from app.auth import mint_token
from app.main import create_app
from tests.api.helpers import order_of, sse_events
from tools.errors import BackendUnavailable


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


# -- hostile bodies, cursors and the published contract ------------------------------------


@pytest.mark.parametrize(
    ("body", "message"),
    [
        (b'{"message": "caf\xe9"}', "request body is not valid UTF-8 JSON"),
        (
            b'{"message": ' + b"[" * 1000 + b"]" * 1000 + b"}",
            "request body nests JSON arrays or objects more than 32 levels deep",
        ),
        (
            b'{"message": "hi", "session_id": ' + b"9" * 5000 + b"}",
            "request body has a number with too many digits",
        ),
    ],
    ids=["invalid-utf8", "nested-1000-deep", "5000-digit-number"],
)
def test_unreadable_body_is_a_422_in_the_error_envelope(client, body, message):
    r = client.post("/v1/chat", content=body, headers={"content-type": "application/json"})
    assert r.status_code == 422
    assert r.json() == {"error": {"code": "invalid_request", "message": message}}


def test_text_no_store_can_hold_is_a_422_naming_the_field(client, app_settings):
    escalated = client.post("/v1/chat", json={"message": "let me speak to a human"}).json()
    lone = '"\\ud800"'  # a JSON escape of half a surrogate pair
    r = client.post(
        "/v1/feedback",
        content=f'{{"session_id": "{escalated["session_id"]}", "rating": 5, "comment": {lone}}}',
        headers={"content-type": "application/json"},
    )
    assert r.status_code == 422
    assert error_of(r) == (
        "invalid_request",
        "comment has a character that is not valid Unicode (a lone surrogate escape such as "
        "\\ud800); send UTF-8 text",
    )
    agent = {"Authorization": f"Bearer {mint_token('ann', app_settings.jwt_secret(), 60, 'agent')}"}
    relabel = f"/v1/agent/escalations/{escalated['escalation']['id']}/relabel"
    nested: list = []
    for _ in range(40):
        nested = [nested]
    deep = {"turn": 0, "intent": "greeting", "entities": [{"x": nested}]}
    r = client.post(relabel, json=deep, headers=agent)
    assert r.status_code == 422
    assert error_of(r)[1] == "request body nests JSON arrays or objects more than 32 levels deep"
    r = client.post(relabel, json={"turn": 0, "intent": "greeting", "entities": [{"x": 1}]},
                    headers=agent)  # fmt: skip
    assert r.status_code == 200


def test_control_characters_read_as_spaces(client):
    r = client.post("/v1/chat", json={"message": "how long does a\x00refund\x1b take?"})
    assert r.status_code == 200
    transcript = client.get(f"/v1/sessions/{r.json()['session_id']}").json()["transcript"]
    assert transcript[0]["content"] == "how long does a refund  take?"
    r = client.post("/v1/chat", json={"message": "\x00\x07\x7f"})
    assert r.status_code == 422
    assert error_of(r) == ("invalid_message", "message must not be empty")


@pytest.mark.parametrize(
    ("query", "headers"),
    [
        ("after=9223372036854775808", {}),
        ("after=-1", {}),
        ("after=1e3", {}),
        ("", {"Last-Event-ID": "9" * 30}),
        ("", {"Last-Event-ID": "\u00b2"}),
        ("", {"Last-Event-ID": "12abc"}),
    ],
    ids=["after-2**63", "after-negative", "after-float", "huge-id", "non-ascii-id", "not-a-number"],
)
def test_events_cursor_out_of_range_is_422_before_any_event(client, query, headers):
    session_id = client.post("/v1/chat", json={"message": "hello"}).json()["session_id"]
    r = client.get(
        f"/v1/sessions/{session_id}/events?max_seconds=0.1&{query}",
        headers={k: v.encode() for k, v in headers.items()},
    )
    assert r.status_code == 422
    assert r.headers["content-type"] == "application/json"
    assert error_of(r)[0] == "invalid_request"


def test_events_stream_failure_is_a_typed_error_event(client, services, monkeypatch):
    session_id = client.post("/v1/chat", json={"message": "hello"}).json()["session_id"]

    def store_down(*args, **kwargs):
        raise BackendUnavailable("store down")

    monkeypatch.setattr(services.store, "list_messages", store_down)
    with client.stream("GET", f"/v1/sessions/{session_id}/events?max_seconds=1") as r:
        assert r.status_code == 200
        events = sse_events(r)
    assert [name for name, _ in events] == ["error"]
    assert events[0][1]["error"]["code"] == "stream_failed"


def test_openapi_declares_every_error_and_the_event_streams(client):
    spec = client.get("/openapi.json").json()
    error_body = {"$ref": "#/components/schemas/ErrorBody"}
    for path, operations in spec["paths"].items():
        for method, operation in operations.items():
            for status, response in operation["responses"].items():
                if status.startswith(("4", "5")):
                    declared = response["content"]["application/json"]["schema"]
                    assert declared == error_body, (method, path, status)
    chat = spec["paths"]["/v1/chat"]["post"]["responses"]
    assert sorted(chat) == ["200", "401", "404", "413", "422", "429", "503"]
    assert "Retry-After" in chat["429"]["headers"] and "Retry-After" in chat["503"]["headers"]
    for path, method in [("/v1/chat/stream", "post"), ("/v1/sessions/{session_id}/events", "get")]:
        ok = spec["paths"][path][method]["responses"]["200"]
        assert list(ok["content"]) == ["text/event-stream"], path
    claim = spec["paths"]["/v1/agent/escalations/{escalation_id}/claim"]["post"]["responses"]
    assert sorted(claim) == ["200", "401", "403", "404", "409", "422", "503"]
