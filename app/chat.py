"""Chat service: sessions bound to identity, and running one turn through the graph."""

from __future__ import annotations

import asyncio
import uuid
from collections.abc import AsyncIterator
from typing import Any
from weakref import WeakValueDictionary

from langgraph.graph.state import CompiledStateGraph
from langgraph.types import Command

from app.errors import ApiError, InvalidMessage, MessageTooLong, UnknownSession
from app.schemas import ApprovalPublic, SessionPublic, TranscriptLine, response_from_state
from graph.context import Services, TurnContext
from graph.state import new_turn
from tools.errors import BackendUnavailable

ChatEvent = tuple[str, Any]


class StoreUnavailable(ApiError):
    """The store holding conversations is down: no turn can run, nothing was changed."""

    status_code = 503
    code = "store_unavailable"


class ChatService:
    """Validates turns, binds sessions to the caller, runs the graph, streams its events.

    Identity for a turn is the token's customer, or for an anonymous session the customer
    it verified as (kept on the session row by the store, never read from a message).
    A conversation paused for a refund approval is resumed instead of restarted: the
    customer hears it is still waiting, and `resume` delivers the agent's decision.
    """

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
        try:
            if session_id is None:
                new_id = uuid.uuid4().hex
                await asyncio.to_thread(store.create_session, new_id, customer_id)
                return new_id
            found = await asyncio.to_thread(store.get_session, session_id)
        except BackendUnavailable as exc:
            raise StoreUnavailable(
                "our conversation store is not answering right now; nothing was changed, "
                "please retry in a minute"
            ) from exc
        # Someone else's session reads exactly like a missing one: nothing leaks.
        if found is None or found[1] != customer_id:
            raise UnknownSession(
                f"session {session_id!r} does not exist for these credentials; "
                "omit session_id to start a new conversation"
            )
        return session_id

    def _config(self, session_id: str) -> dict:
        return {"configurable": {"thread_id": session_id}}

    def _lock(self, session_id: str) -> asyncio.Lock:
        lock = self._locks.get(session_id)
        if lock is None:
            lock = self._locks[session_id] = asyncio.Lock()
        return lock

    async def _acting_customer(self, session_id: str, customer_id: str | None) -> str | None:
        """The token's customer, else whom this anonymous session verified as."""
        if customer_id is not None:
            return customer_id
        try:
            found = await asyncio.to_thread(self._services.store.session_identity, session_id)
        except BackendUnavailable:
            return None  # the turn's own store calls report the failure honestly
        return found.verified_customer_id if found else None

    async def _run(
        self, session_id: str, customer_id: str | None, graph_input: Any
    ) -> AsyncIterator[ChatEvent]:
        """Stream one graph run (caller holds the session lock); ends with 'done'."""
        context = TurnContext(
            services=self._services, session_id=session_id, customer_id=customer_id
        )
        final: dict[str, Any] = {}
        async for mode, chunk in self._graph.astream(
            graph_input,
            self._config(session_id),
            context=context,
            stream_mode=["custom", "values"],
        ):
            if mode == "custom":
                yield chunk["event"], chunk["data"]
            else:
                final = chunk
        yield "done", response_from_state(session_id, final).model_dump()

    async def stream_turn(
        self, session_id: str, customer_id: str | None, message: str
    ) -> AsyncIterator[ChatEvent]:
        """Typed events of one turn (meta, delta, citation, action, escalation), then done."""
        acting = await self._acting_customer(session_id, customer_id)
        async with self._lock(session_id):
            snapshot = await self._graph.aget_state(self._config(session_id))
            if snapshot.interrupts:  # paused for an approval: answer, don't start over
                graph_input: Any = Command(resume={"kind": "message", "message": message})
            else:
                graph_input = new_turn(message)
            async for event in self._run(session_id, acting, graph_input):
                yield event

    async def run_turn(self, session_id: str, customer_id: str | None, message: str):
        """The whole turn's response (non-streaming)."""
        result = None
        async for event, data in self.stream_turn(session_id, customer_id, message):
            if event == "done":
                result = data
        return result

    async def waiting_for(self, session_id: str) -> dict[str, Any] | None:
        """What a paused conversation waits for (the interrupt's payload), or None."""
        snapshot = await self._graph.aget_state(self._config(session_id))
        return snapshot.interrupts[0].value if snapshot.interrupts else None

    async def resume(self, session_id: str, value: dict[str, Any]) -> dict[str, Any] | None:
        """Resume a conversation paused for an approval with `value` (e.g. {"kind":
        "decision", "approval_id": ...}); returns the turn's response, or None when the
        conversation was not paused (a repeated resume changes nothing)."""
        found = await asyncio.to_thread(self._services.store.session_identity, session_id)
        if found is None:
            raise UnknownSession(f"session {session_id!r} does not exist")
        result = None
        async with self._lock(session_id):
            if not await self.waiting_for(session_id):
                return None
            async for event, data in self._run(
                session_id, found.acting_customer_id, Command(resume=value)
            ):
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
            approval=ApprovalPublic(**{k: approval[k] for k in ("id", "order_id", "amount_cents")})
            if (approval := values.get("approval"))
            else None,
        )
