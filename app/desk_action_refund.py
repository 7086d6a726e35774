"""Refunds (and returns: refunds of delivered items) from the desk, as the agent."""

from __future__ import annotations

from collections import Counter
from datetime import datetime

from app.desk_action_case import Case, audit_of, digest, own_order
from app.desk_action_errors import ActionRefused, ApprovalPending, IdempotencyConflict
from app.desk_action_schemas import ActionResult, ItemPick, RefundAction, ReturnAction
from graph.nodes.common import say
from tools import refunds as refund_tools
from tools.coverage import describe
from tools.errors import NotAllowed
from tools.items import describe_lines
from tools.policy import SupportPolicy
from tools.schemas import OrderView, RefundView, money
from tools.store.protocol import StoreBackend


def _picked(order: OrderView, picks: list[ItemPick]) -> tuple[str, ...]:
    """The SKUs the agent chose (empty: the whole order), each a line of this order and,
    given a quantity, exactly the units of it still open (refunds cover whole lines)."""
    open_units: Counter[str] = Counter()
    for line in refund_tools.open_lines(order):
        open_units[line.sku] += line.quantity
    skus = {i.sku for i in order.items}
    for pick in picks:
        if pick.sku not in skus:
            raise ActionRefused(
                f"Order {order.id} has no item {pick.sku}; it has: {describe_lines(order.items)}."
            )
        left = open_units[pick.sku]
        if not left and len(picks) > 1:  # alone, the policy says what became of it
            raise ActionRefused(
                f"{pick.sku} on order {order.id} was already refunded or is being exchanged; "
                "leave it out."
            )
        if pick.quantity is not None and left and pick.quantity != left:
            name = next(i.name for i in order.items if i.sku == pick.sku)
            raise ActionRefused(
                f"Order {order.id} has {left} × {name} ({pick.sku}) still to refund; a refund "
                f"covers a whole line, so refund all {left} (leave out the quantity) or none."
            )
    return tuple(p.sku for p in picks)


def _waiting_approval(store: StoreBackend, order: OrderView, skus: tuple[str, ...]) -> None:
    """A refund of these lines already waiting for a human is decided, not made twice."""
    wanted = set(skus or (i.sku for i in order.items))
    for approval in store.list_approvals("pending"):
        if approval.order_id != order.id:
            continue
        if approval.skus is None or wanted & set(approval.skus):
            raise ApprovalPending(
                f"A refund of {money(approval.amount_cents)} on order {order.id} is waiting "
                f"for approval {approval.id}; approve or decline it "
                f"(POST /v1/agent/approvals/{approval.id}/decide) instead of refunding again."
            )


def _covered(order: OrderView, units: list[str] | None) -> str:
    counts = Counter(units or ())
    lines = []
    for item in order.items:
        take = min(counts[item.sku], item.quantity)
        counts[item.sku] -= take
        if take:
            lines.append(item.model_copy(update={"quantity": take}))
    return describe(lines)


def _refunded(
    store: StoreBackend,
    policy: SupportPolicy,
    case: Case,
    request: RefundAction | ReturnAction,
    order: OrderView,
    refund: RefundView,
    *,
    repeated: bool,
) -> ActionResult:
    summary = say(
        "refund_done",
        refund_id=refund.id,
        amount=money(refund.amount_cents),
        payment=refund.destination or refund_tools.ORIGINAL,
        order_id=order.id,
    )
    if request.items:
        summary += f" It covers {_covered(order, refund.skus)}."
    audit_id, actor = audit_of(store, refund.id, "refund.create")
    return ActionResult(
        action=request.action,
        escalation_id=case.escalation_id,
        order_id=order.id,
        status="refunded",
        summary=summary,
        repeated=repeated,
        actor=actor or case.actor,
        audit_id=audit_id,
        refund_id=refund.id,
        amount_cents=refund.amount_cents,
        amount=money(refund.amount_cents),
        destination=refund.destination,
        skus=refund.skus,
        over_limit=policy.needs_approval(refund.amount_cents),
    )


def refund(
    store: StoreBackend,
    policy: SupportPolicy,
    case: Case,
    request: RefundAction | ReturnAction,
    now: datetime,
) -> ActionResult:
    """Refund the whole order or the chosen lines, as the agent, under the refund policy.

    Above the policy's auto-approve limit the refund still goes through: the limit holds
    the bot back until a human looks, and the agent is that human; the refund's reason
    and the result say so. A refund of the same lines already waiting for approval must be
    decided instead (409)."""
    order = own_order(store, case, request.order_id)
    skus = _picked(order, request.items)
    key = case.key("refund", request.idempotency_key, order.id, digest(",".join(sorted(skus))))
    prior = store.find_refund(key)
    if prior is not None:
        if prior.order_id != order.id or (skus and not set(skus) <= set(prior.skus or ())):
            raise IdempotencyConflict(
                f"idempotency_key {request.idempotency_key!r} was already used for another "
                "refund; use a new key for a new request."
            )
        return _refunded(store, policy, case, request, order, prior, repeated=True)
    _waiting_approval(store, order, skus)
    check = refund_tools.quote_refund(order, policy, now, message=request.reason, skus=skus)
    if not check.eligible:
        raise ActionRefused(check.message)
    covered = {i.sku for i in check.lines}
    if left_out := [i for i in order.items if i.sku in skus and i.sku not in covered]:
        names = ", ".join(dict.fromkeys(i.name for i in left_out))
        raise ActionRefused(f"{names} on order {order.id} can't be refunded (non-refundable).")
    reason = f"Refunded by agent {case.agent} (escalation {case.escalation_id})"
    if check.needs_approval:
        limit = money(policy.auto_approve_limit_cents or 0)
        reason += f" [above the {limit} auto-approve limit; approved by {case.agent}]"
    reason += f": {request.reason}"
    try:
        done = store.create_refund(
            customer_id=case.customer_id, order_id=order.id, amount_cents=check.amount_cents,
            reason=reason, idempotency_key=key, actor=case.actor, status="approved",
            destination=check.payment_label, skus=check.units,
            check=refund_tools.recheck(policy, now, check.amount_cents, message=request.reason,
                                       skus=skus, units=check.units),
        )  # fmt: skip
    except NotAllowed as exc:
        raise ActionRefused(str(exc)) from exc
    if done.order_id != order.id:
        raise IdempotencyConflict("this request's key was already used for another refund")
    return _refunded(store, policy, case, request, order, done, repeated=False)
