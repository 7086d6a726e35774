"""Exchanges of delivered items and changes to a pending order's items, on the demo store:
policy-checked on the locked order, audited, exactly once."""

from __future__ import annotations

import dataclasses
import threading
from datetime import UTC, date, datetime, timedelta

import pytest
from sqlalchemy import select

from tests.seeded import copy_store, seeded_template
from tools import exchanges, orders, refunds
from tools.errors import NotAllowed, NotFound
from tools.policy import load_policy
from tools.store.backend import SqlStore
from tools.store.catalog import SKUS
from tools.store.db import session_factory
from tools.store.models import Exchange, Order, OrderItem, Payment, PaymentMethod

TODAY = date(2026, 3, 15)
NOW = datetime(2026, 3, 15, 9, 30, tzinfo=UTC)
POLICY = load_policy()
CARD = "American Express ending 0791"  # C0001's card in the seed of TODAY


@pytest.fixture(scope="module")
def template(tmp_path_factory):
    return seeded_template(tmp_path_factory, "exchanges", TODAY)


@pytest.fixture
def store(template, tmp_path) -> SqlStore:
    return copy_store(template, tmp_path)


def recent_delivery(store: SqlStore) -> str:
    """C0001's order delivered 3 days ago: Aurora Wireless Headphones (black) + a charger."""
    return next(
        o.id
        for o in store.list_orders("C0001")
        if o.status == "delivered" and NOW - store.get_order(o.id).delivered_at < timedelta(10)
    )


def pending(store: SqlStore) -> str:
    """C0001's pending order: one pair of Aurora Earbuds (black), $89.00 on the card."""
    return next(o.id for o in store.list_orders("C0001") if o.status == "pending")


def add_order(store: SqlStore, order_id: str, status: str, lines: list[tuple[str, int]]) -> str:
    """A C0001 order paid with C0001's card, with (sku, quantity) lines of the catalogue."""
    total = sum(SKUS[s].price_cents * q for s, q in lines)
    delivered = status == "delivered"
    with session_factory(store.engine).begin() as s:
        s.add(
            Order(
                id=order_id,
                customer_id="C0001",
                status=status,
                created_at=NOW - timedelta(days=5),
                shipped_at=NOW - timedelta(days=4) if delivered else None,
                delivered_at=NOW - timedelta(days=2) if delivered else None,
                shipping_address="Jordan Rivera, 1 Elm St, Austin, TX 78704",
                total_cents=total,
                items=[
                    OrderItem(
                        sku=sku,
                        name=SKUS[sku].name,
                        quantity=q,
                        unit_price_cents=SKUS[sku].price_cents,
                    )
                    for sku, q in lines
                ],  # fmt: skip
                payments=[
                    Payment(
                        id=f"PAY-{order_id}",
                        method="card",
                        method_id="PM-C0001-1",
                        brand="American Express",
                        last4="0791",
                        amount_cents=total,
                    )
                ],  # fmt: skip
            )
        )
    return order_id


def add_gift_card(store: SqlStore, balance_cents: int, method_id: str = "PM-C0001-GC") -> str:
    with session_factory(store.engine).begin() as s:
        s.add(PaymentMethod(id=method_id, customer_id="C0001", method="gift_card",
                            brand="Northwind Gift Card", last4="1234",
                            balance_cents=balance_cents))  # fmt: skip
    return method_id


def exchange_rows(store: SqlStore) -> list[Exchange]:
    with session_factory(store.engine)() as s:
        return list(s.scalars(select(Exchange).order_by(Exchange.created_at)))


def test_exchange_items_delivered_headphones_for_another_colour_is_requested_and_audited(store):
    order_id = recent_delivery(store)
    before = store.get_order(order_id)
    quote = exchanges.check_swap(
        store, "C0001", order_id, POLICY, {"NW-HP-100": "NW-HP-102"}, kind="exchange"
    )
    assert (quote.eligible, quote.reason, quote.difference_cents, quote.payment_label) == (
        True,
        "ok",
        0,
        CARD,
    )
    assert quote.message == (
        f"Order {order_id} can be exchanged: Aurora Wireless Headphones (black) for Aurora "
        "Wireless Headphones (white). There is no price difference. We'll email you how to "
        "send the old item back."
    )

    done = exchanges.exchange_items(
        store, "C0001", order_id, POLICY, {"NW-HP-100": "NW-HP-102"}, "x-1", "customer:C0001",
        expected_difference_cents=0,
    )  # fmt: skip

    [row] = exchange_rows(store)
    assert (row.id, row.order_id, row.customer_id, row.kind, row.status) == (
        done.id, order_id, "C0001", "exchange", "requested",
    )  # fmt: skip
    assert (row.difference_cents, row.method, row.idempotency_key) == (0, CARD, "x-1")
    assert row.swaps == [
        {
            "old_sku": "NW-HP-100",
            "old_name": "Aurora Wireless Headphones",
            "new_sku": "NW-HP-102",
            "new_name": "Aurora Wireless Headphones (white)",
            "quantity": 1,
            "difference_cents": 0,
        }
    ]
    after = store.get_order(order_id)
    assert after.exchanges == [done]
    assert (after.items, after.payments, after.refunds) == (before.items, before.payments, [])
    [audit] = store.list_audit(entity_id=order_id)
    assert (audit.actor, audit.action, audit.entity) == (
        "customer:C0001",
        "order.exchange",
        "order",
    )
    assert audit.before["items"] == audit.after["items"] == [
        {"sku": "NW-HP-100", "name": "Aurora Wireless Headphones", "quantity": 1,
         "unit_price_cents": 12900},
        {"sku": "NW-CHG-110", "name": "VoltGo 65W USB-C Charger", "quantity": 1,
         "unit_price_cents": 3900},
    ]  # fmt: skip
    assert audit.after["exchange"]["id"] == done.id
    # What is on its way back for another colour can't be refunded as well.
    check = refunds.check_refund_eligibility(store, "C0001", order_id, POLICY, now=NOW)
    assert [i.sku for i in check.lines] == ["NW-CHG-110"] and check.amount_cents == 3900
    named = refunds.check_refund_eligibility(
        store, "C0001", order_id, POLICY, now=NOW, skus=("NW-HP-100",)
    )
    assert (named.reason, named.message) == (
        "being_exchanged",
        f"Aurora Wireless Headphones on order {order_id} is being exchanged for another "
        "option, so it can't be refunded as well.",
    )


def test_exchange_items_dearer_option_states_the_difference_for_every_unit(store):
    order_id = add_order(store, "W9100001", "delivered", [("NW-BTL-520", 2)])
    quote = exchanges.check_swap(
        store, "C0001", order_id, POLICY, {"NW-BTL-520": "NW-BTL-522"}, kind="exchange"
    )
    assert (quote.eligible, quote.difference_cents) == (True, 1000)
    assert [(s.old.quantity, s.new.sku, s.difference_cents) for s in quote.swaps] == [
        (2, "NW-BTL-522", 1000)
    ]
    assert quote.message == (
        "Order W9100001 can be exchanged: 2 x Hydra Insulated Bottle (500ml, blue) for Hydra "
        f"Insulated Bottle (750ml, blue). The $10.00 difference is charged to {CARD}. We'll "
        "email you how to send the old item back."
    )
    done = exchanges.exchange_items(
        store, "C0001", order_id, POLICY, {"NW-BTL-520": "NW-BTL-522"}, "x", "bot",
        expected_difference_cents=1000,
    )  # fmt: skip
    assert (done.difference_cents, done.swaps[0].quantity, done.status) == (1000, 2, "requested")
    # Settled when the old bottles are back: nothing is charged yet.
    assert [p.amount_cents for p in store.get_order(order_id).payments] == [5800]


def test_modify_items_pending_earbuds_change_the_line_and_charge_the_difference(store):
    order_id = pending(store)
    quote = exchanges.check_swap(
        store, "C0001", order_id, POLICY, {"NW-EB-120": "NW-EB-122"}, kind="modify"
    )
    assert quote.message == (
        f"Order {order_id} can be changed: Aurora Earbuds (black) for Aurora Earbuds (sand). "
        f"The $5.00 difference is charged to {CARD}."
    )

    done = exchanges.modify_items(
        store, "C0001", order_id, POLICY, {"NW-EB-120": "NW-EB-122"}, "m-1", "customer:C0001",
        expected_difference_cents=500,
    )  # fmt: skip

    assert (done.kind, done.status, done.difference_cents) == ("modify", "done", 500)
    order = store.get_order(order_id)
    assert [(i.sku, i.name, i.quantity, i.unit_price_cents) for i in order.items] == [
        ("NW-EB-122", "Aurora Earbuds (sand)", 1, 9400)
    ]
    assert order.items[0].options == {"color": "sand"} and order.total_cents == 9400
    assert [(p.id, p.label, p.amount_cents, p.status, p.method_id) for p in order.payments][1:] == [
        (f"PAY-{order_id}-X02", CARD, 500, "captured", "PM-C0001-1")
    ]
    assert order.refunds == [] and order.exchanges == [done]
    [audit] = store.list_audit(entity_id=order_id)
    assert audit.action == "order.modify_items"
    assert (audit.before["total_cents"], audit.after["total_cents"]) == (8900, 9400)
    assert audit.before["items"][0]["sku"] == "NW-EB-120"
    assert audit.after["items"][0] == {
        "sku": "NW-EB-122", "name": "Aurora Earbuds (sand)", "quantity": 1,
        "unit_price_cents": 9400,
    }  # fmt: skip
    assert len(audit.after["payments"]) == 2


def test_modify_items_cheaper_option_pays_back_and_a_later_cancel_refunds_the_rest(store):
    order_id = add_order(store, "W9100002", "pending", [("NW-WT-302", 1)])
    done = exchanges.modify_items(
        store, "C0001", order_id, POLICY, {"NW-WT-302": "NW-WT-300"}, "m", "bot",
        expected_difference_cents=-1000,
    )  # fmt: skip
    assert done.difference_cents == -1000
    order = store.get_order(order_id)
    assert order.total_cents == 19900
    [back] = order.refunds
    assert (back.amount_cents, back.destination, back.skus) == (1000, CARD, [])
    assert [p.status for p in order.payments] == ["partially_refunded"]

    quote = orders.check_cancel(store, "C0001", order_id, POLICY, "no longer needed")
    assert (quote.refund_cents, quote.payment_label) == (19900, CARD)
    cancelled = orders.cancel_order(store, "C0001", order_id, POLICY, "no longer needed", "c", "x")
    assert cancelled.refund.amount_cents == 19900 and cancelled.refund.destination == CARD
    assert [p.status for p in store.get_order(order_id).payments] == ["refunded"]


def test_modify_items_on_a_gift_card_moves_its_balance(store):
    card = add_gift_card(store, 5000)
    order_id = pending(store)
    done = exchanges.modify_items(
        store, "C0001", order_id, POLICY, {"NW-EB-120": "NW-EB-122"}, "m", "bot",
        method_id=card,
    )  # fmt: skip
    assert done.payment_label == "Northwind Gift Card ending 1234"
    balances = {m.id: m.balance_cents for m in store.list_payment_methods("C0001")}
    assert balances[card] == 4500
    assert store.get_order(order_id).payments[-1].label == "Northwind Gift Card ending 1234"
    [audit] = store.list_audit(entity_id=order_id)
    assert audit.before["gift_card_balances"] == {card: 5000}
    assert audit.after["gift_card_balances"] == {card: 4500}


@pytest.mark.parametrize(
    ("swaps", "reason", "message"),
    [
        (
            {"NW-HP-100": "NW-EB-121"},
            "not_a_variant",
            "Aurora Earbuds (white) isn't another option of Aurora Wireless Headphones "
            "(black); an item can only be swapped for the same product in another option "
            "(colour, size...).",
        ),
        (
            {"NW-CHG-110": "NW-HP-101"},
            "not_a_variant",
            "VoltGo 65W USB-C Charger comes in only one option, so it can't be swapped.",
        ),
        (
            {"NW-HP-100": "NW-HP-100"},
            "same_item",
            "Aurora Wireless Headphones (black) is already what order {order} has; choose "
            "another option.",
        ),
        (
            {"NW-TNT-510": "NW-TNT-510"},
            "item_not_in_order",
            "Order {order} doesn't contain that item; it has Aurora Wireless Headphones, "
            "VoltGo 65W USB-C Charger.",
        ),
        (
            {"NW-HP-100": "NW-HP-999"},
            "unknown_product",
            "We couldn't find item NW-HP-999 in our catalogue.",
        ),
        ({}, "nothing_to_change", "Tell me which item to swap and the option you'd like."),
    ],
)
def test_exchange_items_refusals_name_the_reason_and_write_nothing(store, swaps, reason, message):
    order_id = recent_delivery(store)
    quote = exchanges.check_swap(store, "C0001", order_id, POLICY, swaps, kind="exchange")
    assert (quote.eligible, quote.reason) == (False, reason)
    assert quote.message == message.format(order=order_id)
    with pytest.raises(NotAllowed) as err:
        exchanges.exchange_items(store, "C0001", order_id, POLICY, swaps, "k", "bot")
    assert str(err.value) == quote.message
    assert exchange_rows(store) == [] and store.list_audit(entity_id=order_id) == []


def test_exchange_items_sold_out_option_is_refused(store):
    order_id = add_order(store, "W9100001", "delivered", [("NW-BTL-520", 1)])
    swaps = {"NW-BTL-520": "NW-BTL-523"}
    quote = exchanges.check_swap(store, "C0001", order_id, POLICY, swaps, kind="exchange")
    assert (quote.reason, quote.message) == (
        "unavailable",
        "Hydra Insulated Bottle (750ml, green) isn't available right now; choose another option.",
    )
    with pytest.raises(NotAllowed, match="isn't available"):
        exchanges.exchange_items(store, "C0001", order_id, POLICY, swaps, "k", "bot")
    assert exchange_rows(store) == []


def test_swaps_in_a_status_the_policy_excludes_are_refused_with_the_other_way(store):
    early = exchanges.check_swap(
        store, "C0001", pending(store), POLICY, {"NW-EB-120": "NW-EB-121"}, kind="exchange"
    )
    assert (early.reason, early.message) == (
        "status",
        f"Order {pending(store)} is pending; items can only be exchanged while an order is "
        "delivered. Until then you can change its items instead.",
    )
    late_id = recent_delivery(store)
    with pytest.raises(NotAllowed) as err:
        exchanges.modify_items(
            store, "C0001", late_id, POLICY, {"NW-HP-100": "NW-HP-101"}, "k", "bot"
        )
    assert str(err.value) == (
        f"Order {late_id} is delivered; its items can only be changed while an order is "
        "pending. You can exchange them for another option instead."
    )
    assert exchange_rows(store) == []


def test_exchange_items_twice_under_a_once_policy_is_refused(store):
    once = dataclasses.replace(POLICY, exchange_once=True)
    order_id = recent_delivery(store)
    quote = exchanges.check_swap(
        store, "C0001", order_id, once, {"NW-HP-100": "NW-HP-101"}, kind="exchange"
    )
    assert quote.message.endswith(
        "This can be done only once for this order, so include every item to swap."
    )
    first = exchanges.exchange_items(
        store, "C0001", order_id, once, {"NW-HP-100": "NW-HP-101"}, "k1", "bot"
    )
    with pytest.raises(NotAllowed) as err:
        exchanges.exchange_items(
            store, "C0001", order_id, once, {"NW-HP-100": "NW-HP-102"}, "k2", "bot"
        )
    assert str(err.value) == (
        f"Order {order_id}'s items were already exchanged ({first.id}); our policy allows that "
        "only once per order."
    )
    # Without the rule, the same item still can't be exchanged twice at once.
    again = exchanges.check_swap(
        store, "C0001", order_id, POLICY, {"NW-HP-100": "NW-HP-102"}, kind="exchange"
    )
    assert (again.reason, again.message) == (
        "already_changed",
        f"Aurora Wireless Headphones (black) on order {order_id} is already being exchanged.",
    )
    assert len(exchange_rows(store)) == 1


def test_exchange_items_of_a_refunded_line_is_refused(store):
    order_id = recent_delivery(store)
    refunds.request_refund(
        store, "C0001", order_id, POLICY, "r", "bot", now=NOW, skus=("NW-HP-100",)
    )
    quote = exchanges.check_swap(
        store, "C0001", order_id, POLICY, {"NW-HP-100": "NW-HP-101"}, kind="exchange"
    )
    assert (quote.reason, quote.message) == (
        "already_refunded",
        f"Aurora Wireless Headphones (black) on order {order_id} was already refunded, so it "
        "can't be exchanged.",
    )


def test_exchange_items_gift_card_short_of_the_difference_is_refused(store):
    card = add_gift_card(store, 500)
    order_id = add_order(store, "W9100001", "delivered", [("NW-BTL-520", 2)])
    swaps = {"NW-BTL-520": "NW-BTL-522"}
    with pytest.raises(NotAllowed) as err:
        exchanges.exchange_items(store, "C0001", order_id, POLICY, swaps, "k", "bot",
                                 method_id=card)  # fmt: skip
    assert str(err.value) == (
        "Northwind Gift Card ending 1234 has $5.00 left, less than the $10.00 difference; "
        "choose another payment method."
    )
    assert exchange_rows(store) == []


def test_exchange_items_difference_other_than_stated_is_refused(store):
    order_id = add_order(store, "W9100001", "delivered", [("NW-BTL-520", 2)])
    with pytest.raises(NotAllowed, match=r"is now \$10.00, not \$5.00; nothing was changed"):
        exchanges.exchange_items(
            store, "C0001", order_id, POLICY, {"NW-BTL-520": "NW-BTL-522"}, "k", "bot",
            expected_difference_cents=500,
        )  # fmt: skip
    assert exchange_rows(store) == []


def test_exchange_items_same_key_twice_exchanges_once(store):
    order_id = recent_delivery(store)
    args = (store, "C0001", order_id, POLICY, {"NW-HP-100": "NW-HP-101"}, "same", "bot")
    first = exchanges.exchange_items(*args)
    assert exchanges.exchange_items(*args) == first
    assert len(exchange_rows(store)) == 1
    assert len(store.list_audit(entity_id=order_id)) == 1
    with pytest.raises(NotAllowed, match="already used for a different action"):
        exchanges.modify_items(
            store, "C0001", pending(store), POLICY, {"NW-EB-120": "NW-EB-121"}, "same", "bot"
        )


def test_modify_items_eight_threads_same_key_change_the_order_once(store):
    order_id = pending(store)
    barrier = threading.Barrier(8)
    made, errors = [], []

    def go() -> None:
        barrier.wait()
        try:
            made.append(
                exchanges.modify_items(
                    store, "C0001", order_id, POLICY, {"NW-EB-120": "NW-EB-122"}, "race", "bot"
                )
            )
        except Exception as exc:  # collected and asserted below
            errors.append(exc)

    threads = [threading.Thread(target=go) for _ in range(8)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert errors == []
    assert len(made) == 8 and len({m.id for m in made}) == 1
    order = store.get_order(order_id)
    assert [p.amount_cents for p in order.payments] == [8900, 500]
    assert len(exchange_rows(store)) == 1 and len(store.list_audit(entity_id=order_id)) == 1


def test_swaps_on_another_customers_order_or_payment_method_are_not_found(store):
    theirs = next(o.id for o in store.list_orders("C0002") if o.status == "delivered")
    with pytest.raises(NotFound):
        exchanges.exchange_items(store, "C0001", theirs, POLICY, {"x": "y"}, "k", "bot")
    order_id = recent_delivery(store)
    their_card = store.list_payment_methods("C0002")[0].id
    with pytest.raises(NotFound, match="payment method"):
        exchanges.exchange_items(
            store, "C0001", order_id, POLICY, {"NW-HP-100": "NW-HP-101"}, "k", "bot",
            method_id=their_card,
        )  # fmt: skip
    with pytest.raises(NotFound, match="payment method"):
        exchanges.check_swap(store, "C0001", order_id, POLICY, {}, kind="exchange",
                             method_id=their_card)  # fmt: skip
    assert exchange_rows(store) == []
