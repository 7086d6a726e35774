"""Intent node: classify the message, read it against what the bot asked, choose the route.

Before the classifier's verdict counts, the message is read against the conversation: an
answer to the bot's question or offer, a pick among the readings it offered, a correction,
a stray yes or no, a request to repeat, a side question while an offer waits, a reference
to an order already discussed, or several requests at once (graph.dialogue).
"""

from __future__ import annotations

from typing import Any

from graph import dialogue
from graph.dialogue import confirmation
from graph.nodes.common import Rt, emit, now_iso, say
from graph.nodes.readings import asks_something, closes, follow_up, unclear
from graph.nodes.requests import order_ids, requests_of
from graph.nodes.slots import answers_which_order
from graph.nodes.verify import identity_claims
from graph.nodes.writes import written_before
from graph.routing import (
    ACCOUNT_ROUTES,
    decide_route,
    names_shop_things,
    reads_off_topic,
    refine_route,
    repeated_fallback,
)
from graph.state import Pending, TurnState
from nlu.taxonomy import category_of
from tools.addresses import find_address
from tools.policy import SupportPolicy

__all__ = ["carry_over", "classify", "confirmation"]

SMALL_TALK = frozenset({"greeting", "goodbye"})


def carry_over(
    pending: Pending | None,
    message: str,
    entities: list[dict[str, Any]],
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
    if slot == "cancel_reason":  # any words answer it; one the policy refuses is asked again
        return confirmation(message) is not True
    if slot == "address":
        return find_address(message) is not None or confirmation(message) is False
    if slot == "verification":
        return identity_claims(message, entities).any()
    if slot in OPEN_SLOTS:
        return confirmation(message) is None  # which one: any words but a yes or no
    if slot == "order_id" and answers_which_order(pending, message, policy):
        return True  # "the pending one", "the latest"; or, cancelling, the reason first

    return any(e.get("type") == slot for e in entities)


OPEN_SLOTS = frozenset({"item", "variant", "payment_method"})
"""Questions answered in the customer's own words ("the blue one", "my PayPal")."""


async def classify(state: TurnState, runtime: Rt) -> dict[str, Any]:
    """Understand the message: intent, category, confidence, entities and the route."""
    ctx = runtime.context
    svc = ctx.services
    threshold = svc.thresholds.escalation
    signed_in = ctx.customer_id is not None
    parse, message, queue = await requests_of(state, runtime)
    entities = parse.to_dict()["entities"]
    pending = state.get("pending")
    memory = state.get("memory") or {}
    kind = (pending or {}).get("kind")
    update: dict[str, Any] = {"queue": queue, "message": message}
    intent, confidence = parse.intent, float(parse.confidence)
    carried, held, repair, order_id = False, None, None, None
    keep_pending = False
    answer = confirmation(message)
    said_orders = order_ids(entities)

    if kind == "clarify" and pending:
        options = pending.get("options") or []
        picked = dialogue.picked_option(message, options)
        if picked is None and answer is True and options:
            picked = options[0]  # "yes" to "is it about one of these: A, B, C?" means A
        if answer is False:
            repair = "dropped"
        if picked is not None:
            intent, confidence, carried = picked, 1.0, True
            update["message"] = pending.get("request") or message
            entities = [*(pending.get("request_entities") or []), *entities]
        pending = None if picked is not None or confidence >= threshold else pending
    elif kind == "confirm" and pending and await written_before(runtime, pending):
        # the yes went through before an interruption: whatever is said now, the branch
        # that offered tells the customer it was done instead of offering it again
        intent, confidence, carried, keep_pending = pending["intent"], 1.0, True, True
    elif kind == "confirm" and pending and dialogue.declines_then_asks(message):
        # "no dont cancel. could I get them in white instead?": drop the offer, then read on
        update["earlier_replies"] = [say("offer_dropped")]
        pending, repair = None, "declined"
    elif kind == "confirm" and pending:
        other = [o for o in said_orders if o != pending.get("order_id")]
        # "what's the status of my other order W2?" is a side question, not a correction
        asks_else = confidence >= threshold and intent != pending.get("intent")
        # a cancellation has nothing to correct but its order: "can I get it sent to my
        # office instead?" is a question beside the offer, not a correction of it
        asks_else = asks_else or (
            pending.get("intent") == "cancel_order"
            and not other
            and asks_something(message)
            and not dialogue.wants_other_order(message)
        )
        if (dialogue.corrects(message) or other) and not asks_else:
            intent, confidence, carried, repair = pending["intent"], 1.0, True, "correction"
            held = pending  # restated if the corrected request can't be offered
            if not other and dialogue.wants_other_order(message):
                remembered = [o for o in memory.get("orders", []) if o != pending.get("order_id")]
                order_id = remembered[-1] if remembered else None
            else:
                order_id = pending.get("order_id") if not other else None
            pending = None
        elif answer is not None:
            intent, confidence, carried = pending["intent"], 1.0, True
            keep_pending = True
        else:
            held, pending, repair = pending, None, "side_question"
    elif kind == "slot" and pending:
        other_request = confidence >= 0.8 and intent != pending.get("intent")
        remembered = [o for o in memory.get("orders", []) if o != pending.get("order_id")]
        if dialogue.wants_other_order(message) and remembered and pending.get("order_id"):
            # "sorry, no, the other order" to "which item of W1?": the same request, on W2
            intent, confidence, carried, repair = pending["intent"], 1.0, True, "correction"
            held, order_id, pending = pending, remembered[-1], None
        elif pending.get("slot") in (*OPEN_SLOTS, "cancel_reason") and other_request:
            held, pending, repair = pending, None, "side_question"
        elif (
            pending.get("slot") in ("cancel_reason", "order_id", *OPEN_SLOTS)
            and asks_something(message)
            and not said_orders
            and (
                pending.get("slot") in ("cancel_reason", *OPEN_SLOTS)  # any words answer these
                or not carry_over(pending, message, entities, svc.policy)
            )
            and (intent != pending.get("intent") or confidence < threshold)
            and svc.policy.cancel_reason_in(message) is None
        ):
            # "wait, how long do refunds take?" asked for a reason, "could I get a
            # replacement instead?" asked which order: answered, then asked again
            held, pending, repair = pending, None, "side_question"
        elif carry_over(pending, message, entities, svc.policy):
            intent, confidence, carried = pending["intent"], 1.0, True
            keep_pending = True
        elif answer is not None:
            if answer:
                held, repair = pending, "stray_confirmation"
            else:
                repair = "dropped"
            pending = None
        elif confidence >= threshold and intent == pending.get("intent"):
            keep_pending = True  # the same request again, in other words
        else:
            held, pending, repair = pending, None, "side_question"

    if not carried and repair is None and not pending:
        if answer is not None:
            repair = "stray_confirmation"
        elif follow := follow_up(message, said_orders, memory, intent, confidence, threshold):
            intent, order_id = follow
            confidence, carried = 1.0, True
            repair = "follow_up"
    if dialogue.asks_to_repeat(message) and not carried:
        repair, held, keep_pending = "repeat", None, True
        pending = state.get("pending")
    elif dialogue.asks_about_bot(message) and not carried:
        repair = "about_bot"
    elif dialogue.thanks(message) and not carried:
        repair = "thanks"
    if not carried and confidence < threshold and repair in (None, "side_question", "declined"):
        cued = dialogue.cue_intent(message, parse.probabilities)
        if find_address(message) and (said_orders or memory.get("orders")):
            cued = "change_shipping_address"  # "ship W1 to 500 Market St, … instead"
        # a question beside an offer that only cues the offer's own request ("does the
        # return shipping cost me anything?" beside a refund) is asked, not the offer again
        beside = repair == "side_question" and held and cued == held.get("intent")
        if cued is not None and not beside:
            intent, confidence = cued, threshold

    if closes(message) and not carried and (pending or held):
        # "thanks, that's all" while a question or an offer waits: the customer is done
        intent, confidence, repair, held, pending = "goodbye", 1.0, None, None, None

    if dialogue.asks_for_a_person(message) and not carried:
        intent, confidence, repair, held = (
            "contact_human_agent",
            max(confidence, threshold),
            None,
            None,
        )
    decision = decide_route(
        intent,
        confidence,
        parse.probabilities,
        threshold,
        carried_over=carried,
        held=bool(held),
        signed_in=signed_in,
        sentiment=parse.sentiment.score,
        negative_threshold=svc.thresholds.negative_sentiment,
        angry=parse.sentiment.angry,
        off_topic=reads_off_topic(parse.off_topic, entities),
    )
    intent, confidence, guess = decision.intent, decision.confidence, decision.help_centre_guess
    route: str = decision.route
    reason = decision.reason
    asked_in = (state.get("pending") or {}).get("route")
    if (not carried or not asked_in) and (route != "knowledge" or signed_in):
        said_before = (state.get("pending") or {}).get("request") or "" if carried else ""
        route = refine_route(route, intent, f"{said_before} {update['message']}".strip())
    if repair == "correction" and held:
        asked_in, keep_asked = held.get("route"), True
    elif repair == "follow_up":
        asked_in, keep_asked = memory.get("last_route"), True
    else:
        keep_asked = carried and keep_pending
    if keep_asked and asked_in and route != "escalate":
        route = asked_in  # the answer goes back to the branch that asked
    suggestions: list[str] = []
    if repair in ("stray_confirmation", "dropped", "repeat", "about_bot", "thanks"):
        route, reason = "smalltalk", None
    elif route == "escalate" and reason == "low_confidence" and memory.get("ticket") and not held:
        pass  # a person already has this conversation: the message joins the open ticket
    elif route == "escalate" and reason == "low_confidence":
        route, reason, pending, suggestions = unclear(
            parse, message, entities, state.get("pending"), held
        )
        repair = "clarify" if route == "clarify" else repair
    # Declined as off-topic: the fallback, whether the head said out_of_scope or the
    # scope gate did (greetings and goodbyes are small talk, not declines).
    declined = route == "smalltalk" and repair is None and not carried and intent not in SMALL_TALK
    if declined and not held and (confidence < threshold or names_shop_things(entities)):
        # unsure it is off-topic, or it names a product or order of the shop's: declined
        # (or, a second time in a row, handed to a person) unless the help centre has a
        # passage close to it
        route, guess = "knowledge", True
    elif repeated_fallback(declined, state.get("transcript")):
        route, reason = "escalate", "repeated_fallback"

    if route in ACCOUNT_ROUTES and not said_orders and order_id is None:
        order_id, _ = dialogue.referenced_order(message, memory.get("orders", []))
        if (pending or {}).get("order_id"):
            order_id = None  # the question the bot asked is about its own order

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
    for earlier in update.get("earlier_replies") or []:
        emit(runtime, "delta", earlier + " ")  # "OK, I've left that as it was; …" comes first
    update |= {
        "intent": intent,
        "category": category_of(intent),
        "confidence": round(confidence, 4),
        "help_centre_guess": guess,
        "declining": declined and route == "knowledge",
        "entities": entities,
        "model_version": parse.model_version,
        "sentiment": sentiment,
        "route": route,
        "escalation_reason": reason,
        "pending": pending if keep_pending or route == "clarify" else None,
        "held": held,
        "repair": repair,
        "order_id": order_id,
        "suggestions": suggestions,
    }
    if not state.get("earlier_replies"):  # the customer's line, once per message
        update["transcript"] = [
            {
                "role": "customer",
                "content": state["message"],
                "at": now_iso(),
                "intent": parse.intent,
                "confidence": round(float(parse.confidence), 4),
                "model_version": parse.model_version,
                "sentiment": sentiment,
            }
        ]
    return update
