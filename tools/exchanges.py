"""Exchange tools: swap an order's items for other options of the same product.

A delivered order's items are exchanged (the old ones come back, the new ones go out); a
pending order's items are modified in place before it ships. Either way an item may only
become another available option (colour, size...) of the same product, and the price
difference is charged to, or paid back to, one of the customer's payment methods: the
one the order was paid with unless the customer names another.

The verdict (`quote_swap`) is a pure function of the order, the policy, the products and
the payment method, so the write re-runs it inside its own transaction on the locked
order: what was offered to the customer is exactly what is written, or nothing is.
"""

from __future__ import annotations

from typing import Literal

from tools.change_views import SwapLine, SwapQuote
from tools.coverage import exchanging_skus, lock_refusal, unrefunded_lines
from tools.errors import NotAllowed
from tools.orders import get_order, normal_order_id
from tools.policy import SupportPolicy, SwapKind
from tools.refunds import ORIGINAL, owned_method
from tools.schemas import (
    ItemView,
    OrderView,
    PaymentMethodView,
    ProductView,
    SwapView,
    money,
    variant_name,
)
from tools.store.backend import StoreBackend

DONE = {"exchange": "exchanged", "modify": "changed"}


def item_label(item: ItemView) -> str:
    """A line named with its options; imported lines already carry them in their name."""
    shown = ", ".join(item.options.values())
    return item.name if not shown or shown in item.name else variant_name(item.name, item.options)


def _status_refusal(order: OrderView, policy: SupportPolicy, kind: SwapKind) -> str:
    allowed = " or ".join(policy.swap_statuses(kind)) or "no"
    if kind == "exchange":
        why = f"items can only be exchanged while an order is {allowed}"
        other = order.status in policy.modify_statuses
        instead = " Until then you can change its items instead." if other else ""
    else:
        why = f"its items can only be changed while an order is {allowed}"
        other = order.status in policy.exchange_statuses
        instead = " You can exchange them for another option instead." if other else ""
    return f"Order {order.id} is {order.status}; {why}.{instead}"


def _line(
    order: OrderView,
    kind: SwapKind,
    old_sku: str,
    new: ProductView | None,
    new_sku: str,
) -> SwapLine | tuple[str, str]:
    """The swap of every open unit of `old_sku` for `new`, or (reason, message)."""
    olds = [i for i in order.items if i.sku == old_sku]
    if not olds:
        listed = ", ".join(i.name for i in order.items)
        return "item_not_in_order", f"Order {order.id} doesn't contain that item; it has {listed}."
    old = olds[0]
    label = item_label(old)
    if new is None:
        return "unknown_product", f"We couldn't find item {new_sku} in our catalogue."
    if new.sku == old.sku:
        return "same_item", f"{label} is already what order {order.id} has; choose another option."
    if old.group_id is None:
        return "not_a_variant", f"{label} comes in only one option, so it can't be swapped."
    if new.group_id != old.group_id:
        return "not_a_variant", (
            f"{new.label} isn't another option of {label}; an item can only be swapped for "
            "the same product in another option (colour, size...)."
        )
    if not new.available:
        return "unavailable", f"{new.label} isn't available right now; choose another option."
    units = olds
    if kind == "exchange":
        if old_sku in exchanging_skus(order):
            return "already_changed", f"{label} on order {order.id} is already being exchanged."
        units = [i for i in unrefunded_lines(order) if i.sku == old_sku]
        if not units:
            return "already_refunded", (
                f"{label} on order {order.id} was already refunded, so it can't be exchanged."
            )
    quantity = sum(i.quantity for i in units)
    difference = sum((new.price_cents - i.unit_price_cents) * i.quantity for i in units)
    return SwapLine(
        old=old.model_copy(update={"quantity": quantity}), new=new, difference_cents=difference
    )


def _settlement(kind: SwapKind, difference: int, label: str) -> str:
    if difference == 0:
        return "There is no price difference."
    if difference > 0:
        return f"The {money(difference)} difference is charged to {label}."
    later = " once the old item is back" if kind == "exchange" else ""
    return f"The {money(-difference)} difference goes back to {label}{later}."


def quote_swap(
    order: OrderView,
    policy: SupportPolicy,
    swaps: dict[str, str],
    products: dict[str, ProductView],
    *,
    kind: Literal["exchange", "modify"],
    method: PaymentMethodView | None = None,
) -> SwapQuote:
    """The policy's verdict on swapping `order`'s items (a pure function: changes nothing).

    `swaps` maps an order line's SKU to the SKU it should become (every unit of the line
    is swapped); `products` holds the new SKUs' products as the catalogue has them now.
    `method` is where the difference is charged or paid back (None: the order's payment).
    """
    paid = order.current_payment
    label = method.label if method else (paid.label if paid else ORIGINAL)
    base = dict(order_id=order.id, kind=kind, payment_label=label,
                method_id=method.id if method else None)  # fmt: skip

    def refuse(reason: str, message: str) -> SwapQuote:
        return SwapQuote(eligible=False, reason=reason, message=message, **base)

    if order.status not in policy.swap_statuses(kind):
        return refuse("status", _status_refusal(order, policy, kind))
    earlier = [x for x in order.exchanges if x.kind == kind]
    if policy.swap_once(kind) and earlier:
        return refuse("already_changed", (
            f"Order {order.id}'s items were already {DONE[kind]} ({earlier[0].id}); our "
            "policy allows that only once per order."
        ))  # fmt: skip
    if locked := lock_refusal(order, policy):
        return refuse("order_locked", locked)
    if not swaps:
        return refuse("nothing_to_change", "Tell me which item to swap and the option you'd like.")
    lines = []
    for old_sku, new_sku in swaps.items():
        line = _line(order, kind, old_sku, products.get(new_sku), new_sku)
        if not isinstance(line, SwapLine):
            return refuse(*line)
        lines.append(line)
    difference = sum(line.difference_cents for line in lines)
    if method is not None and method.method == "gift_card" and difference > 0:
        balance = method.balance_cents or 0
        if balance < difference:
            return refuse("insufficient_balance", (
                f"{method.label} has {money(balance)} left, less than the {money(difference)} "
                "difference; choose another payment method."
            ))  # fmt: skip
    swapped = "; ".join(
        f"{f'{s.old.quantity} x ' if s.old.quantity > 1 else ''}{item_label(s.old)} for "
        f"{s.new.label}"
        for s in lines
    )
    text = f"Order {order.id} can be {DONE[kind]}: {swapped}. "
    text += _settlement(kind, difference, label)
    if kind == "exchange":
        text += " We'll email you how to send the old item back."
    if policy.swap_once(kind):
        text += " This can be done only once for this order, so include every item to swap."
    return SwapQuote(
        eligible=True, reason="ok", message=text, swaps=lines, difference_cents=difference, **base
    )


def _paid_with(store: StoreBackend, customer_id: str, order: OrderView) -> PaymentMethodView | None:
    """The wallet entry the order was paid with, when it is on the customer's file."""
    paid = order.current_payment
    if paid is None or not paid.method_id:
        return None
    methods = store.list_payment_methods(customer_id)
    return next((m for m in methods if m.id == paid.method_id), None)


def check_swap(
    store: StoreBackend,
    customer_id: str,
    order_id: str,
    policy: SupportPolicy,
    swaps: dict[str, str],
    *,
    kind: Literal["exchange", "modify"],
    method_id: str | None = None,
) -> SwapQuote:
    """Whether items of one of the signed-in customer's orders can be swapped for other
    options (`swaps`: current SKU -> wanted SKU), and the price difference. Changes nothing.

    Raises NotFound when the customer has no such order (or no such payment method).
    """
    order = get_order(store, customer_id, order_id)
    method = (
        owned_method(store, customer_id, method_id)
        if method_id
        else _paid_with(store, customer_id, order)
    )
    products = {sku: p for sku in set(swaps.values()) if (p := store.get_product(sku))}
    return quote_swap(order, policy, swaps, products, kind=kind, method=method)


def _swap(
    store: StoreBackend,
    customer_id: str,
    order_id: str,
    policy: SupportPolicy,
    swaps: dict[str, str],
    idempotency_key: str,
    actor: str,
    *,
    kind: SwapKind,
    method_id: str | None,
    expected_difference_cents: int | None,
) -> SwapView:
    wanted = {old.strip(): new.strip() for old, new in swaps.items()}

    def verdict(
        order: OrderView, products: dict[str, ProductView], method: PaymentMethodView | None
    ) -> SwapQuote:
        quote = quote_swap(order, policy, wanted, products, kind=kind, method=method)
        if quote.eligible and expected_difference_cents not in (None, quote.difference_cents):
            raise NotAllowed(
                f"The price difference for order {order.id} is now "
                f"{money(quote.difference_cents)}, not {money(expected_difference_cents or 0)}; "
                "nothing was changed."
            )
        return quote

    return store.swap_items(
        customer_id=customer_id,
        order_id=normal_order_id(order_id),
        kind=kind,
        swaps=wanted,
        method_id=method_id,
        idempotency_key=idempotency_key,
        actor=actor,
        quote=verdict,
    )


def exchange_items(
    store: StoreBackend,
    customer_id: str,
    order_id: str,
    policy: SupportPolicy,
    swaps: dict[str, str],
    idempotency_key: str,
    actor: str,
    *,
    method_id: str | None = None,
    expected_difference_cents: int | None = None,
) -> SwapView:
    """Exchange delivered items of one of the signed-in customer's orders for other options
    of the same products, after the customer confirmed the swaps and the difference.

    `swaps` maps a delivered item's SKU to the SKU the customer wants instead. The exchange
    is recorded as requested: the customer sends the old items back and the difference is
    settled on `method_id` (None: the order's payment method). The policy is re-checked
    on the locked order and the difference must still be `expected_difference_cents`.
    The same `idempotency_key` always yields the same single exchange.
    """
    return _swap(store, customer_id, order_id, policy, swaps, idempotency_key, actor,
                 kind="exchange", method_id=method_id,
                 expected_difference_cents=expected_difference_cents)  # fmt: skip


def modify_items(
    store: StoreBackend,
    customer_id: str,
    order_id: str,
    policy: SupportPolicy,
    swaps: dict[str, str],
    idempotency_key: str,
    actor: str,
    *,
    method_id: str | None = None,
    expected_difference_cents: int | None = None,
) -> SwapView:
    """Change items of one of the signed-in customer's pending orders to other options of
    the same products, after the customer confirmed the swaps and the difference.

    The order's lines and total change at once; a higher price is charged to `method_id`
    (None: the order's payment method), a lower one is paid back to it. The policy is
    re-checked on the locked order and the difference must still be
    `expected_difference_cents`. The same `idempotency_key` always yields the same change.
    """
    return _swap(store, customer_id, order_id, policy, swaps, idempotency_key, actor,
                 kind="modify", method_id=method_id,
                 expected_difference_cents=expected_difference_cents)  # fmt: skip
