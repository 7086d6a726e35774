"""Public views of changes a customer asks for beyond refunds and cancellations: items
swapped for other options, a pending order's payment method, the default address."""

from __future__ import annotations

from pydantic import BaseModel, ConfigDict

from tools.schemas import ItemView, ProductView


class _View(BaseModel):
    model_config = ConfigDict(frozen=True)


class DefaultAddressView(_View):
    """A customer's default shipping address, before (None: none on file) and after."""

    customer_id: str
    before: str | None
    after: str


class PaymentChangeView(_View):
    """A pending order moved to another payment method: `amount_cents` was charged to
    `after` and the same went back to `before`."""

    order_id: str
    before: str
    after: str
    amount_cents: int


class SwapLine(_View):
    """One line of a swap quote: the order's line (all its units), the option it becomes,
    and what that costs: (new price - old price) x units."""

    old: ItemView
    new: ProductView
    difference_cents: int


class SwapQuote(_View):
    """The policy's verdict on swapping items for other options (exchange or modify).

    `reason`: ok, status, already_changed, order_locked, nothing_to_change, item_not_in_order,
    already_refunded, unknown_product, same_item, not_a_variant, unavailable,
    insufficient_balance. `difference_cents` is new minus old over all `swaps`: positive
    is charged to `payment_label`, negative goes back to it; `method_id` is the wallet
    entry (None: the order's own payment method).
    """

    order_id: str
    kind: str
    eligible: bool
    reason: str
    message: str
    swaps: list[SwapLine] = []
    difference_cents: int = 0
    payment_label: str
    method_id: str | None = None
