"""Script bindings: orders picked by query on the project's τ dump and on the demo seed, and
the placeholders that name their facts."""

from __future__ import annotations

import json

import pytest
from sqlalchemy import create_engine

from evals.suites.bindings import NoMatch, check_picks, resolve_bindings
from evals.suites.harness import TAU_DUMP
from evals.suites.placeholders import render
from evals.suites.store_facts import StoreFacts
from tools.store.db import create_schema
from tools.store.seed import seed_demo
from tools.store.tau_import import import_tau, read_dump


def store_facts(path, fill):
    engine = create_engine(f"sqlite:///{path}")
    try:
        fill(engine)
        return StoreFacts.read(engine)
    finally:
        engine.dispose()


@pytest.fixture(scope="module")
def tau(tmp_path_factory):
    path = tmp_path_factory.mktemp("tau") / "tau.sqlite"
    return store_facts(path, lambda engine: import_tau(engine, read_dump(TAU_DUMP)))


@pytest.fixture(scope="module")
def demo(tmp_path_factory):
    def fill(engine):
        create_schema(engine)
        seed_demo(engine)

    return store_facts(tmp_path_factory.mktemp("demo") / "demo.sqlite", fill)


def bind(facts, **picks):
    return resolve_bindings(check_picks(picks), facts)


def test_evals_bindings_tau_dump_is_tau_shaped_with_what_scripts_need():
    data = json.loads(TAU_DUMP.read_text())
    assert set(data) == {"products", "users", "orders"}
    statuses = {o["status"] for o in data["orders"].values()}
    assert statuses == {"pending", "processed", "delivered", "cancelled"}
    variants = [v for p in data["products"].values() for v in p["variants"].values()]
    assert any(not v["available"] for v in variants)
    assert all(2 <= len(p["variants"]) <= 5 for p in data["products"].values())
    sources = {m["source"] for u in data["users"].values() for m in u["payment_methods"].values()}
    assert sources == {"credit_card", "paypal", "gift_card"}
    cancelled = [o for o in data["orders"].values() if o["status"] == "cancelled"]
    assert all(
        [h["transaction_type"] for h in o["payment_history"]] == ["payment", "refund"]
        for o in cancelled
    )


def test_evals_bindings_first_matching_order_by_id_and_its_facts(tau):
    bound = bind(tau, order={"status": "delivered", "min_items": 3, "distinct_products": True})
    text = (
        "{order.id}|{order.customer}|{order.item1.product}|{order.item1.name}|"
        "{order.item1.price}|{order.item1.option}|{order.total}|{order.street}|"
        "{order.customer_name}|{order.customer_email}|{order.customer_zip}|{order.payment}"
    )
    assert render(text, bound).split("|") == [
        "W1529874",
        "priya_natarajan_2718",
        "Pour-Over Coffee Set",
        "Pour-Over Coffee Set (white, 600ml)",
        "$42.60",
        "white",
        "$118.85",
        "63 Beacon Street",
        "Priya Natarajan",
        "priya.natarajan7743@example.com",
        "02906",
        "Visa ending 6654",
    ]


def test_evals_bindings_customer_and_not_refer_to_earlier_bindings(tau):
    bound = bind(
        tau,
        order={"status": "delivered", "min_items": 3},
        other={"status": "delivered", "customer": "order", "not": "order"},
    )
    assert (bound["order"].order.id, bound["other"].order.id) == ("W1529874", "W7748250")
    assert bound["other"].order.customer == bound["order"].order.customer


def test_evals_bindings_variant_in_stock_is_item1_with_a_word_that_names_it(tau):
    bound = bind(tau, order={"status": "delivered", "has_variant_available": True})
    got = render(
        "{order.id}: {order.item1.name} -> {order.item1.variant} "
        "({order.item1.variant_sku}, {order.item1.variant_name}, {order.item1.variant_price})",
        bound,
    )
    assert got == (
        "W1190538: Wireless Charging Pad (white, 15W) -> black "
        "(2049183367, Wireless Charging Pad (black, 10W), $29.95)"
    )


def test_evals_bindings_unavailable_variants_are_never_offered(tau):
    # The size-9 coral mesh shoes' only other coral variant is out of stock.
    bound = bind(tau, order={"status": "pending", "min_items": 4})
    assert render("{order.item1.name} -> {order.item1.variant_sku}", bound) == (
        "Trail Running Shoes (9, coral, mesh) -> 3019384756"
    )


def test_evals_bindings_same_product_twice_numbers_the_pair_first(tau):
    bound = bind(tau, order={"same_product_twice": True})
    assert render("{order.id} {order.item1.option} / {order.item2.option}", bound) == (
        "W5521986 heather grey / mustard"
    )
    none = bind(tau, order={"status": "delivered", "same_product_twice": False, "min_items": 3})
    assert none["order"].order.id == "W1529874"


def test_evals_bindings_payment_picks_the_customers_wallet(tau):
    bound = bind(tau, order={"status": "pending", "payment": ["gift_card", "multiple"]})
    assert render("{order.id} {order.gift_card} {order.card}", bound) == (
        "W6152204 Gift card Visa ending 3381"
    )
    paypal_only = bind(tau, order={"status": "processed", "payment": "paypal"})
    with pytest.raises(ValueError, match=r"\{order.card\}: customer desmond_achebe_8820 has no"):
        render("{order.card}", paypal_only)


def test_evals_bindings_no_match_names_the_binding_and_its_criteria(tau):
    with pytest.raises(NoMatch, match=r"no order matches order: \{status: pending, min_items: 9\}"):
        bind(tau, order={"status": "pending", "min_items": 9})


def test_evals_bindings_item_beyond_the_order_is_an_error(tau):
    bound = bind(tau, order={"status": "processed", "max_items": 1})
    with pytest.raises(ValueError, match=r"\{order.item2.price\}: order W1648352 has 1 line"):
        render("{order.item2.price}", bound)


def test_evals_bindings_work_on_the_demo_seed_next_to_the_old_references(demo):
    bound = bind(
        demo,
        order={"customer": "C0001", "status": "delivered"},
        swap={"status": "delivered", "has_variant_available": True},
    )
    assert bound["order"].order.customer == "C0001"
    assert bound["order"].order.status == "delivered"
    line = bound["swap"].lines[0]
    variant = render("{swap.item1.variant_sku}", bound)
    assert variant != line.sku
    assert variant.split("-")[:2] == line.sku.split("-")[:2]  # another option, same product


def test_evals_bindings_bad_criteria_are_rejected_with_the_reason():
    cases = [
        ({"order": {"colour": "red"}}, "unknown criteria \\['colour'\\]"),
        ({"order": {"min_items": "3"}}, "min_items must be a whole number"),
        ({"order": {"not": "other"}}, "\\['other'\\] are not earlier bindings"),
        ({"order": {"payment": "cash"}}, "\\['cash'\\] not one of gift_card"),
        ({"order": {"distinct_products": "yes"}}, "must be true or false"),
        ({"my order": {}}, "is not a name"),
    ]
    for picks, message in cases:
        with pytest.raises(ValueError, match=message):
            check_picks(picks)
