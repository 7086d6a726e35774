"""Address branch: change a pending order's shipping address, only on a yes.

`change_order` requests that are not about the address (items, shipping speed) go to a
person, as the help centre promises.
"""

from __future__ import annotations

import asyncio
import hashlib
import re

from graph.nodes.classify import confirmation
from graph.nodes.common import Rt, action, customer_of, record, say
from graph.nodes.slots import order_id_or_ask, order_not_found, sign_in_required, tool_failure
from graph.nodes.writes import declined
from graph.state import Pending, TurnState
from tools import orders as order_tools
from tools.addresses import find_address, with_recipient
from tools.errors import BackendUnavailable, NotAllowed, NotFound

_ADDRESS_CUE = re.compile(r"\b(address|ship(ping)? to|deliver(y|ed)? to|send it to)\b", re.I)


def idempotency_key(session_id: str, order_id: str, address: str) -> str:
    """One change per order and new address per conversation."""
    digest = hashlib.sha256(address.encode()).hexdigest()[:16]
    return f"address:{session_id}:{order_id}:{digest}"


async def _confirm(state: TurnState, runtime: Rt, customer_id: str) -> dict:
    """The customer answered the offer: change the address on yes, nothing otherwise."""
    ctx = runtime.context
    pending: Pending = state["pending"] or {}
    order_id, address = pending["order_id"], pending["address"]
    if confirmation(state["message"]) is not True:
        return declined(state, runtime, "change_address", order_id, "address_declined")
    try:
        done = await asyncio.to_thread(
            order_tools.change_shipping_address,
            ctx.services.store,
            customer_id,
            order_id,
            ctx.services.policy,
            address,
            idempotency_key(ctx.session_id, order_id, address),
            f"customer:{customer_id}",
        )
    except NotAllowed as exc:
        return {
            "reply": say("address_not_allowed", why=str(exc)),
            "pending": None,
            "actions": record(runtime, state, action("change_address", "refused", str(exc))),
        }
    except (NotFound, BackendUnavailable) as exc:
        return tool_failure(state, runtime, "change_address", exc)
    return {
        "reply": say("address_done", order_id=done.order_id, address=done.after),
        "pending": None,
        "actions": record(runtime, state, action("change_address", "ok", done.order_id)),
    }


async def change_address(state: TurnState, runtime: Rt) -> dict:
    """Change the shipping address of one of the caller's pending orders."""
    customer_id = customer_of(state, runtime)
    if customer_id is None:
        return sign_in_required(state, runtime)
    pending = state.get("pending") or {}
    if pending.get("kind") == "confirm" and pending.get("action") == "address":
        return await _confirm(state, runtime, customer_id)
    if pending.get("slot") == "address" and confirmation(state["message"]) is False:
        return declined(state, runtime, "change_address", pending.get("order_id", ""),
                        "address_declined")  # fmt: skip
    asked_before = pending.get("intent") in ("change_order", "change_shipping_address")
    if (
        state["intent"] == "change_order"
        and not asked_before
        and not _ADDRESS_CUE.search(state["message"])
        and find_address(state["message"]) is None
    ):
        return {  # item or speed changes: a person does them
            "escalation_reason": "policy",
            "actions": record(runtime, state, action("change_order", "handoff", "not an address")),
        }
    order_id, ask = await order_id_or_ask(state, runtime)
    if ask is not None:
        return ask
    assert order_id is not None
    try:
        order = await asyncio.to_thread(
            order_tools.get_order, runtime.context.services.store, customer_id, order_id
        )
    except NotFound:
        return order_not_found(state, runtime, "get_order", order_id)
    except BackendUnavailable as exc:
        return tool_failure(state, runtime, "get_order", exc)
    if refusal := order_tools.address_change_refusal(order, runtime.context.services.policy):
        return {
            "reply": say("address_not_allowed", why=refusal),
            "pending": None,
            "actions": record(runtime, state, action("check_address_change", "refused", refusal)),
        }
    found = find_address(state["message"])
    if found is None:
        return {
            "reply": say("address_ask", order_id=order.id, current=order.shipping_address),
            "pending": {
                "kind": "slot",
                "intent": state["intent"],
                "slot": "address",
                "order_id": order.id,
            },  # fmt: skip
            "actions": record(runtime, state, action("check_address_change", "ok", order.id)),
        }
    new_address = with_recipient(order.shipping_address, found.line())
    return {
        "reply": say(
            "address_offer", order_id=order.id, current=order.shipping_address, new=new_address
        ),
        "pending": {
            "kind": "confirm",
            "intent": state["intent"],
            "action": "address",
            "order_id": order.id,
            "address": new_address,
        },
        "actions": record(runtime, state, action("check_address_change", "ok", order.id)),
    }
