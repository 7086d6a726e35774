"""Gatekeeping shared by the account branches: identity first, then the order number."""

from __future__ import annotations

import asyncio
import re
from typing import Any

from graph.nodes.common import Rt, action, customer_of, emit, entity, record, say, short_date
from graph.picks import answers_which, choose, order_pick
from graph.state import Pending, TurnState
from tools import orders as order_tools
from tools.errors import BackendUnavailable, NotFound
from tools.items import match_items
from tools.policy import SupportPolicy
from tools.schemas import OrderSummary, OrderView
from tools.store.protocol import StoreBackend

STATUS_FIRST = {
    "get_refund": "delivered",
    "track_refund": "delivered",
    "cancel_order": "pending",
    "change_order": "pending",
    "change_shipping_address": "pending",
}
"""For these intents, orders in the status they usually concern are listed first."""
ORDERS_SHOWN = 3
"""Orders listed (and offered as quick replies) when the bot asks which one."""
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

    Uses the order number in the message, then an order the message describes ("my most
    recent order", "the pending one", "the second one" of those the bot listed, "the one
    with the headphones"; graph.picks), then the order the message referred to ("that
    order", resolved by the classify node), then the one the bot's pending question was
    about; with none, a customer with exactly one order means that one, and a product
    that only one order holds means that order; otherwise the bot asks, offering the orders
    as choices, and remembers what it was doing (plus `slot_extra`). Every order chosen is
    one the store lists for the acting customer.
    """
    ctx = runtime.context
    customer_id = customer_of(state, runtime)
    assert customer_id is not None

    said = entity(state, "order_id")
    if said:
        return said, None
    pending = state.get("pending") or {}
    known = state.get("order_id") or pending.get("order_id")
    pick = order_pick(state["message"])
    if known and pick is None:
        return known, None
    try:
        orders = await asyncio.to_thread(order_tools.list_orders, ctx.services.store, customer_id)
    except BackendUnavailable as exc:
        return None, tool_failure(state, runtime, "list_orders", exc)
    holding: list[str] = []
    if pick is not None:
        if pick.product:
            holding, failed = await _holding(state, runtime, customer_id, orders)
            if failed is not None:
                return None, failed
        focus = (state.get("held") or {}).get("order_id") or pending.get("order_id")
        chosen = choose(pick, orders, listed_orders(state), holding, not_this=focus)
        if chosen is not None and len(chosen) == 1:
            return chosen[0], None
        if chosen is not None:
            fits = [o for o in orders if o.id in chosen]
            what = pick.describe()
            article = "an" if what[0] in "aeiou" else "a"
            lead = "" if fits else say("no_order_fits", what=f"{article} {what}")
            return None, ask_order(state, runtime, fits or orders, slot_extra, lead=lead)
    if known:
        return known, None
    if len(orders) == 1:
        return orders[0].id, None
    if pick is None:  # "my headphones haven't arrived": the order holding the product
        holding, failed = await _holding(state, runtime, customer_id, orders)
        if failed is not None:
            return None, failed
    if len(holding) == 1:
        return holding[0], None
    listed = listed_orders(state)
    shown = [o for o in orders if o.id in listed] if len(listed) > 1 else []
    if not shown:
        shown = sorted(orders, key=lambda o: o.id not in holding)  # stable: the holders first
    return None, ask_order(state, runtime, shown, slot_extra)


async def _holding(
    state: TurnState, runtime: Rt, customer_id: str, orders: list[OrderSummary]
) -> tuple[list[str], dict[str, Any] | None]:
    """The orders with a line the message names, or the update saying the store failed."""
    store, ids = runtime.context.services.store, [o.id for o in orders]
    try:
        found = await asyncio.to_thread(orders_holding, store, customer_id, ids, state["message"])
        earlier = said_before(state)
        if not found and earlier and _POINTS_BACK.search(state["message"]):
            # "can I get a refund for them?" after "my headphones stopped working"
            found = await asyncio.to_thread(orders_holding, store, customer_id, ids, earlier)
    except BackendUnavailable as exc:
        return [], tool_failure(state, runtime, "get_order", exc)
    return found, None


_POINTS_BACK = re.compile(r"\b(it|them|they|those|these|that one|this one)\b", re.I)
"""A message that names a thing said before instead of naming it again."""


def said_before(state: TurnState, lines: int = 3) -> str:
    """The customer's few lines before this message, for what its "it" or "them" names."""
    said = [
        line.get("content", "")
        for line in state.get("transcript") or []
        if line.get("role") == "customer"
    ]
    if said and said[-1] == state["message"]:
        said = said[:-1]
    return " ".join(said[-lines:])


def answers_which_order(pending: Pending, message: str, policy: SupportPolicy | None) -> bool:
    """Whether a message answers "which order?" without an order number: it says which
    ("the pending one", "the one with the headphones"), or, asked while cancelling, gives
    the reason first ("it was ordered by mistake"), which the cancel branch keeps."""
    if answers_which(message):
        return True
    cancelling = pending.get("intent") == "cancel_order"
    return cancelling and policy is not None and policy.cancel_reason_in(message) is not None


def listed_orders(state: TurnState) -> list[str]:
    """The orders the bot's open (or held) "which order?" question offered, as shown."""
    for asked in (state.get("pending"), state.get("held")):
        if asked and asked.get("slot") == "order_id" and asked.get("choices"):
            return list(asked["choices"])
    return []


def ask_order(
    state: TurnState,
    runtime: Rt,
    orders: list[OrderSummary],
    slot_extra: dict[str, Any] | None = None,
    *,
    lead: str = "",
) -> dict[str, Any]:
    """The partial update asking which order, the likeliest few offered as quick replies."""
    if first := STATUS_FIRST.get(state["intent"]):
        orders = sorted(orders, key=lambda o: o.status != first)  # stable
    shown = orders[:ORDERS_SHOWN]
    recent = ""
    if shown:
        listed = ", ".join(f"{o.id} ({o.status})" for o in shown)
        recent = say("recent_orders", orders=listed)
    choices = [o.id for o in shown]
    emit(runtime, "suggestions", choices)
    question = say("ask_order_id", recent=recent)
    return {
        "reply": f"{lead} {question}".strip(),
        "pending": {
            "kind": "slot",
            "intent": state["intent"],
            "slot": "order_id",
            "request": state["message"],
            "choices": choices,
            **(slot_extra or {}),
        },  # fmt: skip
        "suggestions": choices,
        "actions": record(
            runtime, state, action("list_orders", "ok", f"{len(orders)} orders on file")
        ),
    }


def picked_lead_in(state: TurnState, order: OrderView) -> str:
    """ "Your most recent order is W… (placed Dec 5, 2026)." when the message described the
    order by status or recency instead of giving its number; "" otherwise."""
    pick = order_pick(state["message"])
    if entity(state, "order_id") or pick is None or not (pick.status or pick.recency):
        return ""
    placed = short_date(order.created_at)
    return say("order_picked", what=pick.describe(), order_id=order.id, placed=placed)


async def order_or_ask(
    state: TurnState, runtime: Rt, customer_id: str, slot_extra: dict[str, Any] | None = None
) -> tuple[OrderView | None, dict[str, Any] | None]:
    """The caller's order this turn is about (`order_id_or_ask`, then `own_order`), or the
    partial update that asks for it or says it is missing or unreadable."""
    order_id, ask = await order_id_or_ask(state, runtime, slot_extra)
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
