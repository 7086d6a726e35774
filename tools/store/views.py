"""Map ORM rows to the public views in `tools.schemas` (rows never leave the store)."""

from __future__ import annotations

from typing import Any

from tools.schemas import (
    ApprovalView,
    AuditEntry,
    CustomerView,
    DisputeView,
    EscalationView,
    InvoiceView,
    ItemView,
    OrderSummary,
    OrderView,
    PaymentMethodView,
    PaymentView,
    ProductView,
    RefundView,
    SwapRecord,
    SwapView,
)
from tools.store.models import (
    Approval,
    AuditLog,
    Customer,
    Dispute,
    Escalation,
    Exchange,
    Invoice,
    Order,
    OrderItem,
    Payment,
    PaymentMethod,
    Product,
    Refund,
)

ACTIVE_REFUND = ("requested", "approved", "completed")
"""Refund statuses that count against what was paid (a rejected refund does not)."""


def summary(order: Order) -> OrderSummary:
    return OrderSummary(
        id=order.id, status=order.status, created_at=order.created_at, total_cents=order.total_cents
    )


def customer(row: Customer) -> CustomerView:
    orders = sorted(row.orders, key=lambda o: (o.created_at, o.id), reverse=True)
    return CustomerView(
        id=row.id,
        email=row.email,
        name=row.name,
        address=row.address,
        orders=[summary(o) for o in orders],
    )


def options(raw: dict[str, Any] | None) -> dict[str, str]:
    """A product's options as text: τ-bench dumps hold a few as numbers."""
    return {str(k): str(v) for k, v in (raw or {}).items()}


def item(row: OrderItem) -> ItemView:
    return ItemView(
        sku=row.sku,
        name=row.name,
        quantity=row.quantity,
        unit_price_cents=row.unit_price_cents,
        refundable=row.product.refundable,
        category=row.product.category,
        options=options(row.product.options),
        group_id=row.product.group_id,
    )


def product(row: Product) -> ProductView:
    return ProductView(
        sku=row.sku,
        name=row.name,
        category=row.category,
        price_cents=row.price_cents,
        options=options(row.options),
        group_id=row.group_id,
        available=row.available,
    )


def exchange(row: Exchange) -> SwapView:
    return SwapView(
        id=row.id,
        order_id=row.order_id,
        customer_id=row.customer_id,
        kind=row.kind,
        swaps=[SwapRecord.model_validate(s) for s in row.swaps],
        difference_cents=row.difference_cents,
        payment_label=row.method,
        status=row.status,
        created_at=row.created_at,
    )


def payment(row: Payment) -> PaymentView:
    return PaymentView(
        id=row.id,
        method=row.method,
        brand=row.brand,
        last4=row.last4,
        amount_cents=row.amount_cents,
        status=row.status,
        method_id=row.method_id,
    )


def refund(row: Refund) -> RefundView:
    return RefundView(
        id=row.id,
        order_id=row.order_id,
        amount_cents=row.amount_cents,
        status=row.status,
        reason=row.reason,
        created_at=row.created_at,
        destination=row.destination,
        skus=row.skus,
    )


def payment_method(row: PaymentMethod) -> PaymentMethodView:
    return PaymentMethodView(
        id=row.id,
        method=row.method,
        brand=row.brand,
        last4=row.last4,
        balance_cents=row.balance_cents,
    )


def approval(row: Approval) -> ApprovalView:
    return ApprovalView(
        id=row.id,
        session_id=row.session_id,
        customer_id=row.customer_id,
        order_id=row.order_id,
        amount_cents=row.amount_cents,
        destination=row.destination,
        status=row.status,
        escalation_id=row.escalation_id,
        refund_id=row.refund_id,
        method_id=row.method_id,
        skus=row.skus,
        requested_at=row.requested_at,
        decided_by=row.decided_by,
        decided_at=row.decided_at,
        note=row.note,
    )


def dispute(row: Dispute) -> DisputeView:
    return DisputeView(
        id=row.id,
        customer_id=row.customer_id,
        order_id=row.order_id,
        payment_id=row.payment_id,
        kind=row.kind,
        amount_cents=row.amount_cents,
        status=row.status,
        created_at=row.created_at,
    )


def invoice(row: Invoice) -> InvoiceView:
    return InvoiceView(
        id=row.id,
        order_id=row.order_id,
        amount_cents=row.amount_cents,
        issued_at=row.issued_at,
        status=row.status,
    )


def order(row: Order) -> OrderView:
    return OrderView(
        id=row.id,
        customer_id=row.customer_id,
        status=row.status,
        created_at=row.created_at,
        shipped_at=row.shipped_at,
        delivered_at=row.delivered_at,
        tracking_number=row.tracking_number,
        carrier=row.carrier,
        shipping_address=row.shipping_address,
        total_cents=row.total_cents,
        items=[item(i) for i in row.items],
        payments=[payment(p) for p in row.payments],
        refunds=[refund(r) for r in row.refunds],
        invoices=[invoice(i) for i in row.invoices],
        cancelled_at=row.cancelled_at,
        cancel_reason=row.cancel_reason,
        exchanges=[exchange(x) for x in row.exchanges],
    )


def escalation(row: Escalation) -> EscalationView:
    return EscalationView(
        id=row.id,
        session_id=row.session_id,
        customer_id=row.customer_id,
        reason=row.reason,
        intent=row.intent,
        confidence=row.confidence,
        entities=row.entities,
        transcript=row.transcript,
        status=row.status,
        created_at=row.created_at,
    )


def audit(row: AuditLog) -> AuditEntry:
    return AuditEntry(
        id=row.id,
        at=row.at,
        actor=row.actor,
        action=row.action,
        entity=row.entity,
        entity_id=row.entity_id,
        before=row.before,
        after=row.after,
    )


def money_state(row: Order) -> dict[str, Any]:
    """What an order's money looks like, for audit before/after snapshots."""
    return {
        "order_id": row.id,
        "refunded_cents": sum(r.amount_cents for r in row.refunds if r.status in ACTIVE_REFUND),
        "payments": [{"id": p.id, "status": p.status} for p in row.payments],
    }
