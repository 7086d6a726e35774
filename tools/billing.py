"""Billing tools: invoices (and their PDF), saved payment methods (masked), duplicate-charge
disputes and the cancellation fee of an order."""

from __future__ import annotations

from tools.coverage import net_paid_cents
from tools.errors import NotAllowed, NotFound
from tools.invoice_pdf import render_invoice_pdf
from tools.orders import get_order, normal_order_id
from tools.policy import SupportPolicy
from tools.schemas import (
    CancelQuote,
    DisputeView,
    InvoiceView,
    OrderView,
    PaymentMethodView,
    PaymentView,
    money,
)
from tools.store.backend import StoreBackend


def list_invoices(store: StoreBackend, customer_id: str) -> list[InvoiceView]:
    """List the signed-in customer's invoices, newest first (number, order, amount, status)."""
    return store.list_invoices(customer_id)


def get_invoice(store: StoreBackend, customer_id: str, invoice_id: str) -> InvoiceView:
    """Look up one of the signed-in customer's invoices by number, e.g. "INV-2026-00042".

    Raises NotFound when the customer has no such invoice.
    """
    wanted = invoice_id.strip().upper()
    for invoice in store.list_invoices(customer_id):
        if invoice.id == wanted:
            return invoice
    raise NotFound(f"We couldn't find invoice {wanted or invoice_id} on your account.")


def invoice_document(store: StoreBackend, customer_id: str, invoice_id: str) -> tuple[str, bytes]:
    """The invoice as a PDF: (file name, bytes), e.g. ('INV-2026-00042.pdf', b'%PDF-1.4...').

    Only the customer's own invoices; anyone else's raises NotFound like a missing one.
    """
    invoice = get_invoice(store, customer_id, invoice_id)
    order = get_order(store, customer_id, invoice.order_id)
    customer = store.get_customer(customer_id)
    name = customer.name if customer else customer_id
    return f"{invoice.id}.pdf", render_invoice_pdf(invoice, order, name)


def payment_methods(store: StoreBackend, customer_id: str) -> list[PaymentMethodView]:
    """The payment methods on the signed-in customer's file, masked: 'Visa ending 4242'.

    Full card numbers are never stored or shown; gift cards show their balance.
    """
    return store.list_payment_methods(customer_id)


def cancellation_fee(
    store: StoreBackend, customer_id: str, order_id: str, policy: SupportPolicy
) -> CancelQuote:
    """What cancelling one of the customer's orders would cost under the written policy.

    `eligible` says whether its status can be cancelled at all; `fee_cents` is the fee and
    `refund_cents` what would come back. Changes nothing.
    """
    order = get_order(store, customer_id, order_id)
    paid = net_paid_cents(order) if order.payments else 0  # less what went back already
    fee = policy.cancel_fee_cents(order.status)
    paid_by = order.current_payment
    label = paid_by.label if paid_by else "the original payment method"
    eligible = order.status in policy.cancel_statuses
    if eligible:
        message = (
            f"Cancelling order {order.id} ({order.status}) costs {money(fee)}; "
            f"{money(max(0, paid - fee))} would go back to {label}."
            if fee
            else f"Cancelling order {order.id} ({order.status}) is free of charge; "
            f"{money(paid)} would go back to {label}."
        )
    else:
        message = f"Order {order.id} is {order.status}, so it can no longer be cancelled."
    return CancelQuote(
        order_id=order.id,
        eligible=eligible,
        reason="ok" if eligible else "status",
        message=message,
        status=order.status,
        fee_cents=fee,
        refund_cents=max(0, paid - fee) if eligible else 0,
        payment_label=label,
    )


def duplicate_charges(order: OrderView) -> list[PaymentView]:
    """Charges on the order beyond what it cost: a second captured payment of an amount
    already captured, or captures adding up to more than the order total."""
    seen: set[tuple[str | None, int]] = set()
    extra: list[PaymentView] = []
    captured = 0
    for payment in order.payments:
        if payment.status != "captured":
            continue
        key = (payment.label, payment.amount_cents)
        captured += payment.amount_cents
        if key in seen or captured > order.total_cents:
            extra.append(payment)
        seen.add(key)
    return extra


def find_duplicate_charge(
    store: StoreBackend, customer_id: str, order_id: str
) -> tuple[OrderView, PaymentView | None]:
    """The customer's order and its duplicate charge, if it has one. Changes nothing."""
    order = get_order(store, customer_id, order_id)
    extra = duplicate_charges(order)
    return order, (extra[0] if extra else None)


def open_dispute(
    store: StoreBackend,
    customer_id: str,
    order_id: str,
    payment_id: str,
    idempotency_key: str,
    actor: str,
) -> DisputeView:
    """Open a duplicate-charge dispute on one of the customer's orders, after the customer
    confirmed it. The charge must still look duplicated; one open dispute per charge."""
    order = get_order(store, customer_id, order_id)
    payment = next((p for p in duplicate_charges(order) if p.id == payment_id), None)
    if payment is None:
        raise NotAllowed(
            f"Order {order.id} has no duplicate charge to dispute; nothing was opened."
        )
    return store.create_dispute(
        customer_id=customer_id,
        order_id=normal_order_id(order_id),
        payment_id=payment.id,
        kind="duplicate_charge",
        amount_cents=payment.amount_cents,
        idempotency_key=idempotency_key,
        actor=actor,
    )
