"""Moving a pending order to another payment method: policy-checked, audited, exactly once."""

from __future__ import annotations

import threading
from datetime import date

import pytest

from tests.seeded import copy_store
from tools import orders
from tools.errors import NotAllowed, NotFound
from tools.policy import load_policy
from tools.store.backend import SqlStore
from tools.store.db import session_factory
from tools.store.models import PaymentMethod
from tools.store.seed import seed_demo

POLICY = load_policy()
CARD = "American Express ending 0791"  # C0001's card in the seed of 2026-03-15


@pytest.fixture(scope="module")
def template(tmp_path_factory):
    path = tmp_path_factory.mktemp("payment") / "template.sqlite"
    store = SqlStore.from_url(f"sqlite:///{path}")
    seed_demo(store.engine, today=date(2026, 3, 15))
    with session_factory(store.engine).begin() as s:
        s.add_all(
            [
                PaymentMethod(id="PM-C0001-PP", customer_id="C0001", method="paypal",
                              brand="PayPal", last4=None, balance_cents=None),
                PaymentMethod(id="PM-C0001-GC", customer_id="C0001", method="gift_card",
                              brand="Northwind Gift Card", last4="1234", balance_cents=10000),
                PaymentMethod(id="PM-C0001-LOW", customer_id="C0001", method="gift_card",
                              brand="Northwind Gift Card", last4="5678", balance_cents=8899),
            ]
        )  # fmt: skip
    store.engine.dispose()
    return path


@pytest.fixture
def store(template, tmp_path) -> SqlStore:
    return copy_store(template, tmp_path)


def of(store: SqlStore, status: str, customer: str = "C0001") -> str:
    return next(o.id for o in store.list_orders(customer) if o.status == status)


def balances(store: SqlStore) -> dict[str, int | None]:
    return {m.id: m.balance_cents for m in store.list_payment_methods("C0001")}


def test_change_payment_method_pays_back_the_card_and_charges_paypal_with_audit(store):
    order_id = of(store, "pending")
    assert orders.check_payment_change(store, "C0001", order_id, POLICY, "PM-C0001-PP") == (
        True,
        f"Order {order_id} can be paid with PayPal instead: $89.00 is charged to it and $89.00 "
        f"goes back to {CARD}.",
    )

    done = orders.change_payment_method(
        store, "C0001", order_id, POLICY, "PM-C0001-PP", "pay-1", "customer:C0001"
    )

    assert done.model_dump() == {
        "order_id": order_id, "before": CARD, "after": "PayPal", "amount_cents": 8900,
    }  # fmt: skip
    order = store.get_order(order_id)
    assert [(p.label, p.amount_cents, p.status, p.method_id) for p in order.payments] == [
        (CARD, 8900, "refunded", "PM-C0001-1"),
        ("PayPal", 8900, "captured", "PM-C0001-PP"),
    ]
    [back] = order.refunds
    assert (back.amount_cents, back.destination, back.skus, back.status) == (
        8900, CARD, [], "approved",
    )  # fmt: skip
    assert order.current_payment.label == "PayPal"
    [audit] = store.list_audit(entity_id=order_id)
    assert (audit.actor, audit.action) == ("customer:C0001", "order.change_payment")
    assert audit.before["refunded_cents"] == 0 and audit.after["refunded_cents"] == 8900
    assert audit.after["payment_method"] == "PM-C0001-PP"
    # Cancelling now pays PayPal back, not the card a second time.
    quote = orders.check_cancel(store, "C0001", order_id, POLICY, "no longer needed")
    assert (quote.refund_cents, quote.payment_label) == (8900, "PayPal")
    cancelled = orders.cancel_order(store, "C0001", order_id, POLICY, "no longer needed", "c", "x")
    assert (cancelled.refund.amount_cents, cancelled.refund.destination) == (8900, "PayPal")


def test_change_payment_method_to_a_gift_card_takes_the_total_from_its_balance(store):
    order_id = of(store, "pending")
    done = orders.change_payment_method(
        store, "C0001", order_id, POLICY, "PM-C0001-GC", "pay", "bot"
    )
    assert done.after == "Northwind Gift Card ending 1234"
    assert balances(store)["PM-C0001-GC"] == 1100
    back = orders.change_payment_method(store, "C0001", order_id, POLICY, "PM-C0001-1", "b", "x")
    assert (back.before, back.after, back.amount_cents) == (
        "Northwind Gift Card ending 1234", CARD, 8900,
    )  # fmt: skip
    assert balances(store)["PM-C0001-GC"] == 10000  # a gift card is paid back at once
    assert [p.status for p in store.get_order(order_id).payments] == [
        "refunded", "refunded", "captured",
    ]  # fmt: skip


@pytest.mark.parametrize(
    ("status", "method_id", "message"),
    [
        ("pending", "PM-C0001-1",
         "Order {order} is already paid with " + CARD + "; choose a different payment method."),
        ("pending", "PM-C0001-LOW",
         "Northwind Gift Card ending 5678 has $88.99 left, less than the order's $89.00 total; "
         "choose another payment method."),
        ("processing", "PM-C0001-PP",
         "Order {order} is processing; the payment method can only be changed while an order "
         "is pending."),
    ],
)  # fmt: skip
def test_change_payment_method_refusals_name_the_rule_and_change_nothing(
    store, status, method_id, message
):
    order_id = of(store, status)
    before = store.get_order(order_id)
    eligible, said = orders.check_payment_change(store, "C0001", order_id, POLICY, method_id)
    assert (eligible, said) == (False, message.format(order=order_id))
    with pytest.raises(NotAllowed) as err:
        orders.change_payment_method(store, "C0001", order_id, POLICY, method_id, "k", "bot")
    assert str(err.value) == said
    assert store.get_order(order_id) == before
    assert store.list_audit(entity_id=order_id) == []
    assert balances(store)["PM-C0001-LOW"] == 8899


def test_change_payment_method_to_another_customers_method_is_not_found(store):
    order_id = of(store, "pending")
    theirs = store.list_payment_methods("C0002")[0].id
    with pytest.raises(NotFound, match="payment method"):
        orders.change_payment_method(store, "C0001", order_id, POLICY, theirs, "k", "bot")
    with pytest.raises(NotFound, match="payment method"):
        orders.check_payment_change(store, "C0001", order_id, POLICY, theirs)
    with pytest.raises(NotFound):
        orders.change_payment_method(
            store, "C0001", of(store, "pending", "C0002"), POLICY, "PM-C0001-PP", "k", "bot"
        )
    assert len(store.get_order(order_id).payments) == 1


def test_change_payment_method_same_key_from_eight_threads_changes_once(store):
    order_id = of(store, "pending")
    barrier = threading.Barrier(8)
    made, errors = [], []

    def go() -> None:
        barrier.wait()
        try:
            made.append(
                orders.change_payment_method(
                    store, "C0001", order_id, POLICY, "PM-C0001-GC", "race", "bot"
                )
            )
        except Exception as exc:  # collected and asserted below
            errors.append(exc)

    threads = [threading.Thread(target=go) for _ in range(8)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert errors == [] and len(made) == 8 and len(set(made)) == 1
    assert len(store.get_order(order_id).payments) == 2
    assert balances(store)["PM-C0001-GC"] == 1100
    assert len(store.list_audit(entity_id=order_id)) == 1
    with pytest.raises(NotAllowed, match="already used for another order"):
        orders.change_payment_method(
            store, "C0001", of(store, "processing"), POLICY, "PM-C0001-GC", "race", "bot"
        )
