"""Pure routers: which branch a turn takes."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Literal, get_args

from graph.state import TurnState

Route = Literal[
    "orders",
    "refund",
    "billing",
    "cancel",
    "address",
    "payments",
    "verify",
    "knowledge",
    "smalltalk",
    "escalate",
]

INTENT_ROUTES: dict[str, Route] = {
    "track_order": "orders",
    "get_refund": "refund",
    "track_refund": "refund",
    "check_invoice": "billing",
    "get_invoice": "billing",
    "check_cancellation_fee": "billing",
    "cancel_order": "cancel",
    "change_order": "address",
    "change_shipping_address": "address",
    "payment_issue": "payments",
    "check_payment_methods": "payments",
    "greeting": "smalltalk",
    "goodbye": "smalltalk",
    "out_of_scope": "smalltalk",
    "contact_human_agent": "escalate",
}
"""Intents with their own branch; every other intent is answered from the knowledge base."""

ACCOUNT_ROUTES: frozenset[Route] = frozenset(
    {"orders", "refund", "billing", "cancel", "address", "payments"}
)
"""Branches that read or change the caller's own records, so need a known customer."""

GENERAL_WHEN_ANONYMOUS: frozenset[str] = frozenset(
    {"check_cancellation_fee", "check_payment_methods", "payment_issue"}
)
"""Account intents that are usually general questions ('do you take PayPal?'): an
anonymous caller gets the help centre's answer, not an identity check."""

ROUTE_NODES: tuple[Route, ...] = get_args(Route)
"""Every branch name, in the order of `Route`."""


def choose_route(
    intent: str,
    confidence: float,
    threshold: float,
    *,
    carried_over: bool = False,
    signed_in: bool = True,
    sentiment: float = 0.0,
    negative_threshold: float = -1.0,
    angry: bool = False,
) -> tuple[Route, str | None]:
    """The branch for a classified turn and, for the escalate branch, its reason code.

    A turn that answers the bot's own question (`carried_over`) keeps its intent's branch
    whatever the classifier thought of the bare answer. An anonymous caller asking about
    their own orders, refunds or invoices is asked to verify who they are first (the
    verify branch); their general billing questions get the help centre's answer. A
    strongly negative message (sentiment score at or below `negative_threshold`, or a
    customer saying they are angry) goes to a person rather than to the bot.
    """
    if not carried_over and confidence < threshold:
        return "escalate", "low_confidence"
    if intent == "contact_human_agent":
        return "escalate", "explicit_request"
    if not carried_over and (sentiment <= negative_threshold or angry):
        return "escalate", "negative_sentiment"
    route = INTENT_ROUTES.get(intent, "knowledge")
    if route in ACCOUNT_ROUTES and not signed_in:
        return ("knowledge", None) if intent in GENERAL_WHEN_ANONYMOUS else ("verify", None)
    return route, None


def answered_from_help_centre(intent: str, *, signed_in: bool = True) -> bool:
    """Whether choose_route sends a confident, calm turn of this intent to the knowledge branch."""
    return choose_route(intent, 1.0, 0.0, signed_in=signed_in)[0] == "knowledge"


def help_centre_reading(
    probabilities: Mapping[str, float], *, signed_in: bool = True
) -> tuple[str, float] | None:
    """The likeliest help-centre intent and the summed probability of all of them.

    Every intent answered from the knowledge base takes the same branch, so when no single
    one is sure ("Is the Pulse speaker waterproof?": product_defect 0.46, technical_support
    0.30, ...) their sum is how sure the bot is that this is a help-centre question. The
    classify node answers from the knowledge base when that sum clears the escalation
    threshold; account actions still need their own intent to clear it (which action to
    take matters there), and the knowledge branch still escalates with
    `missing_knowledge` when no passage is good enough. None without probabilities.
    """
    share = {
        intent: p
        for intent, p in probabilities.items()
        if answered_from_help_centre(intent, signed_in=signed_in)
    }
    if not share:
        return None
    return max(share, key=lambda intent: share[intent]), sum(share.values())


FALLBACK_INTENTS: frozenset[str] = frozenset({"out_of_scope"})
"""Intents the bot can only answer with its fallback ('I can only help with ...')."""


def repeated_fallback(intent: str, transcript: list[dict] | None) -> bool:
    """This turn is the second fallback in a row: the customer's previous message got the
    fallback too, so a person should take over (reason `repeated_fallback`)."""
    if intent not in FALLBACK_INTENTS:
        return False
    said = [line for line in transcript or [] if line.get("role") == "customer"]
    return bool(said) and said[-1].get("intent") in FALLBACK_INTENTS


def route_after_classify(state: TurnState) -> Route:
    """Branch chosen by the classify node."""
    return state["route"]  # type: ignore[return-value]


def route_after_action(state: TurnState) -> Literal["escalate", "respond"]:
    """Escalate when an action node decided the turn needs a human, else answer."""
    return "escalate" if state.get("escalation_reason") else "respond"


def route_after_verify(state: TurnState) -> Route | Literal["respond"]:
    """Once the caller is verified, go on with what they asked; otherwise answer or escalate."""
    if state.get("escalation_reason"):
        return "escalate"
    if state.get("verified_customer_id"):
        route = INTENT_ROUTES.get(state.get("intent") or "", "knowledge")
        return route if route in ACCOUNT_ROUTES else "respond"
    return "respond"


def route_after_respond(state: TurnState) -> Literal["await_approval", "__end__"]:
    """Pause for a human decision while a refund waits for approval; else end the turn."""
    approval = state.get("approval")
    return "await_approval" if approval else "__end__"
