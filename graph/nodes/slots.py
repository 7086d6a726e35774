"""Gatekeeping shared by the account branches: identity first, then the order number."""

from __future__ import annotations

import asyncio

from graph.nodes.common import Rt, action, entity, record, say
from graph.state import TurnState
from tools import orders as order_tools
from tools.errors import BackendUnavailable

REFUND_INTENTS = frozenset({"get_refund", "track_refund"})


def sign_in_required(state: TurnState, runtime: Rt) -> dict:
    """Reply for an anonymous customer asking about account data."""
    return {
        "reply": say("sign_in_required"),
        "actions": record(runtime, state, action("identity", "required", "sign in to continue")),
    }


def tool_failure(state: TurnState, runtime: Rt, tool: str, exc: Exception) -> dict:
    """Partial update that hands a failed backend call to a human."""
    return {
        "escalation_reason": "tool_failure",
        "actions": record(runtime, state, action(tool, "error", str(exc) or "backend unavailable")),
    }


async def order_id_or_ask(state: TurnState, runtime: Rt) -> tuple[str | None, dict | None]:
    """The order this turn is about, or the partial update that asks the customer for it.

    Uses the order number in the message; with none, a customer with exactly one order
    means that one; otherwise the bot asks and remembers what it was doing.
    """
    ctx = runtime.context
    assert ctx.customer_id is not None

    order_id = entity(state, "order_id")
    if order_id:
        return order_id, None
    try:
        orders = await asyncio.to_thread(
            order_tools.list_orders, ctx.services.store, ctx.customer_id
        )
    except BackendUnavailable as exc:
        return None, tool_failure(state, runtime, "list_orders", exc)
    if len(orders) == 1:
        return orders[0].id, None
    recent = ""
    if orders:
        # Refund questions are about delivered orders: list those first.
        if state["intent"] in REFUND_INTENTS:
            orders = sorted(orders, key=lambda o: o.status != "delivered")
        listed = ", ".join(f"{o.id} ({o.status})" for o in orders[:3])
        recent = say("recent_orders", orders=listed)
    update = {
        "reply": say("ask_order_id", recent=recent),
        "pending": {"kind": "slot", "intent": state["intent"], "slot": "order_id"},
        "actions": record(
            runtime, state, action("list_orders", "ok", f"{len(orders)} orders on file")
        ),
    }
    return None, update
