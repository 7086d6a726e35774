"""The store behind the tools: a `StoreBackend` protocol and its SQL implementation.

Every method is synchronous, runs in its own transaction, returns public views (never ORM
rows) and turns database failures into `BackendUnavailable`. Reads do not check ownership:
that is the tools' job (`tools/orders.py` etc.), which know who is asking. The one write
that moves money, `create_refund`, checks the order belongs to the customer it names.
"""

from __future__ import annotations

import logging
import uuid
from collections.abc import Iterator
from contextlib import contextmanager
from typing import Any, Protocol

from sqlalchemy import Engine, select
from sqlalchemy.exc import IntegrityError, SQLAlchemyError
from sqlalchemy.orm import selectinload

from tools.errors import BackendUnavailable, ToolError
from tools.schemas import (
    AuditEntry,
    CustomerView,
    EscalationView,
    InvoiceView,
    OrderSummary,
    OrderView,
    PaymentView,
    RefundView,
)
from tools.store import views
from tools.store.db import create_schema, make_engine, session_factory, writer_factory
from tools.store.models import (
    AuditLog,
    ChatSession,
    Customer,
    Escalation,
    Invoice,
    Order,
    OrderItem,
    Payment,
    Refund,
)
from tools.store.refund_tx import write_refund

log = logging.getLogger("support.store")


class StoreBackend(Protocol):
    """What the tools need from the business backend."""

    def get_customer(self, customer_id: str) -> CustomerView | None: ...
    def list_customers(self, limit: int = 20) -> list[CustomerView]: ...
    def customer_exists(self, customer_id: str) -> bool: ...
    def get_order(self, order_id: str) -> OrderView | None: ...
    def list_orders(self, customer_id: str) -> list[OrderSummary]: ...
    def list_invoices(self, customer_id: str) -> list[InvoiceView]: ...
    def list_payments(self, customer_id: str) -> list[PaymentView]: ...
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
    ) -> RefundView: ...
    def find_refund(self, idempotency_key: str) -> RefundView | None: ...
    def create_session(self, session_id: str, customer_id: str | None) -> None: ...
    def get_session(self, session_id: str) -> tuple[str, str | None] | None: ...
    def create_escalation(
        self,
        *,
        session_id: str,
        customer_id: str | None,
        reason: str,
        intent: str | None,
        confidence: float | None,
        entities: list[Any] | dict[str, Any],
        transcript: list[dict[str, Any]],
    ) -> EscalationView: ...
    def list_escalations(self, status: str | None = None) -> list[EscalationView]: ...
    def get_escalation(self, escalation_id: str) -> EscalationView | None: ...
    def list_audit(self, entity_id: str | None = None) -> list[AuditEntry]: ...


_ORDER_DETAIL = (
    selectinload(Order.items).selectinload(OrderItem.product),
    selectinload(Order.payments),
    selectinload(Order.refunds),
    selectinload(Order.invoices),
)


class SqlStore:
    """`StoreBackend` on SQLAlchemy: SQLite by default, PostgreSQL with the same code."""

    def __init__(self, engine: Engine) -> None:
        self.engine = engine
        self._reader = session_factory(engine)
        self._writer = writer_factory(engine)

    @classmethod
    def from_url(cls, url: str) -> SqlStore:
        """Open (and create the tables of) the store at a SQLAlchemy URL."""
        engine = make_engine(url)
        try:
            create_schema(engine)
        except SQLAlchemyError as exc:
            raise BackendUnavailable() from exc
        return cls(engine)

    @contextmanager
    def _guard(self, what: str) -> Iterator[None]:
        try:
            yield
        except ToolError:
            raise
        except SQLAlchemyError as exc:
            log.warning("store call %s failed: %s", what, exc.__class__.__name__, exc_info=True)
            raise BackendUnavailable() from exc

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

    # -- orders and billing ------------------------------------------------
    def get_order(self, order_id: str) -> OrderView | None:
        with self._guard("get_order"), self._reader() as s:
            row = s.get(Order, order_id, options=list(_ORDER_DETAIL))
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

    # -- refunds -------------------------------------------------------------
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
    ) -> RefundView:
        """Exactly once per `idempotency_key`: a repeat returns the first refund unchanged.

        The refund row, the payments it marks refunded and the audit row commit together.
        Raises NotFound for an order that is not this customer's, NotAllowed when the
        refunds would exceed what was paid.
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
                    )
            except IntegrityError:
                # A concurrent call with the same key committed first: return its refund.
                existing = self.find_refund(idempotency_key)
                if existing is None:
                    raise
                return existing

    def find_refund(self, idempotency_key: str) -> RefundView | None:
        """The refund recorded under `idempotency_key`, if any."""
        with self._guard("find_refund"), self._reader() as s:
            query = select(Refund).where(Refund.idempotency_key == idempotency_key)
            row = s.scalar(query)
            return views.refund(row) if row else None

    # -- sessions, escalations, audit ---------------------------------------
    def create_session(self, session_id: str, customer_id: str | None) -> None:
        with self._guard("create_session"), self._writer.begin() as s:
            s.add(ChatSession(id=session_id, customer_id=customer_id))

    def get_session(self, session_id: str) -> tuple[str, str | None] | None:
        with self._guard("get_session"), self._reader() as s:
            row = s.get(ChatSession, session_id)
            return (row.id, row.customer_id) if row else None

    def create_escalation(
        self,
        *,
        session_id: str,
        customer_id: str | None,
        reason: str,
        intent: str | None,
        confidence: float | None,
        entities: list[Any] | dict[str, Any],
        transcript: list[dict[str, Any]],
    ) -> EscalationView:
        row = Escalation(
            id=f"E{uuid.uuid4().hex[:10].upper()}",
            session_id=session_id,
            customer_id=customer_id,
            reason=reason,
            intent=intent,
            confidence=confidence,
            entities=entities,
            transcript=transcript,
            status="open",
        )
        with self._guard("create_escalation"), self._writer.begin() as s:
            s.add(row)
            s.flush()
            return views.escalation(row)

    def list_escalations(self, status: str | None = None) -> list[EscalationView]:
        with self._guard("list_escalations"), self._reader() as s:
            query = select(Escalation).order_by(Escalation.created_at.desc(), Escalation.id)
            if status is not None:
                query = query.where(Escalation.status == status)
            return [views.escalation(e) for e in s.scalars(query)]

    def get_escalation(self, escalation_id: str) -> EscalationView | None:
        with self._guard("get_escalation"), self._reader() as s:
            row = s.get(Escalation, escalation_id)
            return views.escalation(row) if row else None

    def list_audit(self, entity_id: str | None = None) -> list[AuditEntry]:
        with self._guard("list_audit"), self._reader() as s:
            query = select(AuditLog).order_by(AuditLog.id)
            if entity_id is not None:
                query = query.where(AuditLog.entity_id == entity_id)
            return [views.audit(a) for a in s.scalars(query)]
