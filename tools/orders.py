"""Order tools: the caller's orders, one order in full, cancelling it, changing its address
or the payment method it is paid with."""

from __future__ import annotations

from tools.change_views import PaymentChangeView
from tools.coverage import lock_refusal, net_paid_cents, paid_with
from tools.errors import NotAllowed, NotFound
from tools.policy import SupportPolicy
from tools.schemas import (
    AddressChangeView,
    CancellationView,
    CancelQuote,
    OrderSummary,
    OrderView,
    PaymentMethodView,
    money,
)
from tools.store.backend import StoreBackend


def normal_order_id(order_id: str) -> str:
    """'#w2611340 ' -> 'W2611340': how order numbers are stored and compared."""
    return order_id.strip().upper().lstrip("#").strip()


def order_not_found(order_id: str) -> NotFound:
    """The one error for a missing order AND for someone else's order (nothing leaks)."""
    return NotFound(f"We couldn't find order {order_id} on your account.")


def list_orders(store: StoreBackend, customer_id: str) -> list[OrderSummary]:
    """List the signed-in customer's orders, newest first (id, status, date, total).

    Use when the customer asks about "my orders" without giving an order number.
    """
    return store.list_orders(customer_id)


def get_order(store: StoreBackend, customer_id: str, order_id: str) -> OrderView:
    """Look up one of the signed-in customer's orders by its number, e.g. "W1234567".

    Returns status, items, tracking number and carrier, shipping address, payments,
    refunds and invoices. Raises NotFound when the customer has no such order.
    """
    wanted = normal_order_id(order_id)
    order = store.get_order(wanted) if wanted else None
    if order is None or order.customer_id != customer_id:
        raise order_not_found(wanted or order_id)
    return order


# -- cancel ------------------------------------------------------------------------------


def quote_cancel(order: OrderView, policy: SupportPolicy, reason: str | None) -> CancelQuote:
    """The policy's verdict on cancelling `order` for `reason` (an accepted reason's name,
    or the customer's words). Pure: changes nothing."""
    fee = policy.cancel_fee_cents(order.status)
    paid = net_paid_cents(order) if order.payments else 0  # less what went back already
    paid_by = order.current_payment
    label = paid_by.label if paid_by else "the original payment method"
    base = dict(
        order_id=order.id,
        status=order.status,
        fee_cents=fee,
        refund_cents=max(0, paid - fee),
        payment_label=label,
    )
    if order.status not in policy.cancel_statuses:
        allowed = " or ".join(policy.cancel_statuses) or "no"
        why = {
            "cancelled": f"Order {order.id} is already cancelled.",
            "shipped": f"Order {order.id} has already shipped, so it can't be cancelled; "
            "once it arrives you can return it instead.",
            "delivered": f"Order {order.id} was already delivered, so it can't be cancelled; "
            "you can ask for a return instead.",
        }.get(
            order.status,
            f"Order {order.id} is {order.status}; only {allowed} orders can be cancelled.",
        )
        return CancelQuote(eligible=False, reason="status", message=why, **base)
    if locked := lock_refusal(order, policy):
        return CancelQuote(eligible=False, reason="order_locked", message=locked, **base)
    accepted = policy.cancel_reason_in(reason) if reason else None
    if policy.cancel_reasons and reason and not accepted:
        listed = ", ".join(f"'{r}'" for r in policy.cancel_reasons)
        return CancelQuote(
            eligible=False,
            reason="reason_refused",
            message=f"we can cancel an order for one of these reasons: {listed}.",
            **base,
        )
    if not reason:
        return CancelQuote(
            eligible=False, reason="reason_required", message="Please tell me why.", **base
        )
    fee_note = f" less the {money(fee)} cancellation fee" if fee else ""
    return CancelQuote(
        eligible=True,
        reason="ok",
        message=f"Order {order.id} can be cancelled: {money(paid - fee)} back to {label}"
        f"{fee_note}.",
        cancel_reason=accepted or reason.strip(),
        **base,
    )


def check_cancel(
    store: StoreBackend, customer_id: str, order_id: str, policy: SupportPolicy, reason: str | None
) -> CancelQuote:
    """Whether one of the signed-in customer's orders can be cancelled, the fee and refund.

    Changes nothing. Raises NotFound when the customer has no such order.
    """
    return quote_cancel(get_order(store, customer_id, order_id), policy, reason)


def cancel_order(
    store: StoreBackend,
    customer_id: str,
    order_id: str,
    policy: SupportPolicy,
    reason: str,
    idempotency_key: str,
    actor: str,
    *,
    expected_fee_cents: int | None = None,
) -> CancellationView:
    """Cancel one of the signed-in customer's orders, after the customer confirmed it.

    `reason` must be one the policy accepts ('no longer needed', 'ordered by mistake'...).
    The policy is re-checked on the locked order; the fee must still be the one stated.
    What was paid, less the fee, is refunded to the original payment method. The same
    `idempotency_key` always yields the same single cancellation.
    """

    def verdict(order: OrderView) -> CancelQuote:
        quote = quote_cancel(order, policy, reason)
        if quote.eligible and expected_fee_cents not in (None, quote.fee_cents):
            raise NotAllowed(
                f"The cancellation fee of order {order.id} is now {money(quote.fee_cents)}; "
                "nothing was changed."
            )
        return quote

    return store.cancel_order(
        customer_id=customer_id,
        order_id=normal_order_id(order_id),
        idempotency_key=idempotency_key,
        actor=actor,
        quote=verdict,
    )


# -- shipping address ----------------------------------------------------------------------


def address_change_refusal(order: OrderView, policy: SupportPolicy) -> str | None:
    """Why the policy refuses to change `order`'s address, or None when it may change."""
    if order.status in policy.address_change_statuses:
        return lock_refusal(order, policy)
    allowed = " or ".join(policy.address_change_statuses) or "no"
    return (
        f"Order {order.id} is {order.status}; the shipping address can only be changed while "
        f"an order is {allowed}."
    )


def change_shipping_address(
    store: StoreBackend,
    customer_id: str,
    order_id: str,
    policy: SupportPolicy,
    address: str,
    idempotency_key: str,
    actor: str,
) -> AddressChangeView:
    """Change the shipping address of one of the signed-in customer's orders, after the
    customer confirmed the new address. Only while the policy allows (pending orders)."""

    def check(order: OrderView) -> None:
        if refusal := address_change_refusal(order, policy):
            raise NotAllowed(refusal)

    if not address.strip():
        raise NotAllowed("The new address is empty.")
    return store.change_address(
        customer_id=customer_id,
        order_id=normal_order_id(order_id),
        address=address.strip(),
        idempotency_key=idempotency_key,
        actor=actor,
        check=check,
    )


# -- payment method ------------------------------------------------------------------------


def quote_payment_change(
    order: OrderView, policy: SupportPolicy, method: PaymentMethodView
) -> tuple[bool, str]:
    """(eligible, message for the customer) for moving `order` to `method`. Pure.

    Only in the policy's statuses (pending), only to a method other than the current one,
    and a gift card must hold the order's whole total.
    """
    if order.status not in policy.payment_change_statuses:
        allowed = " or ".join(policy.payment_change_statuses) or "no"
        return False, (
            f"Order {order.id} is {order.status}; the payment method can only be changed "
            f"while an order is {allowed}."
        )
    if locked := lock_refusal(order, policy):
        return False, locked
    paid = order.current_payment
    if paid_with(paid, method):
        return False, (
            f"Order {order.id} is already paid with {method.label}; choose a different "
            "payment method."
        )
    balance = method.balance_cents or 0
    if method.method == "gift_card" and balance < order.total_cents:
        return False, (
            f"{method.label} has {money(balance)} left, less than the order's "
            f"{money(order.total_cents)} total; choose another payment method."
        )
    amount = money(net_paid_cents(order))
    old = paid.label if paid else "the original payment method"
    return True, (
        f"Order {order.id} can be paid with {method.label} instead: {amount} is charged to it "
        f"and {amount} goes back to {old}."
    )


def check_payment_change(
    store: StoreBackend, customer_id: str, order_id: str, policy: SupportPolicy, method_id: str
) -> tuple[bool, str]:
    """Whether one of the signed-in customer's orders can move to another of their payment
    methods, and what that means. Changes nothing. Raises NotFound for an order or a
    payment method that is not the customer's."""
    order = get_order(store, customer_id, order_id)
    method = next((m for m in store.list_payment_methods(customer_id) if m.id == method_id), None)
    if method is None:
        raise NotFound("We couldn't find that payment method on your account.")
    return quote_payment_change(order, policy, method)


def change_payment_method(
    store: StoreBackend,
    customer_id: str,
    order_id: str,
    policy: SupportPolicy,
    method_id: str,
    idempotency_key: str,
    actor: str,
) -> PaymentChangeView:
    """Pay one of the signed-in customer's pending orders with another of their payment
    methods, after the customer confirmed it.

    What was paid goes back to the old method (a gift card at once) and is charged to the
    new one. The policy is re-checked on the locked order; another customer's payment
    method reads as missing (NotFound). The same `idempotency_key` always yields the same
    single change.
    """

    def check(order: OrderView, method: PaymentMethodView) -> None:
        eligible, message = quote_payment_change(order, policy, method)
        if not eligible:
            raise NotAllowed(message)

    return store.change_payment_method(
        customer_id=customer_id,
        order_id=normal_order_id(order_id),
        method_id=method_id.strip(),
        idempotency_key=idempotency_key,
        actor=actor,
        check=check,
    )
