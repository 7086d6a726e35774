"""The store's tables: SQLAlchemy 2 typed models. Money is integer cents (USD); times are UTC."""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Any

from sqlalchemy import (
    JSON,
    DateTime,
    ForeignKey,
    Integer,
    String,
    Text,
    TypeDecorator,
    false,
    text,
    true,
)
from sqlalchemy.engine import Dialect
from sqlalchemy.orm import DeclarativeBase, Mapped, mapped_column, relationship

ORDER_STATUSES = ("pending", "processing", "shipped", "delivered", "cancelled")
"""The demo shop's statuses; imported stores may add their own (τ-bench: 'processed')."""
PAYMENT_METHODS = ("card", "paypal", "gift_card")
PAYMENT_STATUSES = ("captured", "refunded", "partially_refunded")
INVOICE_STATUSES = ("paid", "open")
REFUND_STATUSES = ("requested", "approved", "completed", "rejected")
EXCHANGE_KINDS = ("exchange", "modify")
"""exchange: delivered items swapped for other options; modify: a pending order's items."""
EXCHANGE_STATUSES = ("requested", "done")
APPROVAL_STATUSES = ("pending", "approved", "declined")
DISPUTE_STATUSES = ("open", "resolved", "rejected")
CHANNELS = ("api", "widget", "email")
"""Where a conversation happens: the JSON API, the web chat widget, or e-mail."""

CUSTOMER_ID = 64
"""Longest customer id: 'C0001' in the demo, 'noah_brown_6181' in τ-bench."""


def utcnow() -> datetime:
    return datetime.now(UTC)


class UTCDateTime(TypeDecorator[datetime]):
    """A timezone-aware UTC datetime on every backend (SQLite stores none of its own)."""

    impl = DateTime(timezone=True)
    cache_ok = True

    def process_bind_param(self, value: datetime | None, dialect: Dialect) -> datetime | None:
        if value is None:
            return None
        if value.tzinfo is None:
            raise ValueError(f"naive datetime {value!r}: store timezone-aware UTC times")
        value = value.astimezone(UTC)
        return value.replace(tzinfo=None) if dialect.name == "sqlite" else value

    def process_result_value(self, value: datetime | None, dialect: Dialect) -> datetime | None:
        if value is None:
            return None
        return value.replace(tzinfo=UTC) if value.tzinfo is None else value.astimezone(UTC)


class Base(DeclarativeBase):
    type_annotation_map = {datetime: UTCDateTime, dict[str, Any]: JSON, list[Any]: JSON}


class Customer(Base):
    __tablename__ = "customers"

    id: Mapped[str] = mapped_column(String(CUSTOMER_ID), primary_key=True)  # 'C0001'
    email: Mapped[str] = mapped_column(String(254), unique=True)
    name: Mapped[str] = mapped_column(String(120))
    phone: Mapped[str] = mapped_column(String(32))
    zip_code: Mapped[str] = mapped_column(String(10))
    created_at: Mapped[datetime] = mapped_column(default=utcnow)
    address: Mapped[str | None] = mapped_column(Text)  # default shipping address

    orders: Mapped[list[Order]] = relationship(back_populates="customer")
    payment_methods: Mapped[list[PaymentMethod]] = relationship(order_by="PaymentMethod.id")


class Product(Base):
    __tablename__ = "products"

    sku: Mapped[str] = mapped_column(String(32), primary_key=True)
    name: Mapped[str] = mapped_column(String(120))
    category: Mapped[str] = mapped_column(String(32))
    price_cents: Mapped[int]
    refundable: Mapped[bool] = mapped_column(default=True)
    group_id: Mapped[str | None] = mapped_column(String(32))  # τ-bench product id of a variant
    options: Mapped[dict[str, Any] | None]  # variant options: {"color": "blue", "size": "M"}
    available: Mapped[bool] = mapped_column(default=True, server_default=true())


class Order(Base):
    __tablename__ = "orders"

    id: Mapped[str] = mapped_column(String(16), primary_key=True)  # 'W1234567'
    customer_id: Mapped[str] = mapped_column(ForeignKey("customers.id"), index=True)
    status: Mapped[str] = mapped_column(String(32))
    created_at: Mapped[datetime] = mapped_column(default=utcnow)
    shipped_at: Mapped[datetime | None]
    delivered_at: Mapped[datetime | None]
    tracking_number: Mapped[str | None] = mapped_column(String(40))
    carrier: Mapped[str | None] = mapped_column(String(16))
    shipping_address: Mapped[str] = mapped_column(Text)
    total_cents: Mapped[int]
    cancelled_at: Mapped[datetime | None]
    cancel_reason: Mapped[str | None] = mapped_column(String(120))

    customer: Mapped[Customer] = relationship(back_populates="orders")
    items: Mapped[list[OrderItem]] = relationship(order_by="OrderItem.id")
    payments: Mapped[list[Payment]] = relationship(order_by="Payment.id")
    invoices: Mapped[list[Invoice]] = relationship(order_by="Invoice.id")
    refunds: Mapped[list[Refund]] = relationship(order_by="Refund.created_at")
    exchanges: Mapped[list[Exchange]] = relationship(order_by="Exchange.created_at")


class OrderItem(Base):
    __tablename__ = "order_items"

    id: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=True)
    order_id: Mapped[str] = mapped_column(ForeignKey("orders.id"), index=True)
    sku: Mapped[str] = mapped_column(ForeignKey("products.sku"))
    name: Mapped[str] = mapped_column(String(120))
    quantity: Mapped[int]
    unit_price_cents: Mapped[int]

    product: Mapped[Product] = relationship()


class Payment(Base):
    __tablename__ = "payments"

    id: Mapped[str] = mapped_column(String(32), primary_key=True)  # 'PAY-000123'
    order_id: Mapped[str] = mapped_column(ForeignKey("orders.id"), index=True)
    method: Mapped[str] = mapped_column(String(16))
    method_id: Mapped[str | None] = mapped_column(String(40))  # the wallet entry paid with
    brand: Mapped[str | None] = mapped_column(String(32))
    last4: Mapped[str | None] = mapped_column(String(4))
    amount_cents: Mapped[int]
    status: Mapped[str] = mapped_column(String(24), default="captured")
    created_at: Mapped[datetime] = mapped_column(default=utcnow)


class Invoice(Base):
    __tablename__ = "invoices"

    id: Mapped[str] = mapped_column(String(20), primary_key=True)  # 'INV-2026-00042'
    order_id: Mapped[str] = mapped_column(ForeignKey("orders.id"), index=True)
    customer_id: Mapped[str] = mapped_column(ForeignKey("customers.id"), index=True)
    amount_cents: Mapped[int]
    issued_at: Mapped[datetime]
    status: Mapped[str] = mapped_column(String(8), default="paid")


class Refund(Base):
    __tablename__ = "refunds"

    id: Mapped[str] = mapped_column(String(40), primary_key=True)  # 'R1234567' or 'R' + hex
    order_id: Mapped[str] = mapped_column(ForeignKey("orders.id"), index=True)
    customer_id: Mapped[str] = mapped_column(ForeignKey("customers.id"), index=True)
    amount_cents: Mapped[int]
    status: Mapped[str] = mapped_column(String(16))
    reason: Mapped[str] = mapped_column(Text)
    idempotency_key: Mapped[str] = mapped_column(String(200), unique=True)
    created_at: Mapped[datetime] = mapped_column(default=utcnow)
    destination: Mapped[str | None] = mapped_column(String(120))  # 'Visa ending 4242'
    # The order lines it covers, one SKU per unit; None (older rows) covers the whole
    # order, [] none of them (a price difference or a change of payment method).
    skus: Mapped[list[Any] | None]


class Exchange(Base):
    """Items of an order swapped for other options of the same products: an exchange of
    delivered items (requested until the old ones come back) or a pending order's items
    changed in place (done at once)."""

    __tablename__ = "order_exchanges"

    id: Mapped[str] = mapped_column(String(20), primary_key=True)  # 'X' + hex
    order_id: Mapped[str] = mapped_column(ForeignKey("orders.id"), index=True)
    customer_id: Mapped[str] = mapped_column(String(CUSTOMER_ID), index=True)
    kind: Mapped[str] = mapped_column(String(16))  # exchange | modify
    # [{"old_sku", "old_name", "new_sku", "new_name", "quantity", "difference_cents"}]
    swaps: Mapped[list[Any]]
    difference_cents: Mapped[int]  # new - old: positive is charged, negative refunded
    method: Mapped[str] = mapped_column(String(120))  # where the difference goes
    status: Mapped[str] = mapped_column(String(16))  # requested | done
    idempotency_key: Mapped[str] = mapped_column(String(200), unique=True)
    created_at: Mapped[datetime] = mapped_column(default=utcnow)


class PaymentMethod(Base):
    """A payment method on a customer's file; only a card's brand and last four are kept."""

    __tablename__ = "payment_methods"

    id: Mapped[str] = mapped_column(String(40), primary_key=True)  # 'PM-C0001-1', 'paypal_57'
    customer_id: Mapped[str] = mapped_column(ForeignKey("customers.id"), index=True)
    method: Mapped[str] = mapped_column(String(16))  # card, paypal, gift_card
    brand: Mapped[str | None] = mapped_column(String(32))
    last4: Mapped[str | None] = mapped_column(String(4))
    balance_cents: Mapped[int | None]  # gift cards only


class Approval(Base):
    """A refund above the auto-approve limit, waiting for (or given) a human decision."""

    __tablename__ = "refund_approvals"

    id: Mapped[str] = mapped_column(String(20), primary_key=True)  # 'A' + hex
    session_id: Mapped[str] = mapped_column(String(64), index=True)
    customer_id: Mapped[str] = mapped_column(String(CUSTOMER_ID), index=True)
    order_id: Mapped[str] = mapped_column(ForeignKey("orders.id"), index=True)
    amount_cents: Mapped[int]
    destination: Mapped[str] = mapped_column(String(120))
    method_id: Mapped[str | None] = mapped_column(String(40))  # None: the original method
    skus: Mapped[list[Any] | None]  # the lines the refund covers, as on `Refund.skus`
    status: Mapped[str] = mapped_column(String(16), default="pending", index=True)
    escalation_id: Mapped[str | None] = mapped_column(String(40))
    refund_id: Mapped[str | None] = mapped_column(String(40))
    idempotency_key: Mapped[str] = mapped_column(String(200), unique=True)
    requested_at: Mapped[datetime] = mapped_column(default=utcnow)
    decided_by: Mapped[str | None] = mapped_column(String(120))
    decided_at: Mapped[datetime | None]
    note: Mapped[str | None] = mapped_column(Text)


class Dispute(Base):
    """A payment dispute opened for a customer, e.g. a duplicate charge to be refunded."""

    __tablename__ = "payment_disputes"

    id: Mapped[str] = mapped_column(String(20), primary_key=True)  # 'D' + hex
    customer_id: Mapped[str] = mapped_column(String(CUSTOMER_ID), index=True)
    order_id: Mapped[str] = mapped_column(ForeignKey("orders.id"), index=True)
    payment_id: Mapped[str] = mapped_column(String(32))
    kind: Mapped[str] = mapped_column(String(32))  # duplicate_charge
    amount_cents: Mapped[int]
    status: Mapped[str] = mapped_column(String(16), default="open")
    idempotency_key: Mapped[str] = mapped_column(String(200), unique=True)
    created_at: Mapped[datetime] = mapped_column(default=utcnow)


class IdempotencyRecord(Base):
    """The first result of a write made under an idempotency key; a repeat returns it."""

    __tablename__ = "idempotency_keys"

    key: Mapped[str] = mapped_column(String(200), primary_key=True)
    action: Mapped[str] = mapped_column(String(32))
    entity_id: Mapped[str] = mapped_column(String(64))
    result: Mapped[dict[str, Any]]
    created_at: Mapped[datetime] = mapped_column(default=utcnow)


class AuditLog(Base):
    __tablename__ = "audit_log"

    id: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=True)
    at: Mapped[datetime] = mapped_column(default=utcnow)
    actor: Mapped[str] = mapped_column(String(120))  # 'customer:C0001', 'bot', 'agent:x'
    action: Mapped[str] = mapped_column(String(64))
    entity: Mapped[str] = mapped_column(String(32))
    entity_id: Mapped[str] = mapped_column(String(64), index=True)
    before: Mapped[dict[str, Any] | None]
    after: Mapped[dict[str, Any] | None]


class ChatSession(Base):
    __tablename__ = "chat_sessions"

    id: Mapped[str] = mapped_column(String(64), primary_key=True)
    # No foreign key: a session belongs to whoever the token names, even an unseeded id.
    customer_id: Mapped[str | None] = mapped_column(String(CUSTOMER_ID))
    created_at: Mapped[datetime] = mapped_column(default=utcnow)
    # Anonymous sessions: whom the customer proved to be (email + order, or name + ZIP).
    verified_customer_id: Mapped[str | None] = mapped_column(String(CUSTOMER_ID))
    verify_failures: Mapped[int] = mapped_column(default=0, server_default=text("0"))
    verify_locked: Mapped[bool] = mapped_column(default=False, server_default=false())
    # When that proof stops counting (None: never); the caller is then asked again.
    verified_until: Mapped[datetime | None]
    # Where the customer wrote: api, widget or email (set when the session starts).
    channel: Mapped[str] = mapped_column(String(16), default="api", server_default="api")


class Escalation(Base):
    __tablename__ = "escalations"

    id: Mapped[str] = mapped_column(String(40), primary_key=True)  # 'E' + hex
    session_id: Mapped[str] = mapped_column(String(64), index=True)
    customer_id: Mapped[str | None] = mapped_column(String(CUSTOMER_ID))
    reason: Mapped[str] = mapped_column(String(32))
    intent: Mapped[str | None] = mapped_column(String(64))
    confidence: Mapped[float | None]
    entities: Mapped[list[Any]]
    transcript: Mapped[list[Any]]
    status: Mapped[str] = mapped_column(String(16), default="open")
    created_at: Mapped[datetime] = mapped_column(default=utcnow)
    # Agent desk: who owns it now; claimed means a human is talking, bot silent.
    assignee: Mapped[str | None] = mapped_column(String(120))
    claimed_at: Mapped[datetime | None]
    resolved_at: Mapped[datetime | None]
    # Since when the customer has waited for a human: their oldest message no agent has
    # answered yet (None: nobody is waiting). The queue's wait time and SLA colour.
    waiting_since: Mapped[datetime | None]
    first_response_at: Mapped[datetime | None]  # the first agent reply


ESCALATION_STATUSES = ("open", "claimed", "handed_back", "resolved")
CORRECTION_KINDS = ("relabel", "edited_reply", "rejected_suggestion")


class ConversationMessage(Base):
    """A line said outside the bot: an agent's reply, or a customer's message while a human
    owns the conversation. The session transcript merges these with the bot's lines."""

    __tablename__ = "conversation_messages"

    id: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=True)
    session_id: Mapped[str] = mapped_column(String(64), index=True)
    escalation_id: Mapped[str | None] = mapped_column(String(40), index=True)
    role: Mapped[str] = mapped_column(String(16))  # 'agent' or 'customer'
    author: Mapped[str | None] = mapped_column(String(120))  # the agent's name
    content: Mapped[str] = mapped_column(Text)
    at: Mapped[datetime] = mapped_column(default=utcnow)


class Feedback(Base):
    """A customer's satisfaction rating (CSAT 1-5) of one conversation."""

    __tablename__ = "feedback"

    id: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=True)
    session_id: Mapped[str] = mapped_column(String(64), index=True)
    customer_id: Mapped[str | None] = mapped_column(String(CUSTOMER_ID))
    rating: Mapped[int]
    comment: Mapped[str | None] = mapped_column(Text)
    created_at: Mapped[datetime] = mapped_column(default=utcnow)


class Correction(Base):
    """An agent's correction of the bot, kept as labelled data for the intent model."""

    __tablename__ = "corrections"

    id: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=True)
    session_id: Mapped[str] = mapped_column(String(64), index=True)
    turn_index: Mapped[int | None]
    text: Mapped[str] = mapped_column(Text)
    predicted_intent: Mapped[str | None] = mapped_column(String(64))
    intent: Mapped[str | None] = mapped_column(String(64))
    entities: Mapped[list[Any] | None]
    kind: Mapped[str] = mapped_column(String(24))  # relabel | edited_reply | rejected_suggestion
    agent: Mapped[str] = mapped_column(String(120))
    created_at: Mapped[datetime] = mapped_column(default=utcnow)


class DeskNote(Base):
    """An agent's private note on an escalation; never shown to the customer."""

    __tablename__ = "desk_notes"

    id: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=True)
    escalation_id: Mapped[str] = mapped_column(String(40), index=True)
    author: Mapped[str] = mapped_column(String(120))
    text: Mapped[str] = mapped_column(Text)
    at: Mapped[datetime] = mapped_column(default=utcnow)


class DeskMacro(Base):
    """A saved reply with placeholders ({customer_name}, {order_id}, ...)."""

    __tablename__ = "desk_macros"

    id: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=True)
    name: Mapped[str] = mapped_column(String(80), unique=True)
    text: Mapped[str] = mapped_column(Text)
    created_by: Mapped[str] = mapped_column(String(120))
    created_at: Mapped[datetime] = mapped_column(default=utcnow)


class DeskEvent(Base):
    """Something the desk should see live (a new escalation, a customer line, a claim...),
    in id order: every worker's `/v1/agent/events` stream reads the same rows."""

    __tablename__ = "desk_events"

    id: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=True)
    at: Mapped[datetime] = mapped_column(default=utcnow)
    kind: Mapped[str] = mapped_column(String(40))
    escalation_id: Mapped[str | None] = mapped_column(String(40), index=True)
    session_id: Mapped[str | None] = mapped_column(String(64))
    actor: Mapped[str] = mapped_column(String(120))  # 'customer', 'bot', 'agent:ann'
    data: Mapped[dict[str, Any]] = mapped_column(default=dict)


class WebhookDeadLetter(Base):
    """An escalation notice the webhook never took: kept, with its body, for an operator to
    list and replay (`support ops webhooks`)."""

    __tablename__ = "webhook_dead_letters"

    id: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=True)
    escalation_id: Mapped[str] = mapped_column(String(40), index=True)
    url: Mapped[str] = mapped_column(Text)
    body: Mapped[dict[str, Any]]
    attempts: Mapped[int]
    reason: Mapped[str] = mapped_column(String(24))  # exhausted | refused | shutdown
    last_error: Mapped[str] = mapped_column(Text)
    created_at: Mapped[datetime] = mapped_column(default=utcnow)
    replayed_at: Mapped[datetime | None]
    replay_status: Mapped[str | None] = mapped_column(String(24))  # delivered | failed


class KbQuery(Base):
    """A question the help centre was asked and how well it retrieved, whichever worker
    answered it: `support kb gaps` on any machine reads every worker's rows."""

    __tablename__ = "kb_queries"

    id: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=True)
    at: Mapped[datetime] = mapped_column(default=utcnow, index=True)
    session_id: Mapped[str] = mapped_column(String(64))
    question: Mapped[str] = mapped_column(Text)
    best_score: Mapped[float]
    """Highest cosine similarity among the retrieved passages."""
    best_doc: Mapped[str] = mapped_column(String(255))  # '' when nothing was retrieved
    outcome: Mapped[str] = mapped_column(String(24))  # answered | missing_knowledge | no_answer


class ServingModel(Base):
    """Which version of a model every worker serves (`support nlu promote` sets it); each
    worker checks it every few seconds and loads that version from its own DATA_DIR."""

    __tablename__ = "serving_models"

    name: Mapped[str] = mapped_column(String(40), primary_key=True)  # 'intent'
    version: Mapped[str] = mapped_column(String(40))
    promoted_at: Mapped[datetime] = mapped_column(default=utcnow)
