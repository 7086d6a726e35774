"""What the tools, the graph and the app need from the business backend, by role.

`OrderStore` (customers, orders, money, approvals), `ConversationStore` (sessions,
identity, limits, out-of-bot messages, the turn log) and `DeskStore` (escalations, the
agent desk, feedback, corrections, audit); `StoreBackend` is all three, which `SqlStore`
implements (`tools/store/backend.py`, `records.py`, `desk_records.py`).
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from datetime import datetime
from typing import TYPE_CHECKING, Any, Protocol

from tools.change_views import DefaultAddressView, PaymentChangeView
from tools.schemas import (
    AddressChangeView,
    ApprovalView,
    AuditEntry,
    CancellationView,
    CustomerView,
    DisputeView,
    EscalationView,
    InvoiceView,
    OrderSummary,
    OrderView,
    PaymentMethodView,
    PaymentView,
    ProductView,
    RefundView,
    SessionView,
    SwapView,
    VerificationResult,
)
from tools.store.change_tx import PaymentCheck
from tools.store.limits import AbuseLimits, Check
from tools.store.order_tx import CancelCheck
from tools.store.refund_tx import OrderCheck
from tools.store.swap_tx import SwapCheck

if TYPE_CHECKING:
    from sqlalchemy import Engine

    from tools.store.turnlog import TurnRecord


class OrderStore(Protocol):
    """Customers, orders, billing and the catalogue; writes that change orders or move
    money; approvals of refunds above the auto-approve limit."""

    # customers, orders, billing
    def get_customer(self, customer_id: str) -> CustomerView | None: ...
    def list_customers(self, limit: int = 20) -> list[CustomerView]: ...
    def customer_exists(self, customer_id: str) -> bool: ...
    def list_payment_methods(self, customer_id: str) -> list[PaymentMethodView]: ...
    def get_order(self, order_id: str) -> OrderView | None: ...
    def list_orders(self, customer_id: str) -> list[OrderSummary]: ...
    def list_invoices(self, customer_id: str) -> list[InvoiceView]: ...
    def list_payments(self, customer_id: str) -> list[PaymentView]: ...
    def change_default_address(
        self, *, customer_id: str, address: str, idempotency_key: str, actor: str
    ) -> DefaultAddressView: ...

    # catalogue
    def get_product(self, sku: str) -> ProductView | None: ...
    def list_variants(self, sku: str) -> list[ProductView]: ...
    def list_products(self) -> list[ProductView]: ...
    def product_names(self) -> list[str]: ...

    # writes on orders (each idempotent under its key, audited, policy re-checked)
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
    ) -> RefundView: ...
    def find_refund(self, idempotency_key: str) -> RefundView | None: ...
    def recorded_write(self, *keys: str) -> bool: ...
    def cancel_order(
        self,
        *,
        customer_id: str,
        order_id: str,
        idempotency_key: str,
        actor: str,
        quote: CancelCheck,
    ) -> CancellationView: ...
    def change_address(
        self,
        *,
        customer_id: str,
        order_id: str,
        address: str,
        idempotency_key: str,
        actor: str,
        check: OrderCheck,
    ) -> AddressChangeView: ...
    def swap_items(
        self,
        *,
        customer_id: str,
        order_id: str,
        kind: str,
        swaps: dict[str, str],
        method_id: str | None,
        idempotency_key: str,
        actor: str,
        quote: SwapCheck,
    ) -> SwapView: ...
    def change_payment_method(
        self,
        *,
        customer_id: str,
        order_id: str,
        method_id: str,
        idempotency_key: str,
        actor: str,
        check: PaymentCheck,
    ) -> PaymentChangeView: ...
    def create_dispute(
        self,
        *,
        customer_id: str,
        order_id: str,
        payment_id: str,
        kind: str,
        amount_cents: int,
        idempotency_key: str,
        actor: str,
    ) -> DisputeView: ...
    def list_disputes(self, customer_id: str | None = None) -> list[DisputeView]: ...

    # approvals of refunds above the auto-approve limit
    def request_approval(
        self,
        *,
        session_id: str,
        customer_id: str,
        order_id: str,
        amount_cents: int,
        destination: str,
        method_id: str | None,
        idempotency_key: str,
        escalation: dict[str, Any],
        skus: list[str] | None = None,
    ) -> ApprovalView: ...
    def decide_approval(
        self,
        approval_id: str,
        *,
        approve: bool,
        agent: str,
        note: str = "",
        check: OrderCheck | None = None,
    ) -> ApprovalView: ...
    def get_approval(self, approval_id: str) -> ApprovalView | None: ...
    def list_approvals(self, status: str | None = None) -> list[ApprovalView]: ...


class ConversationStore(Protocol):
    """Chat sessions and who they belong to, identity checks, abuse limits, out-of-bot
    messages and the per-turn log."""

    @property
    def engine(self) -> Engine:
        """The database behind the store (reports and readiness read it directly)."""
        ...

    # sessions and identity
    def create_session(
        self, session_id: str, customer_id: str | None, channel: str = "api"
    ) -> None: ...
    def get_session(self, session_id: str) -> tuple[str, str | None] | None: ...
    def session_owner(self, session_id: str) -> tuple[str | None, str] | None: ...
    def session_channels(self, session_ids: Sequence[str]) -> dict[str, str]: ...
    def session_identity(self, session_id: str) -> SessionView | None: ...
    def verify_identity(
        self,
        session_id: str,
        *,
        email: str | None = None,
        order_id: str | None = None,
        name: str | None = None,
        zip_code: str | None = None,
        max_attempts: int = 5,
        client: str | None = None,
        abuse: AbuseLimits | None = None,
    ) -> VerificationResult: ...
    def hit_limits(self, checks: Sequence[Check]) -> int | None: ...

    # out-of-bot messages (customer and agent lines while a person owns the chat)
    def add_message(
        self,
        session_id: str,
        role: str,
        content: str,
        *,
        escalation_id: str | None = None,
        author: str | None = None,
    ) -> dict[str, Any]: ...
    def list_messages(
        self, session_id: str, *, after_id: int = 0, role: str | None = None
    ) -> list[dict[str, Any]]: ...

    # the turn log behind KPIs and drift checks
    def write_turn_log(self, row: TurnRecord) -> None: ...


class DeskStore(Protocol):
    """Escalations and the agent desk's records: ownership, feedback, corrections, audit."""

    # escalations and audit
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

    # one ticket per conversation (the agent desk's records)
    def open_ticket(self, session_id: str) -> dict[str, Any] | None: ...
    def join_ticket(
        self,
        escalation_id: str,
        *,
        reason: str,
        intent: str | None,
        confidence: float | None,
        entities: list[Any],
        transcript: list[dict[str, Any]],
    ) -> dict[str, Any]: ...
    def human_owner(self, session_id: str) -> dict[str, Any] | None: ...
    def desk_escalations(self, status: str | None = None) -> list[dict[str, Any]]: ...
    def desk_escalation(self, escalation_id: str) -> dict[str, Any] | None: ...
    def move_escalation(self, escalation_id: str, status: str, agent: str) -> dict[str, Any]: ...
    def assign_escalation(self, escalation_id: str, to: str | None, by: str) -> dict[str, Any]: ...

    # the shift: live events, notes, saved replies, the customer's history
    def add_desk_event(
        self,
        kind: str,
        *,
        escalation_id: str | None,
        session_id: str | None,
        actor: str,
        data: dict[str, Any] | None = None,
    ) -> None: ...
    def desk_events(self, after_id: int = 0, limit: int = ...) -> list[dict[str, Any]]: ...
    def last_desk_event(self) -> int: ...
    def latest_customer_lines(self, escalation_ids: list[str]) -> dict[str, str]: ...
    def note_customer_line(self, session_id: str, text: str) -> dict[str, Any] | None: ...
    def add_note(self, escalation_id: str, author: str, text: str) -> dict[str, Any]: ...
    def list_notes(self, escalation_id: str) -> list[dict[str, Any]]: ...
    def list_macros(self) -> list[dict[str, Any]]: ...
    def get_macro(self, macro_id: int) -> dict[str, Any] | None: ...
    def add_macro(self, name: str, text: str, created_by: str) -> dict[str, Any]: ...
    def delete_macro(self, macro_id: int, agent: str) -> None: ...
    def customer_profile(self, customer_id: str) -> dict[str, Any] | None: ...
    def customer_names(self, customer_ids: list[str]) -> dict[str, str]: ...
    def customer_conversations(self, customer_id: str, limit: int = 10) -> list[dict[str, Any]]: ...

    # feedback and agents' corrections
    def add_feedback(
        self, session_id: str, customer_id: str | None, rating: int, comment: str | None
    ) -> dict[str, Any]: ...
    def add_correction(
        self,
        *,
        session_id: str,
        kind: str,
        agent: str,
        text: str,
        turn_index: int | None = None,
        predicted_intent: str | None = None,
        intent: str | None = None,
        entities: list[Any] | None = None,
    ) -> dict[str, Any]: ...
    def list_corrections(self, kind: str | None = None) -> list[dict[str, Any]]: ...


class WebhookDeadLetterStore(Protocol):
    """Escalation notices the webhook never took (`tools/store/webhook_records.py`)."""

    def add_webhook_dead_letter(
        self,
        *,
        escalation_id: str,
        url: str,
        body: dict[str, Any],
        attempts: int,
        reason: str,
        last_error: str,
    ) -> dict[str, Any]: ...
    def list_webhook_dead_letters(
        self, include_delivered: bool = False
    ) -> list[dict[str, Any]]: ...
    def get_webhook_dead_letter(self, dead_letter_id: int) -> dict[str, Any] | None: ...
    def mark_webhook_replay(
        self, dead_letter_id: int, *, url: str, error: str | None
    ) -> dict[str, Any]: ...


class EmailThreadStore(Protocol):
    """Which conversation each e-mail belongs to (`tools/store/email_threads.py`)."""

    def record_email(
        self, message_id: str, session_id: str, sender: str, direction: str, subject: str = ""
    ) -> bool: ...
    def email_known(self, message_id: str) -> bool: ...
    def email_session(self, message_ids: Sequence[str], sender: str) -> str | None: ...
    def email_thread_of(self, session_id: str) -> list[dict[str, str]]: ...
    def customer_by_email(self, email: str) -> str | None: ...


class StoreBackend(
    OrderStore, ConversationStore, DeskStore, WebhookDeadLetterStore, EmailThreadStore, Protocol
):
    """Everything the service needs from the business backend (SqlStore implements it)."""


class KbQueryStore(Protocol):
    """The help-centre query log, shared by every worker (`tools/store/kb_queries.py`)."""

    def add_kb_query(
        self,
        *,
        session_id: str,
        question: str,
        best_score: float,
        best_doc: str,
        outcome: str,
        at: datetime | None = None,
    ) -> None: ...
    def add_kb_queries(self, rows: Iterable[dict[str, Any]]) -> int: ...
    def list_kb_queries(self, since: datetime | None = None) -> list[dict[str, Any]]: ...


class ServingModelStore(Protocol):
    """The model versions every worker serves (`tools/store/serving_models.py`)."""

    def serving_model(self, name: str) -> str | None: ...
    def set_serving_model(self, name: str, version: str) -> None: ...
