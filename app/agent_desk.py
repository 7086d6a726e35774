"""The agent desk: humans take over escalated conversations, answer, and correct the bot.

`AgentDesk` is what the agent API (`app/routes/agent.py`) and the console call. A claimed
escalation means a human owns the conversation: the chat service records the customer's
messages for the agent and the bot stays silent until the agent hands back or resolves.
Agent replies land in the session's transcript (and its `/events` stream). Every
correction (relabelled turn, edited or rejected suggestion) is stored as labelled data for
`support nlu export-corrections` / `support nlu train --include-corrections`.
"""

from __future__ import annotations

import asyncio
import re
from typing import Any

from app.approvals import ApprovalDesk
from app.chat import FEEDBACK_PROMPT, ChatService
from app.errors import ApiError
from app.suggestions import ReplySuggester
from graph.context import Services
from nlu.taxonomy import INTENTS
from observability.metrics import record_correction
from tools.errors import NotAllowed, NotFound

ORDER_ID = re.compile(r"\bW\d{7}\b")
"""An order number as customers and the bot write it."""
LATEST_ORDERS = 3
"""Orders the package shows when the conversation names fewer."""


class EscalationNotFound(ApiError):
    status_code = 404
    code = "not_found"


class DeskConflict(ApiError):
    status_code = 409
    code = "conflict"


def money(cents: int) -> str:
    return f"${cents / 100:,.2f}"


class AgentDesk:
    """Queue, handoff packages, replies, ownership and corrections for human agents."""

    def __init__(self, chat: ChatService, services: Services, approvals: ApprovalDesk) -> None:
        self._chat = chat
        self._services = services
        self._approvals = approvals
        self._suggester = ReplySuggester(services)

    async def _call(self, fn, *args, **kwargs):
        """A store call in a thread, its NotFound / NotAllowed as 404 / 409."""
        try:
            return await asyncio.to_thread(fn, *args, **kwargs)
        except NotFound as exc:
            raise EscalationNotFound(str(exc)) from exc
        except NotAllowed as exc:
            raise DeskConflict(str(exc)) from exc

    async def _row(self, escalation_id: str) -> dict[str, Any]:
        row = await self._call(self._services.store.desk_escalation, escalation_id)
        if row is None:
            raise EscalationNotFound(f"no escalation {escalation_id!r}")
        return row

    # -- the queue ---------------------------------------------------------------
    async def queue(self, status: str | None) -> list[dict[str, Any]]:
        rows = await self._call(self._services.store.desk_escalations, status)
        out = []
        for row in rows:
            last = next(
                (
                    ln["content"]
                    for ln in reversed(row["transcript"])
                    if ln.get("role") == "customer"
                ),
                "",
            )
            keep = ("id", "session_id", "reason", "status", "customer_id", "assignee")
            out.append(
                {
                    **{k: row[k] for k in keep},
                    "last_message": last[:200],
                    "created_at": row["created_at"],
                }  # fmt: skip
            )
        return out

    # -- the handoff package ------------------------------------------------------
    async def package(self, escalation_id: str) -> dict[str, Any]:
        """Everything an agent needs: transcript, intent history, entities, sentiment,
        the orders in question, KB citations, a suggested reply and pending approvals."""
        row = await self._row(escalation_id)
        session_id = row["session_id"]
        values = await self._chat.state_values(session_id)
        lines = await self._chat.transcript(session_id, values) if values else []
        if not lines:  # an escalation without a checkpoint: its own snapshot of the chat
            lines = [dict(ln) for ln in row["transcript"]]
        history = [
            {
                "turn": i,
                "intent": ln["intent"],
                "confidence": ln.get("confidence"),
                "at": ln.get("at"),
            }  # fmt: skip
            for i, ln in enumerate(lines)
            if ln.get("role") == "customer" and ln.get("intent")
        ]
        sentiment = next(
            (ln["sentiment"] for ln in reversed(lines) if ln.get("sentiment")),
            values.get("sentiment"),
        )
        entities = row["entities"] or values.get("entities") or []
        suggestion, citations = await self._suggester.suggest(escalation_id, lines)
        approvals = [
            {
                "id": a.id,
                "order_id": a.order_id,
                "amount": money(a.amount_cents),
                "amount_cents": a.amount_cents,
                "status": a.status,
            }  # fmt: skip
            for a in await self._approvals.list(None)
            if a.session_id == session_id
        ]
        return {
            "escalation": {
                k: row[k]
                for k in (
                    "id",
                    "reason",
                    "status",
                    "assignee",
                    "customer_id",
                    "intent",
                    "confidence",
                    "session_id",
                    "created_at",
                )  # fmt: skip
            },
            "transcript": [
                {
                    k: ln[k]
                    for k in ("role", "content", "at", "intent", "confidence", "author")
                    if ln.get(k) is not None
                }  # fmt: skip
                for ln in lines
            ],
            "intent_history": history,
            "entities": entities,
            "sentiment": sentiment,
            "orders": await self._orders(row, entities, approvals, lines),
            "citations": citations or list(values.get("citations") or []),
            "suggested_reply": suggestion,
            "approvals": approvals,
            "intents": list(INTENTS),
        }

    async def _orders(
        self,
        row: dict[str, Any],
        entities: list[Any],
        approvals: list[dict[str, Any]],
        lines: list[dict[str, Any]],
    ) -> list[dict[str, Any]]:
        """The orders the conversation is about first (the latest mentioned in it, then the
        escalating turn's entities and approvals), then the customer's latest others, up
        to three in all; only orders of the escalation's customer are shown."""
        store = self._services.store
        said = " ".join(str(ln.get("content") or "") for ln in lines)
        mentioned = list(reversed(ORDER_ID.findall(said.upper())))
        values = [e.get("value") for e in entities if isinstance(e, dict)]
        mentioned += [str(v).upper().lstrip("#") for v, e in zip(values, entities, strict=True)
                      if e.get("type") == "order_id" and v]  # fmt: skip
        mentioned += [a["order_id"] for a in approvals]
        wanted = list(dict.fromkeys(mentioned))
        customer = row["customer_id"]
        if customer and len(wanted) < LATEST_ORDERS:
            summaries = await asyncio.to_thread(store.list_orders, customer)
            wanted += [o.id for o in summaries if o.id not in wanted][: LATEST_ORDERS - len(wanted)]
        out = []
        for order_id in wanted:
            order = await asyncio.to_thread(store.get_order, order_id)
            if order is None or (customer and order.customer_id != customer):
                continue
            out.append(
                {
                    "id": order.id,
                    "status": order.status,
                    "total": money(order.total_cents),
                    "placed_at": order.created_at.date().isoformat(),
                    "mentioned": order.id in mentioned,
                }  # fmt: skip
            )
        return out

    # -- ownership ----------------------------------------------------------------
    async def claim(self, escalation_id: str, agent: str) -> dict[str, Any]:
        """Take the conversation: from now on the bot stays silent in it."""
        await self._row(escalation_id)
        return await self._call(
            self._services.store.move_escalation, escalation_id, "claimed", agent
        )

    async def handback(self, escalation_id: str, agent: str) -> dict[str, Any]:
        """Give the conversation back to the bot; it answers the next message normally."""
        await self._row(escalation_id)
        return await self._call(
            self._services.store.move_escalation, escalation_id, "handed_back", agent
        )

    async def resolve(self, escalation_id: str, agent: str) -> dict[str, Any]:
        """Close the escalation (the bot is back) and ask the customer for a CSAT rating."""
        before = await self._row(escalation_id)
        row = await self._call(
            self._services.store.move_escalation, escalation_id, "resolved", agent
        )
        if before["status"] != "resolved":
            await self._call(
                self._services.store.add_message, row["session_id"], "assistant",
                FEEDBACK_PROMPT, escalation_id=escalation_id,
            )  # fmt: skip
        return row

    # -- replies and corrections ------------------------------------------------------
    async def reply(
        self, escalation_id: str, agent: str, text: str, suggestion: str | None
    ) -> dict[str, Any]:
        """Send `text` to the customer as `agent` (claiming an open escalation first).
        `suggestion` says how it relates to the bot's suggestion: approved, edited or None;
        an edited suggestion is stored as a correction."""
        text = text.strip()
        if not text:
            raise DeskConflict("reply text must not be empty")
        row = await self._row(escalation_id)
        if row["status"] == "resolved":
            raise DeskConflict(f"escalation {escalation_id} is resolved; reopen a new one")
        if row["status"] != "claimed" or row["assignee"] != agent:
            row = await self.claim(escalation_id, agent)
        store = self._services.store
        message = await self._call(
            store.add_message, row["session_id"], "agent", text,
            escalation_id=escalation_id, author=agent,
        )  # fmt: skip
        if suggestion == "edited":
            suggested = self._suggester.cached(escalation_id)
            if suggested.strip() != text:
                await self._correct(row, agent, "edited_reply", text, intent=row["intent"])
        return message

    async def reject_suggestion(self, escalation_id: str, agent: str) -> dict[str, Any]:
        row = await self._row(escalation_id)
        lines = await self._chat.transcript(row["session_id"])
        suggested, _ = await self._suggester.suggest(escalation_id, lines)
        return await self._correct(
            row, agent, "rejected_suggestion", suggested, intent=row["intent"]
        )

    async def relabel(
        self,
        escalation_id: str,
        agent: str,
        turn: int,
        intent: str,
        entities: list[dict[str, Any]] | None,
    ) -> dict[str, Any]:
        """Store the right intent (and entities) of one customer turn as labelled data."""
        if intent not in INTENTS:
            raise DeskConflict(f"unknown intent {intent!r}; use one of the taxonomy's intents")
        row = await self._row(escalation_id)
        lines = await self._chat.transcript(row["session_id"])
        if not lines:
            lines = row["transcript"]
        if not 0 <= turn < len(lines) or lines[turn].get("role") != "customer":
            raise DeskConflict(f"turn {turn} is not a customer line of this conversation")
        line = lines[turn]
        return await self._correct(
            row, agent, "relabel", line["content"], turn=turn,
            predicted=line.get("intent"), intent=intent, entities=entities,
        )  # fmt: skip

    async def _correct(
        self,
        row: dict[str, Any],
        agent: str,
        kind: str,
        text: str,
        *,
        turn: int | None = None,
        predicted: str | None = None,
        intent: str | None = None,
        entities: list[dict[str, Any]] | None = None,
    ) -> dict[str, Any]:
        stored = await self._call(
            self._services.store.add_correction,
            session_id=row["session_id"], kind=kind, agent=agent, text=text,
            turn_index=turn, predicted_intent=predicted or row["intent"], intent=intent,
            entities=entities,
        )  # fmt: skip
        record_correction(stored["predicted_intent"] or "", intent or kind)
        return stored

    # -- refund approvals ----------------------------------------------------------------
    async def decide(self, approval_id: str, agent: str, approve: bool, note: str):
        try:
            return await self._approvals.decide(approval_id, approve=approve, agent=agent,
                                                note=note)  # fmt: skip
        except NotFound as exc:
            raise EscalationNotFound(str(exc)) from exc
        except NotAllowed as exc:
            raise DeskConflict(str(exc)) from exc
