"""Refund tools: the policy's verdicts, and a refund that happens exactly once, atomically."""

from __future__ import annotations

import threading
from datetime import UTC, date, datetime, timedelta

import pytest
from sqlalchemy import select

from tests.seeded import copy_store, seeded_template
from tools import refunds
from tools.errors import BackendUnavailable, NotAllowed, NotFound
from tools.policy import SupportPolicy
from tools.schemas import OrderView
from tools.store import refund_tx
from tools.store.backend import SqlStore
from tools.store.db import session_factory
from tools.store.models import AuditLog, Order, OrderItem, Payment, Refund

TODAY = date(2026, 3, 15)
NOW = datetime(2026, 3, 15, 9, 30, tzinfo=UTC)
POLICY = SupportPolicy(window_days=30)


@pytest.fixture(scope="module")
def template(tmp_path_factory):
    """One seeded database file, copied for each test (seeding once keeps tests fast)."""
    return seeded_template(tmp_path_factory, "refunds", TODAY)


@pytest.fixture
def store(template, tmp_path) -> SqlStore:
    return copy_store(template, tmp_path)


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


THREE_LINES = [
    ("NW-HP-100", "Aurora Wireless Headphones", 12900),
    ("NW-CHG-110", "VoltGo 65W USB-C Charger", 3900),
    ("NW-MS-410", "Glide Wireless Mouse", 4900),
]


def test_request_refund_one_of_three_lines_then_another_covers_each_line_once(store):
    _add_order(store, "W9000003", THREE_LINES)
    check = refunds.check_refund_eligibility(
        store, "C0001", "W9000003", POLICY, now=NOW, skus=("NW-CHG-110",)
    )
    assert (check.eligible, check.amount_cents, check.item_count) == (True, 3900, 1)
    assert [(i.sku, i.quantity, i.unit_price_cents) for i in check.lines] == [
        ("NW-CHG-110", 1, 3900)
    ]
    assert check.message == (
        "Order W9000003 can be refunded for VoltGo 65W USB-C Charger ($39.00): "
        "$39.00 back to PayPal."
    )
    first = refunds.request_refund(
        store, "C0001", "W9000003", POLICY, "k-charger", "customer:C0001", now=NOW,
        skus=("NW-CHG-110",), expected_amount_cents=3900,
    )  # fmt: skip
    second = refunds.request_refund(
        store, "C0001", "W9000003", POLICY, "k-mouse", "customer:C0001", now=NOW,
        skus=("NW-MS-410",), expected_amount_cents=4900,
    )  # fmt: skip

    order = store.get_order("W9000003")
    assert [(r.id, r.amount_cents, r.skus) for r in order.refunds] == [
        (first.id, 3900, ["NW-CHG-110"]),
        (second.id, 4900, ["NW-MS-410"]),
    ]
    assert [p.status for p in order.payments] == ["partially_refunded"]
    [audit] = store.list_audit(entity_id=second.id)
    assert (audit.before["refunded_cents"], audit.after["refunded_cents"]) == (3900, 8800)
    assert audit.after["refund"]["skus"] == ["NW-MS-410"]
    rest = refunds.check_refund_eligibility(store, "C0001", "W9000003", POLICY, now=NOW)
    assert [i.sku for i in rest.lines] == ["NW-HP-100"] and rest.amount_cents == 12900
    assert rest.message == (
        "Order W9000003 can be refunded for Aurora Wireless Headphones ($129.00): "
        "$129.00 back to PayPal."
    )


def test_request_refund_of_a_line_already_refunded_is_refused_naming_it(store):
    _add_order(store, "W9000003", THREE_LINES)
    first = refunds.request_refund(
        store, "C0001", "W9000003", POLICY, "k1", "bot", now=NOW, skus=("NW-CHG-110",)
    )
    again = refunds.check_refund_eligibility(
        store, "C0001", "W9000003", POLICY, now=NOW, skus=("NW-CHG-110",)
    )
    assert (again.eligible, again.reason, again.amount_cents, again.lines) == (
        False,
        "already_refunded",
        0,
        [],
    )
    assert again.message == (
        f"VoltGo 65W USB-C Charger on order W9000003 was already refunded: refund {first.id} "
        "for $39.00 (approved)."
    )
    with pytest.raises(NotAllowed) as err:
        refunds.request_refund(
            store, "C0001", "W9000003", POLICY, "k2", "bot", now=NOW, skus=("NW-CHG-110",)
        )
    assert str(err.value) == again.message
    assert len(refund_rows(store, "W9000003")) == 1
    # The same request again is the same refund, not a refusal.
    assert (
        refunds.request_refund(
            store, "C0001", "W9000003", POLICY, "k1", "bot", now=NOW, skus=("NW-CHG-110",)
        )
        == first
    )


def test_request_refund_whole_order_after_every_line_went_line_by_line_is_refused(store):
    _add_order(store, "W9000003", THREE_LINES)
    made = [
        refunds.request_refund(
            store, "C0001", "W9000003", POLICY, f"k-{sku}", "bot", now=NOW, skus=(sku,)
        )
        for sku, _, _ in THREE_LINES
    ]
    check = refunds.check_refund_eligibility(store, "C0001", "W9000003", POLICY, now=NOW)
    assert (check.eligible, check.reason) == (False, "already_refunded")
    assert check.message == (
        f"Order W9000003 already has refund {made[0].id} for $129.00 (approved) and refund "
        f"{made[1].id} for $39.00 (approved) and refund {made[2].id} for $49.00 (approved)."
    )
    assert [p.status for p in store.get_order("W9000003").payments] == ["refunded"]


def test_request_refund_stale_amount_after_a_line_was_refunded_is_refused(store):
    _add_order(store, "W9000003", THREE_LINES)
    whole = refunds.check_refund_eligibility(store, "C0001", "W9000003", POLICY, now=NOW)
    assert whole.amount_cents == 21700 and whole.message.endswith("$217.00 back to PayPal.")
    refunds.request_refund(
        store, "C0001", "W9000003", POLICY, "phone", "agent:ann", now=NOW, skus=("NW-MS-410",)
    )
    with pytest.raises(NotAllowed, match=r"is now \$168.00, not \$217.00; nothing was refunded"):
        refunds.request_refund(
            store, "C0001", "W9000003", POLICY, "chat", "bot", now=NOW,
            expected_amount_cents=whole.amount_cents,
        )  # fmt: skip
    assert len(refund_rows(store, "W9000003")) == 1


def test_refund_without_skus_covers_the_whole_order(store):
    """Refunds written before item-level refunds (no SKUs recorded) cover every line."""
    order = demo_order(store, "delivered", delivered="recent")
    old = store.create_refund(
        customer_id="C0001", order_id=order.id, amount_cents=3900, reason="by phone",
        idempotency_key="old", actor="agent:ann",
    )  # fmt: skip
    assert old.skus is None
    check = refunds.check_refund_eligibility(
        store, "C0001", order.id, POLICY, now=NOW, skus=("NW-HP-100",)
    )
    assert (check.eligible, check.reason) == (False, "already_refunded")
    assert check.message == (
        f"Aurora Wireless Headphones on order {order.id} was already refunded: refund "
        f"{old.id} for $39.00 (approved)."
    )


def test_check_refund_eligibility_item_not_in_order_lists_the_items(store):
    order = demo_order(store, "delivered", delivered="recent")
    check = refunds.check_refund_eligibility(
        store, "C0001", order.id, POLICY, now=NOW, skus=("NW-TNT-510",)
    )
    assert (check.eligible, check.reason) == (False, "item_not_in_order")
    assert check.message == (
        f"order {order.id} doesn't contain that item; it has Aurora Wireless Headphones, "
        "VoltGo 65W USB-C Charger."
    )
