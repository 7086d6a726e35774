"""Order branch: status, items and tracking of one of the customer's own orders."""

from __future__ import annotations

from typing import Any

from graph.nodes.common import Rt, action, customer_of, record, say, short_date
from graph.nodes.slots import order_or_ask, picked_lead_in, sign_in_required
from graph.state import TurnState
from tools.schemas import OrderView, money

STATUS_TEMPLATES = frozenset({"pending", "processing", "shipped", "delivered", "cancelled"})
"""Statuses with their own reply in prompts/replies.toml (imported stores may have others)."""


def describe_items(order: OrderView) -> str:
    return ", ".join(f"{i.quantity} × {i.name}" for i in order.items)


def order_status_reply(order: OrderView) -> str:
    """The templated status reply for an order, by its status (any other status: generic)."""
    refunds = ", ".join(f"{money(r.amount_cents)} ({r.status})" for r in order.refunds)
    known = order.status in STATUS_TEMPLATES
    return say(
        f"order_status_{order.status}" if known else "order_status_other",
        order_id=order.id,
        status=order.status,
        items=describe_items(order),
        total=money(order.total_cents),
        shipped_on=short_date(order.shipped_at),
        delivered_on=short_date(order.delivered_at),
        carrier=order.carrier or "our carrier",
        tracking=order.tracking_number or "not yet assigned",
        refund_note=say("refund_note", refunds=refunds) if refunds else "",
    )


async def order_status(state: TurnState, runtime: Rt) -> dict[str, Any]:
    """Look up one of the caller's orders and report its status and tracking."""
    customer_id = customer_of(state, runtime)
    if customer_id is None:
        return sign_in_required(state, runtime)
    order, ask = await order_or_ask(state, runtime, customer_id)
    if ask is not None:
        return ask
    assert order is not None
    lead = picked_lead_in(state, order)  # "Your most recent order is W… (placed …)."
    return {
        "reply": f"{lead} {order_status_reply(order)}".strip(),
        "pending": None,
        "order_id": order.id,  # remembered: "can I cancel that order?" means this one
        "actions": record(runtime, state, action("get_order", "ok", f"{order.id}: {order.status}")),
    }
