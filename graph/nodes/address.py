"""Address branch: change a pending order's shipping address, only on a yes.

`change_order` requests that are not about the address (items, shipping speed) go to a
person, as the help centre promises.
"""

from __future__ import annotations

import hashlib
from typing import Any

from graph.context import TurnContext
from graph.nodes.classify import confirmation
from graph.nodes.common import Rt, action, customer_of, record, say
from graph.nodes.slots import order_or_ask, sign_in_required
from graph.nodes.writes import Write, confirm_write, declined, offered
from graph.routing import needs_a_person
from graph.state import Pending, TurnState
from tools import orders as order_tools
from tools.addresses import find_address, with_recipient
from tools.schemas import AddressChangeView


def idempotency_key(session_id: str, order_id: str, address: str) -> str:
    """One change per order and new address per conversation."""
    digest = hashlib.sha256(address.encode()).hexdigest()[:16]
    return f"address:{session_id}:{order_id}:{digest}"


def _keys(ctx: TurnContext, offer: Pending) -> tuple[str, ...]:
    return (idempotency_key(ctx.session_id, offer["order_id"], offer["address"]),)


def _change(ctx: TurnContext, customer_id: str, offer: Pending) -> AddressChangeView:
    order_id, address = offer["order_id"], offer["address"]
    return order_tools.change_shipping_address(
        ctx.services.store,
        customer_id,
        order_id,
        ctx.services.policy,
        address,
        _keys(ctx, offer)[0],
        f"customer:{customer_id}",
    )


def _changed(offer: Pending, done: AddressChangeView) -> tuple[str, str]:
    return say("address_done", order_id=done.order_id, address=done.after), done.order_id


CHANGE = Write(
    tool="change_address",
    declined="address_declined",
    run=_change,
    refused=lambda offer, why: say("address_not_allowed", why=why),
    done=_changed,
    keys=_keys,
)
"""The address change, made only on the customer's yes to the offer."""


async def change_address(state: TurnState, runtime: Rt) -> dict[str, Any]:
    """Change the shipping address of one of the caller's pending orders."""
    customer_id = customer_of(state, runtime)
    if customer_id is None:
        return sign_in_required(state, runtime)
    pending = state.get("pending") or {}
    if pending.get("kind") == "confirm" and pending.get("action") == "address":
        return await confirm_write(state, runtime, customer_id, CHANGE)
    if pending.get("slot") == "address" and confirmation(state["message"]) is False:
        return declined(state, runtime, "change_address", pending.get("order_id", ""),
                        "address_declined")  # fmt: skip
    asked_before = pending.get("intent") in ("change_order", "change_shipping_address")
    if (
        state["intent"] == "change_order"
        and not asked_before
        and needs_a_person(state["message"])
        and find_address(state["message"]) is None
    ):
        return {  # item or speed changes: a person does them
            "escalation_reason": "policy",
            "actions": record(runtime, state, action("change_order", "handoff", "not an address")),
        }
    order, ask = await order_or_ask(state, runtime, customer_id)
    if ask is not None:
        return ask
    assert order is not None
    if refusal := order_tools.address_change_refusal(order, runtime.context.services.policy):
        return {
            "reply": say("address_not_allowed", why=refusal),
            "pending": None,
            "actions": record(runtime, state, action("check_address_change", "refused", refusal)),
        }
    found = find_address(state["message"])
    if found is None and state.get("repair") == "follow_up":
        # "then change it on W8540535 instead": the address given for the refused order
        earlier = [
            line.get("content", "")
            for line in state.get("transcript") or []
            if line.get("role") == "customer"
        ]
        found = next((a for line in reversed(earlier) if (a := find_address(line))), None)
    held = state.get("held") or {}
    if found is None and state.get("repair") == "correction" and held.get("address"):
        found = find_address(held["address"])  # "no, the other order": the same new address
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
        "pending": offered(
            CHANGE,
            runtime,
            {
                "kind": "confirm",
                "intent": state["intent"],
                "action": "address",
                "order_id": order.id,
                "address": new_address,
            },
        ),
        "actions": record(runtime, state, action("check_address_change", "ok", order.id)),
    }
