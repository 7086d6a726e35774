"""Public views the tools return. Never ORM rows: these are safe to show and to serialise."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from pydantic import BaseModel, ConfigDict, computed_field

CURRENCY = "USD"


def money(cents: int) -> str:
    """Cents as a customer-facing amount: `money(8410) == '$84.10'`, `money(-500) == '-$5.00'`."""
    sign = "-" if cents < 0 else ""
    dollars, rest = divmod(abs(cents), 100)
    return f"{sign}${dollars:,}.{rest:02d}"


def payment_label(method: str, brand: str | None, last4: str | None) -> str:
    """How a payment method is named to a customer: 'Visa ending 4242', 'PayPal'."""
    name = brand or {"card": "Card", "paypal": "PayPal", "gift_card": "Gift card"}.get(
        method, method
    )
    return f"{name} ending {last4}" if last4 else name


def variant_name(name: str, options: dict[str, str]) -> str:
    """A product named with its options, as order lines name it: 'Water Bottle (1000ml, blue)'."""
    return f"{name} ({', '.join(options.values())})" if options else name


class _View(BaseModel):
    model_config = ConfigDict(frozen=True)


class OrderSummary(_View):
    """One line of a customer's order list."""

    id: str
    status: str
    created_at: datetime
    total_cents: int


class CustomerView(_View):
    """A customer and their orders, newest first."""

    id: str
    email: str
    name: str
    orders: list[OrderSummary]
    address: str | None = None
    """The default shipping address on the account."""


class ItemView(_View):
    """One line of an order. `refundable` is the catalogue's flag (False for gift cards);
    the policy may rule out more categories. `options` and `group_id` are the product's:
    lines with a group_id can be swapped for another option of the same product."""

    sku: str
    name: str
    quantity: int
    unit_price_cents: int
    refundable: bool = True
    category: str = ""
    options: dict[str, str] = {}
    group_id: str | None = None


class ProductView(_View):
    """A product in the catalogue; products sharing a `group_id` are options of one product
    (`options`: {"color": "blue"}), and only those can replace each other in an order."""

    sku: str
    name: str
    category: str
    price_cents: int
    options: dict[str, str] = {}
    group_id: str | None = None
    available: bool = True

    @property
    def label(self) -> str:
        """'Aurora Wireless Headphones (blue)'."""
        return variant_name(self.name, self.options)


class PaymentView(_View):
    """A payment on an order; only the last four digits of a card are ever kept."""

    id: str
    method: str
    brand: str | None
    last4: str | None
    amount_cents: int
    status: str
    method_id: str | None = None

    @computed_field  # type: ignore[prop-decorator]
    @property
    def label(self) -> str:
        return payment_label(self.method, self.brand, self.last4)


class RefundView(_View):
    """A refund on an order; `destination` is where the money goes ('Visa ending 4242').

    `skus` are the order lines it covers, one per unit: None covers the whole order, an
    empty list none of its lines (a price difference, a change of payment method)."""

    id: str
    order_id: str
    amount_cents: int
    status: str
    reason: str
    created_at: datetime
    destination: str | None = None
    skus: list[str] | None = None


class PaymentMethodView(_View):
    """A payment method on the customer's file, masked: only a card's last four digits."""

    id: str
    method: str
    brand: str | None
    last4: str | None
    balance_cents: int | None = None

    @computed_field  # type: ignore[prop-decorator]
    @property
    def label(self) -> str:
        return payment_label(self.method, self.brand, self.last4)


class InvoiceView(_View):
    """An invoice, e.g. `INV-2026-00042`."""

    id: str
    order_id: str
    amount_cents: int
    issued_at: datetime
    status: str


class SwapRecord(_View):
    """One line of an exchange: what was swapped for what, and the price difference."""

    old_sku: str
    old_name: str
    new_sku: str
    new_name: str
    quantity: int
    difference_cents: int


class SwapView(_View):
    """Items swapped for other options of the same products.

    `kind` exchange: delivered items, `status` requested until the old ones come back (the
    difference is settled then); modify: a pending order's items, changed at once (done).
    `difference_cents` is new minus old: positive is charged to `payment_label`, negative
    goes back to it."""

    id: str
    order_id: str
    customer_id: str
    kind: str
    swaps: list[SwapRecord]
    difference_cents: int
    payment_label: str
    status: str
    created_at: datetime


class OrderView(_View):
    """Everything a customer may see about one of their orders."""

    id: str
    customer_id: str
    status: str
    created_at: datetime
    shipped_at: datetime | None
    delivered_at: datetime | None
    tracking_number: str | None
    carrier: str | None
    shipping_address: str
    total_cents: int
    items: list[ItemView]
    payments: list[PaymentView]
    refunds: list[RefundView]
    invoices: list[InvoiceView]
    cancelled_at: datetime | None = None
    cancel_reason: str | None = None
    exchanges: list[SwapView] = []

    @property
    def current_payment(self) -> PaymentView | None:
        """The payment the order stands on now: the first one not wholly refunded (a change
        of payment method refunds the old one), else the last one."""
        live = [p for p in self.payments if p.status != "refunded"]
        return live[0] if live else (self.payments[-1] if self.payments else None)


class RefundEligibility(_View):
    """The refund policy's verdict on an order: a value (`eligible`) plus a reason.

    `reason` is a machine code: ok, not_delivered, window_expired, already_refunded,
    being_exchanged, order_locked, non_refundable_items, item_condition, item_not_in_order,
    cancelled, destination.
    `message` is the same verdict for the customer. `item_count` counts the refundable
    units; `lines` are exactly the lines (and units) the refund covers, each with its
    price; `method_id` is the wallet entry the money goes to (None: the original method).
    """

    order_id: str
    eligible: bool
    reason: str
    message: str
    amount_cents: int
    payment_label: str
    item_count: int = 0
    method_id: str | None = None
    needs_approval: bool = False
    lines: list[ItemView] = []

    @property
    def units(self) -> list[str]:
        """The covered lines as a refund records them: one SKU per unit."""
        return [line.sku for line in self.lines for _ in range(line.quantity)]


class CancelQuote(_View):
    """The policy's verdict on cancelling an order: fee, what comes back, and why not.

    `reason`: ok, status (its status can't be cancelled), order_locked (the policy closed it
    after its items were changed), reason_required, reason_refused.
    """

    order_id: str
    eligible: bool
    reason: str
    message: str
    status: str
    fee_cents: int
    refund_cents: int
    payment_label: str
    cancel_reason: str | None = None


class CancellationView(_View):
    """A cancelled order: the reason, the fee kept and the refund made."""

    order_id: str
    status: str
    cancel_reason: str
    fee_cents: int
    refund: RefundView | None


class AddressChangeView(_View):
    """A pending order's shipping address, before and after the change."""

    order_id: str
    before: str
    after: str


class ApprovalView(_View):
    """A refund waiting for (or given) a human's decision; `refund_id` once approved."""

    id: str
    session_id: str
    customer_id: str
    order_id: str
    amount_cents: int
    destination: str
    status: str
    escalation_id: str | None
    refund_id: str | None
    method_id: str | None = None
    skus: list[str] | None = None
    requested_at: datetime
    decided_by: str | None
    decided_at: datetime | None
    note: str | None


class DisputeView(_View):
    """A payment dispute, e.g. a duplicate charge our billing team refunds."""

    id: str
    customer_id: str
    order_id: str
    payment_id: str
    kind: str
    amount_cents: int
    status: str
    created_at: datetime


class EscalationView(_View):
    """A handoff to a human agent with the whole context of the conversation."""

    id: str
    session_id: str
    customer_id: str | None
    reason: str
    intent: str | None
    confidence: float | None
    entities: list[Any] | dict[str, Any]
    transcript: list[dict[str, Any]]
    status: str
    created_at: datetime


class AuditEntry(_View):
    """One row of the audit log: who did what to which record, before and after."""

    id: int
    at: datetime
    actor: str
    action: str
    entity: str
    entity_id: str
    before: dict[str, Any] | None
    after: dict[str, Any] | None


class SessionView(_View):
    """A conversation's identity: the token's customer, or whom an anonymous caller proved
    to be (`verified_customer_id`), and how many identity checks failed."""

    id: str
    customer_id: str | None
    verified_customer_id: str | None = None
    verify_failures: int = 0
    verify_locked: bool = False
    verification_expired: bool = False
    """An anonymous caller verified earlier, but that proof has outlived its lifetime."""

    @property
    def acting_customer_id(self) -> str | None:
        """Whose records this conversation may see: the token's customer, else the verified."""
        return self.customer_id or self.verified_customer_id


class VerificationResult(_View):
    """The outcome of one identity check: verified, failed (attempts left), locked (this
    conversation), or paused (too many failures for the identity or the client address:
    nothing was checked; retry after `retry_after` seconds)."""

    status: str
    customer_id: str | None = None
    attempts_left: int = 0
    retry_after: int | None = None
