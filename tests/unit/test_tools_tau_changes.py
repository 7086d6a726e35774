"""Exchanges, item changes, payment changes, returns and the default address on an imported
τ-bench retail store, under the τ-bench policy (tools/policy/tau_retail.toml).

The dump is written here in τ-bench's shape: one product with variants, one user with a
card, PayPal and a gift card, a delivered and a pending order.
"""

from __future__ import annotations

from datetime import UTC, date, datetime
from pathlib import Path

import pytest

from tools import exchanges, orders, profile, refunds
from tools.errors import NotAllowed
from tools.policy import load_policy
from tools.store.backend import SqlStore
from tools.store.tau_import import import_tau

TAU = load_policy(Path(__file__).resolve().parents[2] / "tools" / "policy" / "tau_retail.toml")
USER = "yusuf_rossi_9620"
CARD = "Mastercard ending 9212"
BLUE_M, RED_M, BLUE_XL, RED_L = "1000000001", "1000000002", "1000000003", "1000000004"
BOTTLE = "2000000001"


def _variant(item_id: str, color: str, size: str, price: float, available: bool = True) -> dict:
    return {"item_id": item_id, "options": {"color": color, "size": size},
            "available": available, "price": price}  # fmt: skip


def _line(item_id: str, color: str, size: str, price: float) -> dict:
    return {"name": "T-Shirt", "product_id": "9523456873", "item_id": item_id,
            "price": price, "options": {"color": color, "size": size}}  # fmt: skip


def tau_dump() -> dict:
    address = {"address1": "763 Broadway", "address2": "Suite 135", "city": "Philadelphia",
               "country": "USA", "state": "PA", "zip": "19122"}  # fmt: skip
    bottle = {"name": "Water Bottle", "product_id": "8310926033", "item_id": BOTTLE,
              "price": 20.0, "options": {"capacity": "500ml"}}  # fmt: skip
    paid = [{"transaction_type": "payment", "amount": 70.0,
             "payment_method_id": "credit_card_9513926"}]  # fmt: skip
    return {
        "products": {
            "9523456873": {
                "name": "T-Shirt",
                "product_id": "9523456873",
                "variants": {
                    BLUE_M: _variant(BLUE_M, "blue", "M", 50.0),
                    RED_M: _variant(RED_M, "red", "M", 52.5),
                    BLUE_XL: _variant(BLUE_XL, "blue", "XL", 65.0),
                    RED_L: _variant(RED_L, "red", "L", 55.0, available=False),
                },
            },
            "8310926033": {
                "name": "Water Bottle",
                "product_id": "8310926033",
                "variants": {
                    BOTTLE: {
                        "item_id": BOTTLE,
                        "options": {"capacity": "500ml"},
                        "available": True,
                        "price": 20.0,
                    }
                },
            },  # fmt: skip
        },
        "users": {
            USER: {
                "user_id": USER,
                "name": {"first_name": "Yusuf", "last_name": "Rossi"},
                "address": address,
                "email": "yusuf.rossi7301@example.com",
                "payment_methods": {
                    "credit_card_9513926": {
                        "source": "credit_card",
                        "id": "credit_card_9513926",
                        "brand": "mastercard",
                        "last_four": "9212",
                    },
                    "paypal_4110412": {"source": "paypal", "id": "paypal_4110412"},
                    "gift_card_6301": {
                        "source": "gift_card",
                        "id": "gift_card_6301",
                        "balance": 10.0,
                    },
                },  # fmt: skip
                "orders": ["#W2378156", "#W4817420"],
            }
        },
        "orders": {
            "#W2378156": {
                "order_id": "#W2378156",
                "user_id": USER,
                "address": address,
                "items": [_line(BLUE_M, "blue", "M", 50.0), bottle],
                "status": "delivered",
                "fulfillments": [{"tracking_id": ["843053632392"], "item_ids": [BLUE_M, BOTTLE]}],
                "payment_history": paid,
            },
            "#W4817420": {
                "order_id": "#W4817420",
                "user_id": USER,
                "address": address,
                "items": [_line(BLUE_M, "blue", "M", 50.0), bottle],
                "status": "pending",
                "fulfillments": [],
                "payment_history": paid,
            },
        },  # fmt: skip
    }


@pytest.fixture
def store(tmp_path) -> SqlStore:
    store = SqlStore.from_url(f"sqlite:///{tmp_path / 'tau.sqlite'}")
    import_tau(store.engine, tau_dump(), today=date(2026, 3, 15))
    return store


def test_tau_exchange_delivered_shirt_for_another_colour_only_once(store):
    assert [(p.sku, p.label) for p in store.list_variants(BLUE_M)] == [
        (RED_M, "T-Shirt (red, M)"), (BLUE_XL, "T-Shirt (blue, XL)"),
    ]  # fmt: skip
    quote = exchanges.check_swap(store, USER, "#W2378156", TAU, {BLUE_M: RED_M}, kind="exchange")
    assert quote.message == (
        "Order W2378156 can be exchanged: T-Shirt (blue, M) for T-Shirt (red, M). The $2.50 "
        f"difference is charged to {CARD}. We'll email you how to send the old item back. This "
        "can be done only once for this order, so include every item to swap."
    )
    done = exchanges.exchange_items(
        store, USER, "#W2378156", TAU, {BLUE_M: RED_M}, "tau-x", f"customer:{USER}",
        expected_difference_cents=250,
    )  # fmt: skip
    assert (done.status, done.difference_cents, done.payment_label) == ("requested", 250, CARD)
    assert [(s.old_name, s.new_name) for s in done.swaps] == [
        ("T-Shirt (blue, M)", "T-Shirt (red, M)")
    ]
    with pytest.raises(NotAllowed, match="only once per order"):
        exchanges.exchange_items(store, USER, "W2378156", TAU, {BOTTLE: BOTTLE}, "x2", "bot")
    # An exchanged order is 'exchange requested' in τ: it can't be returned any more.
    late = refunds.check_refund_eligibility(store, USER, "W2378156", TAU, skus=(BOTTLE,))
    assert (late.reason, late.message) == (
        "order_locked",
        f"Order W2378156 already has an exchange ({done.id}), so it can no longer be returned "
        "or changed.",
    )


def test_tau_return_of_one_item_to_the_gift_card(store):
    refund = refunds.request_refund(
        store, USER, "W2378156", TAU, "tau-r", "bot", now=datetime.now(UTC),
        skus=(BOTTLE,), method_id="gift_card_6301",
    )  # fmt: skip
    assert (refund.amount_cents, refund.destination, refund.skus) == (2000, "Gift card", [BOTTLE])
    assert [i.sku for i in store.get_order("W2378156").items] == [BLUE_M, BOTTLE]


def test_tau_exchange_to_a_sold_out_option_or_on_a_short_gift_card_is_refused(store):
    sold_out = exchanges.check_swap(store, USER, "W2378156", TAU, {BLUE_M: RED_L}, kind="exchange")
    assert (sold_out.reason, sold_out.message) == (
        "unavailable",
        "T-Shirt (red, L) isn't available right now; choose another option.",
    )
    short = exchanges.check_swap(
        store, USER, "W2378156", TAU, {BLUE_M: BLUE_XL}, kind="exchange",
        method_id="gift_card_6301",
    )  # fmt: skip
    assert (short.reason, short.message) == (
        "insufficient_balance",
        "Gift card has $10.00 left, less than the $15.00 difference; choose another payment "
        "method.",
    )


def test_tau_modify_pending_items_in_place_on_paypal_only_once(store):
    done = exchanges.modify_items(
        store, USER, "W4817420", TAU, {BLUE_M: RED_M}, "tau-m", f"customer:{USER}",
        method_id="paypal_4110412", expected_difference_cents=250,
    )  # fmt: skip
    assert (done.kind, done.status, done.payment_label) == ("modify", "done", "PayPal")
    order = store.get_order("W4817420")
    assert [(i.sku, i.name, i.unit_price_cents) for i in order.items] == [
        (RED_M, "T-Shirt (red, M)", 5250),
        (BOTTLE, "Water Bottle (500ml)", 2000),
    ]
    assert order.total_cents == 7250
    assert [(p.label, p.amount_cents, p.method_id) for p in order.payments] == [
        (CARD, 7000, "credit_card_9513926"),
        ("PayPal", 250, "paypal_4110412"),
    ]
    with pytest.raises(NotAllowed) as err:
        exchanges.modify_items(store, USER, "W4817420", TAU, {RED_M: BLUE_M}, "m2", "bot")
    assert str(err.value) == (
        f"Order W4817420's items were already changed ({done.id}); our policy allows that only "
        "once per order."
    )
    # τ: "The agent will not be able to modify or cancel the order anymore."
    locked = (
        f"Order W4817420's items were already changed ({done.id}), so it can no longer be "
        "cancelled or changed."
    )
    cancel = orders.check_cancel(store, USER, "W4817420", TAU, "no longer needed")
    assert (cancel.eligible, cancel.reason, cancel.message) == (False, "order_locked", locked)
    with pytest.raises(NotAllowed) as err:
        orders.cancel_order(store, USER, "W4817420", TAU, "no longer needed", "c", "bot")
    assert str(err.value) == locked
    with pytest.raises(NotAllowed, match="can no longer be cancelled or changed"):
        orders.change_shipping_address(
            store, USER, "W4817420", TAU, "1 Elm St, Austin, TX 78704", "a", "bot"
        )
    assert orders.check_payment_change(store, USER, "W4817420", TAU, "gift_card_6301") == (
        False,
        locked,
    )
    assert [a.action for a in store.list_audit(entity_id="W4817420")] == ["order.modify_items"]


def test_tau_change_payment_of_pending_order_and_default_address(store):
    short, said = orders.check_payment_change(store, USER, "W4817420", TAU, "gift_card_6301")
    assert (short, said) == (
        False,
        "Gift card has $10.00 left, less than the order's $70.00 total; choose another payment "
        "method.",
    )
    done = orders.change_payment_method(
        store, USER, "#W4817420", TAU, "paypal_4110412", "tau-p", f"customer:{USER}"
    )
    assert (done.before, done.after, done.amount_cents) == (CARD, "PayPal", 7000)
    with pytest.raises(NotAllowed, match="is delivered; the payment method can only be changed"):
        orders.change_payment_method(store, USER, "W2378156", TAU, "paypal_4110412", "p2", "x")

    moved = profile.change_default_address(
        store, USER, "445 Maple Drive, Suite 394, Fort Worth, TX 76165, USA", "tau-a", "bot"
    )
    assert moved.before == "763 Broadway, Suite 135, Philadelphia, PA 19122, USA"
    assert moved.after == "445 Maple Drive, Suite 394, Fort Worth, TX 76165, USA"
    assert [a.action for a in store.list_audit(entity_id=USER)] == ["customer.change_address"]
