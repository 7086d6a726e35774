"""The conversations judge's turn and end-state checks (each passing and failing), and the
errors a malformed script is rejected with."""

from __future__ import annotations

import pytest
from sqlalchemy import create_engine

from evals.suites.conversation_judge import Since, judge_end_state, judge_turn
from evals.suites.conversation_script import load_script, select_scripts
from evals.suites.harness import TAU_DUMP
from tools.store.backend import SqlStore
from tools.store.db import session_factory
from tools.store.models import Customer
from tools.store.tau_import import import_tau, read_dump

ORDER = "W1529874"  # priya_natarajan_2718: coffee set $42.60, lunch box $41.30, pad $34.95
CUSTOMER = "priya_natarajan_2718"


def same(text: str) -> str:
    return text


@pytest.fixture
def store(tmp_path):
    engine = create_engine(f"sqlite:///{tmp_path / 'tau.sqlite'}")
    import_tau(engine, read_dump(TAU_DUMP))
    store = SqlStore(engine)
    yield store
    engine.dispose()


def refund(store, key, cents, skus, actor=f"customer:{CUSTOMER}"):
    store.create_refund(
        customer_id=CUSTOMER,
        order_id=ORDER,
        amount_cents=cents,
        reason="test",
        idempotency_key=key,
        actor=actor,
        skus=skus,
    )


def test_evals_checks_turn_intent_regex_and_suggestions():
    response = {
        "reply": "Your refund of $42.60 goes back to Visa ending 6654.",
        "intent": "get_refund",
        "suggestions": [{"label": "Track an order"}, "Talk to a person"],
    }
    passing = {
        "intent": ["get_refund", "track_refund"],
        "reply_matches": r"refund of \$\d+\.\d\d",
        "suggestions": True,
        "suggestions_include": ["track an order", "Talk to a person"],
    }
    assert judge_turn(passing, response, same) == []
    failing = {
        "intent": "cancel_order",
        "reply_matches": ["refund of \\$9", "Visa"],
        "suggestions": False,
        "suggestions_include": ["Cancel an order"],
    }
    assert judge_turn(failing, response, same) == [
        "expected intent cancel_order, got get_refund",
        "reply does not match /refund of \\$9/",
        "expected no suggestions, got ['Track an order', 'Talk to a person']",
        "no suggestion 'Cancel an order' (got ['Track an order', 'Talk to a person'])",
    ]
    assert judge_turn({"suggestions": True}, {"reply": "hi"}, same) == [
        "expected suggestions, got none"
    ]


def test_evals_checks_regex_gets_escaped_values_from_its_resolver():
    response = {"reply": "That is $42.60 in all."}
    expect = {"reply_matches": "is {price} in all"}

    def fill(text):
        return text.replace("{price}", "$42.60")

    def fill_escaped(text):
        return text.replace("{price}", "\\$42\\.60")

    assert judge_turn(expect, response, fill, fill_escaped) == []
    assert judge_turn(expect, response, fill) == ["reply does not match /is $42.60 in all/"]


def test_evals_checks_end_state_refunds_by_amount_and_item(store):
    refund(store, "a", 4260, ["1937465028"])
    refund(store, "b", 3495, ["9873015524"])
    passing = {
        "refunds": {ORDER: 2},
        "refund_amounts": {ORDER: "$77.55"},
        "refund_items": {ORDER: ["Pour-Over Coffee Set", "9873015524"]},
    }
    assert judge_end_state(passing, store, same) == []
    failing = {
        "refund_amounts": {ORDER: "$42.60"},
        "refund_items": {ORDER: ["Insulated Lunch Box (1.8L, teal)"]},
    }
    assert judge_end_state(failing, store, same) == [
        f"expected $42.60 refunded on order {ORDER}, found $77.55",
        f"expected refunded items ['Insulated Lunch Box (1.8L, teal)'] on order {ORDER}, "
        "found ['Pour-Over Coffee Set (white, 600ml)', 'Wireless Charging Pad (white, 15W)']",
    ]


def test_evals_checks_writes_and_audit_rows_count_only_this_conversation(store):
    refund(store, "before", 100, [], actor="agent:sam")
    since = Since(audit_id=max(a.id for a in store.list_audit()))
    quiet = {"writes": 0, "audit_actions": {"refund.create": 0}}
    assert judge_end_state(quiet, store, same, since) == []
    refund(store, "during", 4260, ["1937465028"])
    assert (
        judge_end_state({"writes": 1, "audit_actions": {"refund.create": 1}}, store, same, since)
        == []
    )
    assert judge_end_state({"writes": 0}, store, same, since) == [
        "expected 0 customer write(s), found 1 (refund.create)"
    ]


def test_evals_checks_order_and_default_addresses(store):
    store.change_address(
        customer_id=CUSTOMER,
        order_id=ORDER,
        address="Priya Natarajan, 12 Elm Street, Apt 3, Providence, RI 02903, USA",
        idempotency_key="addr",
        actor=f"customer:{CUSTOMER}",
        check=lambda order: None,
    )
    with session_factory(store.engine).begin() as s:
        s.get(Customer, CUSTOMER).address = "12 Elm Street, Apt 3, Providence, RI 02903, USA"
    passing = {
        "order_address_contains": {ORDER: "12 elm street, apt 3"},
        "default_address_contains": {CUSTOMER: "12 Elm Street"},
    }
    assert judge_end_state(passing, store, same) == []
    failing = {
        "order_address_contains": {ORDER: "63 Beacon Street"},
        "default_address_contains": {CUSTOMER: "63 Beacon Street", "nobody_1": "x"},
    }
    assert judge_end_state(failing, store, same) == [
        f"expected order {ORDER} shipping to '63 Beacon Street', found "
        "'Priya Natarajan, 12 Elm Street, Apt 3, Providence, RI 02903, USA'",
        f"expected {CUSTOMER}'s default address to hold '63 Beacon Street', found "
        "'12 Elm Street, Apt 3, Providence, RI 02903, USA'",
        "expected nobody_1's default address to hold 'x', found None",
    ]


def test_evals_checks_escalations_count_only_this_session(store):
    for session in ("mine", "other"):
        store.create_session(session, CUSTOMER)
        store.create_escalation(
            session_id=session, customer_id=CUSTOMER, reason="explicit_request",
            intent=None, confidence=None, entities=[], transcript=[],
        )  # fmt: skip
    expect = {"escalations": 1, "escalation_reasons": ["explicit_request"]}
    assert judge_end_state(expect, store, same, Since("mine")) == []
    assert judge_end_state(expect, store, same) == [
        "expected 1 escalation(s), found 2",
        "expected escalation reasons ['explicit_request'], found "
        "['explicit_request', 'explicit_request']",
    ]


SCRIPT = """
name: bound
store: tau
bind:
  order: {status: delivered}
customer: "{order.customer}"
turns:
  - say: "where is {order.id}?"
    expect: {reply_matches: "{order.item1.price}"}
end_state:
  refund_amounts: {"{order.id}": "{order.item1.price}"}
"""


@pytest.mark.parametrize(
    ("change", "message"),
    [
        (("store: tau", "store: mars"), "store 'mars' is not one of demo, tau"),
        (("bind:", "binds: {}\nbind:"), "unknown keys \\['binds'\\]"),
        (("    expect:", "    said: x\n    expect:"), "unknown keys \\['said'\\]"),
        (("{reply_matches", "{reply_regex"), "unknown checks \\['reply_regex'\\]"),
        (("where is {order.id}", "where is {ordr.id}"), "\\{ordr.id\\}: no binding 'ordr'"),
        (("{order.customer}", "{order.owner}"), "\\{order.owner\\}: unknown field"),
        (('{order.item1.price}"}\n', '{order.item1.colour}"}\n'), "unknown item field"),
        (('{order.item1.price}"}\n', '{order.item.price}"}\n'), "not a field"),
        (("{status: delivered}", "{status: delivered, colour: red}"), "unknown criteria"),
        (('"{order.item1.price}"}\nend', '"(unclosed"}\nend'), "is not a regex"),
    ],
)
def test_evals_checks_malformed_scripts_are_rejected_naming_the_file(tmp_path, change, message):
    path = tmp_path / "bound.yaml"
    path.write_text(SCRIPT.replace(*change, 1))
    with pytest.raises(ValueError, match=message) as info:
        load_script(path)
    assert str(info.value).startswith(f"{path}: ")


def test_evals_checks_well_formed_bound_script_loads(tmp_path):
    path = tmp_path / "bound.yaml"
    path.write_text(SCRIPT)
    script = load_script(path)
    assert (script.store, script.customer) == ("tau", "{order.customer}")
    assert script.bind == {"order": {"status": "delivered"}}
    assert select_scripts([script], "oun") == [script]
    with pytest.raises(ValueError, match="no conversation script matches 'zzz'"):
        select_scripts([script], "zzz")
