"""Refund branch: check the policy, state exactly what will happen, act only on a yes.

Refunds above the policy's auto-approve limit are not made on the customer's yes: the yes
asks a human to approve (an approval row and an `approval_needed` escalation), and the
graph then pauses in `await_approval` until the decision comes.
"""

from __future__ import annotations

import asyncio
import re
from typing import Any

from graph.context import TurnContext
from graph.nodes.common import Rt, action, customer_of, emit, record, say
from graph.nodes.items import lines_or_ask
from graph.nodes.slots import (
    order_id_or_ask,
    order_not_found,
    own_order,
    sign_in_required,
    tool_failure,
)
from graph.nodes.writes import Write, confirm_write, offered
from graph.state import Pending, TurnState
from tools import approvals as approval_tools
from tools import refunds as refund_tools
from tools.errors import ApprovalRequired, BackendUnavailable, NotFound
from tools.items import describe_lines
from tools.schemas import RefundEligibility, RefundView, money

_GIFT_CARD = re.compile(r"\bgift[ -]?card\b", re.I)


def _lines(skus: list[str] | tuple[str, ...] | None) -> str:
    return "" if not skus else ":" + ",".join(sorted(set(skus)))


def idempotency_key(session_id: str, order_id: str, skus: list[str] | None = None) -> str:
    """One refund per order and set of lines per conversation, however often the customer
    says yes (a later return of other lines of the same order is a new refund)."""
    return f"refund:{session_id}:{order_id}{_lines(skus)}"


def approval_key(session_id: str, order_id: str, skus: list[str] | None = None) -> str:
    """One approval request per order and set of lines per conversation."""
    return f"approval:{session_id}:{order_id}{_lines(skus)}"


async def _destination(state: TurnState, runtime: Rt, customer_id: str) -> str | None:
    """The customer's gift card when they ask for the refund on one, else None (original)."""
    if not _GIFT_CARD.search(state["message"]):
        return None
    methods = await asyncio.to_thread(
        runtime.context.services.store.list_payment_methods, customer_id
    )
    return next((m.id for m in methods if m.method == "gift_card"), None)


async def _ask_approval(
    state: TurnState, runtime: Rt, customer_id: str, check: RefundEligibility
) -> dict[str, Any]:
    """The customer said yes to a refund above the limit: ask a human and pause."""
    ctx = runtime.context
    approval = await asyncio.to_thread(
        approval_tools.request_refund_approval,
        ctx.services.store,
        session_id=ctx.session_id,
        customer_id=customer_id,
        eligibility=check,
        idempotency_key=approval_key(
            ctx.session_id, check.order_id, (state.get("pending") or {}).get("skus")
        ),
        escalation={
            "intent": state.get("intent"),
            "confidence": state.get("confidence"),
            "entities": state.get("entities") or [],
            "transcript": list(state.get("transcript") or []),
        },
    )
    detail = f"{approval.id} {money(check.amount_cents)}"
    asked = action("request_approval", approval.status, detail)
    if approval.status != "pending":  # asked before in this conversation, already decided
        return {
            "reply": say(
                f"approval_already_{approval.status}",
                order_id=check.order_id,
                note=approval.note or "no reason given",
            ),  # fmt: skip
            "pending": None,
            "actions": record(runtime, state, asked),
        }
    escalation = {"id": approval.escalation_id, "reason": "approval_needed"}
    emit(runtime, "escalation", escalation)
    return {
        "reply": say(
            "refund_needs_approval",
            amount=money(check.amount_cents),
            payment=check.payment_label,
            order_id=check.order_id,
            ticket=approval.escalation_id,
        ),
        "pending": None,
        "escalation": escalation,
        "approval": {
            "id": approval.id,
            "order_id": approval.order_id,
            "amount_cents": approval.amount_cents,
            "destination": approval.destination,
            "escalation_id": approval.escalation_id,
        },
        "actions": record(runtime, state, asked),
    }


async def _approval_instead(
    state: TurnState, runtime: Rt, customer_id: str, exc: ApprovalRequired
) -> dict[str, Any]:
    """The refund is above the limit: the yes asks a human to approve it instead."""
    try:
        return await _ask_approval(state, runtime, customer_id, exc.eligibility)  # type: ignore[arg-type]
    except BackendUnavailable as failed:
        return tool_failure(state, runtime, "request_approval", failed)


def _keys(ctx: TurnContext, offer: Pending) -> tuple[str, ...]:
    """A yes to the offer writes the refund, or above the limit the approval request."""
    order_id, skus = offer["order_id"], offer.get("skus")
    return idempotency_key(ctx.session_id, order_id, skus), approval_key(
        ctx.session_id, order_id, skus
    )


def _request_refund(ctx: TurnContext, customer_id: str, offer: Pending) -> RefundView:
    order_id = offer["order_id"]
    return refund_tools.request_refund(
        ctx.services.store,
        customer_id,
        order_id,
        ctx.services.policy,
        _keys(ctx, offer)[0],
        f"customer:{customer_id}",
        skus=tuple(offer.get("skus") or ()),
        method_id=offer.get("method_id"),
        expected_amount_cents=offer["amount_cents"],
    )


def _refunded(offer: Pending, refund: RefundView) -> tuple[str, str]:
    reply = say(
        "refund_done",
        refund_id=refund.id,
        amount=money(refund.amount_cents),
        payment=refund.destination or offer.get("payment_label", refund_tools.ORIGINAL),
        order_id=offer["order_id"],
    )
    return reply, f"{refund.id} {money(refund.amount_cents)}"


REFUND = Write(
    tool="request_refund",
    declined="refund_declined",
    run=_request_refund,
    refused=lambda offer, why: say("refund_not_eligible", order_id=offer["order_id"], why=why),
    done=_refunded,
    keys=_keys,
    approval=_approval_instead,
)
"""Second step: the refund (or, above the limit, the approval request) on the customer's yes."""


async def _offer(state: TurnState, runtime: Rt, customer_id: str, order_id: str) -> dict[str, Any]:
    """First step: which lines, the policy's verdict, and exactly what the refund would be."""
    ctx = runtime.context
    policy = ctx.services.policy
    order, failed = await own_order(state, runtime, customer_id, order_id)
    if failed is not None:
        return failed
    assert order is not None
    skus, ask = await lines_or_ask(state, runtime, order, "get_refund")
    if ask is not None:
        return ask
    try:
        method_id = await _destination(state, runtime, customer_id)
        check = await asyncio.to_thread(
            refund_tools.check_refund_eligibility,
            ctx.services.store,
            customer_id,
            order_id,
            policy,
            now=ctx.now,
            message=state["message"],
            skus=skus,
            method_id=method_id,
        )
    except NotFound:
        return order_not_found(state, runtime, "check_refund_eligibility", order_id)
    except BackendUnavailable as exc:
        return tool_failure(state, runtime, "check_refund_eligibility", exc)
    checked = action(
        "check_refund_eligibility", "ok" if check.eligible else "refused", check.reason
    )
    if not check.eligible:
        return {
            "reply": say("refund_not_eligible", order_id=check.order_id, why=check.message),
            "pending": None,
            "actions": record(runtime, state, checked),
        }
    template = "refund_offer_approval" if check.needs_approval else "refund_offer"
    limit = policy.auto_approve_limit_cents or 0
    return {
        "reply": say(
            template,
            amount=money(check.amount_cents),
            payment=check.payment_label,
            item_count=check.item_count,
            order_id=check.order_id,
            limit=money(limit),
            items=describe_lines(check.lines),
        ),
        "pending": offered(
            REFUND,
            runtime,
            {
                "kind": "confirm",
                "intent": "get_refund",
                "action": "refund",
                "order_id": check.order_id,
                "amount_cents": check.amount_cents,
                "payment_label": check.payment_label,
                "method_id": check.method_id,
                "skus": list(skus),
                "needs_approval": check.needs_approval,
            },
        ),
        "actions": record(runtime, state, checked),
    }


async def _status(state: TurnState, runtime: Rt, customer_id: str, order_id: str) -> dict[str, Any]:
    """Where the customer's refunds on an order stand."""
    order, failed = await own_order(state, runtime, customer_id, order_id)
    if failed is not None:
        return failed
    assert order is not None
    done = action("get_order", "ok", f"{order.id}: {len(order.refunds)} refunds")
    if not order.refunds:
        reply = say("refund_status_none", order_id=order.id)
    else:
        listed = ", ".join(f"{r.id} {money(r.amount_cents)} ({r.status})" for r in order.refunds)
        reply = say("refund_status", order_id=order.id, refunds=listed)
    return {"reply": reply, "pending": None, "actions": record(runtime, state, done)}


async def refund(state: TurnState, runtime: Rt) -> dict[str, Any]:
    """Refund requests and refund status for the caller's own orders."""
    customer_id = customer_of(state, runtime)
    if customer_id is None:
        return sign_in_required(state, runtime)
    pending = state.get("pending")
    if pending and pending.get("kind") == "confirm" and pending.get("action") == "refund":
        return await confirm_write(state, runtime, customer_id, REFUND)
    order_id, ask = await order_id_or_ask(state, runtime)
    if ask is not None:
        return ask
    assert order_id is not None
    if state["intent"] == "track_refund":
        return await _status(state, runtime, customer_id, order_id)
    return await _offer(state, runtime, customer_id, order_id)
