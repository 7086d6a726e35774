"""Order writes: cancel a pending order, change its shipping address (each exactly once).

Each runs in the caller's transaction on the locked order: the policy check, the change,
the refund it causes, the audit row and the idempotency record commit together or not at
all. A repeat under the same idempotency key returns the first result unchanged.
"""

from __future__ import annotations

from collections.abc import Callable
from datetime import UTC, datetime
from typing import Any

from sqlalchemy.orm import Session

from tools.errors import NotAllowed
from tools.schemas import AddressChangeView, CancellationView, CancelQuote, OrderView
from tools.store import views
from tools.store.models import AuditLog, IdempotencyRecord, Order, Refund
from tools.store.refund_tx import lock_order, mark_payments, new_refund_id
from tools.store.views import ACTIVE_REFUND

CancelCheck = Callable[[OrderView], CancelQuote]
"""The cancellation policy run on the locked order: its verdict, fee and reason."""


def prior_result(session: Session, key: str, action: str) -> dict[str, Any] | None:
    """The stored result of an earlier write under `key`; NotAllowed if it was another action."""
    record = session.get(IdempotencyRecord, key, populate_existing=True)
    if record is None:
        return None
    if record.action != action:
        raise NotAllowed("This request id was already used for a different action.")
    return record.result


def remember(session: Session, key: str, action: str, entity_id: str, result: Any) -> None:
    """Store a write's result under its idempotency key (a concurrent twin fails on commit)."""
    session.add(
        IdempotencyRecord(
            key=key, action=action, entity_id=entity_id, result=result.model_dump(mode="json")
        )
    )


def _state(order: Order) -> dict[str, Any]:
    return {
        "status": order.status,
        "cancel_reason": order.cancel_reason,
        **views.money_state(order),
    }


def write_cancellation(
    session: Session,
    *,
    customer_id: str,
    order_id: str,
    idempotency_key: str,
    actor: str,
    quote: CancelCheck,
) -> CancellationView:
    """Cancel the customer's order and refund what was paid less the policy's fee.

    `quote` re-runs the policy on the locked order; the write goes ahead only if it is
    still eligible and gives the same fee. The refund goes to the original payment method.
    """
    if (prior := prior_result(session, idempotency_key, "order.cancel")) is not None:
        return CancellationView.model_validate(prior)
    order = lock_order(session, order_id, customer_id)
    if (prior := prior_result(session, idempotency_key, "order.cancel")) is not None:
        return CancellationView.model_validate(prior)  # a twin committed while we waited
    verdict = quote(views.order(order))
    if not verdict.eligible or verdict.cancel_reason is None:
        raise NotAllowed(verdict.message)
    before = _state(order)
    order.status = "cancelled"
    order.cancelled_at = datetime.now(UTC)
    order.cancel_reason = verdict.cancel_reason
    refund = None
    paid = sum(p.amount_cents for p in order.payments)
    refunded = sum(r.amount_cents for r in order.refunds if r.status in ACTIVE_REFUND)
    amount = paid - refunded - verdict.fee_cents
    if amount > 0:
        refund = Refund(
            id=new_refund_id(),
            order_id=order.id,
            customer_id=customer_id,
            amount_cents=amount,
            status="approved",
            reason=f"Order cancelled: {verdict.cancel_reason}",
            idempotency_key=f"{idempotency_key}:refund",
            destination=verdict.payment_label,
        )
        session.add(refund)
        session.flush()
        order.refunds.append(refund)
        mark_payments(order)
    result = CancellationView(
        order_id=order.id,
        status=order.status,
        cancel_reason=verdict.cancel_reason,
        fee_cents=verdict.fee_cents,
        refund=views.refund(refund) if refund else None,
    )
    session.add(
        AuditLog(
            actor=actor,
            action="order.cancel",
            entity="order",
            entity_id=order.id,
            before=before,
            after={**_state(order), "fee_cents": verdict.fee_cents},
        )
    )
    remember(session, idempotency_key, "order.cancel", order.id, result)
    return result


def write_address_change(
    session: Session,
    *,
    customer_id: str,
    order_id: str,
    address: str,
    idempotency_key: str,
    actor: str,
    check: Callable[[OrderView], None],
) -> AddressChangeView:
    """Change the shipping address of the customer's order, if `check` (the policy, run on
    the locked order) allows it."""
    if (prior := prior_result(session, idempotency_key, "order.change_address")) is not None:
        return AddressChangeView.model_validate(prior)
    order = lock_order(session, order_id, customer_id)
    if (prior := prior_result(session, idempotency_key, "order.change_address")) is not None:
        return AddressChangeView.model_validate(prior)
    check(views.order(order))
    result = AddressChangeView(order_id=order.id, before=order.shipping_address, after=address)
    order.shipping_address = address
    session.add(
        AuditLog(
            actor=actor,
            action="order.change_address",
            entity="order",
            entity_id=order.id,
            before={"shipping_address": result.before},
            after={"shipping_address": result.after},
        )
    )
    remember(session, idempotency_key, "order.change_address", order.id, result)
    return result
