"""The desk's live event log and ticket clocks, written inside the transaction of the change
they describe (a new escalation, a customer line, an agent reply, a claim...)."""

from __future__ import annotations

from typing import Any

from sqlalchemy import text
from sqlalchemy.orm import Session

from tools.store.models import DeskEvent, Escalation, utcnow

CHANNEL = "support_events"
"""The Postgres channel every worker listens on: `d` (a desk event) or `s:<session id>`
(a conversation line); streams re-read the store when one arrives."""


def emit(
    s: Session,
    kind: str,
    *,
    escalation_id: str | None,
    session_id: str | None,
    actor: str,
    data: dict[str, Any] | None = None,
) -> None:
    """Add a live desk event to the transaction `s` (it commits with the change)."""
    s.add(
        DeskEvent(
            kind=kind,
            escalation_id=escalation_id,
            session_id=session_id,
            actor=actor,
            data=data or {},
            at=utcnow(),
        )
    )
    notify(s, "d")


def notify(s: Session, payload: str) -> None:
    """On Postgres, wake every worker's open streams for `payload` when `s` commits (a
    rolled-back change wakes nobody); on SQLite nothing: streams there poll."""
    if s.get_bind().dialect.name != "postgresql":
        return
    with s.no_autoflush:
        s.execute(
            text("SELECT pg_notify(:channel, :payload)"), {"channel": CHANNEL, "payload": payload}
        )


def event_row(row: DeskEvent) -> dict[str, Any]:
    return {
        "id": row.id,
        "kind": row.kind,
        "escalation_id": row.escalation_id,
        "session_id": row.session_id,
        "actor": row.actor,
        "at": row.at.isoformat(),
        "data": row.data or {},
    }


def mark_customer_line(s: Session, escalation_id: str) -> None:
    """A customer line the ticket's humans have not answered: the wait starts (if it has
    not already) and the queue shows it."""
    row = s.get(Escalation, escalation_id, with_for_update=True)
    if row is not None and row.status != "resolved" and row.waiting_since is None:
        row.waiting_since = utcnow()


def mark_agent_reply(s: Session, escalation_id: str) -> None:
    """An agent answered: nobody is waiting; the first answer is the first response."""
    row = s.get(Escalation, escalation_id, with_for_update=True)
    if row is None:
        return
    row.waiting_since = None
    if row.first_response_at is None:
        row.first_response_at = utcnow()
