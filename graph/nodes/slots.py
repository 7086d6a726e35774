"""Gatekeeping shared by the account branches: identity first, then the order number."""

from __future__ import annotations

import asyncio
from typing import Any

from graph.nodes.common import Rt, action, customer_of, entity, record, say
from graph.state import TurnState
from tools import orders as order_tools
from tools.errors import BackendUnavailable, NotFound
from tools.items import match_items
from tools.schemas import OrderView
from tools.store.protocol import StoreBackend

STATUS_FIRST = {
    "get_refund": "delivered",
    "track_refund": "delivered",
    "cancel_order": "pending",
    "change_order": "pending",
    "change_shipping_address": "pending",
}
"""For these intents, orders in the status they usually concern are listed first."""
PRODUCT_SEARCH = 10
"""Latest orders searched for a product the customer names instead of an order number."""


def sign_in_required(state: TurnState, runtime: Rt) -> dict[str, Any]:
    """Reply for an anonymous customer asking about account data."""
    return {
        "reply": say("sign_in_required"),
        "actions": record(runtime, state, action("identity", "required", "sign in to continue")),
    }


def tool_failure(state: TurnState, runtime: Rt, tool: str, exc: Exception) -> dict[str, Any]:
    """Partial update that hands a failed backend call to a human (nothing was changed)."""
    return {
        "escalation_reason": "tool_failure",
        "pending": None,
        "actions": record(runtime, state, action(tool, "error", str(exc) or "backend unavailable")),
    }


def order_not_found(state: TurnState, runtime: Rt, tool: str, order_id: str) -> dict[str, Any]:
    """Reply for a missing order, and for someone else's (the two read the same)."""
    return {
        "reply": say("order_not_found", order_id=order_id),
        "pending": None,
        "actions": record(runtime, state, action(tool, "not_found", order_id)),
    }


async def own_order(
    state: TurnState, runtime: Rt, customer_id: str, order_id: str
) -> tuple[OrderView | None, dict[str, Any] | None]:
    """One of the caller's orders, or the partial update saying it is missing or unreadable."""
    try:
        order = await asyncio.to_thread(
            order_tools.get_order, runtime.context.services.store, customer_id, order_id
        )
    except NotFound:
        return None, order_not_found(state, runtime, "get_order", order_id)
    except BackendUnavailable as exc:
        return None, tool_failure(state, runtime, "get_order", exc)
    return order, None


async def order_id_or_ask(
    state: TurnState, runtime: Rt, slot_extra: dict[str, Any] | None = None
) -> tuple[str | None, dict[str, Any] | None]:
    """The order this turn is about, or the partial update that asks the customer for it.

    Uses the order number in the message, then the order the message referred to ("that
    order", resolved by the classify node), then the one the bot's pending question was
    about; with none, a customer with exactly one order means that one; otherwise the bot
    asks and remembers what it was doing (plus `slot_extra`).
    """
    ctx = runtime.context
    customer_id = customer_of(state, runtime)
    assert customer_id is not None

    order_id = (
        entity(state, "order_id")
        or state.get("order_id")
        or (state.get("pending") or {}).get("order_id")
    )
    if order_id:
        return order_id, None
    try:
        orders = await asyncio.to_thread(order_tools.list_orders, ctx.services.store, customer_id)
    except BackendUnavailable as exc:
        return None, tool_failure(state, runtime, "list_orders", exc)
    if len(orders) == 1:
        return orders[0].id, None
    try:  # "my headphones haven't arrived": the order holding the product they name
        ids = [o.id for o in orders]
        holding = await asyncio.to_thread(
            orders_holding, ctx.services.store, customer_id, ids, state["message"]
        )
    except BackendUnavailable as exc:
        return None, tool_failure(state, runtime, "get_order", exc)
    if len(holding) == 1:
        return holding[0], None
    recent = ""
    if orders:
        if first := STATUS_FIRST.get(state["intent"]):
            orders = sorted(orders, key=lambda o: o.status != first)
        orders = sorted(orders, key=lambda o: o.id not in holding)  # stable: the holders first
        listed = ", ".join(f"{o.id} ({o.status})" for o in orders[:3])
        recent = say("recent_orders", orders=listed)
    update = {
        "reply": say("ask_order_id", recent=recent),
        "pending": {
            "kind": "slot",
            "intent": state["intent"],
            "slot": "order_id",
            "request": state["message"],
            **(slot_extra or {}),
        },  # fmt: skip
        "actions": record(
            runtime, state, action("list_orders", "ok", f"{len(orders)} orders on file")
        ),
    }
    return None, update


async def order_or_ask(
    state: TurnState, runtime: Rt, customer_id: str
) -> tuple[OrderView | None, dict[str, Any] | None]:
    """The caller's order this turn is about (`order_id_or_ask`, then `own_order`), or the
    partial update that asks for it or says it is missing or unreadable."""
    order_id, ask = await order_id_or_ask(state, runtime)
    if ask is not None:
        return None, ask
    assert order_id is not None
    return await own_order(state, runtime, customer_id, order_id)


def orders_holding(
    store: StoreBackend, customer_id: str, order_ids: list[str], message: str
) -> list[str]:
    """Those of the customer's latest PRODUCT_SEARCH orders with a line the message names
    by product ("the headphones", "my charger"), newest first; [] when it names none."""
    found = []
    for order_id in order_ids[:PRODUCT_SEARCH]:
        order = order_tools.get_order(store, customer_id, order_id)
        if match_items(order, message).lines:
            found.append(order.id)
    return found
