"""The router: which branch a classified turn takes."""

import pytest

from graph.routing import (
    ROUTE_NODES,
    choose_route,
    route_after_action,
    route_after_respond,
    route_after_verify,
)
from nlu.taxonomy import INTENTS


def test_choose_route_escalates_below_threshold():
    assert choose_route("track_order", 0.59, 0.6) == ("escalate", "low_confidence")
    assert choose_route("track_order", 0.6, 0.6) == ("orders", None)


def test_choose_route_explicit_request_escalates_even_when_confident():
    assert choose_route("contact_human_agent", 0.99, 0.6) == ("escalate", "explicit_request")


def test_choose_route_answer_to_bot_question_keeps_its_branch():
    assert choose_route("get_refund", 0.2, 0.6, carried_over=True) == ("refund", None)


def test_choose_route_policy_questions_go_to_knowledge():
    for intent in ("check_refund_policy", "delivery_period", "recover_password"):
        assert choose_route(intent, 0.9, 0.6) == ("knowledge", None)


def test_choose_route_every_intent_has_a_branch():
    for intent in INTENTS:
        route, _ = choose_route(intent, 1.0, 0.6)
        assert route in ROUTE_NODES


def test_route_after_action():
    assert route_after_action({"escalation_reason": "tool_failure"}) == "escalate"
    assert route_after_action({"escalation_reason": None}) == "respond"


def test_choose_route_anonymous_account_questions_are_asked_to_verify_first():
    for intent in ("track_order", "get_invoice", "get_refund", "cancel_order", "change_order"):
        assert choose_route(intent, 0.9, 0.6, signed_in=False) == ("verify", None), intent
    assert choose_route("get_refund", 0.2, 0.6, carried_over=True, signed_in=False) == (
        "verify",
        None,
    )
    assert choose_route("track_order", 0.9, 0.6, signed_in=True) == ("orders", None)


def test_choose_route_anonymous_general_billing_questions_get_the_help_centre():
    for intent in ("check_payment_methods", "payment_issue", "check_cancellation_fee"):
        assert choose_route(intent, 0.9, 0.6, signed_in=False) == ("knowledge", None), intent
    assert choose_route("check_payment_methods", 0.9, 0.6) == ("payments", None)


def test_choose_route_cancel_and_change_requests_reach_their_tools():
    assert choose_route("cancel_order", 0.9, 0.6) == ("cancel", None)
    assert choose_route("change_order", 0.9, 0.6) == ("address", None)
    assert choose_route("change_shipping_address", 0.9, 0.6) == ("address", None)
    assert choose_route("check_cancellation_fee", 0.9, 0.6) == ("billing", None)
    assert choose_route("payment_issue", 0.9, 0.6) == ("payments", None)


def test_route_after_verify_goes_on_with_the_request_once_verified():
    verified = {"verified_customer_id": "C0001", "intent": "track_order"}
    assert route_after_verify(verified) == "orders"
    assert route_after_verify({**verified, "intent": "cancel_order"}) == "cancel"
    assert route_after_verify({"verified_customer_id": None, "intent": "track_order"}) == (
        "respond"
    )
    assert route_after_verify({"escalation_reason": "verification_failed"}) == "escalate"


def test_route_after_respond_pauses_while_an_approval_waits():
    assert route_after_respond({"approval": {"id": "A1"}}) == "await_approval"
    assert route_after_respond({"approval": None}) == "__end__"


def test_choose_route_unsure_request_for_a_human_is_low_confidence():
    assert choose_route("contact_human_agent", 0.59, 0.6) == ("escalate", "low_confidence")


def test_choose_route_strong_negative_sentiment_goes_to_a_person():
    kwargs = {"negative_threshold": -0.7}
    assert choose_route("complaint", 0.95, 0.6, sentiment=-0.9, **kwargs) == (
        "escalate",
        "negative_sentiment",
    )
    assert choose_route("track_order", 0.95, 0.6, sentiment=-0.5, **kwargs) == ("orders", None)
    assert choose_route("get_refund", 1.0, 0.6, carried_over=True, sentiment=-0.9, **kwargs) == (
        "refund",
        None,
    )
    angry = choose_route("track_order", 0.95, 0.6, sentiment=-0.5, angry=True, **kwargs)
    assert angry == ("escalate", "negative_sentiment")


def test_help_centre_reading_sums_the_intents_answered_from_the_knowledge_base():
    from graph.routing import help_centre_reading

    split = {"product_defect": 0.46, "technical_support": 0.30, "track_order": 0.2}
    intent, share = help_centre_reading(split)
    assert intent == "product_defect"
    assert share == pytest.approx(0.76)
    # Account actions are never summed: which action to take is the question there.
    assert help_centre_reading({"track_order": 0.5, "get_refund": 0.4}) is None
    assert help_centre_reading({}) is None


def test_help_centre_reading_counts_general_billing_questions_for_anonymous_callers():
    from graph.routing import help_centre_reading

    split = {"check_payment_methods": 0.35, "delivery_options": 0.3, "track_order": 0.3}
    assert help_centre_reading(split, signed_in=True) == ("delivery_options", 0.3)
    intent, share = help_centre_reading(split, signed_in=False)
    assert (intent, round(share, 2)) == ("check_payment_methods", 0.65)
