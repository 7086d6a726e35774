"""Approval and dispute writes: a refund waiting for a human, the human's decision, a dispute.

Each runs in the caller's transaction. Asking twice under one idempotency key returns the
first approval; deciding twice the same way returns the first decision; the approved refund
is written under the key `approval:<id>`, so it exists at most once. The same refund asked
for in another conversation (same order, same lines) is decided with the first: nobody is
left waiting on a request that can no longer be granted.
"""

from __future__ import annotations

import uuid
from datetime import UTC, datetime
from typing import Any

from sqlalchemy import select
from sqlalchemy.orm import Session

from tools.errors import NotAllowed, NotFound
from tools.schemas import ApprovalView, DisputeView
from tools.store import views
from tools.store.desk_log import emit
from tools.store.models import Approval, AuditLog, Dispute, Escalation, utcnow
from tools.store.refund_tx import OrderCheck, lock_order, write_refund


def _id(prefix: str) -> str:
    return f"{prefix}{uuid.uuid4().hex[:10].upper()}"


def _approval_state(row: Approval) -> dict[str, Any]:
    return {
        "status": row.status,
        "decided_by": row.decided_by,
        "refund_id": row.refund_id,
        "note": row.note,
    }


def write_approval_request(
    session: Session,
    *,
    session_id: str,
    customer_id: str,
    order_id: str,
    amount_cents: int,
    destination: str,
    method_id: str | None,
    idempotency_key: str,
    escalation: dict[str, Any],
    skus: list[str] | None = None,
) -> ApprovalView:
    """A pending approval and its escalation (reason approval_needed), written together.

    `escalation` holds the escalation's intent, confidence, entities and transcript;
    `skus` the order lines the refund covers, one per unit (None: the whole order).
    """
    existing = session.scalar(select(Approval).where(Approval.idempotency_key == idempotency_key))
    if existing is not None:
        return views.approval(existing)
    lock_order(session, order_id, customer_id)  # the customer's own order, or NotFound
    # One ticket per conversation: an approval asked while a ticket is open joins it.
    ticket = session.scalars(
        select(Escalation)
        .where(Escalation.session_id == session_id, Escalation.status != "resolved")
        .order_by(Escalation.created_at.desc())
        .limit(1)
    ).first()
    created = ticket is None
    if ticket is None:
        ticket = Escalation(
            id=_id("E"),
            session_id=session_id,
            customer_id=customer_id,
            reason="approval_needed",
            status="open",
            waiting_since=utcnow(),
            **escalation,
        )
    else:
        ticket.transcript = escalation.get("transcript", ticket.transcript)
        ticket.status = "open" if ticket.status == "handed_back" else ticket.status
        ticket.waiting_since = ticket.waiting_since or utcnow()
    row = Approval(
        id=_id("A"),
        session_id=session_id,
        customer_id=customer_id,
        order_id=order_id,
        amount_cents=amount_cents,
        destination=destination,
        method_id=method_id,
        skus=skus,
        status="pending",
        escalation_id=ticket.id,
        idempotency_key=idempotency_key,
        requested_at=datetime.now(UTC),
    )
    session.add_all([ticket, row])
    session.flush()  # a concurrent twin fails here, before the audit row and the event
    emit(session, "escalation.created" if created else "escalation.joined",
         escalation_id=ticket.id, session_id=session_id, actor="bot",
         data={"reason": "approval_needed", "customer_id": customer_id,
               "status": ticket.status})  # fmt: skip
    session.add(
        AuditLog(
            actor=f"customer:{customer_id}",
            action="approval.request",
            entity="approval",
            entity_id=row.id,
            before=None,
            after={**_approval_state(row), "order_id": order_id, "amount_cents": amount_cents},
        )
    )
    return views.approval(row)


def write_approval_decision(
    session: Session,
    *,
    approval_id: str,
    approve: bool,
    agent: str,
    note: str,
    check: OrderCheck | None,
) -> ApprovalView:
    """Record a human's decision; on approval write the refund in the same transaction.

    Deciding an already decided approval the same way returns it unchanged; deciding it
    the other way raises NotAllowed. `check` re-runs the refund policy on the locked order.
    """
    row = session.scalar(select(Approval).where(Approval.id == approval_id).with_for_update())
    if row is None:
        raise NotFound(f"There is no approval {approval_id}.")
    wanted = "approved" if approve else "declined"
    if row.status != "pending":
        if row.status == wanted:
            return views.approval(row)
        raise NotAllowed(f"Approval {row.id} was already {row.status} by {row.decided_by}.")
    before = _approval_state(row)
    if approve:
        refund = write_refund(
            session,
            customer_id=row.customer_id,
            order_id=row.order_id,
            amount_cents=row.amount_cents,
            reason=f"Approved by {agent}" + (f": {note}" if note else ""),
            idempotency_key=f"approval:{row.id}",
            actor=f"agent:{agent}",
            status="approved",
            destination=row.destination,
            check=check,
            skus=row.skus,
        )
        row.refund_id = refund.id
    row.status = wanted
    row.decided_by = agent
    row.decided_at = datetime.now(UTC)
    row.note = note or None
    _record_decision(session, row, agent, before)
    _close_twins(session, row, agent)
    return views.approval(row)


def _close_twins(session: Session, decided: Approval, agent: str) -> None:
    """Other pending requests for the same refund (same order and lines, asked in another
    conversation) get the same decision. An approved twin names the one refund written, or
    is declined as already refunded when it asked for another amount or destination."""
    pending = session.scalars(
        select(Approval)
        .where(
            Approval.order_id == decided.order_id,
            Approval.status == "pending",
            Approval.id != decided.id,
        )
        .with_for_update()
    )
    lines = sorted(decided.skus) if decided.skus is not None else None
    for twin in pending:
        if (sorted(twin.skus) if twin.skus is not None else None) != lines:
            continue  # other lines of the order: still a request of its own
        before = _approval_state(twin)
        same = (twin.amount_cents, twin.destination) == (decided.amount_cents, decided.destination)
        if decided.status == "approved" and not same:
            twin.status = "declined"
            twin.note = (
                f"order {decided.order_id} was already refunded (refund {decided.refund_id})"
            )
        else:
            twin.status, twin.note = decided.status, decided.note
            twin.refund_id = decided.refund_id
        twin.decided_by = agent
        twin.decided_at = decided.decided_at
        _record_decision(session, twin, agent, before, same_request_as=decided.id)


def _record_decision(
    session: Session, row: Approval, agent: str, before: dict[str, Any], **extra: Any
) -> None:
    """A decided approval resolves its ticket and leaves an audit row."""
    if row.escalation_id and (ticket := session.get(Escalation, row.escalation_id)):
        if ticket.status != "resolved":
            ticket.status, ticket.waiting_since, ticket.resolved_at = "resolved", None, utcnow()
            emit(session, "escalation.resolved", escalation_id=ticket.id,
                 session_id=ticket.session_id, actor=f"agent:{agent}",
                 data={"status": "resolved", "assignee": ticket.assignee,
                       "approval_id": row.id})  # fmt: skip
    session.add(
        AuditLog(
            actor=f"agent:{agent}",
            action=f"approval.{'approve' if row.status == 'approved' else 'decline'}",
            entity="approval",
            entity_id=row.id,
            before=before,
            after={**_approval_state(row), **extra},
        )
    )


def write_dispute(
    session: Session,
    *,
    customer_id: str,
    order_id: str,
    payment_id: str,
    kind: str,
    amount_cents: int,
    idempotency_key: str,
    actor: str,
) -> DisputeView:
    """Open a payment dispute on the customer's order (once per idempotency key)."""
    existing = session.scalar(select(Dispute).where(Dispute.idempotency_key == idempotency_key))
    if existing is not None:
        return views.dispute(existing)
    order = lock_order(session, order_id, customer_id)
    if payment_id not in {p.id for p in order.payments}:
        raise NotFound(f"We couldn't find that payment on order {order_id}.")
    open_one = session.scalar(
        select(Dispute).where(
            Dispute.payment_id == payment_id, Dispute.kind == kind, Dispute.status == "open"
        )
    )
    if open_one is not None:
        return views.dispute(open_one)  # one open dispute per charge, whoever reports it
    row = Dispute(
        id=_id("D"),
        customer_id=customer_id,
        order_id=order_id,
        payment_id=payment_id,
        kind=kind,
        amount_cents=amount_cents,
        status="open",
        idempotency_key=idempotency_key,
        created_at=datetime.now(UTC),
    )
    session.add(row)
    session.flush()
    session.add(
        AuditLog(
            actor=actor,
            action="dispute.open",
            entity="dispute",
            entity_id=row.id,
            before=None,
            after=views.dispute(row).model_dump(mode="json"),
        )
    )
    return views.dispute(row)
