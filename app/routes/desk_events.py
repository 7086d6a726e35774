"""The desk's live stream: new escalations, customer lines, replies, claims and transfers
as server-sent events, for every agent's console.

`GET /v1/agent/events` reads the store's `desk_events` log, which every change writes in
its own transaction, so a console connected to any worker sees what happened on all of
them, in order. Each event's id is its log id; a reconnecting EventSource sends
`Last-Event-ID` and gets what it missed. Without a cursor the stream starts at "now".
"""

from __future__ import annotations

import asyncio
import json
from typing import Annotated

from fastapi import APIRouter, Header, Query, Response
from sse_starlette.sse import EventSourceResponse

from app.deps import AgentDep, ListenerDep, ServicesDep
from app.openapi import event_stream
from app.streams import guarded, poll

router = APIRouter(prefix="/v1/agent", tags=["agent"])
MAX_EVENT_ID = 2**63 - 1
STREAM = (
    "One event per desk change, named by its kind (escalation.created, escalation.joined, "
    "message.customer, message.agent, escalation.claimed, escalation.assigned, "
    "escalation.handed_back, escalation.resolved, escalation.reopened, note.added, "
    "action.done), the log id as the event id, JSON data {id, kind, escalation_id, "
    "session_id, actor, at, data}; `error` if the stream fails."
)


@router.get(
    "/events",
    response_class=Response,
    responses=event_stream(STREAM, 401, 403, 422, 503),
)
async def desk_events(
    agent: AgentDep,
    services: ServicesDep,
    listener: ListenerDep,
    after: int | None = Query(
        None, ge=0, le=MAX_EVENT_ID, description="Only events with a larger id (default: now)."
    ),
    max_seconds: float = Query(60.0, gt=0, le=600),
    last_event_id: Annotated[
        int | None,
        Header(ge=0, le=MAX_EVENT_ID, description="Id of the last event seen (EventSource)."),
    ] = None,
):
    """What happens on the desk, as it happens (all agents, all workers)."""
    store = services.store
    cursor = last_event_id if last_event_id is not None else after
    if cursor is None:
        cursor = await asyncio.to_thread(store.last_desk_event)

    wake = listener.waiter("d") if listener else None

    async def events():
        async for event in poll(lambda seen: store.desk_events(seen), cursor, max_seconds, wake):
            yield {"event": event["kind"], "id": str(event["id"]), "data": json.dumps(event)}

    return EventSourceResponse(guarded(events(), "desk events"), ping=15)
