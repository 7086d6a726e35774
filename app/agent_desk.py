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
from collections.abc import Callable
from typing import Any

from app.approvals import ApprovalDesk
from app.chat import FEEDBACK_PROMPT, ChatService
from app.desk_package import PackageBuilder
from app.desk_queue import View, queue
from app.errors import ApiError
from app.macros import PLACEHOLDERS, render, unknown_placeholders, values
from app.suggest import ReplySuggester
from graph.context import Services
from nlu.taxonomy import INTENTS
from observability.metrics import record_correction
from tools.errors import NotAllowed, NotFound


class EscalationNotFound(ApiError):
    status_code = 404
    code = "not_found"


class DeskConflict(ApiError):
    status_code = 409
    code = "conflict"


class InvalidDeskInput(ApiError):
    status_code = 422
    code = "invalid_input"


def workable(row: dict[str, Any], agent: str) -> dict[str, Any]:
    """The escalation `row` if `agent` may act in it now: not resolved (reopen it first)
    and not held by another agent (they transfer it); else a DeskConflict."""
    if row["status"] == "resolved":
        raise DeskConflict(f"escalation {row['id']} is resolved; reopen it first")
    if row["status"] == "claimed" and row["assignee"] not in (None, agent):
        raise DeskConflict(
            f"escalation {row['id']} is claimed by {row['assignee']}; ask them to transfer it"
        )
    return row


class AgentDesk:
    """Queue, handoff packages, replies, ownership and corrections for human agents."""

    def __init__(
        self,
        chat: ChatService,
        services: Services,
        approvals: ApprovalDesk,
        sla: tuple[int, int] = (300, 900),
    ) -> None:
        self._chat = chat
        self._services = services
        self._approvals = approvals
        self._suggester = ReplySuggester(services)
        self._packages = PackageBuilder(chat, services, approvals, self._suggester)
        self._warn, self._breach = sla
        # Told (session id, text) of each agent reply: the e-mail channel mails it.
        self.on_agent_reply: Callable[[str, str], None] | None = None

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
    async def queue(
        self,
        agent: str,
        status: str | None = None,
        view: View = "all",
        reason: str | None = None,
        q: str | None = None,
    ) -> list[dict[str, Any]]:
        """One row per conversation (see `app.desk_queue.queue`); status "active" means
        every unresolved one."""
        store = self._services.store
        rows = await self._call(store.desk_escalations, None if status == "active" else status)
        if status == "active":
            rows = [r for r in rows if r["status"] != "resolved"]
        customers = sorted({r["customer_id"] for r in rows if r["customer_id"]})
        names = await self._call(store.customer_names, customers)
        latest = await self._call(store.latest_customer_lines, [r["id"] for r in rows])
        channels = await self._call(store.session_channels, [r["session_id"] for r in rows])
        return queue(rows, names, latest, agent=agent, view=view, reason=reason, q=q,
                     warn=self._warn, breach=self._breach, channels=channels)  # fmt: skip

    # -- the handoff package ------------------------------------------------------
    async def package(self, escalation_id: str) -> dict[str, Any]:
        """Everything an agent needs: transcript, intent history, entities, sentiment,
        the orders in question, the customer's history, KB citations, a suggested reply,
        pending approvals and private notes."""
        return await self._packages.build(await self._row(escalation_id))

    # -- ownership ----------------------------------------------------------------
    async def claim(self, escalation_id: str, agent: str) -> dict[str, Any]:
        """Take the conversation: from now on the bot stays silent in it."""
        await self._row(escalation_id)
        return await self._call(
            self._services.store.move_escalation, escalation_id, "claimed", agent
        )

    async def assign(self, escalation_id: str, agent: str, to: str | None) -> dict[str, Any]:
        """Transfer the conversation to agent `to`, or (None) back to the queue."""
        await self._row(escalation_id)
        return await self._call(self._services.store.assign_escalation, escalation_id, to, agent)

    async def reopen(self, escalation_id: str, agent: str) -> dict[str, Any]:
        """Put a resolved conversation back in the queue (unassigned, waiting again)."""
        row = await self._row(escalation_id)
        if row["status"] != "resolved":
            raise DeskConflict(f"escalation {escalation_id} is {row['status']}, not resolved")
        return await self._call(self._services.store.move_escalation, escalation_id, "open", agent)

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
            raise InvalidDeskInput("reply text must not be empty")
        row = workable(await self._row(escalation_id), agent)
        if row["status"] != "claimed" or row["assignee"] != agent:
            row = await self.claim(escalation_id, agent)
        store = self._services.store
        message = await self._call(
            store.add_message, row["session_id"], "agent", text,
            escalation_id=escalation_id, author=agent,
        )  # fmt: skip
        if self.on_agent_reply is not None:  # e.g. mailed into an e-mail conversation
            self.on_agent_reply(row["session_id"], text)
        if suggestion == "edited":
            suggested = self._suggester.cached(escalation_id)
            if suggested.strip() != text:
                await self._correct(row, agent, "edited_reply", text, intent=row["intent"])
        return message

    async def reject_suggestion(self, escalation_id: str, agent: str) -> dict[str, Any]:
        row = await self._row(escalation_id)
        suggested = self._suggester.cached(escalation_id)
        if not suggested:
            suggested = (await self._packages.build(row))["suggested_reply"]
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
            raise InvalidDeskInput(f"unknown intent {intent!r}; use one of the taxonomy's intents")
        row = await self._row(escalation_id)
        lines = await self._packages.lines(row)
        if not 0 <= turn < len(lines) or lines[turn].get("role") != "customer":
            raise InvalidDeskInput(f"turn {turn} is not a customer line of this conversation")
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

    # -- notes and saved replies ------------------------------------------------------------
    async def add_note(self, escalation_id: str, agent: str, text: str) -> dict[str, Any]:
        """A private note on the ticket: agents see it, the customer never does."""
        text = text.strip()
        if not text:
            raise InvalidDeskInput("note text must not be empty")
        await self._row(escalation_id)
        return await self._call(self._services.store.add_note, escalation_id, agent, text)

    async def macros(self) -> list[dict[str, Any]]:
        return await self._call(self._services.store.list_macros)

    async def add_macro(self, agent: str, name: str, text: str) -> dict[str, Any]:
        name, text = name.strip(), text.strip()
        if not name or not text:
            raise InvalidDeskInput("a saved reply needs a name and a text")
        if wrong := unknown_placeholders(text):
            known = ", ".join("{" + p + "}" for p in PLACEHOLDERS)
            raise InvalidDeskInput(
                f"unknown placeholder(s) {', '.join('{' + w + '}' for w in wrong)}; use {known}"
            )
        return await self._call(self._services.store.add_macro, name, text, agent)

    async def delete_macro(self, agent: str, macro_id: int) -> None:
        await self._call(self._services.store.delete_macro, macro_id, agent)

    async def render_macro(
        self, escalation_id: str, agent: str, macro_id: int, order_id: str | None
    ) -> dict[str, Any]:
        """The saved reply filled in for this conversation: the customer's name, and the
        order `order_id` (one of theirs) or else the one the conversation is about."""
        macro = await self._call(self._services.store.get_macro, macro_id)
        if macro is None:
            raise EscalationNotFound(f"no saved reply {macro_id}")
        row = await self._row(escalation_id)
        store = self._services.store
        customer = None
        if row["customer_id"]:
            customer = await self._call(store.customer_profile, row["customer_id"])
        order = None
        if order_id is not None:
            found = await self._call(store.get_order, order_id.strip().upper())
            if found is None or found.customer_id != row["customer_id"]:
                raise EscalationNotFound(f"order {order_id} is not one of this customer's")
            order = {
                "id": found.id,
                "status": found.status,
                "tracking_number": found.tracking_number,
                "carrier": found.carrier,
            }
        else:
            about = [o for o in (await self._packages.build(row))["orders"] if o["mentioned"]]
            order = about[0] if about else None
        text, missing = render(macro["text"], values(customer, agent, order))
        return {"text": text, "missing": missing}
