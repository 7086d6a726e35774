"""Billing tools: own invoices only, masked payment methods."""

from __future__ import annotations

import re
from datetime import date

import pytest

from tools import billing
from tools.errors import NotFound
from tools.store.backend import SqlStore
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
