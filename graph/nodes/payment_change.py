"""Payment-change branch: pay a pending order with another of the customer's saved
methods (a gift card needs the whole total); made only on a yes."""

from __future__ import annotations

import asyncio
import re
from typing import Any

from graph.context import TurnContext
from graph.nodes.common import Rt, action, record, say
from graph.nodes.slots import order_or_ask, tool_failure
from graph.nodes.writes import Write, answered_offer, offered
from graph.state import Pending, TurnState
from tools import orders as order_tools
from tools.change_views import PaymentChangeView
from tools.errors import BackendUnavailable
from tools.schemas import PaymentMethodView

_KINDS = (
    ("gift_card", re.compile(r"\bgift ?card\b", re.I)),
    ("paypal", re.compile(r"\bpay ?pal\b", re.I)),
    ("card", re.compile(r"\b(card|visa|mastercard|amex|american express|discover|credit)\b", re.I)),
)


_NOT_THIS = re.compile(
    r"\b(instead of|rather than|not|from|away from)\s+(my\s+|the\s+)?"
    r"(gift ?card|pay ?pal|visa|mastercard|amex|american express|discover|credit card|card)"
    r"(\s+ending\s+\d{4})?",
    re.I,
)


def named_methods(message: str, methods: list[PaymentMethodView]) -> list[PaymentMethodView]:
    """The saved methods a message names as the new one ("with my Mastercard instead of
    PayPal" names the Mastercard): by last four digits, brand, or kind."""
    message = _NOT_THIS.sub(" ", message)
    digits = set(re.findall(r"\b(\d{4})\b", message))
    if by_digits := [m for m in methods if m.last4 and m.last4 in digits]:
        return by_digits
    said = message.lower()
    # The method named first is the one wanted ("my mastercard … paypal is being weird").
    first: dict[str, int] = {}
    for m in methods:
        at = [said.find(m.brand.lower())] if m.brand else []
        at += [
            found.start() for kind, p in _KINDS if kind == m.method and (found := p.search(said))
        ]
        if hits := [a for a in at if a >= 0]:
            first[m.id] = min(hits)
    if not first:
        return []
    earliest = min(first.values())
    return [m for m in methods if first.get(m.id) == earliest]


def idempotency_key(session_id: str, order_id: str, method_id: str) -> str:
    return f"payment:{session_id}:{order_id}:{method_id}"


def _keys(ctx: TurnContext, offer: Pending) -> tuple[str, ...]:
    return (idempotency_key(ctx.session_id, offer["order_id"], offer["method_id"] or ""),)


def _run(ctx: TurnContext, customer_id: str, offer: Pending) -> PaymentChangeView:
    return order_tools.change_payment_method(
        ctx.services.store,
        customer_id,
        offer["order_id"],
        ctx.services.policy,
        offer["method_id"] or "",
        _keys(ctx, offer)[0],
        f"customer:{customer_id}",
    )


CHANGE_PAYMENT = Write(
    tool="change_payment_method",
    declined="payment_change_declined",
    run=_run,
    refused=lambda offer, why: say("payment_change_not_allowed", why=why),
    done=lambda offer, view: (
        say("payment_change_done", order_id=view.order_id, method=view.after),
        view.order_id,
    ),
    keys=_keys,
)
"""The move to another payment method, made only on the customer's yes."""


async def change_payment(state: TurnState, runtime: Rt) -> dict[str, Any]:
    """Move one of the caller's pending orders to another of their saved payment methods."""
    customer_id, done = await answered_offer(state, runtime, CHANGE_PAYMENT, "payment_change")
    if done is not None:
        return done
    assert customer_id is not None
    pending = state.get("pending") or {}
    order, ask = await order_or_ask(state, runtime, customer_id)
    if ask is not None:
        return ask
    assert order is not None
    store = runtime.context.services.store
    try:
        methods = await asyncio.to_thread(store.list_payment_methods, customer_id)
    except BackendUnavailable as exc:
        return tool_failure(state, runtime, "payment_methods", exc)
    text = f"{pending.get('request', '')} {state['message']}"
    named = named_methods(text, methods)
    if len(named) != 1:
        listed = "; ".join(m.label for m in methods) or "none"
        said = next((k for k, p in _KINDS if p.search(state["message"])), None)
        template = "payment_method_missing" if said and not named else "ask_which_method"
        return {
            "reply": say(template, order_id=order.id, methods=listed),
            "pending": {
                "kind": "slot",
                "intent": state["intent"],
                "slot": "payment_method",
                "order_id": order.id,
                "request": text.strip(),
            },  # fmt: skip
            "actions": record(runtime, state, action("payment_methods", "ask", order.id)),
        }
    method = named[0]
    eligible, message = order_tools.quote_payment_change(
        order, runtime.context.services.policy, method
    )
    checked = action("check_payment_change", "ok" if eligible else "refused", method.id)
    if not eligible:
        return {
            "reply": say("payment_change_not_allowed", why=message),
            "pending": None,
            "actions": record(runtime, state, checked),
        }
    return {
        "reply": say("payment_change_offer", message=message),
        "pending": offered(
            CHANGE_PAYMENT,
            runtime,
            {
                "kind": "confirm",
                "intent": state["intent"],
                "action": "payment_change",
                "order_id": order.id,
                "method_id": method.id,
            },
        ),
        "actions": record(runtime, state, checked),
    }
