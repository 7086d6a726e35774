"""The refund write: refund row, payment statuses and audit row in the caller's transaction."""

from __future__ import annotations

import uuid
from collections.abc import Callable

from sqlalchemy import select
from sqlalchemy.orm import Session, selectinload

from tools.errors import NotAllowed, NotFound
from tools.schemas import OrderView, RefundView
from tools.store import views
from tools.store.models import AuditLog, Order, OrderItem, Refund
from tools.store.views import ACTIVE_REFUND

OrderCheck = Callable[[OrderView], None]
"""A policy check run on the locked order inside the write; raises to refuse the write."""

ORDER_DETAIL = (
    selectinload(Order.items).selectinload(OrderItem.product),
    selectinload(Order.payments),
    selectinload(Order.refunds),
    selectinload(Order.invoices),
    selectinload(Order.exchanges),
)


def lock_order(session: Session, order_id: str, customer_id: str) -> Order:
    """The customer's order, row-locked until the transaction ends (Postgres; SQLite's
    BEGIN IMMEDIATE already serialises writers). Someone else's order reads as missing."""
    order = session.scalar(
        select(Order).where(Order.id == order_id).options(*ORDER_DETAIL).with_for_update()
    )
    if order is None or order.customer_id != customer_id:
        raise NotFound(f"We couldn't find order {order_id} on your account.")
    return order


def new_refund_id() -> str:
    return f"R{uuid.uuid4().hex[:12].upper()}"


def write_refund(
    session: Session,
    *,
    customer_id: str,
    order_id: str,
    amount_cents: int,
    reason: str,
    idempotency_key: str,
    actor: str,
    status: str,
    destination: str | None = None,
    check: OrderCheck | None = None,
    skus: list[str] | None = None,
) -> RefundView:
    """Record one refund inside `session`'s transaction (the caller commits or rolls back).

    `skus` are the order lines it covers, one per unit (None: the whole order).
    A refund already recorded under `idempotency_key` is returned unchanged. A duplicate
    inserted concurrently surfaces as IntegrityError at the flush, before anything else
    is written. Raises NotFound when the order is not this customer's, NotAllowed when
    the order's refunds would exceed what was paid, and whatever `check` raises when the
    policy, re-checked on the locked order, refuses.
    """
    if amount_cents <= 0:
        raise NotAllowed("A refund must be for a positive amount.")
    by_key = select(Refund).where(Refund.idempotency_key == idempotency_key)
    existing = session.scalar(by_key)
    if existing is not None:
        return views.refund(existing)
    order = lock_order(session, order_id, customer_id)  # one refund write per order at a time
    # Postgres: a concurrent twin may have committed while we waited for the lock.
    existing = session.scalar(by_key.execution_options(populate_existing=True))
    if existing is not None:
        return views.refund(existing)
    if check is not None:
        check(views.order(order))
    before = views.money_state(order)
    paid = sum(p.amount_cents for p in order.payments)
    if before["refunded_cents"] + amount_cents > paid:
        raise NotAllowed(f"Order {order_id} has already been refunded.")
    refund = Refund(
        id=new_refund_id(),
        order_id=order_id,
        customer_id=customer_id,
        amount_cents=amount_cents,
        status=status,
        reason=reason,
        idempotency_key=idempotency_key,
        destination=destination,
        skus=skus,
    )
    session.add(refund)
    session.flush()  # a duplicate key fails here, before anything else is touched
    order.refunds.append(refund)
    mark_payments(order)
    after = {**views.money_state(order), "refund": views.refund(refund).model_dump(mode="json")}
    session.add(
        AuditLog(
            actor=actor,
            action="refund.create",
            entity="refund",
            entity_id=refund.id,
            before=before,
            after=after,
        )
    )
    return views.refund(refund)


def mark_payments(order: Order) -> None:
    """Spread the order's active refunds over its payments, in payment order."""
    left = sum(r.amount_cents for r in order.refunds if r.status in ACTIVE_REFUND)
    for payment in order.payments:
        share = min(left, payment.amount_cents)
        left -= share
        if share == payment.amount_cents:
            payment.status = "refunded"
        elif share > 0:
            payment.status = "partially_refunded"
