"""Finding demo orders and reading SSE streams in API tests."""

from __future__ import annotations

import json
from datetime import UTC, datetime, timedelta

from graph.context import Services


def order_of(
    services: Services, customer_id: str, status: str, *, recent_days: int | None = None
) -> str:
    """Id of one of the customer's orders in a status (delivered within recent_days if given)."""
    for summary in services.store.list_orders(customer_id):
        if summary.status != status:
            continue
        if recent_days is None:
            return summary.id
        order = services.store.get_order(summary.id)
        delivered = order.delivered_at
        if delivered.tzinfo is None:
            delivered = delivered.replace(tzinfo=UTC)
        if delivered >= datetime.now(UTC) - timedelta(days=recent_days):
            return summary.id
    raise AssertionError(f"{customer_id} has no {status} order (recent_days={recent_days})")


def sse_events(response) -> list[tuple[str, object]]:
    """(event, parsed data) pairs of a text/event-stream body."""
    events: list[tuple[str, object]] = []
    event, data = None, []
    for line in response.iter_lines():
        if line.startswith("event:"):
            event = line.split(":", 1)[1].strip()
        elif line.startswith("data:"):
            data.append(line.split(":", 1)[1].strip())
        elif line == "" and event is not None:
            events.append((event, json.loads("\n".join(data))))
            event, data = None, []
    if event is not None:
        events.append((event, json.loads("\n".join(data))))
    return events


def chat(client, message, headers=None, session_id=None) -> dict:
    """POST /v1/chat and return the JSON body (asserting a 200)."""
    body = {"message": message}
    if session_id:
        body["session_id"] = session_id
    response = client.post("/v1/chat", json=body, headers=headers or {})
    assert response.status_code == 200, response.text
    return response.json()


def transcript(client, session_id, headers=None) -> list[dict]:
    """The session's transcript lines as GET /v1/sessions/{id} returns them."""
    response = client.get(f"/v1/sessions/{session_id}", headers=headers or {})
    assert response.status_code == 200, response.text
    return response.json()["transcript"]


def escalate(client, headers=None, first="hello", session_id=None) -> tuple[str, str]:
    """A conversation that asks for a person: (session id, escalation id)."""
    opened = chat(client, first, headers, session_id)
    out = chat(client, "I want to talk to a person", headers, opened["session_id"])
    assert out["escalated"] is True
    return out["session_id"], out["escalation"]["id"]
