"""What an agent's shift needs beyond ownership: private notes, saved replies (macros),
transfers, the customer's history, and the desk's live event log.

Every change that other agents should see live is written to `desk_events` in the same
transaction as the change itself, so the `/v1/agent/events` stream of any worker (they all
read the one store) shows it, in order, exactly once.
"""

from __future__ import annotations

from typing import Any

from sqlalchemy import func, or_, select
from sqlalchemy.exc import IntegrityError

from tools.errors import NotAllowed, NotFound
from tools.store.desk_log import emit, event_row, mark_customer_line
from tools.store.desk_records import desk_row
from tools.store.models import (
    AuditLog,
    ChatSession,
    Customer,
    DeskEvent,
    DeskMacro,
    DeskNote,
    Escalation,
    Feedback,
    utcnow,
)
from tools.store.records import SqlRecords

EVENTS_PAGE = 200
"""Most events one read of the live log returns."""


def note_row(row: DeskNote) -> dict[str, Any]:
    return {"id": row.id, "escalation_id": row.escalation_id, "author": row.author,
            "text": row.text, "at": row.at.isoformat()}  # fmt: skip


def macro_row(row: DeskMacro) -> dict[str, Any]:
    return {"id": row.id, "name": row.name, "text": row.text, "created_by": row.created_by,
            "created_at": row.created_at.isoformat()}  # fmt: skip


class DeskShift(SqlRecords):
    """Notes, macros, transfers, customer history and the live event log."""

    # -- the live event log -----------------------------------------------------------
    def add_desk_event(
        self,
        kind: str,
        *,
        escalation_id: str | None,
        session_id: str | None,
        actor: str,
        data: dict[str, Any] | None = None,
    ) -> None:
        """Record something the desk should see live, outside another change."""
        with self._guard("add_desk_event"), self._writer.begin() as s:
            emit(s, kind, escalation_id=escalation_id, session_id=session_id, actor=actor,
                 data=data)  # fmt: skip

    def desk_events(self, after_id: int = 0, limit: int = EVENTS_PAGE) -> list[dict[str, Any]]:
        """Events with id > after_id, oldest first."""
        with self._guard("desk_events"), self._reader() as s:
            query = (
                select(DeskEvent).where(DeskEvent.id > after_id).order_by(DeskEvent.id).limit(limit)
            )
            return [event_row(e) for e in s.scalars(query)]

    def latest_customer_lines(self, escalation_ids: list[str]) -> dict[str, str]:
        """Each escalation's newest customer line since it was raised (to the bot or to an
        agent), from the live log; escalations without one are left out."""
        if not escalation_ids:
            return {}
        with self._guard("latest_customer_lines"), self._reader() as s:
            newest = (
                select(func.max(DeskEvent.id))
                .where(DeskEvent.kind == "message.customer")
                .where(DeskEvent.escalation_id.in_(escalation_ids))
                .group_by(DeskEvent.escalation_id)
            )
            rows = s.scalars(select(DeskEvent).where(DeskEvent.id.in_(newest)))
            return {e.escalation_id: str(e.data.get("text") or "") for e in rows
                    if e.escalation_id}  # fmt: skip

    def last_desk_event(self) -> int:
        """The newest event's id (0 for none): where a new live stream starts."""
        with self._guard("last_desk_event"), self._reader() as s:
            return int(s.scalar(select(func.max(DeskEvent.id))) or 0)

    def note_customer_line(self, session_id: str, text: str) -> dict[str, Any] | None:
        """A customer line the bot answered while the conversation has an unresolved ticket:
        the ticket's wait starts and the desk sees the line live. Returns the ticket's id
        and status, or None when the conversation has no unresolved ticket (nothing written)."""
        with self._guard("note_customer_line"), self._writer.begin() as s:
            row = s.scalars(
                select(Escalation)
                .where(Escalation.session_id == session_id, Escalation.status != "resolved")
                .order_by(Escalation.created_at.desc())
                .limit(1)
            ).first()
            if row is None:
                return None
            mark_customer_line(s, row.id)
            emit(s, "message.customer", escalation_id=row.id, session_id=session_id,
                 actor="customer", data={"text": text[:200]})  # fmt: skip
            return {"id": row.id, "status": row.status}

    # -- private notes ----------------------------------------------------------------
    def add_note(self, escalation_id: str, author: str, text: str) -> dict[str, Any]:
        with self._guard("add_note"), self._writer.begin() as s:
            ticket = s.get(Escalation, escalation_id)
            if ticket is None:
                raise NotFound(f"No escalation {escalation_id}.")
            row = DeskNote(escalation_id=escalation_id, author=author, text=text, at=utcnow())
            s.add(row)
            s.flush()
            emit(s, "note.added", escalation_id=escalation_id, session_id=ticket.session_id,
                 actor=f"agent:{author}", data={"note_id": row.id})  # fmt: skip
            return note_row(row)

    def list_notes(self, escalation_id: str) -> list[dict[str, Any]]:
        with self._guard("list_notes"), self._reader() as s:
            query = select(DeskNote).where(DeskNote.escalation_id == escalation_id)
            return [note_row(n) for n in s.scalars(query.order_by(DeskNote.id))]

    # -- saved replies ----------------------------------------------------------------
    def list_macros(self) -> list[dict[str, Any]]:
        with self._guard("list_macros"), self._reader() as s:
            return [macro_row(m) for m in s.scalars(select(DeskMacro).order_by(DeskMacro.name))]

    def get_macro(self, macro_id: int) -> dict[str, Any] | None:
        with self._guard("get_macro"), self._reader() as s:
            row = s.get(DeskMacro, macro_id)
            return macro_row(row) if row else None

    def add_macro(self, name: str, text: str, created_by: str) -> dict[str, Any]:
        """Save a reply under a unique name; NotAllowed when the name is taken."""
        taken = NotAllowed(f"A saved reply named {name!r} exists already.")
        with self._guard("add_macro"), self._writer.begin() as s:
            if s.scalar(select(DeskMacro.id).where(DeskMacro.name == name)) is not None:
                raise taken
            row = DeskMacro(name=name, text=text, created_by=created_by, created_at=utcnow())
            s.add(row)
            try:
                s.flush()
            except IntegrityError as exc:  # the same name saved at the same moment
                raise taken from exc
            s.add(AuditLog(actor=f"agent:{created_by}", action="macro.created",
                           entity="macro", entity_id=str(row.id), before=None,
                           after={"name": name}))  # fmt: skip
            return macro_row(row)

    def delete_macro(self, macro_id: int, agent: str) -> None:
        with self._guard("delete_macro"), self._writer.begin() as s:
            row = s.get(DeskMacro, macro_id)
            if row is None:
                raise NotFound(f"No saved reply {macro_id}.")
            s.add(AuditLog(actor=f"agent:{agent}", action="macro.deleted", entity="macro",
                           entity_id=str(macro_id), before={"name": row.name, "text": row.text},
                           after=None))  # fmt: skip
            s.delete(row)

    # -- assign and transfer ----------------------------------------------------------
    def assign_escalation(self, escalation_id: str, to: str | None, by: str) -> dict[str, Any]:
        """Give the ticket to agent `to` (claimed in their name) or, with None, back to the
        queue unassigned. Only its holder may move a claimed ticket; a resolved one must be
        reopened first. Audited and sent to the live log."""
        with self._guard("assign_escalation"), self._writer.begin() as s:
            row = s.get(Escalation, escalation_id, with_for_update=True)
            if row is None:
                raise NotFound(f"No escalation {escalation_id}.")
            if row.status == "resolved":
                raise NotAllowed(f"Escalation {escalation_id} is resolved; reopen it first.")
            if row.status == "claimed" and row.assignee not in (None, by):
                raise NotAllowed(
                    f"Escalation {escalation_id} is claimed by {row.assignee}; "
                    "only they can transfer it."
                )
            before = {"status": row.status, "assignee": row.assignee}
            if to is None:
                row.status, row.assignee = "open", None
            else:
                row.status, row.assignee, row.claimed_at = "claimed", to, utcnow()
            after = {"status": row.status, "assignee": row.assignee}
            if after != before:
                s.add(AuditLog(actor=f"agent:{by}", action="escalation.assigned",
                               entity="escalation", entity_id=escalation_id, before=before,
                               after=after))  # fmt: skip
                emit(s, "escalation.assigned", escalation_id=escalation_id,
                     session_id=row.session_id, actor=f"agent:{by}", data=after)  # fmt: skip
            s.flush()
            return desk_row(row)

    # -- the customer's history ---------------------------------------------------------
    def customer_profile(self, customer_id: str) -> dict[str, Any] | None:
        with self._guard("customer_profile"), self._reader() as s:
            row = s.get(Customer, customer_id)
            if row is None:
                return None
            return {"id": row.id, "name": row.name, "email": row.email,
                    "since": row.created_at.date().isoformat()}  # fmt: skip

    def customer_names(self, customer_ids: list[str]) -> dict[str, str]:
        if not customer_ids:
            return {}
        with self._guard("customer_names"), self._reader() as s:
            query = select(Customer.id, Customer.name).where(Customer.id.in_(customer_ids))
            return {cid: name for cid, name in s.execute(query)}

    def customer_conversations(self, customer_id: str, limit: int = 10) -> list[dict[str, Any]]:
        """The customer's latest conversations, newest first, each with its tickets'
        outcome (reason, status, who resolved it) and the CSAT rating given, if any."""
        with self._guard("customer_conversations"), self._reader() as s:
            sessions = list(
                s.scalars(
                    select(ChatSession)
                    .where(
                        or_(
                            ChatSession.customer_id == customer_id,
                            ChatSession.verified_customer_id == customer_id,
                        )
                    )
                    .order_by(ChatSession.created_at.desc())
                    .limit(limit)
                )
            )
            ids = [c.id for c in sessions]
            tickets: dict[str, list[Escalation]] = {}
            for esc in s.scalars(select(Escalation).where(Escalation.session_id.in_(ids))):
                tickets.setdefault(esc.session_id, []).append(esc)
            ratings: dict[str, int] = {}
            for fb in s.scalars(
                select(Feedback).where(Feedback.session_id.in_(ids)).order_by(Feedback.id)
            ):
                ratings[fb.session_id] = fb.rating
            return [
                {
                    "session_id": c.id,
                    "started_at": c.created_at.isoformat(),
                    "tickets": [
                        {
                            "id": e.id,
                            "reason": e.reason,
                            "status": e.status,
                            "assignee": e.assignee,
                        }  # fmt: skip
                        for e in sorted(tickets.get(c.id, []), key=lambda e: e.created_at)
                    ],
                    "csat": ratings.get(c.id),
                }
                for c in sessions
            ]
