"""Money moving on an order inside a write's transaction: a charge to a payment method, a
pay-back that covers no order line, the customer's wallet entries (locked), and the
snapshot of items and money an audit row keeps."""

from __future__ import annotations

from typing import Any

from sqlalchemy import select
from sqlalchemy.orm import Session

from tools.errors import NotFound
from tools.schemas import payment_label
from tools.store import views
from tools.store.models import Order, Payment, PaymentMethod, Refund
from tools.store.refund_tx import new_refund_id

MISSING_METHOD = "We couldn't find that payment method on your account."


def own_method(session: Session, customer_id: str, method_id: str) -> PaymentMethod:
    """The customer's wallet entry, locked (a gift card's balance may change); another
    customer's reads as missing."""
    row = session.scalar(
        select(PaymentMethod).where(PaymentMethod.id == method_id).with_for_update()
    )
    if row is None or row.customer_id != customer_id:
        raise NotFound(MISSING_METHOD)
    return row


def lock_wallets(session: Session, customer_id: str, ids: set[str]) -> dict[str, PaymentMethod]:
    """The customer's wallet entries among `ids`, locked in id order: two writes touching
    the same gift cards take them in the same order, so neither waits on the other."""
    query = (
        select(PaymentMethod)
        .where(PaymentMethod.id.in_(ids), PaymentMethod.customer_id == customer_id)
        .order_by(PaymentMethod.id)
        .with_for_update()
    )
    return {m.id: m for m in session.scalars(query)}


def method_label(method: PaymentMethod) -> str:
    return payment_label(method.method, method.brand, method.last4)


def next_payment_id(order: Order) -> str:
    """'PAY-W2611340-X01': sorts after the order's earlier payments (seeded or imported),
    which keeps `Order.payments` in the order they were made."""
    return f"PAY-{order.id}-X{len(order.payments) + 1:02d}"


def charge(order: Order, amount_cents: int, method: PaymentMethod | None) -> None:
    """A captured payment on `method` (None: like the payment the order stands on)."""
    live = [p for p in order.payments if p.status != "refunded"] or order.payments[-1:]
    paid = live[0] if live else None
    order.payments.append(
        Payment(
            id=next_payment_id(order),
            method=method.method if method else (paid.method if paid else "card"),
            method_id=method.id if method else (paid.method_id if paid else None),
            brand=method.brand if method else (paid.brand if paid else None),
            last4=method.last4 if method else (paid.last4 if paid else None),
            amount_cents=amount_cents,
            status="captured",
        )
    )


def pay_back(
    session: Session, order: Order, amount_cents: int, destination: str, key: str, reason: str
) -> None:
    """A refund that covers no order line (a price difference, a moved payment)."""
    refund = Refund(
        id=new_refund_id(),
        order_id=order.id,
        customer_id=order.customer_id,
        amount_cents=amount_cents,
        status="approved",
        reason=reason,
        idempotency_key=key,
        destination=destination,
        skus=[],
    )
    session.add(refund)
    session.flush()
    order.refunds.append(refund)


def snapshot(order: Order, *methods: PaymentMethod | None) -> dict[str, Any]:
    """The order's items and money (and gift card balances) for audit snapshots."""
    state: dict[str, Any] = {
        "items": [
            {
                "sku": i.sku,
                "name": i.name,
                "quantity": i.quantity,
                "unit_price_cents": i.unit_price_cents,
            }
            for i in order.items
        ],
        "total_cents": order.total_cents,
        **views.money_state(order),
    }
    cards = {m.id: m.balance_cents for m in methods if m is not None and m.method == "gift_card"}
    if cards:
        state["gift_card_balances"] = cards
    return state
