"""Chat endpoints: one turn as JSON, or as a stream of typed server-sent events."""

from __future__ import annotations

import json
import logging

from fastapi import APIRouter, Response
from sse_starlette.sse import EventSourceResponse

from app.deps import ChatDep, ClientDep, CustomerDep, TurnLimitDep
from app.errors import error_body
from app.openapi import event_stream, responses
from app.schemas import ChatRequest, ChatResponse

router = APIRouter(prefix="/v1", tags=["chat"])
log = logging.getLogger("support.chat")
TURN_ERRORS = (401, 404, 413, 422, 429, 503)
STREAM = (
    "Events `meta`, `delta`, `citation`, `action`, `escalation`, then `done` (the full "
    "ChatResponse) or `error`; each event's data is JSON."
)


@router.post("/chat", response_model=ChatResponse, responses=responses(*TURN_ERRORS))
async def chat(
    body: ChatRequest,
    customer_id: CustomerDep,
    service: ChatDep,
    client: ClientDep,
    _flood: TurnLimitDep,
) -> dict:
    """Send a message and get the bot's reply, citations, actions and escalation."""
    message = service.validate_message(body.message)
    session_id = await service.open_session(body.session_id, customer_id, body.channel or "api")
    return await service.run_turn(session_id, customer_id, message, client)


@router.post(
    "/chat/stream",
    response_class=Response,  # the stream's media type is declared by event_stream()
    responses=event_stream(STREAM, *TURN_ERRORS, payloads={"done": "ChatResponse"}),
)
async def chat_stream(
    body: ChatRequest,
    customer_id: CustomerDep,
    service: ChatDep,
    client: ClientDep,
    _flood: TurnLimitDep,
):
    """Same turn as /v1/chat as `text/event-stream`: meta, delta, citation, action,
    escalation, then done (or error)."""
    message = service.validate_message(body.message)
    session_id = await service.open_session(body.session_id, customer_id, body.channel or "api")

    async def events():
        try:
            async for event, data in service.stream_turn(session_id, customer_id, message, client):
                yield {"event": event, "data": json.dumps(data, default=str)}
        except Exception:
            log.exception("turn failed in session %s", session_id)
            body = error_body("turn_failed", "the turn failed on our side; please retry")
            yield {"event": "error", "data": json.dumps(body)}

    return EventSourceResponse(events(), ping=15)
