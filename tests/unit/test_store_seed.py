"""The demo seed: deterministic, varied, idempotent, and C0001 owns the demo orders."""

from __future__ import annotations

import re
from collections import Counter
from datetime import UTC, date, datetime, timedelta

import pytest
from sqlalchemy import Engine, select

from tools.store.backend import SqlStore
from tools.store.catalog import CATALOG
from tools.store.db import session_factory
from tools.store.models import Base, Invoice, Order, OrderItem, Payment
from tools.store.seed import seed_demo

TODAY = date(2026, 3, 15)
MIDNIGHT = datetime(2026, 3, 15, tzinfo=UTC)


def _open(tmp_path, name: str) -> SqlStore:
    return SqlStore.from_url(f"sqlite:///{tmp_path / name}")


def _dump(engine: Engine) -> dict[str, list[dict]]:
    """Every row of every table, in primary-key order."""
    with engine.connect() as conn:
        return {
            t.name: [dict(r._mapping) for r in conn.execute(select(t).order_by(*t.primary_key))]
            for t in Base.metadata.sorted_tables
        }


@pytest.fixture(scope="module")
def seeded(tmp_path_factory) -> SqlStore:
    store = _open(tmp_path_factory.mktemp("seed"), "store.sqlite")
    seed_demo(store.engine, today=TODAY)
    return store


def test_seed_demo_same_today_writes_identical_rows(tmp_path, seeded):
    again = _open(tmp_path, "again.sqlite")
    seed_demo(again.engine, today=TODAY)
    first, second = _dump(seeded.engine), _dump(again.engine)
    assert len(first["orders"]) == 240
    assert first == second


def test_seed_demo_other_seed_or_day_writes_other_rows(tmp_path, seeded):
    other_seed = _open(tmp_path, "seed8.sqlite")
    seed_demo(other_seed.engine, today=TODAY, seed=8)
    other_day = _open(tmp_path, "day.sqlite")
    seed_demo(other_day.engine, today=TODAY + timedelta(days=1))
    reference = _dump(seeded.engine)
    assert _dump(other_seed.engine)["orders"] != reference["orders"]
    shifted = {r["id"]: r for r in _dump(other_day.engine)["orders"]}
    for row in reference["orders"]:  # the same orders, one day later
        assert shifted[row["id"]]["created_at"] == row["created_at"] + timedelta(days=1)


def test_seed_demo_counts_and_every_status(seeded):
    counts = seed_demo(seeded.engine, today=TODAY)  # a second call only counts
    assert counts["customers"] == 60 and counts["orders"] == 240
    assert counts["products"] == 24 and counts["payments"] == 240
    assert 3 <= counts["refunds"] <= 10
    with seeded.engine.connect() as conn:
        statuses = Counter(conn.scalars(select(Order.status)))
        customers_with_orders = set(conn.scalars(select(Order.customer_id)))
    assert set(statuses) == {"pending", "processing", "shipped", "delivered", "cancelled"}
    assert min(statuses.values()) >= 20, statuses
    assert len(customers_with_orders) == 60


def test_seed_demo_orders_are_consistent(seeded):
    with session_factory(seeded.engine)() as s:
        orders = s.scalars(select(Order)).all()
        invoiced = {i.order_id: i for i in s.scalars(select(Invoice))}
        for order in orders:
            assert 1 <= len(order.items) <= 4
            assert order.total_cents == sum(i.quantity * i.unit_price_cents for i in order.items)
            assert [p.amount_cents for p in order.payments] == [order.total_cents]
            assert order.created_at < MIDNIGHT and order.created_at.tzinfo is not None
            if order.status in ("shipped", "delivered"):
                assert order.carrier in ("UPS", "USPS", "FedEx")
                assert re.fullmatch(r"1Z[0-9A-Z]{16}|9400\d{18}|\d{12}", order.tracking_number)
                assert order.created_at < order.shipped_at
            else:
                assert order.tracking_number is None and order.shipped_at is None
            if order.status == "cancelled":
                assert order.id not in invoiced
                assert order.payments[0].status == "refunded"
            else:
                assert invoiced[order.id].amount_cents == order.total_cents
        methods = Counter(s.scalars(select(Payment.method)))
    assert all(re.fullmatch(r"INV-20\d\d-\d{5}", i.id) for i in invoiced.values())
    assert all(re.fullmatch(r"W\d{7}", o.id) for o in orders)
    assert set(methods) == {"card", "paypal", "gift_card"}
    ages = [(MIDNIGHT - o.delivered_at).days for o in orders if o.status == "delivered"]
    assert sum(a < 30 for a in ages) >= 15 and sum(a > 31 for a in ages) >= 30
    assert max(ages) <= 90


def test_seed_demo_gives_c0001_the_demo_orders(seeded):
    customer = seeded.get_customer("C0001")
    assert customer is not None and customer.name == "Jordan Rivera"
    orders = {o.id: seeded.get_order(o.id) for o in customer.orders}
    by_status = Counter(o.status for o in orders.values())
    assert by_status == {
        "pending": 1,
        "processing": 1,
        "shipped": 1,
        "delivered": 2,
        "cancelled": 1,
    }
    delivered_days = sorted(
        (MIDNIGHT - o.delivered_at).days for o in orders.values() if o.status == "delivered"
    )
    assert delivered_days[0] < 10 and delivered_days[1] > 30
    shipped = next(o for o in orders.values() if o.status == "shipped")
    assert shipped.tracking_number and shipped.carrier


def test_seed_demo_gives_c0002_every_status_for_ownership_tests(seeded):
    statuses = {o.status for o in seeded.list_orders("C0002")}
    assert statuses == {"pending", "processing", "shipped", "delivered", "cancelled"}


def test_seed_demo_twice_leaves_the_store_as_it_was(tmp_path):
    store = _open(tmp_path, "twice.sqlite")
    first = seed_demo(store.engine, today=TODAY, customers=5, orders=20)
    before = _dump(store.engine)
    second = seed_demo(store.engine, today=TODAY + timedelta(days=9), customers=9, orders=99)
    assert first == second == {**first, "customers": 5, "orders": 20}
    assert _dump(store.engine) == before


def test_seed_demo_variants_are_in_the_catalogue_but_never_in_seeded_orders(seeded):
    with seeded.engine.connect() as conn:
        ordered = set(conn.scalars(select(OrderItem.sku)))
        names = set(conn.scalars(select(OrderItem.name)))
    assert ordered <= {item.sku for item in CATALOG}
    assert "Aurora Wireless Headphones" in names and not any("(" in n for n in names)
    assert [(p.sku, p.options, p.price_cents) for p in seeded.list_variants("NW-BTL-520")] == [
        ("NW-BTL-521", {"capacity": "500ml", "color": "green"}, 2900),
        ("NW-BTL-522", {"capacity": "750ml", "color": "blue"}, 3400),
    ]  # NW-BTL-523 (750ml, green) is sold out
    assert [p.sku for p in seeded.list_variants("NW-HP-101")] == ["NW-HP-100", "NW-HP-102"]
    assert seeded.list_variants("NW-CHG-110") == [] and seeded.list_variants("nope") == []
    headphones = seeded.get_product("NW-HP-100")
    assert (headphones.group_id, headphones.options, headphones.label) == (
        "NW-HP",
        {"color": "black"},
        "Aurora Wireless Headphones (black)",
    )
