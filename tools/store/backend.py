"""The store behind the tools: a `StoreBackend` protocol and its SQL implementation.

Every method is synchronous, runs in its own transaction, returns public views (never ORM
rows) and turns database failures into `BackendUnavailable`. Reads do not check ownership:
that is the tools' job (`tools/orders.py` etc.), which know who is asking. Every write
that changes an order or moves money checks the order belongs to the customer it names,
re-runs the policy check it is given on the locked order, writes its audit row and is
idempotent under its key. This file holds the `OrderStore` part (approvals of large refunds
included); conversations and identity live in `tools/store/records.py`, escalations and the
agent desk in `tools/store/desk_records.py`.
"""

from __future__ import annotations

from typing import Any

from sqlalchemy import Engine, select
from sqlalchemy.exc import IntegrityError, SQLAlchemyError
from sqlalchemy.orm import selectinload

from tools.change_views import DefaultAddressView, PaymentChangeView
from tools.errors import BackendUnavailable
from tools.schemas import (
    AddressChangeView,
    ApprovalView,
    CancellationView,
    CustomerView,
    DisputeView,
    InvoiceView,
    OrderSummary,
    OrderView,
    PaymentMethodView,
    PaymentView,
    ProductView,
    RefundView,
    SwapView,
)
from tools.store import views
from tools.store.approval_tx import (
    write_approval_decision,
    write_approval_request,
    write_dispute,
)
from tools.store.change_tx import write_default_address, write_payment_change
from tools.store.db import (
    SQLITE_BUSY_TIMEOUT_MS,
    create_schema,
    make_engine,
    session_factory,
    writer_factory,
)
from tools.store.desk_records import DeskRecords
from tools.store.desk_shift import DeskShift
from tools.store.email_threads import EmailThreadRecords
from tools.store.kb_queries import KbQueryRecords
from tools.store.models import (
    Approval,
    Customer,
    Dispute,
    Exchange,
    IdempotencyRecord,
    Invoice,
    Order,
    Payment,
    PaymentMethod,
    Product,
    Refund,
)
from tools.store.order_tx import write_address_change, write_cancellation
from tools.store.protocol import StoreBackend
from tools.store.records import ConversationRecords
from tools.store.refund_tx import ORDER_DETAIL, OrderCheck, write_refund
from tools.store.serving_models import ServingModelRecords
from tools.store.swap_tx import write_swap
from tools.store.webhook_records import WebhookRecords

__all__ = ["SqlStore", "StoreBackend"]


class SqlStore(
    ConversationRecords,
    DeskRecords,
    DeskShift,
    WebhookRecords,
    KbQueryRecords,
    ServingModelRecords,
    EmailThreadRecords,
):
    """`StoreBackend` on SQLAlchemy: SQLite by default, PostgreSQL with the same code."""

    def __init__(self, engine: Engine) -> None:
        self.engine = engine
        self._reader = session_factory(engine)
        self._writer = writer_factory(engine)

    @classmethod
    def from_url(cls, url: str, *, busy_timeout_ms: int = SQLITE_BUSY_TIMEOUT_MS) -> SqlStore:
        """Open (and create or extend the tables of) the store at a SQLAlchemy URL."""
        engine = make_engine(url, busy_timeout_ms=busy_timeout_ms)
        try:
            create_schema(engine)
        except SQLAlchemyError as exc:
            raise BackendUnavailable() from exc
        return cls(engine)

    # -- customers ---------------------------------------------------------
    def get_customer(self, customer_id: str) -> CustomerView | None:
        with self._guard("get_customer"), self._reader() as s:
            row = s.get(Customer, customer_id, options=[selectinload(Customer.orders)])
            return views.customer(row) if row else None

    def list_customers(self, limit: int = 20) -> list[CustomerView]:
        with self._guard("list_customers"), self._reader() as s:
            query = select(Customer).options(selectinload(Customer.orders))
            rows = s.scalars(query.order_by(Customer.id).limit(limit))
            return [views.customer(c) for c in rows]

    def customer_exists(self, customer_id: str) -> bool:
        with self._guard("customer_exists"), self._reader() as s:
            return s.get(Customer, customer_id) is not None

    def list_payment_methods(self, customer_id: str) -> list[PaymentMethodView]:
        """The customer's saved payment methods (cards masked to their last four digits)."""
        with self._guard("list_payment_methods"), self._reader() as s:
            query = select(PaymentMethod).where(PaymentMethod.customer_id == customer_id)
            return [views.payment_method(m) for m in s.scalars(query.order_by(PaymentMethod.id))]

    def change_default_address(self, **fields: Any) -> DefaultAddressView:
        """Set the customer's default shipping address (audited) exactly once per key.

        Keyword arguments: those of `StoreBackend.change_default_address`."""
        return self._write_once("change_default_address", write_default_address, fields)

    # -- catalogue ---------------------------------------------------------
    def get_product(self, sku: str) -> ProductView | None:
        with self._guard("get_product"), self._reader() as s:
            row = s.get(Product, sku)
            return views.product(row) if row else None

    def list_variants(self, sku: str) -> list[ProductView]:
        """The other options of `sku`'s product (same group) that can be ordered now."""
        with self._guard("list_variants"), self._reader() as s:
            row = s.get(Product, sku)
            if row is None or row.group_id is None:
                return []
            query = select(Product).where(
                Product.group_id == row.group_id, Product.sku != sku, Product.available
            )
            return [views.product(p) for p in s.scalars(query.order_by(Product.sku))]

    def list_products(self) -> list[ProductView]:
        """Every product row of the catalogue (each variant, available or not), by SKU."""
        with self._guard("list_products"), self._reader() as s:
            return [views.product(p) for p in s.scalars(select(Product).order_by(Product.sku))]

    def product_names(self) -> list[str]:
        """Every product name of the catalogue, once each ('Water Bottle', 'Office Chair')."""
        with self._guard("product_names"), self._reader() as s:
            return sorted(set(s.scalars(select(Product.name))))

    # -- orders and billing ------------------------------------------------
    def get_order(self, order_id: str) -> OrderView | None:
        with self._guard("get_order"), self._reader() as s:
            row = s.get(Order, order_id, options=list(ORDER_DETAIL))
            return views.order(row) if row else None

    def list_orders(self, customer_id: str) -> list[OrderSummary]:
        with self._guard("list_orders"), self._reader() as s:
            query = select(Order).where(Order.customer_id == customer_id)
            rows = s.scalars(query.order_by(Order.created_at.desc(), Order.id))
            return [views.summary(o) for o in rows]

    def list_invoices(self, customer_id: str) -> list[InvoiceView]:
        with self._guard("list_invoices"), self._reader() as s:
            query = select(Invoice).where(Invoice.customer_id == customer_id)
            rows = s.scalars(query.order_by(Invoice.issued_at.desc(), Invoice.id))
            return [views.invoice(i) for i in rows]

    def list_payments(self, customer_id: str) -> list[PaymentView]:
        with self._guard("list_payments"), self._reader() as s:
            query = select(Payment).join(Order).where(Order.customer_id == customer_id)
            rows = s.scalars(query.order_by(Payment.created_at.desc(), Payment.id))
            return [views.payment(p) for p in rows]

    # -- writes on orders ----------------------------------------------------
    def create_refund(
        self,
        *,
        customer_id: str,
        order_id: str,
        amount_cents: int,
        reason: str,
        idempotency_key: str,
        actor: str,
        status: str = "approved",
        destination: str | None = None,
        check: OrderCheck | None = None,
        skus: list[str] | None = None,
    ) -> RefundView:
        """Exactly once per `idempotency_key`: a repeat returns the first refund unchanged.

        `skus` are the order lines the refund covers, one per unit (None: the whole order).
        The refund row, the payments it marks refunded and the audit row commit together.
        Raises NotFound for an order that is not this customer's, NotAllowed when the
        refunds would exceed what was paid or `check` (the policy) refuses.
        """
        with self._guard("create_refund"):
            try:
                with self._writer.begin() as s:
                    return write_refund(
                        s,
                        customer_id=customer_id,
                        order_id=order_id,
                        amount_cents=amount_cents,
                        reason=reason,
                        idempotency_key=idempotency_key,
                        actor=actor,
                        status=status,
                        destination=destination,
                        check=check,
                        skus=skus,
                    )
            except IntegrityError:
                # A concurrent call with the same key committed first: return its refund.
                existing = self.find_refund(idempotency_key)
                if existing is None:
                    raise
                return existing

    def recorded_write(self, *keys: str) -> bool:
        """Whether any write was recorded under one of `keys` (a refund, an approval request,
        an exchange, a dispute, or an order or account change): a conversation that lost
        its last turn in a crash asks before it answers, so it never denies a write."""
        keyed = (
            IdempotencyRecord.key,
            Refund.idempotency_key,
            Approval.idempotency_key,
            Exchange.idempotency_key,
            Dispute.idempotency_key,
        )
        with self._guard("recorded_write"), self._reader() as s:
            return any(
                s.scalar(select(column).where(column.in_(keys)).limit(1)) is not None
                for column in keyed
            )

    def find_refund(self, idempotency_key: str) -> RefundView | None:
        """The refund recorded under `idempotency_key`, if any."""
        with self._guard("find_refund"), self._reader() as s:
            query = select(Refund).where(Refund.idempotency_key == idempotency_key)
            row = s.scalar(query)
            return views.refund(row) if row else None

    def cancel_order(self, **fields: Any) -> CancellationView:
        """Cancel the order (status, reason, refund less fee, audit) exactly once per key.

        Keyword arguments: those of `StoreBackend.cancel_order`."""
        return self._write_once("cancel_order", write_cancellation, fields)

    def change_address(self, **fields: Any) -> AddressChangeView:
        """Change a pending order's shipping address (audited) exactly once per key.

        Keyword arguments: those of `StoreBackend.change_address`."""
        return self._write_once("change_address", write_address_change, fields)

    def swap_items(self, **fields: Any) -> SwapView:
        """Exchange a delivered order's items or modify a pending order's (audited), for
        other options of the same products, exactly once per key.

        Keyword arguments: those of `StoreBackend.swap_items`."""
        return self._write_once("swap_items", write_swap, fields)

    def change_payment_method(self, **fields: Any) -> PaymentChangeView:
        """Move a pending order to another payment method (audited) exactly once per key.

        Keyword arguments: those of `StoreBackend.change_payment_method`."""
        return self._write_once("change_payment_method", write_payment_change, fields)

    def create_dispute(self, **fields: Any) -> DisputeView:
        """Open a dispute on one of the order's payments (once per key, once per charge).

        Keyword arguments: those of `StoreBackend.create_dispute`."""
        return self._write_once("create_dispute", write_dispute, fields)

    def list_disputes(self, customer_id: str | None = None) -> list[DisputeView]:
        with self._guard("list_disputes"), self._reader() as s:
            query = select(Dispute).order_by(Dispute.created_at, Dispute.id)
            if customer_id is not None:
                query = query.where(Dispute.customer_id == customer_id)
            return [views.dispute(d) for d in s.scalars(query)]

    # -- approvals -----------------------------------------------------------------
    def request_approval(self, **fields: Any) -> ApprovalView:
        """A pending approval plus its `approval_needed` escalation, once per key.

        Keyword arguments: those of `StoreBackend.request_approval`."""
        return self._write_once("request_approval", write_approval_request, fields)

    def decide_approval(
        self,
        approval_id: str,
        *,
        approve: bool,
        agent: str,
        note: str = "",
        check: OrderCheck | None = None,
    ) -> ApprovalView:
        """Record a human decision (and, on approval, the refund) in one transaction."""
        with self._guard("decide_approval"), self._writer.begin() as s:
            return write_approval_decision(
                s, approval_id=approval_id, approve=approve, agent=agent, note=note, check=check
            )

    def get_approval(self, approval_id: str) -> ApprovalView | None:
        with self._guard("get_approval"), self._reader() as s:
            row = s.get(Approval, approval_id)
            return views.approval(row) if row else None

    def list_approvals(self, status: str | None = None) -> list[ApprovalView]:
        """Approvals, oldest request first; `status` filters (pending, approved, declined)."""
        with self._guard("list_approvals"), self._reader() as s:
            query = select(Approval).order_by(Approval.requested_at, Approval.id)
            if status is not None:
                query = query.where(Approval.status == status)
            return [views.approval(a) for a in s.scalars(query)]
