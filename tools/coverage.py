"""Where an order stands: which lines are still the customer's to return or exchange,
what was paid and not given back, and which payment the order stands on.

Refunds record the lines they cover, one SKU per unit; a refund from before item-level
refunds (no SKUs) covers the whole order, and one for a price difference or a change of
payment method covers none. Items under a requested exchange are on their way back for
another option, so they can be neither refunded nor exchanged again.
"""

from __future__ import annotations

from collections import Counter

from tools.policy import SupportPolicy
from tools.schemas import ItemView, OrderView, PaymentMethodView, PaymentView, money
from tools.store.views import ACTIVE_REFUND


def refunded_units(order: OrderView) -> Counter[str] | None:
    """Units per SKU that active refunds cover; None when one of them covers everything."""
    covered: Counter[str] = Counter()
    for refund in order.refunds:
        if refund.status not in ACTIVE_REFUND:
            continue
        if refund.skus is None:
            return None
        covered.update(refund.skus)
    return covered


def unrefunded_lines(order: OrderView) -> list[ItemView]:
    """The order's lines less the units already refunded (quantities reduced to what is left)."""
    covered = refunded_units(order)
    if covered is None:
        return []
    out = []
    for line in order.items:
        taken = min(covered[line.sku], line.quantity)
        covered[line.sku] -= taken
        if line.quantity > taken:
            out.append(line.model_copy(update={"quantity": line.quantity - taken}))
    return out


def exchanging_skus(order: OrderView) -> set[str]:
    """SKUs of the order's lines under a requested exchange (being swapped, not returned)."""
    return {
        s.old_sku
        for x in order.exchanges
        if x.kind == "exchange" and x.status == "requested"
        for s in x.swaps
    }


def lock_refusal(order: OrderView, policy: SupportPolicy) -> str | None:
    """Why nothing more may be done to `order`, when the policy closes an order once its
    items were exchanged (τ: 'exchange requested') or changed (τ: 'pending (items
    modified)'); None while it is open."""
    for x in order.exchanges:
        if x.kind == "modify" and policy.modify_locks_order:
            return (
                f"Order {order.id}'s items were already changed ({x.id}), so it can no longer "
                "be cancelled or changed."
            )
        if x.kind == "exchange" and policy.exchange_locks_order:
            return (
                f"Order {order.id} already has an exchange ({x.id}), so it can no longer be "
                "returned or changed."
            )
    return None


def refunded_cents(order: OrderView) -> int:
    return sum(r.amount_cents for r in order.refunds if r.status in ACTIVE_REFUND)


def net_paid_cents(order: OrderView) -> int:
    """What the customer has paid on the order and not had back."""
    paid = sum(p.amount_cents for p in order.payments) if order.payments else order.total_cents
    return paid - refunded_cents(order)


def describe(lines: list[ItemView]) -> str:
    """'Aurora Wireless Headphones ($129.00), 2 x Hydra Insulated Bottle ($58.00)'."""
    return ", ".join(
        f"{f'{i.quantity} x ' if i.quantity > 1 else ''}{i.name} "
        f"({money(i.quantity * i.unit_price_cents)})"
        for i in lines
    )


def paid_with(payment: PaymentView | None, method: PaymentMethodView) -> bool:
    """Whether `payment` was made with `method`: by wallet entry where the payment names
    one (two gift cards can share a label), else by label."""
    if payment is None:
        return False
    if payment.method_id:
        return method.id == payment.method_id
    return method.label == payment.label
