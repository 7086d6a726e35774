"""One chat WebSocket connection (/v1/chat/ws, protocol in app/routes/chat_ws.py): its
frames, its identity, the conversation it watches and its queue of turns. Every check is
the HTTP API's own (token, flood limit, message rules, session ownership)."""

from __future__ import annotations

import asyncio
import contextlib
import json
import logging
import math
from typing import Annotated, Any, Literal

from fastapi import WebSocket
from pydantic import BaseModel, Field, TypeAdapter, ValidationError

from app.chat import FEEDBACK_PROMPT, ChatService, StoreUnavailable
from app.deps import get_customer_id, limit_turn
from app.errors import ApiError, error_body
from app.notifications import StoreListener
from app.schemas import ChatRequest
from app.settings import Settings
from app.streams import poll
from graph.context import Services
from tools.errors import BackendUnavailable

log = logging.getLogger("support.chat")
MAX_LINE_ID = 2**63 - 1
"""The largest line id (as GET /v1/sessions/{id}/events accepts)."""
POLICY_VIOLATION = 1008
TRY_AGAIN_LATER = 1013
MAX_WAITING_TURNS = 8
"""Messages a socket may have waiting behind the running turn; more are refused (429)."""
STORE_DOWN = "our conversation store is not answering right now; please retry in a minute"


class AuthFrame(BaseModel):
    type: Literal["auth"]
    token: str = Field(min_length=1, max_length=8192)


class WatchFrame(BaseModel):
    type: Literal["watch"]
    session_id: str = Field(min_length=1, max_length=64)
    after: int | None = Field(None, ge=0, le=MAX_LINE_ID)


class MessageFrame(ChatRequest):
    type: Literal["message"]


Frame = Annotated[AuthFrame | WatchFrame | MessageFrame, Field(discriminator="type")]
FRAME: TypeAdapter[AuthFrame | WatchFrame | MessageFrame] = TypeAdapter(Frame)


class InvalidFrame(ApiError):
    status_code = 422
    code = "invalid_request"


class Busy(ApiError):
    status_code = 429
    code = "rate_limited"
    retry_after = 1


class Gone(Exception):
    """The client went away: nothing more can be sent on this socket."""


def describe(exc: ValidationError) -> str:
    """What is wrong with a frame, for the client."""
    parts = []
    for err in exc.errors():
        kind = err.get("type")
        if kind == "json_invalid":
            return "frame is not valid JSON"
        if kind in ("union_tag_invalid", "union_tag_not_found", "model_attributes_type"):
            return "frame must be a JSON object whose type is auth, watch or message"
        where = ".".join(str(p) for p in err.get("loc", ())[1:]) or "frame"
        parts.append(f"{where}: {err.get('msg')}")
    return "; ".join(parts) or "invalid frame"


def short(reason: str) -> str:
    """A close reason cut to the 123 bytes a close frame can carry."""
    return reason.encode("utf-8")[:123].decode("utf-8", "ignore")


class ChatSocket:
    """One connection: identity, the conversation it watches, its queue of turns."""

    def __init__(
        self,
        websocket: WebSocket,
        chat: ChatService,
        services: Services,
        settings: Settings,
        listener: StoreListener | None,
        client: str | None,
    ):
        self.ws, self.chat, self.services, self.settings = websocket, chat, services, settings
        self.listener, self.client = listener, client
        self.customer_id: str | None = None
        self.identified = False  # a token was given, or a frame other than auth was sent
        self.watched: str | None = None
        self.watcher: asyncio.Task | None = None
        self.turns: asyncio.Queue[MessageFrame] = asyncio.Queue(MAX_WAITING_TURNS)
        self.sending = asyncio.Lock()

    async def send(self, event: str, data: Any) -> None:
        text = json.dumps({"event": event, "data": data}, default=str)
        async with self.sending:
            try:
                await self.ws.send_text(text)
            except Exception as exc:  # closed, or the connection dropped
                raise Gone from exc

    async def refuse(self, exc: ApiError) -> None:
        """An `error` frame with the body the HTTP API would answer."""
        data: dict[str, Any] = {**error_body(exc.code, exc.message), "status": exc.status_code}
        if exc.retry_after is not None:
            data["retry_after"] = exc.retry_after
        await self.send("error", data)

    async def authenticate(self, authorization: str) -> bool:
        """Identity from a bearer header; False after closing the socket when it is refused."""
        self.identified = True
        try:
            self.customer_id = await asyncio.to_thread(
                get_customer_id, self.settings, self.services, authorization
            )
        except ApiError as exc:
            await self.ws.close(POLICY_VIOLATION, short(exc.message))
            return False
        except BackendUnavailable:
            await self.ws.close(TRY_AGAIN_LATER, "our store is not answering; reconnect soon")
            return False
        return True

    async def serve(self) -> None:
        """Read frames until the client goes away; turns run in a worker of their own."""
        worker = asyncio.create_task(self.work())
        try:
            while True:
                message = await self.ws.receive()
                if message["type"] == "websocket.disconnect":
                    return
                text = message.get("text")
                if text is None:
                    text = (message.get("bytes") or b"").decode("utf-8", "replace")
                if not await self.handle(text):
                    return
        except Gone:
            return
        finally:
            for task in (worker, self.watcher):
                if task is not None:
                    task.cancel()  # the turn itself runs on (detached)
            await asyncio.gather(worker, *([self.watcher] if self.watcher else []),
                                 return_exceptions=True)  # fmt: skip

    async def handle(self, text: str) -> bool:
        """Act on one frame; False when the socket was closed."""
        try:
            frame = FRAME.validate_json(text)
        except ValidationError as exc:
            await self.refuse(InvalidFrame(describe(exc)))
            return True
        if isinstance(frame, AuthFrame):
            if self.identified:
                await self.refuse(InvalidFrame(
                    "auth must be the first frame, and only without an Authorization header; "
                    "reconnect to change who you are"
                ))  # fmt: skip
                return True
            return await self.authenticate(f"Bearer {frame.token}")
        self.identified = True
        if isinstance(frame, WatchFrame):
            try:
                await self.chat.open_session(frame.session_id, self.customer_id)
            except ApiError as exc:
                await self.refuse(exc)
                return True
            try:
                await self.follow(frame.session_id, frame.after)
            except BackendUnavailable:
                await self.refuse(StoreUnavailable(STORE_DOWN))
            return True
        try:
            self.turns.put_nowait(frame)
        except asyncio.QueueFull:
            await self.refuse(Busy("too many messages waiting; send the next after `done`"))
        return True

    async def work(self) -> None:
        while True:
            frame = await self.turns.get()
            try:
                await self.turn(frame)
            except BackendUnavailable:  # e.g. reading where to follow the conversation from
                await self.refuse(StoreUnavailable(STORE_DOWN))
            except Gone:
                return
            except Exception:  # a bug: say so, and keep serving the socket's next turns
                log.exception("a socket's turn failed before it started")
                body = error_body("turn_failed", "the turn failed on our side; please retry")
                await self.send("error", {**body, "status": 500})

    async def turn(self, frame: MessageFrame) -> None:
        """One turn: the HTTP route's checks in its order, then its events."""
        try:
            await asyncio.to_thread(limit_turn, frame, self.settings, self.services,
                                    self.customer_id, self.client)  # fmt: skip
            message = self.chat.validate_message(frame.message)
            session_id = await self.chat.open_session(
                frame.session_id, self.customer_id, frame.channel or "api"
            )
        except ApiError as exc:
            await self.refuse(exc)
            return
        if session_id != self.watched:
            await self.follow(session_id, 0 if frame.session_id is None else None)
        events = self.chat.stream_turn(session_id, self.customer_id, message, self.client)
        async with contextlib.aclosing(events):  # type: ignore[type-var]  # an async generator
            try:
                async for event, data in events:
                    await self.send(event, data)
            except Gone:
                raise
            except Exception:
                log.exception("turn failed in session %s", session_id)
                body = error_body("turn_failed", "the turn failed on our side; please retry")
                await self.send("error", {**body, "status": 500})

    async def follow(self, session_id: str, after: int | None) -> None:
        """Watch `session_id`'s lines after line id `after` (None: from now on)."""
        if after is None:
            lines = await asyncio.to_thread(self.services.store.list_messages, session_id)
            after = lines[-1]["id"] if lines else 0
        if self.watcher is not None:  # no await from here on: one watcher at a time
            self.watcher.cancel()
        self.watched = session_id
        self.watcher = asyncio.create_task(self.lines(session_id, after))

    async def lines(self, session_id: str, after: int) -> None:
        def fetch(seen: int) -> list[dict]:
            return self.services.store.list_messages(session_id, after_id=seen)

        wake = self.listener.waiter(f"s:{session_id}") if self.listener else None
        try:
            async for line in poll(fetch, after, math.inf, wake):
                if line["role"] == "customer":
                    continue
                await self.send("agent_reply" if line["role"] == "agent" else "message", line)
                if line["role"] == "assistant" and line["content"] == FEEDBACK_PROMPT:
                    await self.send(
                        "feedback_request", {"session_id": session_id, "prompt": FEEDBACK_PROMPT}
                    )
        except (Gone, asyncio.CancelledError):
            raise
        except Exception:
            log.exception("session %s lines failed on a socket", session_id)
            body = error_body("stream_failed", "following the conversation failed; watch again")
            with contextlib.suppress(Gone):
                await self.send("error", {**body, "status": 500})
