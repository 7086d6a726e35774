"""Shared steps of the confirmed writes (refund, cancel, address change, dispute).

Each branch first states the write exactly and leaves a `confirm` pending; the next turn
comes here. The write runs only on an explicit yes, under the branch's idempotency key, and
its result or error becomes the reply.
"""

from __future__ import annotations

import asyncio
from collections.abc import Awaitable, Callable
from dataclasses import dataclass
from typing import Generic, TypeVar

from graph.context import TurnContext
from graph.nodes.classify import confirmation
from graph.nodes.common import Rt, action, customer_of, record, say
from graph.nodes.slots import sign_in_required, tool_failure
from graph.state import Pending, TurnState
from tools.errors import ApprovalRequired, BackendUnavailable, NotAllowed, NotFound

T = TypeVar("T")


@dataclass(frozen=True)
class Write(Generic[T]):
    """One confirmed write: how it runs and how each of its outcomes reads."""

    tool: str
    """The action recorded for every outcome (declined, refused, error, ok)."""
    declined: str
    """Reply template when the customer does not say yes."""
    run: Callable[[TurnContext, str, Pending], T]
    """The write (run in a thread), given the turn's context, the customer and the offer."""
    refused: Callable[[Pending, str], str]
    """The reply when the policy refuses the write, given the offer and the refusal."""
    done: Callable[[Pending, T], tuple[str, str]]
    """The reply and the action's detail for what was written."""
    approval: Callable[[TurnState, Rt, str, ApprovalRequired], Awaitable[dict]] | None = None
    """Refunds above the limit: what a yes does instead (ask a human)."""


def declined(state: TurnState, runtime: Rt, tool: str, order_id: str, reply: str) -> dict:
    """The customer did not say yes: nothing is written, the offer is dropped."""
    return {
        "reply": say(reply),
        "pending": None,
        "actions": record(runtime, state, action(tool, "declined", order_id)),
    }


async def confirm_write(state: TurnState, runtime: Rt, customer_id: str, write: Write) -> dict:
    """The customer answered the offer: make the write on yes, nothing otherwise."""
    offer: Pending = state["pending"] or {}
    if confirmation(state["message"]) is not True:
        return declined(state, runtime, write.tool, offer.get("order_id", ""), write.declined)
    try:
        result = await asyncio.to_thread(write.run, runtime.context, customer_id, offer)
    except ApprovalRequired as exc:
        if write.approval is None:
            raise
        return await write.approval(state, runtime, customer_id, exc)
    except NotAllowed as exc:
        return {
            "reply": write.refused(offer, str(exc)),
            "pending": None,
            "actions": record(runtime, state, action(write.tool, "refused", str(exc))),
        }
    except (NotFound, BackendUnavailable) as exc:
        return tool_failure(state, runtime, write.tool, exc)
    reply, detail = write.done(offer, result)
    return {
        "reply": reply,
        "pending": None,
        "actions": record(runtime, state, action(write.tool, "ok", detail)),
    }


async def answered_offer(
    state: TurnState, runtime: Rt, write: Write, action_name: str
) -> tuple[str | None, dict | None]:
    """The first step every write branch shares: (customer, None) to go on and make the
    offer, or (None, the turn's update) when the caller must sign in first or has just
    answered this branch's offer (`action_name`), which `confirm_write` then carries out."""
    customer_id = customer_of(state, runtime)
    if customer_id is None:
        return None, sign_in_required(state, runtime)
    pending = state.get("pending") or {}
    if pending.get("kind") == "confirm" and pending.get("action") == action_name:
        return None, await confirm_write(state, runtime, customer_id, write)
    return customer_id, None
