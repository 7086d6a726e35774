"""Intent node: classify the message, or read it as the answer to the bot's last question."""

from __future__ import annotations

import asyncio
import re

from graph.nlu.taxonomy import category_of
from graph.nodes.common import Rt, emit, now_iso
from graph.nodes.verify import identity_claims
from graph.routing import choose_route, help_centre_reading, repeated_fallback
from graph.state import Pending, TurnState
from tools.addresses import find_address
from tools.policy import SupportPolicy

_YES = re.compile(
    r"^\s*(y|yes|yeah|yep|yup|sure|ok(ay)?|please do|go ahead|do it|confirm(ed)?|"
    r"yes please|that'?s right|correct)\b",
    re.I,
)
_NO = re.compile(
    r"^\s*(n|no|nope|nah|don'?t|do not|stop|cancel( that)?|never ?mind|not now)\b", re.I
)


def confirmation(message: str) -> bool | None:
    """True for a yes, False for a no, None when the message is neither."""
    if _NO.match(message):
        return False
    if _YES.match(message):
        return True
    return None


def carry_over(
    pending: Pending | None,
    message: str,
    entities: list[dict],
    policy: SupportPolicy | None = None,
) -> bool:
    """Whether this message answers what the bot asked for last turn.

    A yes or no answers an offer; the asked-for value answers a question (an order
    number, an accepted cancellation reason, a complete address, proof of identity), and
    a "no" ends a question about a cancellation or an address.
    """
    if not pending:
        return False
    if pending.get("kind") == "confirm":
        return confirmation(message) is not None
    slot = pending.get("slot")
    if slot == "cancel_reason":
        reasons = policy.cancel_reasons if policy else {}
        found = policy.cancel_reason_in(message) if policy else None
        return bool(found) or not reasons or confirmation(message) is False
    if slot == "address":
        return find_address(message) is not None or confirmation(message) is False
    if slot == "verification":
        return identity_claims(message, entities).any()
    return any(e.get("type") == slot for e in entities)


async def classify(state: TurnState, runtime: Rt) -> dict:
    """Understand the message: intent, category, confidence, entities and the route."""
    ctx = runtime.context
    svc = ctx.services
    message = state["message"]
    parse = await asyncio.to_thread(
        svc.nlu.parse, message, today=ctx.now.date(), session_id=ctx.session_id
    )
    entities = parse.to_dict()["entities"]
    pending = state.get("pending")
    carried = carry_over(pending, message, entities, svc.policy)
    if carried and pending:
        intent, confidence = pending["intent"], 1.0
    else:
        intent, confidence = parse.intent, float(parse.confidence)
    guess = False
    if not carried and confidence < svc.escalation_threshold:
        reading = help_centre_reading(parse.probabilities, signed_in=ctx.customer_id is not None)
        if reading is not None and reading[1] >= svc.escalation_threshold:
            (intent, confidence), guess = reading, True
    # Asked for something, the customer goes on about the same thing in other words:
    # keep what the bot was doing (never for an offer: only a yes or a no answers that).
    same_task = (
        pending is not None
        and pending.get("kind") == "slot"
        and pending.get("intent") == intent
        and confidence >= svc.escalation_threshold
    )
    route, reason = choose_route(
        intent,
        confidence,
        svc.escalation_threshold,
        carried_over=carried,
        signed_in=ctx.customer_id is not None,
        sentiment=parse.sentiment.score,
        negative_threshold=svc.negative_sentiment_threshold,
        angry=parse.sentiment.angry,
    )
    if route != "escalate" and not carried and repeated_fallback(intent, state.get("transcript")):
        route, reason = "escalate", "repeated_fallback"
    sentiment = parse.sentiment.to_dict()
    emit(
        runtime,
        "meta",
        {
            "session_id": ctx.session_id,
            "intent": intent,
            "category": category_of(intent),
            "confidence": round(confidence, 4),
            "entities": entities,
            "model_version": parse.model_version,
            "sentiment": sentiment,
        },
    )
    return {
        "intent": intent,
        "category": category_of(intent),
        "confidence": round(confidence, 4),
        "help_centre_guess": guess,
        "entities": entities,
        "model_version": parse.model_version,
        "sentiment": sentiment,
        "route": route,
        "escalation_reason": reason,
        "pending": pending if carried or same_task else None,
        "transcript": [
            {
                "role": "customer",
                "content": message,
                "at": now_iso(),
                "intent": parse.intent,
                "confidence": round(float(parse.confidence), 4),
                "model_version": parse.model_version,
                "sentiment": sentiment,
            }
        ],
    }
