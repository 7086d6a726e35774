"""Several requests in one message: which part to handle now and which to queue.

"cancel W1 and tell me where W2 is" becomes two requests, lookups first and the write
(which ends in a question) last; "where are W1 and W2?" becomes one lookup per order.
The respond node loops back through classify (next_request) for each queued request.
"""

from __future__ import annotations

import asyncio
import re
from typing import Any

from graph import dialogue
from graph.nodes.common import Rt
from graph.routing import INTENT_ROUTES, WRITE_INTENTS
from graph.state import TurnState

PER_ORDER = {
    "track_order": "where is order {order}?",
    "track_refund": "where is the refund for order {order}?",
    "check_invoice": "the invoice for order {order}",
    "get_invoice": "the invoice for order {order}",
}
"""Lookups asked about several orders at once, and how each is asked on its own."""


def order_ids(entities: list[dict[str, Any]]) -> list[str]:
    return [str(e["value"]) for e in entities if e.get("type") == "order_id"]


def _split(parts: list[str], parses: list[Any], threshold: float) -> bool:
    """Keep a split into several requests only when every part reads as a request of its
    own (confident, not small talk) and the parts differ in intent or order."""
    if len(parts) < 2 or len(parts) > 3:
        return False
    for p in parses:
        if p.confidence < threshold or INTENT_ROUTES.get(p.intent) == "smalltalk":
            return False
        if p.intent == "contact_human_agent":
            return False
    intents = {p.intent for p in parses}
    orders = [tuple(order_ids(p.to_dict()["entities"])) for p in parses]
    return len(intents) > 1 or len(set(orders)) == len(orders) and all(orders)


async def requests_of(state: TurnState, runtime: Rt) -> tuple[Any, str, list[str]]:
    """The parse of the request to handle now, its text, and the requests queued after it."""
    ctx = runtime.context
    svc = ctx.services
    message = state["message"]
    parse = await asyncio.to_thread(
        svc.nlu.parse, message, today=ctx.now.date(), session_id=ctx.session_id
    )
    if state.get("earlier_replies"):
        return parse, message, []  # a request queued by an earlier part of the message
    orders = order_ids(parse.to_dict()["entities"])
    sure = parse.confidence >= svc.thresholds.escalation
    if len(orders) > 1 and parse.intent in PER_ORDER and sure:
        # "what's the status of W1 and W2?": the same lookup once per order
        first = message
        for other in orders[1:]:
            first = re.sub(rf"\s*(,|and|&)?\s*#?{re.escape(other)}\b", "", first, flags=re.I)
        return parse, first, [PER_ORDER[parse.intent].format(order=o) for o in orders[1:]]
    parts = dialogue.request_parts(message)
    if len(parts) < 2 or parse.confidence >= 0.9:
        return parse, message, []  # one request, or one the classifier is sure of
    parses = [
        await asyncio.to_thread(svc.nlu.parse, p, today=ctx.now.date(), session_id=ctx.session_id)
        for p in parts
    ]
    if not _split(parts, parses, svc.thresholds.escalation):
        return parse, message, []
    # Look things up first and leave writes (which end in a question) for last.
    order = sorted(range(len(parts)), key=lambda i: parses[i].intent in WRITE_INTENTS)
    return parses[order[0]], parts[order[0]], [parts[i] for i in order[1:]]
