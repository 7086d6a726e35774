"""Profile branch: change the default shipping address on the customer's account, only on
a yes. Orders already placed keep their own address (the address branch changes those)."""

from __future__ import annotations

import asyncio
import hashlib
from typing import Any

from graph.context import TurnContext
from graph.nodes.common import Rt, action, record, say
from graph.nodes.slots import tool_failure
from graph.nodes.writes import Write, answered_offer, offered
from graph.state import Pending, TurnState
from tools import profile
from tools.addresses import find_address, with_recipient
from tools.change_views import DefaultAddressView
from tools.errors import BackendUnavailable


def idempotency_key(session_id: str, address: str) -> str:
    digest = hashlib.sha256(address.encode()).hexdigest()[:16]
    return f"default_address:{session_id}:{digest}"


def _keys(ctx: TurnContext, offer: Pending) -> tuple[str, ...]:
    return (idempotency_key(ctx.session_id, offer["address"]),)


def _run(ctx: TurnContext, customer_id: str, offer: Pending) -> DefaultAddressView:
    return profile.change_default_address(
        ctx.services.store,
        customer_id,
        offer["address"],
        _keys(ctx, offer)[0],
        f"customer:{customer_id}",
    )


CHANGE_DEFAULT = Write(
    tool="change_default_address",
    declined="address_declined",
    run=_run,
    refused=lambda offer, why: say("address_not_allowed", why=why),
    done=lambda offer, view: (say("default_address_done", address=view.after), view.customer_id),
    keys=_keys,
)
"""The new default address, written only on the customer's yes."""


async def profile_address(state: TurnState, runtime: Rt) -> dict[str, Any]:
    """Change the default address on the caller's account."""
    customer_id, done = await answered_offer(state, runtime, CHANGE_DEFAULT, "default_address")
    if done is not None:
        return done
    assert customer_id is not None
    try:
        customer = await asyncio.to_thread(runtime.context.services.store.get_customer, customer_id)
    except BackendUnavailable as exc:
        return tool_failure(state, runtime, "get_customer", exc)
    current = (customer.address if customer else None) or "none on file"
    found = find_address(state["message"])
    if found is None:
        return {
            "reply": say("default_address_ask", current=current),
            "pending": {
                "kind": "slot",
                "intent": state["intent"],
                "slot": "address",
                "target": "default",
            },  # fmt: skip
            "actions": record(runtime, state, action("default_address", "ask", customer_id)),
        }
    new = found.line()
    if customer is not None and current != "none on file":
        new = with_recipient(current, new)
    return {
        "reply": say("default_address_offer", current=current, new=new),
        "pending": offered(
            CHANGE_DEFAULT,
            runtime,
            {
                "kind": "confirm",
                "intent": state["intent"],
                "action": "default_address",
                "address": new,
                "target": "default",
            },
        ),
        "actions": record(runtime, state, action("default_address", "ok", customer_id)),
    }
