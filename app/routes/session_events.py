"""A conversation's live events: agent replies (and the CSAT prompt) as server-sent events.

`GET /v1/sessions/{id}/events` streams `agent_reply` for each line an agent sends (and
`message` for other out-of-bot lines, e.g. the rating prompt on resolve), with the line's
id as the SSE id; a reconnecting EventSource sends `Last-Event-ID` and gets only newer
lines. The stream ends after `max_seconds` (clients reconnect). A cursor (`after` or
`Last-Event-ID`) that is not a line id (0 to 2**63-1) is a 422 before any event; a failure
while streaming sends a typed `error` event, then the stream ends.
"""

from __future__ import annotations

import json
from typing import Annotated

from fastapi import APIRouter, Header, Query, Response
from sse_starlette.sse import EventSourceResponse

from app.deps import ChatDep, CustomerDep, ListenerDep, ServicesDep
from app.openapi import event_stream
from app.streams import guarded, poll

router = APIRouter(prefix="/v1", tags=["sessions"])
MAX_LINE_ID = 2**63 - 1
"""The largest id a line can have (a signed 64-bit column): a larger cursor is a 422."""
STREAM = (
    "Events `agent_reply` (a line an agent sent) and `message` (another line from outside "
    "the bot), each with the line's id as the event id and the line as JSON data; `error` "
    "if the stream fails."
)


@router.get(
    "/sessions/{session_id}/events",
    response_class=Response,  # the stream's media type is declared by event_stream()
    responses=event_stream(STREAM, 401, 404, 422, 503),
)
async def session_events(
    session_id: str,
    customer_id: CustomerDep,
    chat: ChatDep,
    services: ServicesDep,
    listener: ListenerDep,
    after: int = Query(0, ge=0, le=MAX_LINE_ID, description="Only lines with a larger id."),
    max_seconds: float = Query(30.0, gt=0, le=300),
    last_event_id: Annotated[
        int | None,
        Header(ge=0, le=MAX_LINE_ID, description="Id of the last event seen (EventSource)."),
    ] = None,
):
    """Lines agents (and the rating prompt) add to one of your conversations, as they come."""
    await chat.open_session(session_id, customer_id)  # 404 for someone else's
    if last_event_id is not None:
        after = max(after, last_event_id)

    def fetch(seen: int) -> list[dict]:
        return services.store.list_messages(session_id, after_id=seen)

    wake = listener.waiter(f"s:{session_id}") if listener else None

    async def events():
        async for line in poll(fetch, after, max_seconds, wake):
            if line["role"] == "customer":
                continue
            kind = "agent_reply" if line["role"] == "agent" else "message"
            yield {"event": kind, "id": str(line["id"]), "data": json.dumps(line)}

    return EventSourceResponse(guarded(events(), f"session {session_id} events"), ping=15)
