"""Order tools: the caller's order list and one of their orders in full."""

from __future__ import annotations

from tools.errors import NotFound
from tools.schemas import OrderSummary, OrderView
from tools.store.backend import StoreBackend


def order_not_found(order_id: str) -> NotFound:
    """The one error for a missing order AND for someone else's order (nothing leaks)."""
    return NotFound(f"We couldn't find order {order_id} on your account.")


def list_orders(store: StoreBackend, customer_id: str) -> list[OrderSummary]:
    """List the signed-in customer's orders, newest first (id, status, date, total).

    Use when the customer asks about "my orders" without giving an order number.
    """
    return store.list_orders(customer_id)


def get_order(store: StoreBackend, customer_id: str, order_id: str) -> OrderView:
    """Look up one of the signed-in customer's orders by its number, e.g. "W1234567".

    Returns status, items, tracking number and carrier, shipping address, payments,
    refunds and invoices. Raises NotFound when the customer has no such order.
    """
    wanted = order_id.strip().upper()
    order = store.get_order(wanted) if wanted else None
    if order is None or order.customer_id != customer_id:
        raise order_not_found(wanted or order_id)
    return order
