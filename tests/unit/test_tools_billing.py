"""Billing tools: own invoices only, masked payment methods."""

from __future__ import annotations

import re
from datetime import date

import pytest

from tools import billing
from tools.errors import NotAllowed, NotFound
from tools.policy import load_policy
from tools.store.backend import SqlStore
from tools.store.db import session_factory
from tools.store.models import Payment
from tools.store.seed import seed_demo


@pytest.fixture(scope="module")
def store(tmp_path_factory) -> SqlStore:
    store = SqlStore.from_url(f"sqlite:///{tmp_path_factory.mktemp('billing') / 's.sqlite'}")
    seed_demo(store.engine, today=date(2026, 3, 15))
    return store


def test_list_invoices_one_per_uncancelled_order_newest_first(store):
    invoices = billing.list_invoices(store, "C0001")
    uncancelled = {o.id for o in store.list_orders("C0001") if o.status != "cancelled"}
    assert {i.order_id for i in invoices} == uncancelled and len(invoices) == 5
    assert [i.issued_at for i in invoices] == sorted((i.issued_at for i in invoices), reverse=True)
    assert all(re.fullmatch(r"INV-\d{4}-\d{5}", i.id) and i.status == "paid" for i in invoices)


def test_get_invoice_own_by_number_any_case(store):
    first = billing.list_invoices(store, "C0001")[0]
    assert billing.get_invoice(store, "C0001", first.id.lower()) == first


def test_get_invoice_other_customers_invoice_reads_like_missing(store):
    theirs = billing.list_invoices(store, "C0002")[0].id
    with pytest.raises(NotFound) as err:
        billing.get_invoice(store, "C0001", theirs)
    assert str(err.value) == f"We couldn't find invoice {theirs} on your account."


def test_payment_methods_are_masked_labels(store):
    labels = [m.label for m in billing.payment_methods(store, "C0001")]
    assert labels and len(labels) == len(set(labels))
    for label in labels:
        assert re.fullmatch(
            r"(Visa|Mastercard|American Express|Northwind Gift Card)"
            r" ending \d{4}|PayPal",
            label,
        ), label
    payments = store.get_order(store.list_orders("C0001")[0].id).payments
    assert payments[0].label in labels


def test_invoice_document_is_a_pdf_of_the_owners_invoice(store):
    invoice = billing.list_invoices(store, "C0001")[0]
    name, pdf = billing.invoice_document(store, "C0001", invoice.id.lower())
    assert name == f"{invoice.id}.pdf"
    assert pdf.startswith(b"%PDF-1.4") and pdf.endswith(b"%%EOF\n")
    order = store.get_order(invoice.order_id)
    assert f"Order: {order.id}".encode() in pdf and b"Bill to: Jordan Rivera" in pdf
    for item in order.items:
        assert item.sku.encode() in pdf
    xref = int(pdf.rsplit(b"startxref\n", 1)[1].split(b"\n")[0])
    assert pdf[xref:].startswith(b"xref\n0 7\n")  # the offset a PDF reader seeks to
    theirs = billing.list_invoices(store, "C0002")[0].id
    with pytest.raises(NotFound):
        billing.invoice_document(store, "C0001", theirs)


def test_cancellation_fee_follows_the_policy_by_status(store):
    policy = load_policy()
    by_status = {o.status: o.id for o in store.list_orders("C0001")}
    pending = billing.cancellation_fee(store, "C0001", by_status["pending"], policy)
    assert (pending.eligible, pending.fee_cents) == (True, 0)
    assert "free of charge" in pending.message
    processing = billing.cancellation_fee(store, "C0001", by_status["processing"], policy)
    assert (processing.eligible, processing.fee_cents, processing.refund_cents) == (
        True,
        500,
        5400,
    )
    shipped = billing.cancellation_fee(store, "C0001", by_status["shipped"], policy)
    assert (shipped.eligible, shipped.refund_cents) == (False, 0)


def test_duplicate_charge_is_found_and_disputed_once(tmp_path):
    store = SqlStore.from_url(f"sqlite:///{tmp_path / 's.sqlite'}")
    seed_demo(store.engine, today=date(2026, 3, 15), customers=4, orders=12)
    order_id = next(o.id for o in store.list_orders("C0001") if o.status == "shipped")
    assert billing.find_duplicate_charge(store, "C0001", order_id)[1] is None
    with pytest.raises(NotAllowed, match="no duplicate charge"):
        billing.open_dispute(store, "C0001", order_id, "PAY-X", "k", "customer:C0001")
    first = store.get_order(order_id).payments[0]
    with session_factory(store.engine).begin() as s:
        s.add(
            Payment(
                id="PAY-X",
                order_id=order_id,
                method=first.method,
                brand=first.brand,
                last4=first.last4,
                amount_cents=first.amount_cents,
                status="captured",
            )
        )
    _, extra = billing.find_duplicate_charge(store, "C0001", order_id)
    assert extra is not None and extra.id == "PAY-X"
    dispute = billing.open_dispute(store, "C0001", order_id, "PAY-X", "k1", "customer:C0001")
    assert (dispute.kind, dispute.amount_cents, dispute.status) == (
        "duplicate_charge",
        first.amount_cents,
        "open",
    )
    assert billing.open_dispute(store, "C0001", order_id, "PAY-X", "k1", "c") == dispute
    assert billing.open_dispute(store, "C0001", order_id, "PAY-X", "k2", "c") == dispute
    assert store.list_disputes("C0001") == [dispute]
    with pytest.raises(NotFound):
        billing.open_dispute(store, "C0002", order_id, "PAY-X", "k3", "customer:C0002")
