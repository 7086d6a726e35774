"""Refund tools: the policy's verdict on an order, and the refund itself (exactly once)."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import UTC, datetime, timedelta

from tools.errors import NotAllowed
from tools.orders import get_order
from tools.schemas import OrderView, RefundEligibility, RefundView, money
from tools.store.backend import StoreBackend
from tools.store.views import ACTIVE_REFUND


@dataclass(frozen=True)
class RefundPolicy:
    """The shop's refund rules. Refunds go back to the original payment method."""

    window_days: int = 30
    """Days after delivery within which a refund may be asked for."""


def _day(moment: datetime) -> str:
    return f"{moment:%B} {moment.day}, {moment.year}"


def _verdict(order: OrderView, policy: RefundPolicy, now: datetime) -> tuple[str, str]:
    """(reason code, customer message) of the first rule the order breaks, or ('ok', '')."""
    if order.status == "cancelled":
        return "cancelled", (
            f"Order {order.id} was cancelled, so its charge was already reversed; "
            "there is nothing left to refund."
        )
    if order.status != "delivered" or order.delivered_at is None:
        return "not_delivered", (
            f"Order {order.id} is still {order.status} and hasn't been delivered yet. "
            "Refunds open once it arrives; before it ships you can ask to cancel it instead."
        )
    if any(r.status in ACTIVE_REFUND for r in order.refunds):
        done = next(r for r in order.refunds if r.status in ACTIVE_REFUND)
        return "already_refunded", (
            f"Order {order.id} already has refund {done.id} for {money(done.amount_cents)} "
            f"({done.status})."
        )
    deadline = order.delivered_at + timedelta(days=policy.window_days)
    if now > deadline:
        return "window_expired", (
            f"Order {order.id} was delivered on {_day(order.delivered_at)}; refunds are "
            f"available for {policy.window_days} days after delivery, and that window closed "
            f"on {_day(deadline)}."
        )
    if not any(i.refundable for i in order.items):
        return "non_refundable_items", (
            f"Order {order.id} only contains items that can't be refunded (gift cards)."
        )
    return "ok", ""


def check_refund_eligibility(
    store: StoreBackend,
    customer_id: str,
    order_id: str,
    policy: RefundPolicy,
    *,
    now: datetime | None = None,
) -> RefundEligibility:
    """Check whether one of the signed-in customer's orders can be refunded, and for how much.

    Rules: the order must be delivered, asked within the policy window after delivery,
    not already refunded; gift cards are never refunded. The refund goes to the original
    payment method. Changes nothing. Raises NotFound when the customer has no such order.
    """
    order = get_order(store, customer_id, order_id)
    reason, message = _verdict(order, policy, now or datetime.now(UTC))
    amount = sum(i.quantity * i.unit_price_cents for i in order.items if i.refundable)
    payment = order.payments[0].label if order.payments else "the original payment method"
    if reason == "ok":
        skipped = [i.name for i in order.items if not i.refundable]
        message = f"Order {order.id} can be refunded: {money(amount)} back to {payment}."
        if skipped:
            message += f" Not included (non-refundable): {', '.join(skipped)}."
    return RefundEligibility(
        order_id=order.id,
        eligible=reason == "ok",
        reason=reason,
        message=message,
        amount_cents=amount if reason == "ok" else 0,
        payment_label=payment,
    )


def request_refund(
    store: StoreBackend,
    customer_id: str,
    order_id: str,
    policy: RefundPolicy,
    idempotency_key: str,
    actor: str,
    *,
    now: datetime | None = None,
) -> RefundView:
    """Refund one of the signed-in customer's orders to the original payment method.

    Only after the customer confirmed the amount. Re-checks the policy first and raises
    NotAllowed (with the reason for the customer) when the order is not eligible. The same
    `idempotency_key` always yields the same single refund, however often it is called.
    """
    check = check_refund_eligibility(store, customer_id, order_id, policy, now=now)
    if not check.eligible:
        # Not eligible because this very request already went through? Same answer again.
        prior = store.find_refund(idempotency_key)
        if prior is not None and prior.order_id == check.order_id:
            return prior
        raise NotAllowed(check.message)
    refund = store.create_refund(
        customer_id=customer_id,
        order_id=check.order_id,
        amount_cents=check.amount_cents,
        reason="Customer request via support chat",
        idempotency_key=idempotency_key,
        actor=actor,
        status="approved",
    )
    if refund.order_id != check.order_id:
        raise NotAllowed("This refund request was already used for another order.")
    return refund
