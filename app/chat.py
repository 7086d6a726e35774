"""Chat service: sessions bound to identity, and running one turn through the graph."""

from __future__ import annotations

import asyncio
import uuid
from collections.abc import AsyncIterator
from typing import Any
from weakref import WeakValueDictionary

from langgraph.graph.state import CompiledStateGraph

from app.errors import InvalidMessage, MessageTooLong, UnknownSession
from app.schemas import SessionPublic, TranscriptLine, response_from_state
from graph.context import Services, TurnContext
from graph.state import new_turn

ChatEvent = tuple[str, Any]


class ChatService:
    """Validates turns, binds sessions to the caller, runs the graph, streams its events."""

    def __init__(self, graph: CompiledStateGraph, services: Services, max_message_chars: int):
        self._graph = graph
        self._services = services
        self._max_chars = max_message_chars
        # One turn at a time per session; a lock lives only while some turn holds or awaits it.
        self._locks: WeakValueDictionary[str, asyncio.Lock] = WeakValueDictionary()

    def validate_message(self, message: str) -> str:
        text = message.strip()
        if not text:
            raise InvalidMessage("message must not be empty")
        if len(text) > self._max_chars:
            raise MessageTooLong(
                f"message is {len(text)} characters; the limit is {self._max_chars}"
            )
        return text

    async def open_session(self, session_id: str | None, customer_id: str | None) -> str:
        """An existing session of this caller, or a new one bound to the caller."""
        store = self._services.store
        if session_id is None:
            new_id = uuid.uuid4().hex
            await asyncio.to_thread(store.create_session, new_id, customer_id)
            return new_id
        found = await asyncio.to_thread(store.get_session, session_id)
        # Someone else's session reads exactly like a missing one: nothing leaks.
        if found is None or found[1] != customer_id:
            raise UnknownSession(
                f"session {session_id!r} does not exist for these credentials; "
                "omit session_id to start a new conversation"
            )
        return session_id

    def _config(self, session_id: str) -> dict:
        return {"configurable": {"thread_id": session_id}}

    async def stream_turn(
        self, session_id: str, customer_id: str | None, message: str
    ) -> AsyncIterator[ChatEvent]:
        """Typed events of one turn (meta, delta, citation, action, escalation), then done."""
        context = TurnContext(
            services=self._services, session_id=session_id, customer_id=customer_id
        )
        final: dict[str, Any] = {}
        lock = self._locks.get(session_id)
        if lock is None:
            lock = self._locks[session_id] = asyncio.Lock()
        async with lock:
            async for mode, chunk in self._graph.astream(
                new_turn(message),
                self._config(session_id),
                context=context,
                stream_mode=["custom", "values"],
            ):
                if mode == "custom":
                    yield chunk["event"], chunk["data"]
                else:
                    final = chunk
        yield "done", response_from_state(session_id, final).model_dump()

    async def run_turn(self, session_id: str, customer_id: str | None, message: str):
        """The whole turn's response (non-streaming)."""
        result = None
        async for event, data in self.stream_turn(session_id, customer_id, message):
            if event == "done":
                result = data
        return result

    async def session(self, session_id: str, customer_id: str | None) -> SessionPublic:
        """Transcript of one of the caller's sessions."""
        await self.open_session(session_id, customer_id)
        snapshot = await self._graph.aget_state(self._config(session_id))
        values = snapshot.values or {}
        pending = values.get("pending")
        return SessionPublic(
            session_id=session_id,
            transcript=[TranscriptLine(**line) for line in values.get("transcript") or []],
            pending={k: pending[k] for k in ("kind", "intent", "slot", "action") if k in pending}
            if pending
            else None,
        )
