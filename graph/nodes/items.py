"""Which lines of an order a request is about, asked for when the words don't say.

Items are matched against the order's own lines (tools.items), so this works on any
catalogue: the demo shop's and an imported store's alike.
"""

from __future__ import annotations

import asyncio
import re
from typing import Any

from graph.nodes.common import Rt, action, record, say
from graph.state import TurnState
from tools.items import describe_lines, match_items, whole_order
from tools.schemas import ItemView, OrderView

_THING = re.compile(
    r"\b(?:return|refund|exchange|swap|send back|replace)\s+(?:the|my|this|that|these|those|"
    r"a|an)\s+(?P<thing>[a-z][\w\s'-]{1,40}?)\s+(?:from|in|of|on)\s+(?:my\s+|the\s+)?"
    r"(?:order|#?w\d)",
    re.I,
)
_FOCUS = re.compile(
    r"\b(?:just|only|return|refund|send back|send|exchange|swap)\s+(?:the|my|this|these|those)\s+"
    r"(?P<object>[^.,;!?]{2,60}?)(?=\s+(?:back|for|from|in|of|on|but|please|pls)\b|[.,;!?]|$)",
    re.I,
)
_IT = re.compile(r"\b(it|them|that one|this one|the same one|that item|this item)\b", re.I)


def _mentioned(state: TurnState, order: OrderView) -> tuple[str, ...]:
    """The lines of `order` the conversation last named (its memory of items)."""
    items = (state.get("memory") or {}).get("items") or []
    skus = {i.sku for i in order.items}
    return tuple(dict.fromkeys(i["sku"] for i in items if i.get("order_id") == order.id
                               and i.get("sku") in skus))  # fmt: skip


_NOT_A_THING = frozenset(
    "item items thing things stuff order orders one ones product products purchase "
    "package parcel everything all whole order".split()
)


def _named_thing(text: str) -> str | None:
    """What the customer called the item ("the snorkel mask from order W1"), when the words
    name something that is not the order itself; the order's lines matched none of it."""
    found = _THING.search(text)
    if found is None:
        return None
    thing = found["thing"].strip()
    if set(thing.lower().split()) <= _NOT_A_THING:
        return None
    return thing


async def _known_names(runtime: Rt) -> list[str]:
    """Product names of the shop's catalogue (to tell 'not in this order' from 'not a product')."""
    try:
        return await asyncio.to_thread(runtime.context.services.store.product_names)
    except Exception:  # a catalogue that can't be read only loses the "not in order" hint
        return []


def request_text(state: TurnState) -> str:
    """The message, with the request that led to the bot's question when this message
    answers it ("return the bottle" → "which order?" → "W123": the bottle counts)."""
    pending = state.get("pending") or {}
    asked = pending.get("kind") == "slot" and pending.get("intent") == state.get("intent")
    request = pending.get("request") if asked else None
    if state.get("repair") == "correction" and not request:
        request = (state.get("held") or {}).get("request")  # "no, the other order": same items
    return f"{request} {state['message']}" if request else state["message"]


def _ask(
    state: TurnState, runtime: Rt, order: OrderView, lines: list[ItemView], reply: str
) -> dict[str, Any]:
    return {
        "reply": reply,
        "pending": {
            "kind": "slot",
            "intent": state["intent"],
            "slot": "item",
            "order_id": order.id,
            "choices": [i.sku for i in lines],
            "request": request_text(state),
        },
        "actions": record(runtime, state, action("match_items", "ask", order.id)),
    }


async def lines_or_ask(
    state: TurnState, runtime: Rt, order: OrderView, intent: str
) -> tuple[tuple[str, ...], dict[str, Any] | None]:
    """The SKUs of the lines the customer means (empty: the whole order), or the partial
    update that asks which line: when a phrase fits two lines equally, or names a product
    the order doesn't have (then the order's items are listed)."""
    pending = state.get("pending") or {}
    text = request_text(state)
    scope = order
    if pending.get("slot") == "item" and pending.get("order_id") == order.id:
        choices = set(pending.get("choices") or [])
        scope = order.model_copy(update={"items": [i for i in order.items if i.sku in choices]})
        text = state["message"]
    if whole_order(text):
        return (), None
    known = await _known_names(runtime)
    # "the headphones are great but send just the charger back": the object of the verb
    # (or of "just"/"only") is the item, whatever else the message mentions.
    for focus in _FOCUS.finditer(text):
        focused = match_items(scope, focus["object"], known_names=known)
        if focused.lines and not focused.ambiguous:
            return tuple(dict.fromkeys(i.sku for i in focused.lines)), None
    found = match_items(scope, text, known_names=known)
    if found.ambiguous and not found.lines:
        lines = list(found.ambiguous[0])
        reply = say("ask_which_item", order_id=order.id, items=describe_lines(lines))
        return (), _ask(state, runtime, order, lines, reply)
    if found.missing and not found.lines:
        reply = say(
            "item_not_in_order",
            order_id=order.id,
            missing=", ".join(found.missing),
            items=describe_lines(order.items),
        )
        return (), _ask(state, runtime, order, list(order.items), reply)
    if found.lines:
        return tuple(dict.fromkeys(i.sku for i in found.lines)), None
    if _IT.search(state["message"]) and (mentioned := _mentioned(state, order)):
        return mentioned, None  # "can I return it?" after talking about the headphones
    if (thing := _named_thing(text)) is not None:  # "return the snorkel mask from W1"
        reply = say(
            "item_not_in_order", order_id=order.id, missing=thing, items=describe_lines(order.items)
        )
        return (), _ask(state, runtime, order, list(order.items), reply)
    if scope is not order:  # answering "which item?" with something that names none
        reply = say("ask_which_item", order_id=order.id, items=describe_lines(scope.items))
        return (), _ask(state, runtime, order, list(scope.items), reply)
    return (), None
