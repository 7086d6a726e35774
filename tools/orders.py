"""Order tools: the caller's orders, one order in full, cancelling it, changing its address."""

from __future__ import annotations

from tools.errors import NotAllowed, NotFound
from tools.policy import SupportPolicy
from tools.schemas import (
    AddressChangeView,
    CancellationView,
    CancelQuote,
    OrderSummary,
    OrderView,
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
    paid = sum(p.amount_cents for p in order.payments)
    label = order.payments[0].label if order.payments else "the original payment method"
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
        return None
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
