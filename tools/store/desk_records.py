"""The agent desk's records: who owns an escalated conversation, what agents and customers
said outside the bot, CSAT feedback, and agents' corrections kept as labelled data.

Also the escalations themselves and the audit log: the `DeskStore` half of `SqlStore`.
Synchronous, one transaction per call, database failures raised as `BackendUnavailable`.
State changes of an escalation are audited as `agent:<name>`.
"""

from __future__ import annotations

import uuid
from datetime import datetime
from typing import Any

from sqlalchemy import select

from tools.errors import NotAllowed, NotFound
from tools.schemas import AuditEntry, EscalationView
from tools.store import views
from tools.store.desk_log import emit
from tools.store.models import AuditLog, Correction, Escalation, Feedback, utcnow
from tools.store.records import SqlRecords


def _iso(at: datetime | None) -> str | None:
    return at.isoformat() if at else None


def desk_row(row: Escalation) -> dict[str, Any]:
    """An escalation as the agent desk shows it."""
    return {
        "id": row.id,
        "session_id": row.session_id,
        "customer_id": row.customer_id,
        "reason": row.reason,
        "intent": row.intent,
        "confidence": row.confidence,
        "entities": row.entities,
        "transcript": row.transcript,
        "status": row.status,
        "assignee": row.assignee,
        "created_at": _iso(row.created_at),
        "claimed_at": _iso(row.claimed_at),
        "resolved_at": _iso(row.resolved_at),
        "waiting_since": _iso(row.waiting_since),
        "first_response_at": _iso(row.first_response_at),
    }


# status -> the statuses it may move to (a repeat of the same move is a no-op);
# "open" from "resolved" is a reopen
_MOVES = {
    "claimed": ("open", "handed_back", "claimed"),
    "handed_back": ("claimed", "open"),
    "resolved": ("open", "claimed", "handed_back"),
    "open": ("resolved",),
}
_EVENT = {"claimed": "claimed", "handed_back": "handed_back", "resolved": "resolved",
          "open": "reopened"}  # fmt: skip


class DeskRecords(SqlRecords):
    """Escalations, their ownership, feedback, corrections and the audit log."""

    # -- escalations -------------------------------------------------------------
    def create_escalation(
        self,
        *,
        session_id: str,
        customer_id: str | None,
        reason: str,
        intent: str | None,
        confidence: float | None,
        entities: list[Any] | dict[str, Any],
        transcript: list[dict[str, Any]],
    ) -> EscalationView:
        row = Escalation(
            id=f"E{uuid.uuid4().hex[:10].upper()}",
            session_id=session_id,
            customer_id=customer_id,
            reason=reason,
            intent=intent,
            confidence=confidence,
            entities=entities,
            transcript=transcript,
            status="open",
            waiting_since=utcnow(),
        )
        with self._guard("create_escalation"), self._writer.begin() as s:
            s.add(row)
            s.flush()
            emit(s, "escalation.created", escalation_id=row.id, session_id=session_id,
                 actor="bot", data={"reason": reason, "customer_id": customer_id})  # fmt: skip
            return views.escalation(row)

    def list_escalations(self, status: str | None = None) -> list[EscalationView]:
        with self._guard("list_escalations"), self._reader() as s:
            query = select(Escalation).order_by(Escalation.created_at.desc(), Escalation.id)
            if status is not None:
                query = query.where(Escalation.status == status)
            return [views.escalation(e) for e in s.scalars(query)]

    def get_escalation(self, escalation_id: str) -> EscalationView | None:
        with self._guard("get_escalation"), self._reader() as s:
            row = s.get(Escalation, escalation_id)
            return views.escalation(row) if row else None

    # -- audit -----------------------------------------------------------------------
    def list_audit(self, entity_id: str | None = None) -> list[AuditEntry]:
        with self._guard("list_audit"), self._reader() as s:
            query = select(AuditLog).order_by(AuditLog.id)
            if entity_id is not None:
                query = query.where(AuditLog.entity_id == entity_id)
            return [views.audit(a) for a in s.scalars(query)]

    # -- the agent desk ------------------------------------------------------------

    def desk_escalations(self, status: str | None = None) -> list[dict[str, Any]]:
        """Escalations for the queue, newest first, each with the last customer message."""
        with self._guard("desk_escalations"), self._reader() as s:
            query = select(Escalation).order_by(Escalation.created_at.desc(), Escalation.id)
            if status:
                query = query.where(Escalation.status == status)
            return [desk_row(e) for e in s.scalars(query)]

    def desk_escalation(self, escalation_id: str) -> dict[str, Any] | None:
        with self._guard("desk_escalation"), self._reader() as s:
            row = s.get(Escalation, escalation_id)
            return desk_row(row) if row else None

    def move_escalation(self, escalation_id: str, status: str, agent: str) -> dict[str, Any]:
        """Claim, hand back or resolve as `agent`; audited. Raises NotFound, NotAllowed
        (claimed by another agent, or already resolved)."""
        allowed_from = _MOVES[status]
        with self._guard("move_escalation"), self._writer.begin() as s:
            row = s.get(Escalation, escalation_id, with_for_update=True)
            if row is None:
                raise NotFound(f"No escalation {escalation_id}.")
            if row.status == status and (status != "claimed" or row.assignee == agent):
                return desk_row(row)  # repeated request: nothing new
            if row.status not in allowed_from:
                raise NotAllowed(f"Escalation {escalation_id} is {row.status}; cannot {status}.")
            if (
                row.status == "claimed"
                and row.assignee not in (None, agent)
                and status != "resolved"
            ):
                raise NotAllowed(f"Escalation {escalation_id} is claimed by {row.assignee}.")
            before = {"status": row.status, "assignee": row.assignee}
            row.status = status
            now = utcnow()
            if status == "claimed":
                row.assignee, row.claimed_at = agent, now
            elif status == "open":  # reopened: back in the queue, waiting again
                row.assignee, row.resolved_at, row.waiting_since = None, None, now
            else:
                row.resolved_at = now
                if status == "resolved":
                    row.waiting_since = None
            after = {"status": row.status, "assignee": row.assignee}
            s.add(
                AuditLog(
                    actor=f"agent:{agent}",
                    action=f"escalation.{_EVENT[status]}",
                    entity="escalation",
                    entity_id=escalation_id,
                    before=before,
                    after=after,
                )
            )
            emit(s, f"escalation.{_EVENT[status]}", escalation_id=escalation_id,
                 session_id=row.session_id, actor=f"agent:{agent}", data=after)  # fmt: skip
            s.flush()
            return desk_row(row)

    def open_ticket(self, session_id: str) -> dict[str, Any] | None:
        """The conversation's unresolved escalation (open, claimed or handed back), or None:
        a conversation has at most one ticket at a time."""
        with self._guard("open_ticket"), self._reader() as s:
            row = s.scalars(
                select(Escalation)
                .where(Escalation.session_id == session_id, Escalation.status != "resolved")
                .order_by(Escalation.created_at.desc())
                .limit(1)
            ).first()
            return desk_row(row) if row else None

    def join_ticket(
        self,
        escalation_id: str,
        *,
        reason: str,
        intent: str | None,
        confidence: float | None,
        entities: list[Any],
        transcript: list[dict[str, Any]],
    ) -> dict[str, Any]:
        """Add a later turn to the conversation's open ticket: the package gets the whole
        transcript and the latest intent and entities; a handed-back ticket is open again.
        The first reason stays (the queue shows why it came); the new one is audited."""
        with self._guard("join_ticket"), self._writer.begin() as s:
            row = s.get(Escalation, escalation_id, with_for_update=True)
            if row is None:
                raise NotFound(f"No escalation {escalation_id}.")
            before = {"status": row.status, "turns": len(row.transcript or [])}
            row.transcript = transcript
            known = row.entities if isinstance(row.entities, list) else []
            row.entities = [*known, *entities]
            row.intent, row.confidence = intent or row.intent, confidence
            if row.status == "handed_back":
                row.status = "open"
            if row.waiting_since is None:
                row.waiting_since = utcnow()
            emit(s, "escalation.joined", escalation_id=escalation_id, session_id=row.session_id,
                 actor="bot", data={"reason": reason, "status": row.status})  # fmt: skip
            s.add(
                AuditLog(
                    actor="bot",
                    action="escalation.joined",
                    entity="escalation",
                    entity_id=escalation_id,
                    before=before,
                    after={"status": row.status, "turns": len(transcript), "reason": reason},
                )
            )
            s.flush()
            return desk_row(row)

    def human_owner(self, session_id: str) -> dict[str, Any] | None:
        """The claimed escalation of a session (a human is talking to the customer), or None."""
        with self._guard("human_owner"), self._reader() as s:
            row = s.scalars(
                select(Escalation)
                .where(Escalation.session_id == session_id, Escalation.status == "claimed")
                .order_by(Escalation.claimed_at.desc())
                .limit(1)
            ).first()
            return desk_row(row) if row else None

    def add_feedback(
        self, session_id: str, customer_id: str | None, rating: int, comment: str | None
    ) -> dict[str, Any]:
        row = Feedback(
            session_id=session_id, customer_id=customer_id, rating=rating, comment=comment
        )
        with self._guard("add_feedback"), self._writer.begin() as s:
            s.add(row)
            s.flush()
            return {"id": row.id, "session_id": session_id, "rating": rating,
                    "comment": comment, "created_at": _iso(row.created_at)}  # fmt: skip

    def add_correction(
        self,
        *,
        session_id: str,
        kind: str,
        agent: str,
        text: str,
        turn_index: int | None = None,
        predicted_intent: str | None = None,
        intent: str | None = None,
        entities: list[Any] | None = None,
    ) -> dict[str, Any]:
        row = Correction(
            session_id=session_id,
            turn_index=turn_index,
            text=text,
            predicted_intent=predicted_intent,
            intent=intent,
            entities=entities,
            kind=kind,
            agent=agent,
        )
        with self._guard("add_correction"), self._writer.begin() as s:
            s.add(row)
            s.flush()
            return correction_row(row)

    def list_corrections(self, kind: str | None = None) -> list[dict[str, Any]]:
        """Stored corrections, oldest first."""
        with self._guard("list_corrections"), self._reader() as s:
            query = select(Correction).order_by(Correction.id)
            if kind:
                query = query.where(Correction.kind == kind)
            return [correction_row(c) for c in s.scalars(query)]


def correction_row(row: Correction) -> dict[str, Any]:
    return {
        "id": row.id,
        "session_id": row.session_id,
        "turn_index": row.turn_index,
        "text": row.text,
        "predicted_intent": row.predicted_intent,
        "intent": row.intent,
        "entities": row.entities,
        "kind": row.kind,
        "agent": row.agent,
        "created_at": _iso(row.created_at),
    }
