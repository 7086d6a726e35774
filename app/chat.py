"""Chat service: sessions bound to identity, and running one turn through the graph."""

from __future__ import annotations

import asyncio
import logging
import time
import uuid
from collections.abc import AsyncIterator
from datetime import UTC, datetime
from typing import TYPE_CHECKING, Any
from weakref import WeakValueDictionary

from langchain_core.runnables import RunnableConfig
from langgraph.types import Command

from app.channels import RecentChannels
from app.detached import Detached
from app.errors import (
    STORE_RETRY_SECONDS,
    ApiError,
    UnknownSession,
)
from app.handover import human_owner, human_turn
from app.messages import clean_message
from app.schemas import ApprovalPublic, SessionPublic, TranscriptLine, response_from_state
from graph.context import Services, TurnContext
from graph.state import new_turn
from observability.logs import log_context
from observability.metrics import record_turn
from tools.errors import BackendUnavailable
from tools.store.turnlog import turn_row

if TYPE_CHECKING:
    from app.notify import EscalationNotifier
    from graph.builder import TurnGraph

ChatEvent = tuple[str, Any]
log = logging.getLogger("support.chat")

FEEDBACK_PROMPT = "How did we do? Please rate this conversation from 1 (poor) to 5 (great)."
"""Asked at the end of a conversation; the client sends the rating to POST /v1/feedback."""


def _public_line(line: dict[str, Any]) -> TranscriptLine:
    """A transcript line as its customer reads it: only an agent line names its author."""
    author = line.get("author") if line["role"] == "agent" else None
    return TranscriptLine(**{**line, "author": author})


def _when(line: dict[str, Any]) -> datetime:
    try:
        return datetime.fromisoformat(str(line.get("at")))
    except ValueError:
        return datetime.min.replace(tzinfo=UTC)


class StoreUnavailable(ApiError):
    """The store holding conversations is down: no turn can run, nothing was changed."""

    status_code = 503
    code = "store_unavailable"
    retry_after = STORE_RETRY_SECONDS


class ChatService:
    """Validates turns, binds sessions to the caller, runs the graph, streams its events.

    Identity for a turn is the token's customer, or for an anonymous session the customer
    it verified as (kept on the session row by the store, never read from a message).
    A conversation paused for a refund approval is resumed instead of restarted: the
    customer hears it is still waiting, and `resume` delivers the agent's decision.
    """

    def __init__(
        self,
        graph: TurnGraph,
        services: Services,
        max_message_chars: int,
        notifier: EscalationNotifier | None = None,
    ):
        self._graph = graph
        self._services = services
        self._max_chars = max_message_chars
        self._notifier = notifier
        # One turn at a time per session; a lock lives only while some turn holds or awaits it.
        self._locks: WeakValueDictionary[str, asyncio.Lock] = WeakValueDictionary()
        # Turns run to the end even when their client hangs up mid-stream.
        self._turns = Detached()
        # Each open session's channel, for the turn metrics' label.
        self._channels = RecentChannels()

    def validate_message(self, message: str) -> str:
        return clean_message(message, self._max_chars)

    async def open_session(
        self, session_id: str | None, customer_id: str | None, channel: str = "api"
    ) -> str:
        """An existing session of this caller, or a new one bound to the caller and to the
        `channel` it was started on (an existing session keeps its own)."""
        store = self._services.store
        try:
            if session_id is None:
                new_id = uuid.uuid4().hex
                await asyncio.to_thread(store.create_session, new_id, customer_id, channel)
                self._channels.remember(new_id, channel)
                return new_id
            found = await asyncio.to_thread(store.session_owner, session_id)
        except BackendUnavailable as exc:
            raise StoreUnavailable(
                "our conversation store is not answering right now; nothing was changed, "
                "please retry in a minute"
            ) from exc
        # Someone else's session reads exactly like a missing one: nothing leaks.
        if found is None or found[0] != customer_id:
            raise UnknownSession(
                f"session {session_id!r} does not exist for these credentials; "
                "omit session_id to start a new conversation"
            )
        self._channels.remember(session_id, found[1])
        return session_id

    def _config(self, session_id: str) -> RunnableConfig:
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
        self,
        session_id: str,
        customer_id: str | None,
        graph_input: Any,
        final_state: dict[str, Any] | None = None,
        client: str | None = None,
    ) -> AsyncIterator[ChatEvent]:
        """Stream one graph run (caller holds the session lock); ends with 'done'.

        `final_state`, when given, receives the graph's state at the end of the run."""
        context = TurnContext(
            services=self._services, session_id=session_id, customer_id=customer_id, client=client
        )
        final: dict[str, Any] = {}
        # (mode, chunk) pairs with a list stream_mode; langgraph types them as a dict or Any
        mode: str
        chunk: Any
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
        if final_state is not None:
            final_state.update(final)
        self._announce(session_id, customer_id, final)
        yield "done", response_from_state(session_id, final).model_dump()
        if final.get("intent") == "goodbye":  # end of the conversation: ask for CSAT
            yield "feedback_request", {"session_id": session_id, "prompt": FEEDBACK_PROMPT}

    def _announce(self, session_id: str, customer_id: str | None, final: dict) -> None:
        """Tell the escalation webhook (in the background) about an escalation this turn made."""
        escalation = final.get("escalation")
        if not escalation or escalation.get("joined") or self._notifier is None:
            return
        lines = [
            {**line, "text": line.get("content", "")} for line in final.get("transcript") or []
        ]
        self._notifier.notify(
            {
                **escalation,
                "session_id": session_id,
                "customer_id": customer_id,
                "intent": final.get("intent"),
                "confidence": final.get("confidence") or 0.0,
                "transcript": lines,
            }
        )

    def stream_turn(
        self, session_id: str, customer_id: str | None, message: str, client: str | None = None
    ) -> AsyncIterator[ChatEvent]:
        """Typed events of one turn (meta, delta, citation, action, escalation), then done.

        The turn runs in a task of its own: a reader that stops reading (a client that hangs
        up) leaves it to finish, so the reply is checkpointed and the turn logged anyway."""
        return self._turns.stream(self._turn(session_id, customer_id, message, client))

    async def drain(self) -> None:
        """Wait for turns still running after their clients went away (at shutdown)."""
        await self._turns.drain()

    async def _turn(
        self, session_id: str, customer_id: str | None, message: str, client: str | None
    ) -> AsyncIterator[ChatEvent]:
        acting = await self._acting_customer(session_id, customer_id)
        async with self._lock(session_id):
            owner = await human_owner(self._services.store, session_id)
            if owner is not None:  # an agent is talking: no bot over the agent
                async for event in human_turn(self._services.store, session_id, owner, message):
                    yield event
                return
            snapshot = await self._graph.aget_state(self._config(session_id))
            if snapshot.interrupts:  # paused for an approval: answer, don't start over
                graph_input: Any = Command(resume={"kind": "message", "message": message})
            else:
                graph_input = new_turn(message)
            began = time.perf_counter()
            final: dict[str, Any] = {}
            with log_context(session_id, uuid.uuid4().hex[:12]):
                async for event in self._run(session_id, acting, graph_input, final, client):
                    if event[0] == "done":
                        await self._record(session_id, acting, message, final, began)
                    yield event

    async def _record(
        self,
        session_id: str,
        customer_id: str | None,
        message: str,
        final: dict[str, Any],
        began: float,
    ) -> None:
        """Metrics and the turn log of a finished turn; never fails the turn."""
        seconds = time.perf_counter() - began
        record_turn(final, seconds, self._channels.get(session_id))
        if not final.get("escalation"):  # the bot answered; an open ticket still shows it
            try:
                await asyncio.to_thread(self._services.store.note_customer_line, session_id,
                                        message)  # fmt: skip
            except Exception:
                log.warning("could not show the line on the desk", exc_info=True)
        try:
            row = turn_row(session_id, customer_id, message, final, seconds)
            await asyncio.to_thread(self._services.store.write_turn_log, row)
        except Exception:  # the log is for reports; the customer's turn already succeeded
            log.warning("could not write the turn log", exc_info=True)

    async def run_turn(
        self, session_id: str, customer_id: str | None, message: str, client: str | None = None
    ):
        """The whole turn's response (non-streaming)."""
        result = None
        async for event, data in self.stream_turn(session_id, customer_id, message, client):
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
        async for event, data in self._turns.stream(
            self._resume(session_id, found.acting_customer_id, value)
        ):
            if event == "done":
                result = data
        return result

    async def _resume(
        self, session_id: str, acting: str | None, value: dict[str, Any]
    ) -> AsyncIterator[ChatEvent]:
        async with self._lock(session_id):
            if await self.waiting_for(session_id):
                async for event in self._run(session_id, acting, Command(resume=value)):
                    yield event

    async def state_values(self, session_id: str) -> dict[str, Any]:
        """The conversation's checkpointed graph state (empty for a new session)."""
        snapshot = await self._graph.aget_state(self._config(session_id))
        return dict(snapshot.values or {})

    async def transcript(
        self, session_id: str, values: dict[str, Any] | None = None
    ) -> list[dict[str, Any]]:
        """The bot's transcript merged, by time, with what agents (and customers, while an
        agent owned the chat) said outside the bot."""
        if values is None:
            values = await self.state_values(session_id)
        lines = [dict(line) for line in values.get("transcript") or []]
        extra = await asyncio.to_thread(self._services.store.list_messages, session_id)
        lines += [
            {"role": m["role"], "content": m["content"], "at": m["at"], "author": m["author"]}
            for m in extra
        ]
        return sorted(lines, key=_when)  # stable: lines of the same second keep their order

    async def session(self, session_id: str, customer_id: str | None) -> SessionPublic:
        """Transcript of one of the caller's sessions."""
        await self.open_session(session_id, customer_id)
        values = await self.state_values(session_id)
        pending = values.get("pending")
        lines = await self.transcript(session_id, values)
        return SessionPublic(
            session_id=session_id,
            transcript=[_public_line(line) for line in lines],
            pending={k: pending[k] for k in ("kind", "intent", "slot", "action") if k in pending}
            if pending
            else None,
            approval=ApprovalPublic(**{k: approval[k] for k in ("id", "order_id", "amount_cents")})
            if (approval := values.get("approval"))
            else None,
        )
