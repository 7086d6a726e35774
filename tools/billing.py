"""Billing tools: the caller's invoices and the payment methods on file (masked)."""

from __future__ import annotations

from tools.errors import NotFound
from tools.schemas import InvoiceView
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


def payment_methods(store: StoreBackend, customer_id: str) -> list[str]:
    """The payment methods the signed-in customer has paid with, masked: "Visa ending 4242".

    Most recently used first; full card numbers are never stored or shown.
    """
    labels: list[str] = []
    for payment in store.list_payments(customer_id):
        if payment.label not in labels:
            labels.append(payment.label)
    return labels
