"""Pure routers: which branch a turn takes."""

from __future__ import annotations

import re
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from typing import Any, Literal, get_args

from graph.state import EscalationReason, TurnState
from tools.addresses import find_address


def has_address(message: str) -> bool:
    return find_address(message) is not None


Route = Literal[
    "orders",
    "refund",
    "billing",
    "cancel",
    "address",
    "payments",
    "swap",
    "payment_change",
    "profile_address",
    "verify",
    "knowledge",
    "smalltalk",
    "clarify",
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
    {"orders", "refund", "billing", "cancel", "address", "payments", "swap", "payment_change",
     "profile_address"}
)  # fmt: skip
"""Branches that read or change the caller's own records, so need a known customer."""

GENERAL_WHEN_ANONYMOUS: frozenset[str] = frozenset(
    {"check_cancellation_fee", "check_payment_methods", "payment_issue"}
)
"""Account intents that are usually general questions ('do you take PayPal?'): an
anonymous caller gets the help centre's answer, not an identity check."""

WRITE_INTENTS: frozenset[str] = frozenset(
    {"get_refund", "cancel_order", "change_order", "change_shipping_address", "payment_issue"}
)
"""Intents whose branch ends in an offer to change something (stated, then confirmed)."""

SOFT_REASONS: frozenset[EscalationReason] = frozenset({"low_confidence", "missing_knowledge"})
"""Escalation reasons that a side question asked while an offer waits does not act on:
the bot says it has no answer and restates the offer instead of opening a ticket."""

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
) -> tuple[Route, EscalationReason | None]:
    """The branch for a classified turn and, for the escalate branch, its reason code.

    A turn that answers the bot's own question (`carried_over`) keeps its intent's branch
    whatever the classifier thought of the bare answer. An anonymous caller asking about
    their own orders, refunds or invoices is asked to verify who they are first (the
    verify branch); their general billing questions get the help centre's answer. A
    strongly negative message (sentiment score at or below `negative_threshold`, or a
    customer saying they are angry) goes to a person rather than to the bot.
    """
    sure = carried_over or confidence >= threshold
    if intent == "contact_human_agent" and sure:
        return "escalate", "explicit_request"
    if not carried_over and (sentiment <= negative_threshold or angry):
        return "escalate", "negative_sentiment"  # however unsure of what they asked
    if not sure:
        return "escalate", "low_confidence"
    route = INTENT_ROUTES.get(intent, "knowledge")
    if route in ACCOUNT_ROUTES and not signed_in:
        return ("knowledge", None) if intent in GENERAL_WHEN_ANONYMOUS else ("verify", None)
    return route, None


_SWAP = re.compile(
    r"\b(exchange|swap|trade)\b|\b(switch|change)\b.{0,50}\bto (the|a) .{0,30}\b(one|version)\b|"
    r"\b(different|another|other|bigger|smaller|the) "
    r"(size|colou?r|version|variant|style)\b|\b(instead|replace)\b.*\b(size|colou?r|one)\b|"
    r"\bin (a |the )?(size|colou?r|blue|black|white|red|green|grey|gray)\b",
    re.I,
)
_METHOD = r"(gift ?card|pay ?pal|card|visa|mastercard|amex|american express|discover|credit)"
_PAYMENT = re.compile(
    rf"\b(switch|change|update|move)\b.*\b(payment|pay|{_METHOD})\b|"
    rf"\binstead\b.*\b{_METHOD}\b|\b{_METHOD}\b.*\binstead\b|"
    rf"\b(use|charge)\b.*\b{_METHOD}\b.*\b(for|on) (order|#?w\d)",
    re.I,
)
"""A request to pay an order with another method ("pay for W1 with my gift card instead"),
not a question about paying ("can I pay with PayPal?")."""
_RETURN = re.compile(r"\b(return|refund|send (it |them )?back|money back)\b", re.I)
_PERSON_CHANGE = re.compile(
    r"\b((shipping|delivery) (speed|method|option)|express|expedite|faster|quantity|"
    r"add (an? )?item|remove)\b",
    re.I,
)
_ORDER_ADDRESS = re.compile(
    r"\b(address|ship(ping)? to|deliver(y|ed)? to|send it to|new place|moved|moving|go to my)\b",
    re.I,
)


def needs_a_person(message: str) -> bool:
    """Order changes the bot doesn't make (shipping speed, quantities, added items)."""
    return bool(_PERSON_CHANGE.search(message))


_PROFILE = re.compile(
    r"\b(default|saved|home|billing|profile|account)\b.{0,12}\baddr(ess)?\b|"
    r"\baddr(ess)?\b.{0,20}\b(on (my )?(file|account|profile)|in my (account|profile))\b",
    re.I,
)
PAYMENT_WORDS = re.compile(
    r"\b(gift ?card|pay ?pal|visa|mastercard|amex|american express|discover|credit card)\b",
    re.I,
)
"""A saved payment method named in a message."""
SWAP_INTENTS = frozenset({"change_order", "get_refund", "product_defect"})
PAYMENT_INTENTS = frozenset(
    {"change_order", "payment_issue", "check_payment_methods", "edit_account"}
)
PROFILE_INTENTS = frozenset(
    {"change_shipping_address", "set_up_shipping_address", "edit_account", "change_order"}
)


def refine_route(route: str, intent: str, message: str) -> str:
    """The account branch a change request needs, by what it asks to change: another
    option of an item (exchange / modify items), the payment method of an order, or the
    default address on the customer's account."""
    if route not in ACCOUNT_ROUTES and route != "knowledge":
        return route
    if intent in PROFILE_INTENTS and _PROFILE.search(message):
        return "profile_address"
    if intent in SWAP_INTENTS and _SWAP.search(message):
        return "swap"  # "exchange it …, use my card for the difference" is still an exchange
    if intent in PAYMENT_INTENTS and _PAYMENT.search(message):
        return "payment_change"
    if intent == "change_order" and _RETURN.search(message):
        return "refund"  # "can I return one of them?": a return, not another option
    if intent == "change_order" and not (
        _ORDER_ADDRESS.search(message) or has_address(message) or needs_a_person(message)
    ):
        return "swap"  # "change the earbuds in W… to white": another option of an item
    return route


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


@dataclass(frozen=True)
class RouteDecision:
    """What a classified turn is routed on, and where it goes."""

    intent: str
    """The classifier's intent, or the likeliest help-centre intent when only the
    help-centre intents together were sure (`help_centre_guess`)."""
    confidence: float
    """The probability of `intent`, or the help-centre intents' summed probability."""
    help_centre_guess: bool
    route: Route
    reason: EscalationReason | None
    """For the escalate branch: why."""


def decide_route(
    intent: str,
    confidence: float,
    probabilities: Mapping[str, float],
    threshold: float,
    *,
    carried_over: bool = False,
    held: bool = False,
    signed_in: bool = True,
    sentiment: float = 0.0,
    negative_threshold: float = -1.0,
    angry: bool = False,
    off_topic: bool = False,
) -> RouteDecision:
    """The routing decision of the classify node for a classified turn.

    A turn no single intent is sure of (and that does not answer the bot's question) goes
    to the knowledge branch when the help-centre intents together clear `threshold`, or,
    while an offer is `held`, whatever their sum (see help_centre_reading); then
    choose_route decides the branch. A message the scope gate reads as `off_topic` gets no
    help-centre reading (unless an offer is held): no single intent is sure of it, so it
    is declined rather than answered from a near-miss article or escalated.
    """
    guess = False
    if not carried_over and confidence < threshold and (held or not off_topic):
        reading = help_centre_reading(probabilities, signed_in=signed_in)
        if reading is not None and (reading[1] >= threshold or held):
            (intent, confidence), guess = reading, True
    route, reason = choose_route(
        intent,
        confidence,
        threshold,
        carried_over=carried_over,
        signed_in=signed_in,
        sentiment=sentiment,
        negative_threshold=negative_threshold,
        angry=angry,
    )
    return RouteDecision(intent, confidence, guess, route, reason)


SHOP_ENTITIES: frozenset[str] = frozenset(
    {"order_id", "invoice_id", "tracking_number", "sku", "product"}
)
"""Entity types that only this shop's business has: a message naming one is never read as
off-topic on the scope gate's unsure verdict alone."""


def names_shop_things(entities: Sequence[Mapping[str, Any]]) -> bool:
    """The message names one of the shop's own things: an order, invoice, parcel or
    catalogue product."""
    return any(e.get("type") in SHOP_ENTITIES for e in entities)


def reads_off_topic(gate_says: bool, entities: Sequence[Mapping[str, Any]]) -> bool:
    """The scope gate's unsure verdict, unless the message names the shop's own things."""
    return gate_says and not names_shop_things(entities)


FALLBACK_INTENTS: frozenset[str] = frozenset({"out_of_scope"})
"""Intents the bot can only answer with its fallback ('I can only help with ...')."""


def declines_unsure(
    probabilities: Mapping[str, float], gate_says: bool, entities: Sequence[Mapping[str, Any]]
) -> bool:
    """Whether a message no intent is sure of gets the polite fallback rather than a
    question back: out_of_scope is its likeliest reading and outweighs the head's hidden
    noise class (whatever the probabilities leave out: "hmm" and "asdfgh" are unclear,
    not off-topic), or the scope gate reads it as off-topic (see reads_off_topic)."""
    if not probabilities:
        return False
    top = max(probabilities, key=lambda intent: probabilities[intent])
    noise = 1.0 - sum(probabilities.values())
    if top in FALLBACK_INTENTS and probabilities[top] > noise:
        return True
    return reads_off_topic(gate_says, entities)


def repeated_fallback(
    declined: bool,
    transcript: Sequence[Mapping[str, Any]] | None,
    *,
    includes_this_message: bool = False,
) -> bool:
    """This turn is the second fallback in a row: this message is `declined` as off-topic
    and the customer's previous message got the fallback too, so a person should take
    over (reason `repeated_fallback`). The bot's last reply says whether it was the
    fallback (a message read as off-topic may still have been answered from the help
    centre). `includes_this_message`: the transcript already ends with this message's own
    line (as it does after the classify node)."""
    if not declined:
        return False
    lines = list(transcript or [])
    if includes_this_message:
        while lines and lines[-1].get("role") != "customer":
            lines.pop()
        lines = lines[:-1]
    said = [line for line in lines if line.get("role") == "customer"]
    if not said:
        return False
    replies = [line for line in lines if line.get("role") == "assistant"]
    if replies and "declined" in replies[-1]:  # what the bot actually answered last time
        return bool(replies[-1]["declined"])
    return said[-1].get("intent") in FALLBACK_INTENTS  # transcripts from before that


def route_after_classify(state: TurnState) -> Route:
    """Branch chosen by the classify node."""
    return state["route"]  # type: ignore[return-value]


def route_after_action(state: TurnState) -> Literal["escalate", "resume_offer", "respond"]:
    """Escalate when an action node decided the turn needs a human, else answer; a turn
    that put an offer on hold comes back to it (a soft escalation reason included)."""
    reason = state.get("escalation_reason")
    if state.get("held") and (not reason or reason in SOFT_REASONS):
        return "resume_offer"
    return "escalate" if reason else "respond"


def route_after_reply(state: TurnState) -> Literal["next_request", "await_approval", "__end__"]:
    """After a reply: the message's next request, a pause for an approval, or the end."""
    if state.get("queue") and not state.get("escalation"):
        return "next_request"
    return route_after_respond(state)


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
