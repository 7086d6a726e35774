"""Refund branch: check eligibility, state exactly what will happen, act only on a yes."""

from __future__ import annotations

import asyncio

from graph.nodes.classify import confirmation
from graph.nodes.common import Rt, action, record, say
from graph.nodes.slots import order_id_or_ask, sign_in_required, tool_failure
from graph.state import TurnState
from tools import orders as order_tools
from tools import refunds as refund_tools
from tools.errors import BackendUnavailable, NotAllowed, NotFound
from tools.schemas import money


def idempotency_key(session_id: str, order_id: str) -> str:
    """One refund per order per conversation, however often the customer says yes."""
    return f"refund:{session_id}:{order_id}"


async def _confirm(state: TurnState, runtime: Rt) -> dict:
    """Second step: the customer answered the refund offer."""
    ctx = runtime.context
    pending = state["pending"] or {}
    order_id = pending["order_id"]
    payment = pending.get("payment_label", "the original payment method")
    answer = confirmation(state["message"])
    if answer is None:
        return {
            "reply": say(
                "confirm_unclear", amount=money(pending["amount_cents"]), order_id=order_id
            ),
            "pending": pending,
        }
    if answer is False:
        return {
            "reply": say("refund_declined"),
            "pending": None,
            "actions": record(runtime, state, action("request_refund", "declined", order_id)),
        }
    try:
        refund = await asyncio.to_thread(
            refund_tools.request_refund,
            ctx.services.store,
            ctx.customer_id,
            order_id,
            ctx.services.refund_policy,
            idempotency_key(ctx.session_id, order_id),
            f"customer:{ctx.customer_id}",
        )
    except NotAllowed as exc:
        return {
            "reply": say("refund_not_eligible", order_id=order_id, why=str(exc)),
            "pending": None,
            "actions": record(runtime, state, action("request_refund", "refused", str(exc))),
        }
    except (NotFound, BackendUnavailable) as exc:
        update = tool_failure(state, runtime, "request_refund", exc)
        return {**update, "pending": None}
    return {
        "reply": say(
            "refund_done",
            refund_id=refund.id,
            amount=money(refund.amount_cents),
            payment=payment,
            order_id=order_id,
        ),
        "pending": None,
        "actions": record(
            runtime,
            state,
            action("request_refund", "ok", f"{refund.id} {money(refund.amount_cents)}"),
        ),
    }


async def _offer(state: TurnState, runtime: Rt, order_id: str) -> dict:
    """First step: check the policy and say exactly what the refund would be."""
    ctx = runtime.context
    try:
        check = await asyncio.to_thread(
            refund_tools.check_refund_eligibility,
            ctx.services.store,
            ctx.customer_id,
            order_id,
            ctx.services.refund_policy,
        )
    except NotFound:
        return {
            "reply": say("order_not_found", order_id=order_id),
            "pending": None,
            "actions": record(
                runtime, state, action("check_refund_eligibility", "not_found", order_id)
            ),
        }
    except BackendUnavailable as exc:
        return tool_failure(state, runtime, "check_refund_eligibility", exc)
    checked = action(
        "check_refund_eligibility", "ok" if check.eligible else "refused", check.reason
    )
    if not check.eligible:
        return {
            "reply": say("refund_not_eligible", order_id=order_id, why=check.message),
            "pending": None,
            "actions": record(runtime, state, checked),
        }
    order = await asyncio.to_thread(
        order_tools.get_order, ctx.services.store, ctx.customer_id, order_id
    )
    item_count = sum(i.quantity for i in order.items if i.refundable)
    return {
        "reply": say(
            "refund_offer",
            amount=money(check.amount_cents),
            payment=check.payment_label,
            item_count=item_count,
            order_id=order_id,
        ),
        "pending": {
            "kind": "confirm",
            "intent": "get_refund",
            "action": "refund",
            "order_id": order_id,
            "amount_cents": check.amount_cents,
            "payment_label": check.payment_label,
        },
        "actions": record(runtime, state, checked),
    }


async def _status(state: TurnState, runtime: Rt, order_id: str) -> dict:
    """Where the customer's refunds on an order stand."""
    ctx = runtime.context
    try:
        order = await asyncio.to_thread(
            order_tools.get_order, ctx.services.store, ctx.customer_id, order_id
        )
    except NotFound:
        return {"reply": say("order_not_found", order_id=order_id), "pending": None}
    except BackendUnavailable as exc:
        return tool_failure(state, runtime, "get_order", exc)
    done = action("get_order", "ok", f"{order.id}: {len(order.refunds)} refunds")
    if not order.refunds:
        reply = say("refund_status_none", order_id=order_id)
    else:
        listed = ", ".join(f"{r.id} {money(r.amount_cents)} ({r.status})" for r in order.refunds)
        reply = say("refund_status", order_id=order_id, refunds=listed)
    return {"reply": reply, "pending": None, "actions": record(runtime, state, done)}


async def refund(state: TurnState, runtime: Rt) -> dict:
    """Refund requests and refund status for the caller's own orders."""
    if runtime.context.customer_id is None:
        return sign_in_required(state, runtime)
    pending = state.get("pending")
    if pending and pending.get("kind") == "confirm":
        return await _confirm(state, runtime)
    order_id, ask = await order_id_or_ask(state, runtime)
    if ask is not None:
        return ask
    assert order_id is not None
    if state["intent"] == "track_refund":
        return await _status(state, runtime, order_id)
    return await _offer(state, runtime, order_id)
