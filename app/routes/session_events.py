"""A conversation's live events: agent replies (and the CSAT prompt) as server-sent events.

`GET /v1/sessions/{id}/events` streams `agent_reply` for each line an agent sends (and
`message` for other out-of-bot lines, e.g. the rating prompt on resolve), with the line's
id as the SSE id; a reconnecting EventSource sends `Last-Event-ID` and gets only newer
lines. The stream ends after `max_seconds` (clients reconnect).
"""

from __future__ import annotations

import asyncio
import json
import time
from typing import Annotated

from fastapi import APIRouter, Header, Query
from sse_starlette.sse import EventSourceResponse

from app.deps import ChatDep, CustomerDep, ServicesDep

router = APIRouter(prefix="/v1", tags=["sessions"])
POLL_SECONDS = 0.5


@router.get("/sessions/{session_id}/events")
async def session_events(
    session_id: str,
    customer_id: CustomerDep,
    chat: ChatDep,
    services: ServicesDep,
    after: int = Query(0, ge=0, description="Only lines with a larger id."),
    max_seconds: float = Query(30.0, gt=0, le=300),
    last_event_id: Annotated[str | None, Header()] = None,
):
    await chat.open_session(session_id, customer_id)  # 404 for someone else's
    if last_event_id and last_event_id.isdigit():
        after = max(after, int(last_event_id))

    async def events():
        seen, deadline = after, time.monotonic() + max_seconds
        while True:
            lines = await asyncio.to_thread(services.store.list_messages, session_id, after_id=seen)
            for line in lines:
                seen = line["id"]
                if line["role"] == "customer":
                    continue
                kind = "agent_reply" if line["role"] == "agent" else "message"
                yield {"event": kind, "id": str(line["id"]), "data": json.dumps(line)}
            if time.monotonic() >= deadline:
                return
            await asyncio.sleep(min(POLL_SECONDS, max(0.0, deadline - time.monotonic())))

    return EventSourceResponse(events(), ping=15)
