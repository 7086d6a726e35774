"""Refund tools: the policy's verdicts, and a refund that happens exactly once, atomically."""

from __future__ import annotations

import shutil
import threading
from datetime import UTC, date, datetime, timedelta

import pytest
from sqlalchemy import select

from tools import refunds
from tools.errors import BackendUnavailable, NotAllowed, NotFound
from tools.policy import SupportPolicy
from tools.schemas import OrderView
from tools.store import refund_tx
from tools.store.backend import SqlStore
from tools.store.db import session_factory
from tools.store.models import AuditLog, Order, OrderItem, Payment, Refund
from tools.store.seed import seed_demo

TODAY = date(2026, 3, 15)
NOW = datetime(2026, 3, 15, 9, 30, tzinfo=UTC)
POLICY = SupportPolicy(window_days=30)


@pytest.fixture(scope="module")
def template(tmp_path_factory):
    """One seeded database file, copied for each test (seeding once keeps tests fast)."""
    path = tmp_path_factory.mktemp("refunds") / "template.sqlite"
    store = SqlStore.from_url(f"sqlite:///{path}")
    seed_demo(store.engine, today=TODAY)
    store.engine.dispose()
    return path


@pytest.fixture
def store(template, tmp_path) -> SqlStore:
    shutil.copy(template, tmp_path / "store.sqlite")
    return SqlStore.from_url(f"sqlite:///{tmp_path / 'store.sqlite'}")


def demo_order(store: SqlStore, status: str, *, delivered: str = "") -> OrderView:
    """C0001's seeded order in `status`; delivered="recent" (< 10 days) or "old" (> 30)."""
    for summary in store.list_orders("C0001"):
        order = store.get_order(summary.id)
        if order.status != status:
            continue
        age = NOW - order.delivered_at if order.delivered_at else None
        if delivered == "recent" and age > timedelta(days=10):
            continue
        if delivered == "old" and age < timedelta(days=30):
            continue
        return order
    raise AssertionError(f"C0001 has no {status} {delivered} order")


def refund_rows(store: SqlStore, order_id: str) -> list[Refund]:
    with session_factory(store.engine)() as s:
        return list(s.scalars(select(Refund).where(Refund.order_id == order_id)))


def test_request_refund_recent_delivery_refunds_items_to_card_with_audit(store):
    order = demo_order(store, "delivered", delivered="recent")
    check = refunds.check_refund_eligibility(store, "C0001", order.id, POLICY, now=NOW)
    assert (check.eligible, check.reason) == (True, "ok")
    assert check.amount_cents == 12900 + 3900 == order.total_cents
    assert check.payment_label == order.payments[0].label
    assert check.message == (
        f"Order {order.id} can be refunded: $168.00 back to {order.payments[0].label}."
    )

    refund = refunds.request_refund(
        store, "C0001", order.id, POLICY, "key-1", "customer:C0001", now=NOW
    )

    assert (refund.order_id, refund.amount_cents, refund.status) == (order.id, 16800, "approved")
    after = store.get_order(order.id)
    assert after.refunds == [refund]
    assert [p.status for p in after.payments] == ["refunded"]
    [audit] = store.list_audit(entity_id=refund.id)
    assert (audit.actor, audit.action, audit.entity) == (
        "customer:C0001",
        "refund.create",
        "refund",
    )
    payment_id = order.payments[0].id
    assert audit.before == {
        "order_id": order.id,
        "refunded_cents": 0,
        "payments": [{"id": payment_id, "status": "captured"}],
    }
    assert audit.after["refunded_cents"] == 16800
    assert audit.after["payments"] == [{"id": payment_id, "status": "refunded"}]
    assert audit.after["refund"]["id"] == refund.id
    again = refunds.check_refund_eligibility(store, "C0001", order.id, POLICY, now=NOW)
    assert (again.eligible, again.reason) == (False, "already_refunded")


def test_request_refund_same_key_twice_makes_one_refund(store):
    order = demo_order(store, "delivered", delivered="recent")
    args = (store, "C0001", order.id, POLICY, "same-key", "customer:C0001")
    first = refunds.request_refund(*args, now=NOW)
    second = refunds.request_refund(*args, now=NOW)
    assert first == second
    assert len(refund_rows(store, order.id)) == 1
    assert len(store.list_audit(entity_id=first.id)) == 1


def test_request_refund_new_key_after_refund_is_not_allowed(store):
    order = demo_order(store, "delivered", delivered="recent")
    refunds.request_refund(store, "C0001", order.id, POLICY, "k1", "bot", now=NOW)
    with pytest.raises(NotAllowed, match=f"Order {order.id} already has refund R"):
        refunds.request_refund(store, "C0001", order.id, POLICY, "k2", "bot", now=NOW)
    assert len(refund_rows(store, order.id)) == 1


def test_request_refund_eight_threads_same_key_one_refund_row(store):
    order = demo_order(store, "delivered", delivered="recent")
    start = threading.Barrier(8)
    results, errors = [], []

    def ask() -> None:
        start.wait()
        try:
            results.append(
                refunds.request_refund(
                    store, "C0001", order.id, POLICY, "race", "customer:C0001", now=NOW
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
    assert len(results) == 8 and len({r.id for r in results}) == 1
    assert len(refund_rows(store, order.id)) == 1
    assert len(store.list_audit(entity_id=results[0].id)) == 1


def test_store_create_refund_different_keys_cannot_exceed_payment(store):
    order = demo_order(store, "delivered", delivered="recent")
    common = dict(customer_id="C0001", order_id=order.id, reason="r", actor="agent:ann")
    store.create_refund(amount_cents=10000, idempotency_key="a", **common)
    with pytest.raises(NotAllowed, match="already been refunded"):
        store.create_refund(amount_cents=6801, idempotency_key="b", **common)
    store.create_refund(amount_cents=6800, idempotency_key="c", **common)
    assert [p.status for p in store.get_order(order.id).payments] == ["refunded"]


def test_store_create_refund_partial_marks_payment_partially_refunded(store):
    order = demo_order(store, "delivered", delivered="recent")
    store.create_refund(
        customer_id="C0001",
        order_id=order.id,
        amount_cents=3900,
        reason="charger",
        idempotency_key="p",
        actor="agent:ann",
    )
    assert [p.status for p in store.get_order(order.id).payments] == ["partially_refunded"]


def test_create_refund_failing_audit_write_leaves_nothing_behind(store, monkeypatch):
    order = demo_order(store, "delivered", delivered="recent")

    def broken_audit(**fields):
        return AuditLog(**{**fields, "entity_id": None})  # NOT NULL: the write fails

    monkeypatch.setattr(refund_tx, "AuditLog", broken_audit)
    with pytest.raises(BackendUnavailable) as err:
        refunds.request_refund(store, "C0001", order.id, POLICY, "k", "bot", now=NOW)
    assert err.value.code == "tool_failure"
    assert refund_rows(store, order.id) == []
    assert [p.status for p in store.get_order(order.id).payments] == ["captured"]


def test_request_refund_outside_window_is_not_allowed_with_the_reason(store):
    order = demo_order(store, "delivered", delivered="old")
    check = refunds.check_refund_eligibility(store, "C0001", order.id, POLICY, now=NOW)
    assert (check.eligible, check.reason, check.amount_cents) == (False, "window_expired", 0)
    with pytest.raises(NotAllowed) as err:
        refunds.request_refund(store, "C0001", order.id, POLICY, "k", "bot", now=NOW)
    assert str(err.value) == check.message
    assert "refunds are available for 30 days after delivery" in check.message
    assert refund_rows(store, order.id) == []
    wider = SupportPolicy(window_days=60)
    assert refunds.check_refund_eligibility(store, "C0001", order.id, wider, now=NOW).eligible


@pytest.mark.parametrize(
    ("status", "reason"),
    [("pending", "not_delivered"), ("shipped", "not_delivered"), ("cancelled", "cancelled")],
)
def test_check_refund_eligibility_undelivered_orders_are_not_eligible(store, status, reason):
    order = demo_order(store, status)
    check = refunds.check_refund_eligibility(store, "C0001", order.id, POLICY, now=NOW)
    assert (check.eligible, check.reason, check.amount_cents) == (False, reason, 0)
    assert order.id in check.message
    with pytest.raises(NotAllowed):
        refunds.request_refund(store, "C0001", order.id, POLICY, "k", "bot", now=NOW)


def _add_order(store: SqlStore, order_id: str, lines: list[tuple[str, str, int]]) -> None:
    """A delivered C0001 order, two days ago, with (sku, name, price) lines."""
    total = sum(price for _, _, price in lines)
    with session_factory(store.engine).begin() as s:
        s.add(
            Order(
                id=order_id,
                customer_id="C0001",
                status="delivered",
                created_at=NOW - timedelta(days=5),
                shipped_at=NOW - timedelta(days=4),
                delivered_at=NOW - timedelta(days=2),
                carrier="UPS",
                tracking_number="1Z999AA10123456784",
                shipping_address="x",
                total_cents=total,
                items=[
                    OrderItem(sku=k, name=n, quantity=1, unit_price_cents=p) for k, n, p in lines
                ],
                payments=[
                    Payment(
                        id=f"PAY-{order_id}",
                        method="paypal",
                        brand="PayPal",
                        last4=None,
                        amount_cents=total,
                        status="captured",
                    )
                ],
            )
        )


def test_check_refund_eligibility_gift_cards_are_left_out_of_the_amount(store):
    _add_order(store, "W9000001", [("NW-GC-050", "Gift Card", 5000), ("NW-MS-410", "Mouse", 4900)])
    check = refunds.check_refund_eligibility(store, "C0001", "W9000001", POLICY, now=NOW)
    assert (check.eligible, check.amount_cents, check.payment_label) == (True, 4900, "PayPal")
    assert check.message.endswith("Not included (non-refundable): Gift Card.")
    refund = refunds.request_refund(store, "C0001", "W9000001", POLICY, "g", "bot", now=NOW)
    assert refund.amount_cents == 4900
    assert [p.status for p in store.get_order("W9000001").payments] == ["partially_refunded"]


def test_check_refund_eligibility_gift_card_only_order_is_not_eligible(store):
    _add_order(store, "W9000002", [("NW-GC-050", "Gift Card", 5000)])
    check = refunds.check_refund_eligibility(store, "C0001", "W9000002", POLICY, now=NOW)
    assert (check.eligible, check.reason) == (False, "non_refundable_items")


def test_request_refund_another_customers_order_is_not_found(store):
    theirs = next(o.id for o in store.list_orders("C0002"))
    with pytest.raises(NotFound):
        refunds.check_refund_eligibility(store, "C0001", theirs, POLICY, now=NOW)
    with pytest.raises(NotFound):
        refunds.request_refund(store, "C0001", theirs, POLICY, "k", "bot", now=NOW)
    assert all(r.idempotency_key != "k" for r in refund_rows(store, theirs))
