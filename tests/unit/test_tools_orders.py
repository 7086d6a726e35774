"""Order tools: a customer sees their own orders; anyone else's read exactly like missing ones."""

from __future__ import annotations

from datetime import date

import pytest

from tools import orders
from tools.errors import NotFound
from tools.store.backend import SqlStore
from tools.store.seed import seed_demo


@pytest.fixture(scope="module")
def store(tmp_path_factory) -> SqlStore:
    store = SqlStore.from_url(f"sqlite:///{tmp_path_factory.mktemp('orders') / 's.sqlite'}")
    seed_demo(store.engine, today=date(2026, 3, 15))
    return store


def _order_of(store: SqlStore, customer_id: str, status: str) -> str:
    return next(o.id for o in store.list_orders(customer_id) if o.status == status)


def test_get_order_own_shipped_order_shows_tracking_items_and_payment(store):
    order_id = _order_of(store, "C0001", "shipped")
    order = orders.get_order(store, "C0001", order_id)
    assert order.id == order_id and order.customer_id == "C0001"
    assert order.status == "shipped" and order.tracking_number and order.carrier
    assert [(i.sku, i.quantity) for i in order.items] == [("NW-BAG-500", 1), ("NW-BTL-520", 2)]
    assert order.total_cents == 8900 + 2 * 2900
    assert [p.amount_cents for p in order.payments] == [order.total_cents]
    assert order.payments[0].status == "captured"
    assert [i.amount_cents for i in order.invoices] == [order.total_cents]
    assert order.shipping_address.startswith("Jordan Rivera, ")


def test_get_order_accepts_lowercase_and_spaces(store):
    order_id = _order_of(store, "C0001", "pending")
    assert orders.get_order(store, "C0001", f"  {order_id.lower()} ").id == order_id


def test_get_order_other_customers_order_reads_like_a_missing_one(store):
    theirs = store.list_orders("C0002")[0].id
    missing = "W0000000"
    assert store.get_order(missing) is None
    with pytest.raises(NotFound) as other_err:
        orders.get_order(store, "C0001", theirs)
    with pytest.raises(NotFound) as missing_err:
        orders.get_order(store, "C0001", missing)
    assert other_err.value.code == missing_err.value.code == "not_found"
    assert str(other_err.value) == f"We couldn't find order {theirs} on your account."
    assert str(missing_err.value) == f"We couldn't find order {missing} on your account."


def test_list_orders_only_own_newest_first(store):
    listed = orders.list_orders(store, "C0001")
    assert len(listed) == 6
    assert [o.created_at for o in listed] == sorted((o.created_at for o in listed), reverse=True)
    assert listed[0].status == "pending"
    assert all(store.get_order(o.id).customer_id == "C0001" for o in listed)
    assert orders.list_orders(store, "C9999") == []
