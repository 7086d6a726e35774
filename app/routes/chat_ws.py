"""Chat over one WebSocket: the turns' events and the lines agents add, on one connection.

`/v1/chat/ws`. Identity is the HTTP endpoints': a customer's bearer token in the
`Authorization` header (server clients), or, since a browser cannot set that header on a
WebSocket, an `{"type": "auth", "token": ...}` frame sent first; no token is an anonymous
caller (who may verify in the chat). A bad token closes the socket with 1008 (policy
violation) and the reason; identity never changes on an open socket.

Client frames (JSON text):
- `{"type": "message", "session_id": ..., "message": ..., "channel": ...}`: one turn, the
  body of POST /v1/chat/stream; `session_id` null or absent starts a conversation.
- `{"type": "watch", "session_id": ..., "after": N}`: follow one of your conversations'
  out-of-bot lines after line id N (absent: only new ones), e.g. after a page reload.

Server frames: `{"event": ..., "data": ...}` with the SSE stream's events (meta, delta,
citation, action, escalation, suggestions, human_active, done, feedback_request, error),
plus `agent_reply` and `message` for lines of the watched conversation (GET
/v1/sessions/{id}/events' events; a message asks for the rating then also comes as
`feedback_request`). A turn's conversation is watched from the turn on. A refused frame
(bad JSON, an empty or too long message, an unknown session, the flood limit) is an `error`
frame whose data is the HTTP error body plus its `status` (and `retry_after`); the socket
stays open. Turns run one after another in the order sent; one whose client hangs up
finishes anyway (ChatService runs turns detached).
"""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Header, WebSocket

from app.chat_socket import ChatSocket
from app.deps import ChatDep, ClientDep, ListenerDep, ServicesDep, SettingsDep

router = APIRouter(prefix="/v1", tags=["chat"])


@router.websocket("/chat/ws")
async def chat_ws(
    websocket: WebSocket,
    settings: SettingsDep,
    services: ServicesDep,
    chat: ChatDep,
    client: ClientDep,
    listener: ListenerDep,
    authorization: Annotated[str | None, Header()] = None,
) -> None:
    """Chat turns and a conversation's live lines over one WebSocket (see the module doc)."""
    await websocket.accept()
    sock = ChatSocket(websocket, chat, services, settings, listener, client)
    if authorization is not None and not await sock.authenticate(authorization):
        return
    await sock.serve()
