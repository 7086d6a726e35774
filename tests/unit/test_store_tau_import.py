"""`support store import-tau`: a τ-bench retail dump becomes customers, orders and payments.

The dump here is written by the test in τ-bench's shape (the real one is 500 users and
1,000 orders; `support store import-tau ../shared/datasets/tau-retail/db.json`).
"""

from __future__ import annotations

import json

import pytest
from typer.testing import CliRunner

from cli import cli
from cli.store import app
from tools.policy import load_policy
from tools.refunds import check_refund_eligibility
from tools.store.backend import SqlStore

runner = CliRunner()


def tau_dump() -> dict:
    address = {
        "address1": "986 Sunset Drive",
        "address2": "Suite 259",
        "city": "Denver",
        "country": "USA",
        "state": "CO",
        "zip": "80279",
    }
    return {
        "products": {
            "8310926033": {
                "name": "Water Bottle",
                "product_id": "8310926033",
                "variants": {
                    "6469567736": {
                        "item_id": "6469567736",
                        "options": {"capacity": "1000ml", "color": "blue"},
                        "available": True,
                        "price": 47.84,
                    },
                    "1111111111": {
                        "item_id": "1111111111",
                        "options": {"capacity": "500ml", "color": "red"},
                        "available": False,
                        "price": 39.5,
                    },
                },
            }
        },
        "users": {
            "noah_brown_6181": {
                "user_id": "noah_brown_6181",
                "name": {"first_name": "Noah", "last_name": "Brown"},
                "address": address,
                "email": "noah.brown7922@example.com",
                "payment_methods": {
                    "credit_card_7815826": {
                        "source": "credit_card",
                        "id": "credit_card_7815826",
                        "brand": "mastercard",
                        "last_four": "9212",
                    },
                    "gift_card_1": {"source": "gift_card", "id": "gift_card_1", "balance": 57.5},
                },
                "orders": ["#W2611340", "#W7678072", "#W1000001"],
            }
        },
        "orders": {
            "#W2611340": {
                "order_id": "#W2611340",
                "user_id": "noah_brown_6181",
                "address": address,
                "items": [
                    {
                        "name": "Water Bottle",
                        "product_id": "8310926033",
                        "item_id": "6469567736",
                        "price": 47.84,
                        "options": {"capacity": "1000ml", "color": "blue"},
                    }
                ],
                "status": "delivered",
                "fulfillments": [{"tracking_id": ["357962501027"], "item_ids": ["6469567736"]}],
                "payment_history": [
                    {
                        "transaction_type": "payment",
                        "amount": 47.84,
                        "payment_method_id": "credit_card_7815826",
                    }
                ],
            },
            "#W7678072": {
                "order_id": "#W7678072",
                "user_id": "noah_brown_6181",
                "address": address,
                "items": [
                    {
                        "name": "Desk Lamp",
                        "product_id": "9",
                        "item_id": "9999999999",
                        "price": 20.0,
                        "options": {"color": "black"},
                    }
                ],
                "status": "cancelled",
                "fulfillments": [],
                "payment_history": [
                    {
                        "transaction_type": "payment",
                        "amount": 20.0,
                        "payment_method_id": "gift_card_1",
                    },
                    {
                        "transaction_type": "refund",
                        "amount": 20.0,
                        "payment_method_id": "gift_card_1",
                    },
                ],  # fmt: skip
            },
            "#W1000001": {
                "order_id": "#W1000001",
                "user_id": "noah_brown_6181",
                "address": address,
                "items": [],
                "status": "processed",
                "fulfillments": [],
                "payment_history": [],
            },
        },
    }


@pytest.fixture
def env(tmp_path, monkeypatch):
    monkeypatch.setenv("DATA_DIR", str(tmp_path / "data"))
    monkeypatch.setenv("DATABASE_URL", "")
    monkeypatch.setenv("JWT_SECRET", "t" * 40)
    path = tmp_path / "db.json"
    path.write_text(json.dumps(tau_dump()))
    return path


def store_of(env) -> SqlStore:
    return SqlStore.from_url(f"sqlite:///{env.parent / 'data' / 'store.sqlite'}")


def test_import_tau_maps_users_orders_payments_and_refunds(env):
    result = runner.invoke(app, ["import-tau", str(env), "--json"])
    assert result.exit_code == 0, result.output
    report = json.loads(result.stdout)
    assert report["added"] == {
        "products": 3,
        "customers": 1,
        "payment_methods": 2,
        "orders": 3,
        "order_items": 2,
        "payments": 2,
        "refunds": 1,
    }
    assert report["conflicts"] == [] and report["seconds"] >= 0

    order = json.loads(runner.invoke(app, ["order", "#W2611340", "--json"]).stdout)
    assert (order["id"], order["customer_id"], order["status"]) == (
        "W2611340",
        "noah_brown_6181",
        "delivered",
    )
    assert order["items"] == [
        {
            "sku": "6469567736",
            "name": "Water Bottle (1000ml, blue)",
            "quantity": 1,
            "unit_price_cents": 4784,
            "refundable": True,
            "category": "water bottle",
            "options": {"capacity": "1000ml", "color": "blue"},
            "group_id": "8310926033",
        }
    ]
    assert order["tracking_number"] == "357962501027"
    assert order["shipping_address"] == (
        "Noah Brown, 986 Sunset Drive, Suite 259, Denver, CO 80279, USA"
    )
    assert [(p["label"], p["amount_cents"], p["status"]) for p in order["payments"]] == [
        ("Mastercard ending 9212", 4784, "captured")
    ]
    cancelled = json.loads(runner.invoke(app, ["order", "W7678072", "--json"]).stdout)
    assert [(r["amount_cents"], r["status"]) for r in cancelled["refunds"]] == [(2000, "completed")]
    assert cancelled["payments"][0]["status"] == "refunded"

    store = store_of(env)
    wallet = {
        m.id: (m.label, m.balance_cents) for m in store.list_payment_methods("noah_brown_6181")
    }
    assert wallet == {
        "credit_card_7815826": ("Mastercard ending 9212", None),
        "gift_card_1": ("Gift card", 5750),
    }


def test_import_tau_twice_adds_nothing_and_keeps_local_changes(env):
    assert runner.invoke(app, ["import-tau", str(env)]).exit_code == 0
    store = store_of(env)
    store.create_refund(customer_id="noah_brown_6181", order_id="W2611340", amount_cents=4784,
                        reason="r", idempotency_key="local", actor="agent:ann")  # fmt: skip
    again = runner.invoke(app, ["import-tau", str(env)])
    assert again.exit_code == 0, again.output
    assert again.stdout.startswith("added nothing new in ")
    assert "already in the store (kept as they are): 2 products, 1 customers, 3 orders" in (
        again.stdout
    )
    assert len(store.get_order("W2611340").refunds) == 1


def test_imported_customer_gets_a_token_and_the_tau_policy_applies(env):
    assert runner.invoke(app, ["import-tau", str(env)]).exit_code == 0
    token = runner.invoke(cli, ["token", "noah_brown_6181"])
    assert token.exit_code == 0, token.output
    assert token.stdout.count(".") == 2  # a JWT
    store = store_of(env)
    tau = load_policy("tools/policy/tau_retail.toml")
    to_gift_card = check_refund_eligibility(
        store, "noah_brown_6181", "#W2611340", tau, method_id="gift_card_1"
    )
    assert to_gift_card.eligible and to_gift_card.payment_label == "Gift card"
    default = check_refund_eligibility(
        store, "noah_brown_6181", "W2611340", load_policy(), method_id="gift_card_1"
    )
    assert (default.eligible, default.reason) == (False, "destination")


def test_import_tau_email_of_another_customer_is_a_conflict(env, tmp_path):
    dump = tau_dump()
    other = json.loads(json.dumps(dump["users"]["noah_brown_6181"]))
    other["user_id"] = "noah_brown_9999"
    dump["users"]["noah_brown_9999"] = other
    dump["orders"]["#W1000001"]["user_id"] = "noah_brown_9999"
    env.write_text(json.dumps(dump))
    result = runner.invoke(app, ["import-tau", str(env), "--json"])
    report = json.loads(result.stdout)
    assert report["conflicts"] == [
        "user noah_brown_9999: email noah.brown7922@example.com belongs to noah_brown_6181",
        "order W1000001: its user noah_brown_9999 was skipped",
    ]
    assert report["added"]["orders"] == 2


@pytest.mark.parametrize(
    ("content", "message"),
    [
        ("not json", "is not JSON"),
        ('{"users": {}}', "is not a τ-bench retail dump"),
    ],
)
def test_import_tau_bad_file_exits_1_with_one_line(env, content, message):
    env.write_text(content)
    result = runner.invoke(app, ["import-tau", str(env)])
    assert result.exit_code == 1
    assert result.stderr.startswith("error: ") and message in result.stderr
    assert result.stderr.count("\n") == 1
