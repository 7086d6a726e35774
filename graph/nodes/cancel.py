"""Cancel branch: which order, why, what it costs; the cancellation happens only on a yes."""

from __future__ import annotations

from typing import Any

from graph.context import TurnContext
from graph.nodes.classify import confirmation
from graph.nodes.common import Rt, action, customer_of, record, say
from graph.nodes.slots import order_or_ask, sign_in_required
from graph.nodes.writes import Write, confirm_write, declined, offered
from graph.state import Pending, TurnState
from tools import orders as order_tools
from tools.schemas import CancellationView, OrderView, money


def idempotency_key(session_id: str, order_id: str) -> str:
    """One cancellation per order per conversation, however often the customer says yes."""
    return f"cancel:{session_id}:{order_id}"


def _reasons(runtime: Rt) -> str:
    listed = ", ".join(f"'{r}'" for r in runtime.context.services.policy.cancel_reasons)
    return listed or "any reason"


def _stated_reason(state: TurnState, runtime: Rt) -> str | None:
    """The accepted reason in the message (any words when the policy lists none)."""
    policy = runtime.context.services.policy
    message = state["message"]
    if not policy.cancel_reasons:
        pending = state.get("pending") or {}
        return message if pending.get("slot") == "cancel_reason" else None
    return policy.cancel_reason_in(message)


def _keys(ctx: TurnContext, offer: Pending) -> tuple[str, ...]:
    return (idempotency_key(ctx.session_id, offer["order_id"]),)


def _cancel_order(ctx: TurnContext, customer_id: str, offer: Pending) -> CancellationView:
    order_id = offer["order_id"]
    return order_tools.cancel_order(
        ctx.services.store,
        customer_id,
        order_id,
        ctx.services.policy,
        offer["reason"],
        _keys(ctx, offer)[0],
        f"customer:{customer_id}",
        expected_fee_cents=offer.get("fee_cents", 0),
    )


def _cancelled(offer: Pending, done: CancellationView) -> tuple[str, str]:
    refund = done.refund
    refund_note = (
        say("cancel_refund_note", amount=money(refund.amount_cents),
            payment=refund.destination or offer.get("payment_label", ""), refund_id=refund.id)
        if refund
        else ""
    )  # fmt: skip
    reply = say("cancel_done", order_id=done.order_id, refund_note=refund_note)
    return reply, f"{done.order_id}: {done.cancel_reason}"


CANCEL = Write(
    tool="cancel_order",
    declined="cancel_declined",
    run=_cancel_order,
    refused=lambda offer, why: say("cancel_not_allowed", order_id=offer["order_id"], why=why),
    done=_cancelled,
    keys=_keys,
)
"""The cancellation, made only on the customer's yes to the offer."""


def _offer(state: TurnState, runtime: Rt, order: OrderView, reason: str) -> dict[str, Any]:
    """State exactly what the cancellation does and ask for a yes."""
    quote = order_tools.quote_cancel(order, runtime.context.services.policy, reason)
    checked = action("check_cancel", "ok" if quote.eligible else "refused", quote.reason)
    if not quote.eligible:
        return {
            "reply": say("cancel_not_allowed", order_id=order.id, why=quote.message),
            "pending": None,
            "actions": record(runtime, state, checked),
        }
    fee = say("cancel_fee_note", fee=money(quote.fee_cents)) if quote.fee_cents else ""
    items = sum(i.quantity for i in order.items)
    return {
        "reply": say(
            "cancel_offer",
            order_id=order.id,
            item_count=items,
            reason=quote.cancel_reason,
            amount=money(quote.refund_cents),
            payment=quote.payment_label,
            fee_note=fee,
        ),
        "pending": offered(
            CANCEL,
            runtime,
            {
                "kind": "confirm",
                "intent": "cancel_order",
                "action": "cancel",
                "order_id": order.id,
                "reason": quote.cancel_reason or reason,
                "fee_cents": quote.fee_cents,
                "amount_cents": quote.refund_cents,
                "payment_label": quote.payment_label,
            },
        ),
        "actions": record(runtime, state, checked),
    }


async def cancel(state: TurnState, runtime: Rt) -> dict[str, Any]:
    """Cancel one of the caller's orders: order number, reason, offer, then yes / no."""
    customer_id = customer_of(state, runtime)
    if customer_id is None:
        return sign_in_required(state, runtime)
    pending = state.get("pending") or {}
    if pending.get("kind") == "confirm" and pending.get("action") == "cancel":
        return await confirm_write(state, runtime, customer_id, CANCEL)
    said_reason = _stated_reason(state, runtime)
    if (
        pending.get("slot") == "cancel_reason"
        and not said_reason
        and confirmation(state["message"]) is False
    ):
        order_id = pending.get("order_id", "")
        return declined(state, runtime, "cancel_order", order_id, "cancel_declined")
    # "it was ordered by mistake" before saying which order: kept while the bot asks
    reason = said_reason or (pending.get("reason") if pending.get("slot") == "order_id" else None)
    extra = {"reason": reason} if reason else None
    order, ask = await order_or_ask(state, runtime, customer_id, extra)
    if ask is not None:
        if said_reason and ask.get("reply"):
            ask["reply"] = f"{say('cancel_reason_noted', reason=said_reason)} {ask['reply']}"
        return ask
    assert order is not None
    policy = runtime.context.services.policy
    if order.status not in policy.cancel_statuses:
        return _offer(state, runtime, order, reason="-")  # refused for its status
    held = state.get("held") or {}
    if reason is None and state.get("repair") == "correction" and held.get("reason"):
        reason = held["reason"]  # "no, the other order": the reason given still holds
    if reason is None:
        asked_for = pending.get("slot") == "cancel_reason"
        again = asked_for and pending.get("order_id") == order.id
        return {
            "reply": say(
                "cancel_reason_again" if again else "cancel_ask_reason",
                order_id=order.id,
                reasons=_reasons(runtime),
            ),
            "pending": {
                "kind": "slot",
                "intent": "cancel_order",
                "slot": "cancel_reason",
                "order_id": order.id,
            },
            "actions": record(runtime, state, action("check_cancel", "needs_reason", order.status)),
        }
    return _offer(state, runtime, order, reason)
