"""Items swapped for other options of the same products: a delivered order's exchange, or a
pending order's items modified in place (each exactly once).

Runs in the caller's transaction on the locked order: the policy's verdict on the products
as they are now, the exchange record (its unique key makes the write idempotent), the
changed lines and the money they move, and the audit row commit together or not at all.
"""

from __future__ import annotations

import uuid
from collections.abc import Callable

from sqlalchemy import Select, select
from sqlalchemy.orm import Session

from tools.change_views import SwapQuote
from tools.errors import NotAllowed, NotFound
from tools.schemas import (
    OrderView,
    PaymentMethodView,
    ProductView,
    SwapRecord,
    SwapView,
    variant_name,
)
from tools.store import views
from tools.store.ledger import charge, own_method, pay_back, snapshot
from tools.store.models import AuditLog, Exchange, Order, PaymentMethod, Product
from tools.store.refund_tx import lock_order, mark_payments

SwapCheck = Callable[[OrderView, dict[str, ProductView], PaymentMethodView | None], SwapQuote]
"""The swap policy run on the locked order with the new products and the payment method
(None: none on file): its verdict, lines and price difference."""


def swap_method(
    session: Session, order: OrderView, customer_id: str, method_id: str | None
) -> PaymentMethod | None:
    """The wallet entry a swap's difference goes to: the one named, else the one the
    order is paid with (None when that one is not on file)."""
    if method_id:
        return own_method(session, customer_id, method_id)
    paid = order.current_payment
    if paid is None or not paid.method_id:
        return None
    try:
        return own_method(session, customer_id, paid.method_id)
    except NotFound:
        return None


def _prior_swap(
    session: Session, query: Select[Exchange], order_id: str, kind: str
) -> SwapView | None:
    row = session.scalar(query)
    if row is None:
        return None
    if row.order_id != order_id or row.kind != kind:
        raise NotAllowed("This request id was already used for a different action.")
    return views.exchange(row)


def write_swap(
    session: Session,
    *,
    customer_id: str,
    order_id: str,
    kind: str,
    swaps: dict[str, str],
    method_id: str | None,
    idempotency_key: str,
    actor: str,
    quote: SwapCheck,
) -> SwapView:
    """Swap the customer's order lines (old SKU -> new SKU) for other options.

    `quote` re-runs the policy on the locked order with the new products as they are now.
    An exchange (`kind` 'exchange') is recorded as requested: the items go back first and
    the difference is settled then. A modification ('modify') changes the lines in place,
    updates the total and charges the difference to the payment method (a payment) or
    pays it back (a refund covering no line); a gift card's balance moves with it.
    """
    by_key = select(Exchange).where(Exchange.idempotency_key == idempotency_key)
    if (prior := _prior_swap(session, by_key, order_id, kind)) is not None:
        return prior
    order = lock_order(session, order_id, customer_id)
    fresh = by_key.execution_options(populate_existing=True)
    if (prior := _prior_swap(session, fresh, order_id, kind)) is not None:
        return prior  # a twin committed while we waited for the lock
    view = views.order(order)
    method = swap_method(session, view, customer_id, method_id)
    wanted = select(Product).where(Product.sku.in_(set(swaps.values())))
    rows = {p.sku: p for p in session.scalars(wanted)}
    products = {sku: views.product(p) for sku, p in rows.items()}
    verdict = quote(view, products, views.payment_method(method) if method else None)
    if not verdict.eligible:
        raise NotAllowed(verdict.message)
    before = snapshot(order, method)
    row = Exchange(
        id=f"X{uuid.uuid4().hex[:12].upper()}",
        order_id=order.id,
        customer_id=customer_id,
        kind=kind,
        swaps=[
            SwapRecord(
                old_sku=line.old.sku,
                old_name=line.old.name,
                new_sku=line.new.sku,
                new_name=line.new.label,
                quantity=line.old.quantity,
                difference_cents=line.difference_cents,
            ).model_dump()
            for line in verdict.swaps
        ],
        difference_cents=verdict.difference_cents,
        method=verdict.payment_label,
        status="done" if kind == "modify" else "requested",
        idempotency_key=idempotency_key,
    )
    session.add(row)
    session.flush()  # a concurrent twin fails here, before anything else is touched
    order.exchanges.append(row)
    if kind == "modify":
        _modify(session, order, verdict, rows, method, idempotency_key)
    session.add(
        AuditLog(
            actor=actor,
            action=f"order.{'modify_items' if kind == 'modify' else 'exchange'}",
            entity="order",
            entity_id=order.id,
            before=before,
            after={
                **snapshot(order, method),
                "exchange": views.exchange(row).model_dump(mode="json"),
            },
        )
    )
    return views.exchange(row)


def _modify(
    session: Session,
    order: Order,
    verdict: SwapQuote,
    products: dict[str, Product],
    method: PaymentMethod | None,
    key: str,
) -> None:
    """Change a pending order's lines in place and settle the price difference."""
    new_sku = {line.old.sku: line.new.sku for line in verdict.swaps}
    for line in order.items:
        if line.sku not in new_sku:
            continue
        product = products[new_sku[line.sku]]
        line.product = product
        line.sku = product.sku
        line.name = variant_name(product.name, views.options(product.options))
        line.unit_price_cents = product.price_cents
    order.total_cents = sum(i.quantity * i.unit_price_cents for i in order.items)
    difference = verdict.difference_cents
    if difference > 0:
        charge(order, difference, method)
    elif difference < 0:
        pay_back(session, order, -difference, verdict.payment_label, f"{key}:refund",
                  "Price difference of changed items")  # fmt: skip
    mark_payments(order)
    if method is not None and method.method == "gift_card" and method.balance_cents is not None:
        method.balance_cents -= difference
