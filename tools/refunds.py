"""Refund tools: the written policy's verdict on an order, and the refund itself (exactly once).

The verdict (`quote_refund`) is a pure function of the order, the policy and the moment,
so the write re-runs it inside its own transaction on the locked order: what was offered
to the customer is exactly what is written, or nothing is.
"""

from __future__ import annotations

from collections.abc import Callable
from datetime import UTC, datetime, timedelta

from tools.coverage import (
    describe,
    exchanging_skus,
    lock_refusal,
    net_paid_cents,
    paid_with,
    unrefunded_lines,
)
from tools.errors import ApprovalRequired, NotAllowed, NotFound
from tools.orders import get_order
from tools.policy import SupportPolicy
from tools.schemas import (
    ItemView,
    OrderView,
    PaymentMethodView,
    RefundEligibility,
    RefundView,
    money,
)
from tools.store.backend import StoreBackend
from tools.store.views import ACTIVE_REFUND

ORIGINAL = "the original payment method"


def _day(moment: datetime) -> str:
    return f"{moment:%B} {moment.day}, {moment.year}"


def open_lines(order: OrderView) -> list[ItemView]:
    """The order's lines a refund may still cover: not refunded yet, not being exchanged."""
    exchanging = exchanging_skus(order)
    return [i for i in unrefunded_lines(order) if i.sku not in exchanging]


def refundable_lines(
    order: OrderView, policy: SupportPolicy, skus: tuple[str, ...] = ()
) -> list[ItemView]:
    """The order's lines a refund covers: the named SKUs (all when none is named; a named
    SKU covers every unit of it still open), less what was refunded already, the
    catalogue's non-refundable items and the policy's non-refundable categories."""
    wanted = [i for i in open_lines(order) if not skus or i.sku in skus]
    return [i for i in wanted if i.refundable and policy.refundable_category(i.category)]


def _names(lines: list[ItemView]) -> str:
    return ", ".join(dict.fromkeys(i.name for i in lines))


def _nothing_left(order: OrderView, skus: tuple[str, ...]) -> tuple[str, str] | None:
    """('already_refunded' | 'being_exchanged', message) when every line asked for (all
    of them when `skus` is empty) is already refunded or on its way back; else None."""
    named = [i for i in order.items if not skus or i.sku in skus]
    left = {i.sku for i in open_lines(order)}
    if not named or any(i.sku in left for i in named):
        return None
    unrefunded = {i.sku for i in unrefunded_lines(order)}
    back = [i for i in named if i.sku in unrefunded]  # not refunded, yet not open: exchanging
    if len(back) == len(named):
        it, verb = ("it", "is") if len(back) == 1 else ("they", "are")
        return "being_exchanged", (
            f"{_names(back)} on order {order.id} {verb} being exchanged for another option, "
            f"so {it} can't be refunded as well."
        )
    wanted = {i.sku for i in named}
    done = [
        f"refund {r.id} for {money(r.amount_cents)} ({r.status})"
        for r in order.refunds
        if r.status in ACTIVE_REFUND and (r.skus is None or wanted & set(r.skus))
    ]
    if len(named) == len(order.items):
        return "already_refunded", f"Order {order.id} already has {' and '.join(done)}."
    gone = [i for i in named if i.sku not in unrefunded]
    verb = "was" if len(gone) == 1 else "were"
    return "already_refunded", (
        f"{_names(gone)} on order {order.id} {verb} already refunded: {' and '.join(done)}."
    )


def _verdict(
    order: OrderView, policy: SupportPolicy, now: datetime, message: str, skus: tuple[str, ...]
) -> tuple[str, str]:
    """(reason code, customer message) of the first rule the order breaks, or ('ok', '')."""
    if order.status == "cancelled":
        return "cancelled", (
            f"Order {order.id} was cancelled, so its charge was already reversed; "
            "there is nothing left to refund."
        )
    if order.status not in policy.refund_statuses:
        instead = (
            " Before it ships you can ask to cancel it instead."
            if order.status in policy.cancel_statuses
            else ""
        )
        return "not_delivered", (
            f"Order {order.id} is still {order.status} and hasn't been delivered yet. "
            f"Refunds open once it arrives.{instead}"
        )
    if locked := lock_refusal(order, policy):
        return "order_locked", locked
    if gone := _nothing_left(order, skus):
        return gone
    if policy.window_days and order.delivered_at is not None:
        deadline = order.delivered_at + timedelta(days=policy.window_days)
        if now > deadline:
            return "window_expired", (
                f"Order {order.id} was delivered on {_day(order.delivered_at)}; refunds are "
                f"available for {policy.window_days} days after delivery, and that window "
                f"closed on {_day(deadline)}."
            )
    condition = policy.refused_condition_in(message) if message else None
    if condition:
        return "item_condition", (
            f"our policy doesn't accept returns of items {condition} ({policy.name}). "
            "If the item is faulty, our warranty may cover a repair or replacement."
        )
    return "ok", ""


def _destination(
    order: OrderView,
    policy: SupportPolicy,
    method: PaymentMethodView | None,
) -> tuple[str, str | None, str]:
    """(label, method_id, refusal message or '') for where the refund goes."""
    paid = order.current_payment
    original = paid.label if paid else ORIGINAL
    if method is None or paid_with(paid, method):
        return original, None, ""
    if method.method == "gift_card" and "gift_card" in policy.refund_destinations:
        return method.label, method.id, ""
    allowed = " or ".join(
        {"original": f"the original payment method ({original})", "gift_card": "a gift card"}[d]
        for d in policy.refund_destinations
    )
    return original, None, f"refunds can only go to {allowed}, not to {method.label}."


def quote_refund(
    order: OrderView,
    policy: SupportPolicy,
    now: datetime,
    *,
    message: str = "",
    skus: tuple[str, ...] = (),
    method: PaymentMethodView | None = None,
) -> RefundEligibility:
    """The policy's verdict on refunding `order` (a pure function: changes nothing).

    `message` is what the customer said (checked for refused item conditions), `skus`
    narrows the refund to those lines, `method` is a wallet entry the customer named as
    destination (None: the original payment method).
    """
    reason, text = _verdict(order, policy, now, message, skus)
    if reason == "ok" and skus and not any(i.sku in skus for i in order.items):
        reason, text = (
            "item_not_in_order",
            (
                f"order {order.id} doesn't contain that item; it has "
                f"{', '.join(i.name for i in order.items)}."
            ),
        )
    lines = refundable_lines(order, policy, skus)
    amount = min(sum(i.quantity * i.unit_price_cents for i in lines), net_paid_cents(order))
    label, method_id, refused = _destination(order, policy, method)
    if reason == "ok" and amount <= 0:
        reason, text = (
            "non_refundable_items",
            (
                f"Order {order.id} only contains items that can't be refunded "
                f"({', '.join(i.name for i in order.items)})."
            ),
        )
    if reason == "ok" and refused:
        reason, text = "destination", refused
    if reason == "ok":
        covers = "" if lines == order.items else f" for {describe(lines)}"
        text = f"Order {order.id} can be refunded{covers}: {money(amount)} back to {label}."
        chosen = {i.sku for i in lines}
        skipped = [i.name for i in open_lines(order) if i.sku not in chosen and not skus]
        if skipped:
            text += f" Not included (non-refundable): {', '.join(skipped)}."
    eligible = reason == "ok"
    return RefundEligibility(
        order_id=order.id,
        eligible=eligible,
        reason=reason,
        message=text,
        amount_cents=amount if eligible else 0,
        payment_label=label,
        item_count=sum(i.quantity for i in lines) if eligible else 0,
        method_id=method_id,
        needs_approval=eligible and policy.needs_approval(amount),
        lines=lines if eligible else [],
    )


def owned_method(store: StoreBackend, customer_id: str, method_id: str) -> PaymentMethodView:
    """One of the customer's own payment methods; another's reads like a missing one."""
    for method in store.list_payment_methods(customer_id):
        if method.id == method_id:
            return method
    raise NotFound("We couldn't find that payment method on your account.")


def check_refund_eligibility(
    store: StoreBackend,
    customer_id: str,
    order_id: str,
    policy: SupportPolicy,
    *,
    now: datetime | None = None,
    message: str = "",
    skus: tuple[str, ...] = (),
    method_id: str | None = None,
) -> RefundEligibility:
    """Check whether one of the signed-in customer's orders can be refunded, and for how much.

    Rules come from the written policy: order status, days since delivery, refused item
    conditions, non-refundable categories, where the money may go. Changes nothing.
    Raises NotFound when the customer has no such order (or no such payment method).
    """
    order = get_order(store, customer_id, order_id)
    method = owned_method(store, customer_id, method_id) if method_id else None
    return quote_refund(
        order, policy, now or datetime.now(UTC), message=message, skus=skus, method=method
    )


def recheck(
    policy: SupportPolicy,
    now: datetime,
    amount_cents: int,
    *,
    message: str = "",
    skus: tuple[str, ...] = (),
    method: PaymentMethodView | None = None,
    units: list[str] | None = None,
) -> Callable[[OrderView], None]:
    """The check a refund write runs on the locked order: still eligible, same amount,
    and (given `units`, one SKU per unit) the very lines the customer was told about."""

    def check(order: OrderView) -> None:
        again = quote_refund(order, policy, now, message=message, skus=skus, method=method)
        if not again.eligible:
            raise NotAllowed(again.message)
        if again.amount_cents != amount_cents:
            raise NotAllowed(
                f"The refundable amount of order {order.id} is now "
                f"{money(again.amount_cents)}, not {money(amount_cents)}; nothing was refunded."
            )
        if units is not None and sorted(again.units) != sorted(units):
            raise NotAllowed(
                f"The items left to refund on order {order.id} are now "
                f"{describe(again.lines)}; nothing was refunded."
            )

    return check


def request_refund(
    store: StoreBackend,
    customer_id: str,
    order_id: str,
    policy: SupportPolicy,
    idempotency_key: str,
    actor: str,
    *,
    now: datetime | None = None,
    message: str = "",
    skus: tuple[str, ...] = (),
    method_id: str | None = None,
    expected_amount_cents: int | None = None,
) -> RefundView:
    """Refund one of the signed-in customer's orders, after the customer confirmed it.

    Re-checks the policy inside the write's transaction and raises NotAllowed (with the
    reason for the customer) when the order is not eligible or the amount is no longer
    `expected_amount_cents`. Raises ApprovalRequired when the amount is above the policy's
    auto-approve limit: such refunds go through `tools.approvals`. The same
    `idempotency_key` always yields the same single refund, however often it is called.
    """
    moment = now or datetime.now(UTC)
    check = check_refund_eligibility(
        store, customer_id, order_id, policy, now=moment, message=message, skus=skus,
        method_id=method_id,
    )  # fmt: skip
    if not check.eligible:
        # Not eligible because this very request already went through? Same answer again.
        prior = store.find_refund(idempotency_key)
        if prior is not None and prior.order_id == check.order_id:
            return prior
        raise NotAllowed(check.message)
    if expected_amount_cents is not None and check.amount_cents != expected_amount_cents:
        raise NotAllowed(
            f"The refundable amount of order {check.order_id} is now "
            f"{money(check.amount_cents)}, not {money(expected_amount_cents)}; "
            "nothing was refunded."
        )
    if check.needs_approval:
        raise ApprovalRequired(check)
    method = owned_method(store, customer_id, method_id) if method_id else None
    refund = store.create_refund(
        customer_id=customer_id,
        order_id=check.order_id,
        amount_cents=check.amount_cents,
        reason="Customer request via support chat",
        idempotency_key=idempotency_key,
        actor=actor,
        status="approved",
        destination=check.payment_label,
        check=recheck(policy, moment, check.amount_cents, message=message, skus=skus,
                      method=method, units=check.units),
        skus=check.units,
    )  # fmt: skip
    if refund.order_id != check.order_id:
        raise NotAllowed("This refund request was already used for another order.")
    return refund
