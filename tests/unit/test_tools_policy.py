"""The written policy: the packaged files parse into the rules the help centre states."""

from __future__ import annotations

from pathlib import Path

import pytest

from tools.policy import PolicyError, load_policy

TAU_POLICY = Path(__file__).resolve().parents[2] / "tools" / "policy" / "tau_retail.toml"


def test_load_policy_default_matches_the_help_centre():
    policy = load_policy()
    assert policy.refund_statuses == ("delivered",)
    assert policy.window_days == 30
    assert policy.non_refundable_categories == ("gift_card",)
    assert policy.auto_approve_limit_cents == 20000
    assert policy.refund_destinations == ("original",)
    assert policy.cancel_statuses == ("pending", "processing")
    assert policy.cancel_fee_cents("pending") == 0
    assert policy.cancel_fee_cents("processing") == 500
    assert policy.address_change_statuses == ("pending",)
    assert policy.max_verification_attempts == 5
    assert (policy.exchange_statuses, policy.exchange_once) == (("delivered",), False)
    assert (policy.modify_statuses, policy.modify_once) == (("pending",), False)
    assert policy.payment_change_statuses == ("pending",)
    assert not policy.exchange_locks_order and not policy.modify_locks_order


def test_load_policy_tau_file_expresses_tau_benchs_rules():
    policy = load_policy(TAU_POLICY)
    assert policy.cancel_statuses == ("pending",)
    assert list(policy.cancel_reasons) == ["no longer needed", "ordered by mistake"]
    assert policy.refund_destinations == ("original", "gift_card")
    assert policy.window_days == 0 and policy.auto_approve_limit_cents is None
    assert not policy.needs_approval(10**9)
    # "Exchange or modify order tools can only be called once per order."
    assert policy.swap_statuses("exchange") == ("delivered",) and policy.swap_once("exchange")
    assert policy.swap_statuses("modify") == ("pending",) and policy.swap_once("modify")
    # "...will change the order status to 'pending (items modifed)'. The agent will not be
    # able to modify or cancel the order anymore."
    assert policy.modify_locks_order and policy.exchange_locks_order
    assert policy.payment_change_statuses == ("pending",)


@pytest.mark.parametrize(
    ("text", "reason"),
    [
        ("please cancel it, I ordered it by mistake", "ordered by mistake"),
        ("I don’t need it anymore", "no longer needed"),
        ("found it cheaper elsewhere", "found a better price"),
        ("cancel order W1234567", None),
    ],
)
def test_cancel_reason_in_reads_accepted_reasons(text, reason):
    assert load_policy().cancel_reason_in(text) == reason


def test_refused_condition_in_spots_damage_after_delivery():
    policy = load_policy()
    assert policy.refused_condition_in("I dropped it in the pool") == "damaged after delivery"
    assert policy.refused_condition_in("I wore the headphones once") is None


def test_needs_approval_only_above_the_limit():
    policy = load_policy()
    assert not policy.needs_approval(20000)
    assert policy.needs_approval(20001)


@pytest.mark.parametrize(
    ("toml", "message"),
    [
        ("[refunds]\nwindow_days = -1", "refunds.window_days"),
        ("[refunds]\ndestinations = ['store_credit']", "refunds.destinations"),
        ("[refunds]\nauto_approve_limit = 'lots'", "refunds.auto_approve_limit"),
        ("[shipping]\nfree = true", "unknown policy sections"),
        ("[verification]\nmax_attempts = 0", "verification.max_attempts"),
        ("refunds = [", "not valid TOML"),
        ("[exchange]\nonce = 'yes'", "exchange.once must be true or false"),
        ("[modify_items]\nlocks_order = 1", "modify_items.locks_order must be true or false"),
        ("[modify_items]\nstatuses = 'pending'", "modify_items.statuses"),
        ("[payment_change]\nstatuses = [1]", "payment_change.statuses"),
        ("exchange = 3", r"\[exchange\] must be a table"),
    ],
)
def test_load_policy_bad_file_names_the_bad_key(tmp_path, toml, message):
    path = tmp_path / "policy.toml"
    path.write_text(toml)
    with pytest.raises(PolicyError, match=message):
        load_policy(path)


def test_load_policy_missing_file_is_a_clear_error(tmp_path):
    with pytest.raises(PolicyError, match="cannot read policy file"):
        load_policy(tmp_path / "nope.toml")
