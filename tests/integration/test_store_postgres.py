"""The store on a real PostgreSQL: schema, seed, reads, and exactly-once refunds under a race."""

from __future__ import annotations

import dataclasses
import threading
from datetime import UTC, date, datetime

import pytest

from tools import approvals, exchanges, orders, profile, refunds
from tools.errors import NotAllowed, NotFound
from tools.policy import SupportPolicy, load_policy
from tools.store.backend import SqlStore
from tools.store.db import session_factory
from tools.store.models import PaymentMethod
from tools.store.seed import seed_demo

pytestmark = pytest.mark.postgres

TODAY = date(2026, 3, 15)
NOW = datetime(2026, 3, 15, 9, 30, tzinfo=UTC)


@pytest.fixture
def store(postgres_url) -> SqlStore:
    store = SqlStore.from_url(postgres_url.replace("postgresql+psycopg://", "postgresql://"))
    yield store
    store.engine.dispose()


def _recent_delivery(store: SqlStore) -> str:
    return next(
        o.id
        for o in store.list_orders("C0001")
        if o.status == "delivered" and (NOW - store.get_order(o.id).delivered_at).days < 10
    )


def test_postgres_store_seeds_once_and_reads_orders(store, tmp_path):
    counts = seed_demo(store.engine, today=TODAY)
    assert counts["customers"] == 60 and counts["orders"] == 240
    assert seed_demo(store.engine, today=TODAY) == counts
    assert store.engine.url.drivername == "postgresql+psycopg"

    sqlite = SqlStore.from_url(f"sqlite:///{tmp_path / 'same.sqlite'}")
    seed_demo(sqlite.engine, today=TODAY)
    shipped = next(o.id for o in store.list_orders("C0001") if o.status == "shipped")
    on_postgres = orders.get_order(store, "C0001", shipped)
    assert on_postgres == sqlite.get_order(shipped)  # same seed, same rows on both backends
    assert on_postgres.created_at.tzinfo is not None
    with pytest.raises(NotFound):
        orders.get_order(store, "C0002", shipped)


def test_postgres_refund_same_key_from_eight_threads_is_written_once(store):
    seed_demo(store.engine, today=TODAY)
    order_id = _recent_delivery(store)
    policy = SupportPolicy()
    barrier = threading.Barrier(8)
    made, errors = [], []

    def ask() -> None:
        barrier.wait()
        try:
            made.append(
                refunds.request_refund(
                    store, "C0001", order_id, policy, "pg-race", "customer:C0001", now=NOW
                )
            )
        except Exception as exc:  # collected and asserted below
            errors.append(exc)

    threads = [threading.Thread(target=ask) for _ in range(8)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert errors == []
    assert len(made) == 8 and len({r.id for r in made}) == 1
    order = store.get_order(order_id)
    assert [r.id for r in order.refunds] == [made[0].id]
    assert order.payments[0].status == "refunded"
    [audit] = store.list_audit(entity_id=made[0].id)
    assert audit.before["payments"][0]["status"] == "captured"
    assert audit.after["payments"][0]["status"] == "refunded"
    again = refunds.request_refund(store, "C0001", order_id, policy, "pg-race", "bot", now=NOW)
    assert again == made[0]


def test_postgres_same_key_on_two_orders_at_once_still_writes_one_refund(store):
    """Different orders lock different rows, so here the UNIQUE key is what stops the twin."""
    seed_demo(store.engine, today=TODAY, customers=5, orders=20)
    order_ids = [o.id for o in store.list_orders("C0001")][:2]
    barrier = threading.Barrier(8)
    made, errors = [], []

    def go(n: int) -> None:
        barrier.wait()
        try:
            made.append(
                store.create_refund(
                    customer_id="C0001",
                    order_id=order_ids[n % 2],
                    amount_cents=500,
                    reason="race",
                    idempotency_key="unique-key",
                    actor="bot",
                )
            )
        except Exception as exc:  # collected and asserted below
            errors.append(exc)

    threads = [threading.Thread(target=go, args=(n,)) for n in range(8)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert errors == []
    assert len(made) == 8 and len({r.id for r in made}) == 1
    written = [r for oid in order_ids for r in store.get_order(oid).refunds]
    assert [r.id for r in written] == [made[0].id]
    assert len(store.list_audit()) == 1


def _race(n: int, work) -> tuple[list, list]:
    """Run work(i) in n threads released together; (results, exceptions)."""
    barrier = threading.Barrier(n)
    made, errors = [], []

    def go(i: int) -> None:
        barrier.wait()
        try:
            made.append(work(i))
        except Exception as exc:  # collected and asserted by the caller
            errors.append(exc)

    threads = [threading.Thread(target=go, args=(i,)) for i in range(n)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    return made, errors


def test_postgres_parallel_cancellations_with_any_keys_cancel_once(store):
    seed_demo(store.engine, today=TODAY)
    order_id = next(o.id for o in store.list_orders("C0001") if o.status == "pending")
    policy = load_policy()
    made, errors = _race(
        8,
        lambda i: orders.cancel_order(
            store, "C0001", order_id, policy, "no longer needed", f"key-{i % 3}", "bot"
        ),
    )
    assert all(isinstance(e, NotAllowed) and "already cancelled" in str(e) for e in errors)
    assert made and len({m.refund.id for m in made}) == 1
    order = store.get_order(order_id)
    assert order.status == "cancelled" and len(order.refunds) == 1
    assert [a.action for a in store.list_audit(entity_id=order_id)] == ["order.cancel"]


def test_postgres_parallel_approvals_write_one_refund(store):
    seed_demo(store.engine)  # approvals are stamped with the real clock
    now = datetime.now(UTC)
    order_id = next(
        o.id
        for o in store.list_orders("C0001")
        if o.status == "delivered" and (now - store.get_order(o.id).delivered_at).days < 10
    )
    policy = dataclasses.replace(load_policy(), auto_approve_limit_cents=10000)
    check = refunds.check_refund_eligibility(store, "C0001", order_id, policy)
    approval = approvals.request_refund_approval(
        store,
        session_id="pg",
        customer_id="C0001",
        eligibility=check,
        idempotency_key="pg-approval",
        escalation={"intent": "get_refund", "confidence": 1.0, "entities": [], "transcript": []},
    )
    made, errors = _race(
        6,
        lambda i: approvals.decide_refund_approval(
            store, approval.id, approve=True, agent=f"agent{i}", policy=policy
        ),
    )
    assert errors == [] and len({m.refund_id for m in made}) == 1
    assert [r.id for r in store.get_order(order_id).refunds] == [made[0].refund_id]


def _c0001(store: SqlStore, status: str) -> str:
    return next(o.id for o in store.list_orders("C0001") if o.status == status)


def test_postgres_parallel_item_refunds_refund_each_line_once(store):
    seed_demo(store.engine, today=TODAY, customers=5, orders=20)
    order_id = _recent_delivery(store)
    policy = SupportPolicy()
    skus = ("NW-HP-100", "NW-CHG-110")
    made, errors = _race(
        8,
        lambda i: refunds.request_refund(
            store, "C0001", order_id, policy, f"line-{i % 2}", "bot", now=NOW,
            skus=(skus[i % 2],),
        ),
    )  # fmt: skip
    assert errors == [] and len(made) == 8
    order = store.get_order(order_id)
    assert sorted((r.amount_cents, tuple(r.skus)) for r in order.refunds) == [
        (3900, ("NW-CHG-110",)),
        (12900, ("NW-HP-100",)),
    ]
    assert {r.id for r in made} == {r.id for r in order.refunds}
    assert order.payments[0].status == "refunded"


def test_postgres_exchange_same_key_from_eight_threads_is_written_once(store):
    seed_demo(store.engine, today=TODAY, customers=5, orders=20)
    order_id = _recent_delivery(store)
    made, errors = _race(
        8,
        lambda i: exchanges.exchange_items(
            store, "C0001", order_id, load_policy(), {"NW-HP-100": "NW-HP-101"}, "pg-x", "bot"
        ),
    )
    assert errors == [] and len(made) == 8 and len({m.id for m in made}) == 1
    assert [x.id for x in store.get_order(order_id).exchanges] == [made[0].id]
    assert [a.action for a in store.list_audit(entity_id=order_id)] == ["order.exchange"]


def test_postgres_parallel_item_changes_with_any_keys_change_the_order_once(store):
    seed_demo(store.engine, today=TODAY, customers=5, orders=20)
    order_id = _c0001(store, "pending")
    made, errors = _race(
        8,
        lambda i: exchanges.modify_items(
            store, "C0001", order_id, load_policy(), {"NW-EB-120": "NW-EB-122"}, f"k-{i % 3}",
            "bot",
        ),
    )  # fmt: skip
    # Once the line is the sand pair, a request with another key finds no black pair.
    assert all(isinstance(e, NotAllowed) and "doesn't contain" in str(e) for e in errors)
    assert made and len({m.id for m in made}) == 1
    order = store.get_order(order_id)
    assert [(i.sku, i.unit_price_cents) for i in order.items] == [("NW-EB-122", 9400)]
    assert [p.amount_cents for p in order.payments] == [8900, 500]
    assert [a.action for a in store.list_audit(entity_id=order_id)] == ["order.modify_items"]


def test_postgres_payment_change_and_default_address_same_key_are_written_once(store):
    seed_demo(store.engine, today=TODAY, customers=5, orders=20)
    with session_factory(store.engine).begin() as s:
        card = dict(brand="Northwind Gift Card", last4="1234", balance_cents=10000)
        s.add(PaymentMethod(id="PM-C0001-GC", customer_id="C0001", method="gift_card", **card))
    order_id = _c0001(store, "pending")
    policy = load_policy()
    paid, errors = _race(
        8,
        lambda i: orders.change_payment_method(
            store, "C0001", order_id, policy, "PM-C0001-GC", "pg-pay", "bot"
        ),
    )
    assert errors == [] and len(paid) == 8 and len(set(paid)) == 1
    assert [p.status for p in store.get_order(order_id).payments] == ["refunded", "captured"]
    wallet = {m.id: m.balance_cents for m in store.list_payment_methods("C0001")}
    assert wallet["PM-C0001-GC"] == 10000 - 8900

    new = "Jordan Rivera, 12 Oak Lane, Apt 3, Portland, OR 97205"
    moved, errors = _race(
        8, lambda i: profile.change_default_address(store, "C0001", new, "pg-addr", "bot")
    )
    assert errors == [] and len(moved) == 8 and len(set(moved)) == 1
    assert (moved[0].before, moved[0].after) == (None, new)
    assert [a.action for a in store.list_audit(entity_id="C0001")] == ["customer.change_address"]
