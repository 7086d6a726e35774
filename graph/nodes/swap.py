"""Swap branch: exchange a delivered item, or change a pending order's item, for another
option (colour, size ...) of the same product; made only on a yes.

Which line comes from the order's own items (graph.nodes.items); which option from the
product's other variants in the store, matched on the option words the customer used.
"""

from __future__ import annotations

import asyncio
import re
from typing import Any, Literal

from graph.context import TurnContext
from graph.nodes.common import Rt, action, record, say
from graph.nodes.items import lines_or_ask, request_text
from graph.nodes.payment_change import named_methods
from graph.nodes.slots import order_or_ask, tool_failure
from graph.nodes.writes import Write, answered_offer, offered
from graph.routing import PAYMENT_WORDS
from graph.state import Pending, TurnState
from tools import exchanges
from tools.errors import BackendUnavailable, NotFound
from tools.items import describe_lines
from tools.schemas import OrderView, ProductView, SwapView, money


def idempotency_key(session_id: str, order_id: str, swaps: dict[str, str]) -> str:
    """One swap per order and set of swaps per conversation."""
    said = ",".join(f"{k}>{v}" for k, v in sorted(swaps.items()))
    return f"swap:{session_id}:{order_id}:{said}"


def _words(text: str) -> set[str]:
    return set(re.findall(r"[a-z0-9]+", text.lower()))


def chosen_variant(
    text: str, current: dict[str, str], variants: list[ProductView]
) -> list[ProductView]:
    """The variants whose option words the text names best (several: still ambiguous)."""
    lowered = text.lower()
    if named := [v for v in variants if v.options and v.label.lower() in lowered]:
        return named  # the option exactly as the bot listed it
    said = _words(text)
    scored = []
    for v in variants:
        differing = [str(val) for key, val in v.options.items() if current.get(key) != val]
        hits = sum(1 for val in differing if _words(val) and _words(val) <= said)
        if hits:
            scored.append((hits, v))
    if not scored:
        return []
    best = max(h for h, _ in scored)
    tied = [v for h, v in scored if h == best]
    # "the silver one" for a black 1080p camera: the option that changes least otherwise
    kept = {v.sku: sum(current.get(k) == val for k, val in v.options.items()) for v in tied}
    most = max(kept.values())
    return [v for v in tied if kept[v.sku] == most]


def _keys(ctx: TurnContext, offer: Pending) -> tuple[str, ...]:
    swaps = dict(offer.get("swaps") or {})
    return (idempotency_key(ctx.session_id, offer["order_id"], swaps),)


def _run(ctx: TurnContext, customer_id: str, offer: Pending) -> SwapView:
    write = (
        exchanges.exchange_items
        if offer.get("swap_kind") == "exchange"
        else (exchanges.modify_items)
    )
    swaps = dict(offer.get("swaps") or {})
    return write(
        ctx.services.store,
        customer_id,
        offer["order_id"],
        ctx.services.policy,
        swaps,
        _keys(ctx, offer)[0],
        f"customer:{customer_id}",
        method_id=offer.get("method_id"),
        expected_difference_cents=offer.get("amount_cents", 0),
    )


def _done(offer: Pending, view: SwapView) -> tuple[str, str]:
    template = "exchange_done" if offer.get("swap_kind") == "exchange" else "modify_done"
    return say(template, order_id=offer["order_id"], summary=offer.get("summary", "")), view.id


SWAP = Write(
    tool="swap_items",
    declined="swap_declined",
    run=_run,
    refused=lambda offer, why: say("swap_not_allowed", why=why),
    done=_done,
    keys=_keys,
)
"""The exchange or item change, made only on the customer's yes to the offer."""


def _kind(order: OrderView, runtime: Rt) -> Literal["exchange", "modify"]:
    policy = runtime.context.services.policy
    return "modify" if order.status in policy.swap_statuses("modify") else "exchange"


async def swap_items(state: TurnState, runtime: Rt) -> dict[str, Any]:
    """Swap one of the caller's order lines for another option of the same product."""
    customer_id, done = await answered_offer(state, runtime, SWAP, "swap")
    if done is not None:
        return done
    assert customer_id is not None
    order, ask = await order_or_ask(state, runtime, customer_id)
    if ask is not None:
        return ask
    assert order is not None
    skus, ask = await lines_or_ask(state, runtime, order, state["intent"])
    if ask is not None:
        return ask
    held = state.get("held") or {}
    if not skus and state.get("repair") == "correction" and held.get("order_id") == order.id:
        skus = tuple(held.get("skus") or ())  # "no, I meant the white one": same item
    if not skus:
        if len({i.sku for i in order.items}) != 1:
            return _ask_item(state, runtime, order)
        skus = (order.items[0].sku,)
    line = next(i for i in order.items if i.sku == skus[0])
    store = runtime.context.services.store
    try:
        variants = await asyncio.to_thread(store.list_variants, line.sku)
    except BackendUnavailable as exc:
        return tool_failure(state, runtime, "list_variants", exc)
    text = request_text(state)
    picked = chosen_variant(text, line.options, variants)
    if len(picked) != 1:
        return _ask_variant(state, runtime, order, line.sku, line.name, picked or variants)
    kind = _kind(order, runtime)
    swaps = {line.sku: picked[0].sku}
    try:
        methods = await asyncio.to_thread(store.list_payment_methods, customer_id)
        named = named_methods(text, methods) if PAYMENT_WORDS.search(text) else []
        method_id = named[0].id if len(named) == 1 else None
        quote = await asyncio.to_thread(
            exchanges.check_swap,
            store,
            customer_id,
            order.id,
            runtime.context.services.policy,
            swaps,
            kind=kind,
            method_id=method_id,
        )
    except NotFound:
        return {"reply": say("order_not_found", order_id=order.id), "pending": None}
    except BackendUnavailable as exc:
        return tool_failure(state, runtime, "check_swap", exc)
    checked = action("check_swap", "ok" if quote.eligible else "refused", quote.reason)
    if not quote.eligible:
        return {
            "reply": say("swap_not_allowed", why=quote.message),
            "pending": None,
            "actions": record(runtime, state, checked),
        }
    summary = "; ".join(f"{s.old.name} for {s.new.label}" for s in quote.swaps)
    return {
        "reply": say("swap_offer", message=quote.message),
        "pending": offered(
            SWAP,
            runtime,
            {
                "kind": "confirm",
                "intent": state["intent"],
                "action": "swap",
                "order_id": order.id,
                "swaps": swaps,
                "swap_kind": kind,
                "amount_cents": quote.difference_cents,
                "summary": summary,
                "skus": [line.sku],
                "method_id": quote.method_id,
            },
        ),
        "actions": record(runtime, state, checked),
    }


def _ask_item(state: TurnState, runtime: Rt, order: OrderView) -> dict[str, Any]:
    return {
        "reply": say("ask_which_item", order_id=order.id, items=describe_lines(order.items)),
        "pending": {
            "kind": "slot",
            "intent": state["intent"],
            "slot": "item",
            "order_id": order.id,
            "choices": [i.sku for i in order.items],
            "request": request_text(state),
        },  # fmt: skip
        "actions": record(runtime, state, action("match_items", "ask", order.id)),
    }


def _ask_variant(
    state: TurnState, runtime: Rt, order: OrderView, sku: str, name: str, options: list[ProductView]
) -> dict[str, Any]:
    if not options:
        return {
            "reply": say("swap_no_variants", item=name),
            "pending": None,
            "actions": record(runtime, state, action("list_variants", "none", sku)),
        }
    listed = "; ".join(f"{v.label}, {money(v.price_cents)}" for v in options[:8])
    return {
        "reply": say("ask_which_variant", item=name, options=listed),
        "pending": {
            "kind": "slot",
            "intent": state["intent"],
            "slot": "variant",
            "order_id": order.id,
            "choices": [sku],
            "request": request_text(state),
        },
        "actions": record(runtime, state, action("list_variants", "ask", sku)),
    }
