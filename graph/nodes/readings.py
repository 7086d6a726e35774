"""Readings of a turn that lean on the conversation: a follow-up of the last request, and
what to do with a message no intent is sure of (graph.nodes.classify applies them)."""

from __future__ import annotations

import re
from typing import Any

from graph import dialogue
from graph.picks import answers_which
from graph.routing import PAYMENT_WORDS, WRITE_INTENTS, declines_unsure
from graph.state import EscalationReason, Memory, Pending

_ASKS = re.compile(
    r"\?\s*$|^\W*(?:(?:wait|hold on|oh|ok|okay|also|but|um+|hm+|sorry|quick question)\W+)*"
    r"(how|what|when|where|why|who|which|can|could|do|does|did|is|are|will|would|should)\b",
    re.I,
)
"""A message that asks something ("wait, how long do refunds take?")."""


_CLOSES = re.compile(
    r"\b(that'?s all|that is all|that'?s it|that'?ll be all|nothing else|i'?m (all )?(good|done)"
    r"( now| then| thanks)?|all good|no more questions|bye|goodbye)\W*$",
    re.I,
)


def closes(message: str) -> bool:
    """The customer ends the conversation ("thanks, that's all", "nothing else, bye")."""
    return bool(_CLOSES.search(message.strip()))


def asks_something(message: str) -> bool:
    """Whether the message is a question rather than an answer."""
    return bool(_ASKS.search(message.strip()))


_MORE = re.compile(
    r"^\W*(and|also|plus|what about|how about)\b|[.!?]\s+(what|how) about\b|"
    r"\b(too|as well)\W*$",
    re.I,
)
"""A message that adds to the customer's last request ("ok, fair enough. what about the
keyboard from that order?")."""


def follow_up(
    message: str,
    said_orders: list[str],
    memory: Memory,
    intent: str,
    confidence: float,
    threshold: float,
) -> tuple[str, str | None] | None:
    """(intent, order) when a message continues the customer's last request: "no, the other
    order" after an offer was refused, "and W5507320?" after a status. None otherwise."""
    last = memory.get("last_intent")
    if last not in WRITE_INTENTS | {"track_order", "track_refund", "check_invoice"}:
        return None
    remembered = memory.get("orders") or []
    if dialogue.wants_other_order(message) and len(remembered) >= 2:
        return last, remembered[-2]
    short = len(message.split()) <= 4 and confidence < threshold
    if said_orders and (short or re.search(r"\binstead\b", message, re.I)):
        return last, None  # "and W5507320?", "then change it on W8540535 instead"
    if _MORE.search(message) and (confidence < threshold or intent == last):
        return last, None  # "and the headphones from that order too"
    if answers_which(message) and confidence < threshold:
        return last, None  # "never mind, the shipped one": the same request, that order
    if memory.get("last_route") == "payment_change" and PAYMENT_WORDS.search(message):
        return last, None  # "ok then use my Mastercard" after a refused payment change
    return None


def unclear(
    parse: Any,
    message: str,
    entities: list[dict[str, Any]],
    pending: Pending | None,
    held: Pending | None,
) -> tuple[str, EscalationReason | None, Pending | None, list[str]]:
    """Route, reason, pending and quick replies for a message no intent is sure of.

    Off-topic chatter gets the polite fallback (a person only if it repeats); while an
    offer waits, the side question goes to the help centre (the offer is restated after);
    the first unclear message gets the likeliest readings as quick replies; a second one
    in a row goes to a person.
    """
    probabilities = parse.probabilities or {parse.intent: parse.confidence}
    if held is not None:
        return "knowledge", None, None, []
    if (pending or {}).get("kind") == "clarify":
        return "escalate", "low_confidence", None, []
    if declines_unsure(probabilities, parse.off_topic, entities):
        return "smalltalk", None, None, []
    options = dialogue.clarify_options(probabilities)
    if sum(probabilities.get(o, 0.0) for o in options) < 0.25:
        options = list(dialogue.GENERIC_OPTIONS)  # no reading stands out: the usual asks
    if not options:
        return "escalate", "low_confidence", None, []
    asked: Pending = {
        "kind": "clarify",
        "intent": options[0],
        "options": options,
        "request": message,
        "request_entities": entities,
    }
    return "clarify", None, asked, dialogue.suggestions_for(options)
