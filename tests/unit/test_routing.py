"""The router: which branch a classified turn takes."""

from graph.nlu.taxonomy import INTENTS
from graph.routing import ROUTE_NODES, choose_route, route_after_action


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


def test_choose_route_anonymous_account_questions_get_the_help_centre():
    assert choose_route("track_order", 0.9, 0.6, signed_in=False) == ("knowledge", None)
    assert choose_route("get_invoice", 0.9, 0.6, signed_in=False) == ("knowledge", None)
    assert choose_route("track_order", 0.9, 0.6, signed_in=True) == ("orders", None)


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
