"""Pure routers: which branch a turn takes."""

from __future__ import annotations

from typing import Literal

from graph.state import TurnState

Route = Literal["orders", "refund", "billing", "knowledge", "smalltalk", "escalate"]

INTENT_ROUTES: dict[str, Route] = {
    "track_order": "orders",
    "get_refund": "refund",
    "track_refund": "refund",
    "check_invoice": "billing",
    "get_invoice": "billing",
    "greeting": "smalltalk",
    "goodbye": "smalltalk",
    "out_of_scope": "smalltalk",
    "contact_human_agent": "escalate",
}
"""Intents with their own branch; every other intent is answered from the knowledge base."""

ACCOUNT_ROUTES: frozenset[Route] = frozenset({"orders", "refund", "billing"})
"""Branches that read or change the caller's own records, so need a signed-in customer."""

ROUTE_NODES: tuple[Route, ...] = (
    "orders",
    "refund",
    "billing",
    "knowledge",
    "smalltalk",
    "escalate",
)


def choose_route(
    intent: str,
    confidence: float,
    threshold: float,
    *,
    carried_over: bool = False,
    signed_in: bool = True,
    sentiment: float = 0.0,
    negative_threshold: float = -1.0,
) -> tuple[Route, str | None]:
    """The branch for a classified turn and, for the escalate branch, its reason code.

    A turn that answers the bot's own question (`carried_over`) keeps its intent's branch
    whatever the classifier thought of the bare answer. An anonymous caller asking about
    account records gets the help centre's general answer (the knowledge node adds how to
    sign in) instead of any record. A strongly negative message (sentiment score at or
    below `negative_threshold`) goes to a person rather than to the bot.
    """
    if not carried_over and confidence < threshold:
        return "escalate", "low_confidence"
    if intent == "contact_human_agent":
        return "escalate", "explicit_request"
    if not carried_over and sentiment <= negative_threshold:
        return "escalate", "negative_sentiment"
    route = INTENT_ROUTES.get(intent, "knowledge")
    if route in ACCOUNT_ROUTES and not signed_in:
        return "knowledge", None
    return route, None


def route_after_classify(state: TurnState) -> Route:
    """Branch chosen by the classify node."""
    return state["route"]  # type: ignore[return-value]


def route_after_action(state: TurnState) -> Literal["escalate", "respond"]:
    """Escalate when an action node decided the turn needs a human, else answer."""
    return "escalate" if state.get("escalation_reason") else "respond"
