"""Payments branch: the caller's saved payment methods (masked) and payment problems.

A reported duplicate charge is checked against the order's payments; a real duplicate is
offered as a dispute, opened only on a yes. General questions ('do you take PayPal?',
'my card was declined') get the help centre's answer.
"""

from __future__ import annotations

import asyncio
import re
from typing import Any

from graph.context import TurnContext
from graph.nodes.common import Rt, action, customer_of, entity, record, say
from graph.nodes.knowledge import answer_from_knowledge
from graph.nodes.slots import order_id_or_ask, order_not_found, sign_in_required, tool_failure
from graph.nodes.writes import Write, confirm_write, offered
from graph.state import Pending, TurnState
from tools import billing as billing_tools
from tools.errors import BackendUnavailable, NotFound
from tools.schemas import DisputeView, PaymentMethodView, money

_PERSONAL = re.compile(r"\b(my|mine|on file|saved|i have|have i|do i have)\b", re.I)
_DUPLICATE = re.compile(
    r"\b(twice|double|duplicate[sd]?|two charges|charged (me )?(two|2) times|charged again)\b",
    re.I,
)


def idempotency_key(session_id: str, order_id: str) -> str:
    """One dispute per order per conversation."""
    return f"dispute:{session_id}:{order_id}"


def _method_line(method: PaymentMethodView) -> str:
    if method.balance_cents is not None:
        return f"{method.label} (balance {money(method.balance_cents)})"
    return method.label


async def _methods(state: TurnState, runtime: Rt, customer_id: str) -> dict[str, Any]:
    """The payment methods on the caller's file, masked."""
    try:
        found = await asyncio.to_thread(
            billing_tools.payment_methods, runtime.context.services.store, customer_id
        )
    except BackendUnavailable as exc:
        return tool_failure(state, runtime, "payment_methods", exc)
    done = action("payment_methods", "ok", f"{len(found)} on file")
    if not found:
        return {"reply": say("payment_methods_none"), "actions": record(runtime, state, done)}
    listed = "; ".join(_method_line(m) for m in found)
    return {
        "reply": say("payment_methods", methods=listed),
        "pending": None,
        "actions": record(runtime, state, done),
    }


def _keys(ctx: TurnContext, offer: Pending) -> tuple[str, ...]:
    return (idempotency_key(ctx.session_id, offer["order_id"]),)


def _open_dispute(ctx: TurnContext, customer_id: str, offer: Pending) -> DisputeView:
    order_id = offer["order_id"]
    return billing_tools.open_dispute(
        ctx.services.store,
        customer_id,
        order_id,
        offer["payment_id"],
        _keys(ctx, offer)[0],
        f"customer:{customer_id}",
    )


def _opened(offer: Pending, dispute: DisputeView) -> tuple[str, str]:
    reply = say(
        "dispute_done",
        dispute_id=dispute.id,
        amount=money(dispute.amount_cents),
        order_id=dispute.order_id,
    )
    return reply, dispute.id


DISPUTE = Write(
    tool="open_dispute",
    declined="dispute_declined",
    run=_open_dispute,
    refused=lambda offer, why: why,
    done=_opened,
    keys=_keys,
)
"""The duplicate-charge dispute, opened only on the customer's yes to the offer."""


async def _duplicate_charge(state: TurnState, runtime: Rt, customer_id: str) -> dict[str, Any]:
    """Check the order's charges; offer a dispute for a real duplicate."""
    order_id, ask = await order_id_or_ask(state, runtime)
    if ask is not None:
        return ask
    assert order_id is not None
    try:
        order, extra = await asyncio.to_thread(
            billing_tools.find_duplicate_charge,
            runtime.context.services.store,
            customer_id,
            order_id,
        )
    except NotFound:
        return order_not_found(state, runtime, "find_duplicate_charge", order_id)
    except BackendUnavailable as exc:
        return tool_failure(state, runtime, "find_duplicate_charge", exc)
    charges = "; ".join(
        f"{money(p.amount_cents)} to {p.label} ({p.status})" for p in order.payments
    )
    if extra is None:
        return {
            "reply": say("duplicate_none", order_id=order.id, charges=charges or "none"),
            "pending": None,
            "actions": record(runtime, state, action("find_duplicate_charge", "none", order.id)),
        }
    return {
        "reply": say(
            "duplicate_offer",
            order_id=order.id,
            charges=charges,
            amount=money(extra.amount_cents),
            payment=extra.label,
        ),
        "pending": offered(
            DISPUTE,
            runtime,
            {
                "kind": "confirm",
                "intent": "payment_issue",
                "action": "dispute",
                "order_id": order.id,
                "payment_id": extra.id,
                "amount_cents": extra.amount_cents,
            },
        ),
        "actions": record(runtime, state, action("find_duplicate_charge", "found", extra.id)),
    }


async def payments(state: TurnState, runtime: Rt) -> dict[str, Any]:
    """Saved payment methods, or a payment problem on one of the caller's orders."""
    customer_id = customer_of(state, runtime)
    if customer_id is None:
        return sign_in_required(state, runtime)
    pending = state.get("pending") or {}
    if pending.get("kind") == "confirm" and pending.get("action") == "dispute":
        return await confirm_write(state, runtime, customer_id, DISPUTE)
    message = state["message"]
    if state["intent"] == "check_payment_methods":
        if _PERSONAL.search(message):
            return await _methods(state, runtime, customer_id)
        return await answer_from_knowledge(state, runtime)
    carried = pending.get("slot") == "order_id"
    if carried or _DUPLICATE.search(message) or entity(state, "order_id"):
        return await _duplicate_charge(state, runtime, customer_id)
    return await answer_from_knowledge(state, runtime)
