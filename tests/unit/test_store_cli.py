"""`support store ...`: seed, customers and order, driven through typer's CliRunner."""

from __future__ import annotations

import json

import pytest
from typer.testing import CliRunner

from cli.store import app

runner = CliRunner()


@pytest.fixture(scope="module")
def seeded_dir(tmp_path_factory):
    """A DATA_DIR seeded once through `support store seed`, shared by this module's tests."""
    data_dir = tmp_path_factory.mktemp("cli") / "data"
    with pytest.MonkeyPatch.context() as mp:
        mp.setenv("DATA_DIR", str(data_dir))
        mp.setenv("DATABASE_URL", "")
        result = runner.invoke(app, ["seed"])
    assert result.exit_code == 0, result.output
    return data_dir


@pytest.fixture
def seeded_env(seeded_dir, monkeypatch):
    """The CLI reads settings from the environment: point it at the seeded DATA_DIR."""
    monkeypatch.setenv("DATA_DIR", str(seeded_dir))
    monkeypatch.setenv("DATABASE_URL", "")
    return seeded_dir


def test_store_seed_prints_counts_and_creates_the_sqlite_file(seeded_env):
    assert (seeded_env / "store.sqlite").exists()
    again = runner.invoke(app, ["seed"])
    assert again.exit_code == 0
    assert again.stdout.startswith("60 customers, 24 products, 240 orders, ")
    assert again.stdout.rstrip().endswith(" refunds")


def test_store_customers_json_lists_ids_emails_and_orders(seeded_env):
    result = runner.invoke(app, ["customers", "--limit", "2", "--json"])
    assert result.exit_code == 0, result.output
    customers = json.loads(result.stdout)
    assert [c["id"] for c in customers] == ["C0001", "C0002"]
    first = customers[0]
    assert set(first) == {"id", "email", "name", "orders"}
    assert (first["email"], first["name"]) == ("jordan.rivera@example.com", "Jordan Rivera")
    assert len(first["orders"]) == 6
    assert all(set(o) == {"id", "status"} for o in first["orders"])
    assert {o["status"] for o in first["orders"]} >= {"pending", "shipped", "delivered"}


def test_store_customers_table_has_one_line_per_customer(seeded_env):
    result = runner.invoke(app, ["customers", "--limit", "3"])
    assert result.exit_code == 0
    lines = result.stdout.splitlines()
    assert len(lines) == 3
    assert lines[0].startswith("C0001  Jordan Rivera") and "pending" in lines[0]


def test_store_order_json_has_status_items_payments_and_invoices(seeded_env):
    listed = json.loads(runner.invoke(app, ["customers", "--limit", "1", "--json"]).stdout)
    shipped = next(o["id"] for o in listed[0]["orders"] if o["status"] == "shipped")
    result = runner.invoke(app, ["order", shipped.lower(), "--json"])
    assert result.exit_code == 0, result.output
    order = json.loads(result.stdout)
    assert (order["id"], order["customer_id"], order["status"]) == (shipped, "C0001", "shipped")
    assert [(i["sku"], i["quantity"]) for i in order["items"]] == [
        ("NW-BAG-500", 1),
        ("NW-BTL-520", 2),
    ]
    assert order["total_cents"] == 14700 and order["tracking_number"]
    assert order["payments"][0]["amount_cents"] == 14700
    assert order["payments"][0]["label"]
    assert order["refunds"] == [] and len(order["invoices"]) == 1


def test_store_order_text_shows_tracking_and_money(seeded_env):
    listed = json.loads(runner.invoke(app, ["customers", "--limit", "1", "--json"]).stdout)
    shipped = next(o["id"] for o in listed[0]["orders"] if o["status"] == "shipped")
    result = runner.invoke(app, ["order", shipped])
    assert result.exit_code == 0
    assert result.stdout.splitlines()[0] == f"{shipped}  shipped  customer C0001  $147.00"
    assert "2 x Hydra Insulated Bottle (NW-BTL-520) $29.00" in result.stdout


def test_store_order_unknown_exits_1_with_one_line_on_stderr(seeded_env):
    result = runner.invoke(app, ["order", "W0000000", "--json"])
    assert result.exit_code == 1
    assert result.stdout == ""
    assert result.stderr == "error: no order 'W0000000' in the store\n"
