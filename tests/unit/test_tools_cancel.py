"""Cancelling an order and changing its address: policy-checked, audited, exactly once."""

from __future__ import annotations

import threading
from datetime import date

import pytest
from sqlalchemy import select

from tests.seeded import copy_store
from tools import orders
from tools.errors import BackendUnavailable, NotAllowed, NotFound
from tools.policy import load_policy
from tools.store import order_tx
from tools.store.backend import SqlStore
from tools.store.db import session_factory
from tools.store.models import AuditLog, Refund
from tools.store.seed import seed_demo

POLICY = load_policy()


@pytest.fixture(scope="module")
def template(tmp_path_factory):
    path = tmp_path_factory.mktemp("cancel") / "template.sqlite"
    store = SqlStore.from_url(f"sqlite:///{path}")
    seed_demo(store.engine, today=date(2026, 3, 15))
    store.engine.dispose()
    return path


@pytest.fixture
def store(template, tmp_path) -> SqlStore:
    return copy_store(template, tmp_path)


def of(store: SqlStore, status: str, customer: str = "C0001") -> str:
    return next(o.id for o in store.list_orders(customer) if o.status == status)


def refunds_of(store: SqlStore, order_id: str) -> list[Refund]:
    with session_factory(store.engine)() as s:
        return list(s.scalars(select(Refund).where(Refund.order_id == order_id)))


def test_cancel_pending_order_refunds_everything_and_audits(store):
    order_id = of(store, "pending")
    quote = orders.check_cancel(store, "C0001", order_id, POLICY, "ordered it by mistake")
    assert (quote.eligible, quote.fee_cents, quote.refund_cents) == (True, 0, 8900)
    assert quote.cancel_reason == "ordered by mistake"

    done = orders.cancel_order(
        store, "C0001", order_id, POLICY, "ordered by mistake", "k1", "customer:C0001"
    )

    assert (done.status, done.cancel_reason, done.fee_cents) == (
        "cancelled",
        "ordered by mistake",
        0,
    )
    assert done.refund is not None and done.refund.amount_cents == 8900
    after = store.get_order(order_id)
    assert after.status == "cancelled" and after.cancel_reason == "ordered by mistake"
    assert [p.status for p in after.payments] == ["refunded"]
    [audit] = store.list_audit(entity_id=order_id)
    assert (audit.actor, audit.action) == ("customer:C0001", "order.cancel")
    assert audit.before["status"] == "pending" and audit.after["status"] == "cancelled"
    assert audit.after["refunded_cents"] == 8900


def test_cancel_processing_order_keeps_the_policy_fee(store):
    order_id = of(store, "processing")
    done = orders.cancel_order(
        store, "C0001", order_id, POLICY, "no longer needed", "k", "customer:C0001"
    )
    assert done.fee_cents == 500 and done.refund.amount_cents == 5900 - 500
    assert [p.status for p in store.get_order(order_id).payments] == ["partially_refunded"]


@pytest.mark.parametrize("status", ["shipped", "delivered", "cancelled"])
def test_cancel_order_in_a_status_the_policy_excludes_is_refused(store, status):
    order_id = of(store, status)
    quote = orders.check_cancel(store, "C0001", order_id, POLICY, "no longer needed")
    assert (quote.eligible, quote.reason) == (False, "status")
    with pytest.raises(NotAllowed) as err:
        orders.cancel_order(store, "C0001", order_id, POLICY, "no longer needed", "k", "bot")
    assert str(err.value) == quote.message
    assert store.get_order(order_id).status == status
    assert store.list_audit(entity_id=order_id) == []


def test_cancel_order_reason_the_policy_does_not_accept_is_refused(store):
    order_id = of(store, "pending")
    quote = orders.check_cancel(store, "C0001", order_id, POLICY, "the colour is ugly")
    assert (quote.eligible, quote.reason) == (False, "reason_refused")
    assert "'no longer needed'" in quote.message
    with pytest.raises(NotAllowed):
        orders.cancel_order(store, "C0001", order_id, POLICY, "the colour is ugly", "k", "bot")
    assert store.get_order(order_id).status == "pending"


def test_cancel_order_same_key_twice_cancels_once(store):
    order_id = of(store, "pending")
    args = (store, "C0001", order_id, POLICY, "no longer needed", "same", "customer:C0001")
    first = orders.cancel_order(*args)
    assert orders.cancel_order(*args) == first
    assert len(refunds_of(store, order_id)) == 1
    assert len(store.list_audit(entity_id=order_id)) == 1


def test_cancel_order_parallel_duplicates_make_one_cancellation(store):
    """Eight threads, half with one key and half with others: one cancellation, one refund."""
    order_id = of(store, "pending")
    barrier = threading.Barrier(8)
    done, refused, errors = [], [], []

    def go(n: int) -> None:
        barrier.wait()
        key = "race" if n % 2 else f"other-{n}"
        try:
            done.append(
                orders.cancel_order(store, "C0001", order_id, POLICY, "no longer needed", key, "x")
            )
        except NotAllowed as exc:
            refused.append(exc)
        except Exception as exc:  # collected and asserted below
            errors.append(exc)

    threads = [threading.Thread(target=go, args=(n,)) for n in range(8)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert errors == []
    assert len({d.refund.id for d in done}) == 1 and len(done) + len(refused) == 8
    assert all("already cancelled" in str(e) for e in refused)
    assert len(refunds_of(store, order_id)) == 1
    assert len(store.list_audit(entity_id=order_id)) == 1


def test_cancel_another_customers_order_is_not_found(store):
    theirs = of(store, "pending", customer="C0002")
    with pytest.raises(NotFound):
        orders.cancel_order(store, "C0001", theirs, POLICY, "no longer needed", "k", "bot")
    assert store.get_order(theirs).status == "pending"


def test_cancel_failing_audit_write_leaves_nothing_behind(store, monkeypatch):
    order_id = of(store, "pending")

    def broken_audit(**fields):
        return AuditLog(**{**fields, "entity_id": None})  # NOT NULL: the write fails

    monkeypatch.setattr(order_tx, "AuditLog", broken_audit)
    with pytest.raises(BackendUnavailable):
        orders.cancel_order(store, "C0001", order_id, POLICY, "no longer needed", "k", "bot")
    after = store.get_order(order_id)
    assert after.status == "pending" and after.refunds == []
    assert [p.status for p in after.payments] == ["captured"]


def test_change_address_of_pending_order_is_audited_and_idempotent(store):
    order_id = of(store, "pending")
    before = store.get_order(order_id).shipping_address
    new = "Jordan Rivera, 12 Oak Lane, Apt 3, Portland, OR 97205"
    args = (store, "C0001", order_id, POLICY, new, "addr-key", "customer:C0001")
    done = orders.change_shipping_address(*args)
    assert (done.before, done.after) == (before, new)
    assert orders.change_shipping_address(*args) == done
    assert store.get_order(order_id).shipping_address == new
    [audit] = store.list_audit(entity_id=order_id)
    assert audit.action == "order.change_address"
    assert audit.before == {"shipping_address": before}
    assert audit.after == {"shipping_address": new}


@pytest.mark.parametrize("status", ["processing", "shipped", "delivered"])
def test_change_address_after_the_policy_allows_is_refused(store, status):
    order_id = of(store, status)
    before = store.get_order(order_id).shipping_address
    with pytest.raises(NotAllowed, match="only be changed while an order is pending"):
        orders.change_shipping_address(
            store, "C0001", order_id, POLICY, "1 Elm St, Austin, TX 78704", "k", "bot"
        )
    assert store.get_order(order_id).shipping_address == before
