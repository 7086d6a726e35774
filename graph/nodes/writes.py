"""Shared steps of the confirmed writes (refund, cancel, address change, dispute).

Each branch first states the write exactly and leaves a `confirm` pending; the next turn
comes here. The write runs only on an explicit yes, under the branch's idempotency key, and
its result or error becomes the reply.

Write-then-tell is one unit: a process killed after the store committed a write but before
the conversation recorded the reply leaves the offer pending. So whatever the answer, the
store is asked first whether the offer's keys already hold a write; if so the idempotent
write is re-run (it returns the first result and writes nothing) and the customer hears
that it had gone through, never "I haven't refunded anything".
"""

from __future__ import annotations

import asyncio
from collections.abc import Awaitable, Callable
from dataclasses import dataclass
from typing import Any, Generic, TypeVar

from graph.context import TurnContext
from graph.dialogue import confirmation
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
    keys: Callable[[TurnContext, Pending], tuple[str, ...]]
    """The idempotency keys a yes to the offer writes under (the write, or the approval
    request a yes makes instead)."""
    approval: Callable[[TurnState, Rt, str, ApprovalRequired], Awaitable[dict[str, Any]]] | None = (
        None
    )
    """Refunds above the limit: what a yes does instead (ask a human)."""


def declined(state: TurnState, runtime: Rt, tool: str, order_id: str, reply: str) -> dict[str, Any]:
    """The customer did not say yes: nothing is written, the offer is dropped."""
    return {
        "reply": say(reply),
        "pending": None,
        "actions": record(runtime, state, action(tool, "declined", order_id)),
    }


async def _recorded(runtime: Rt, keys: tuple[str, ...] | list[str]) -> bool:
    """Whether the store already holds a write under `keys` (its turn died before the reply
    was recorded). A store that does not answer counts as no: a yes then fails honestly
    in the write itself, a no changes nothing either way."""
    if not keys:
        return False
    try:
        return await asyncio.to_thread(runtime.context.services.store.recorded_write, *keys)
    except BackendUnavailable:
        return False


async def _made_before(runtime: Rt, write: Write[Any], offer: Pending) -> bool:
    return await _recorded(runtime, write.keys(runtime.context, offer))


def offered(write: Write[Any], runtime: Rt, offer: Pending) -> Pending:
    """The pending offer of `write`, carrying the keys a yes writes under, so that any later
    message (a side question too) can learn that the write was already made."""
    return offer | {"write_keys": list(write.keys(runtime.context, offer))}


async def written_before(runtime: Rt, offer: Pending | None) -> bool:
    """Whether the pending offer's write is already in the store (an interrupted yes)."""
    return bool(offer) and await _recorded(runtime, (offer or {}).get("write_keys") or [])


async def _pause_after_write(runtime: Rt) -> None:
    """Test hook (FAULT_PAUSE_AFTER_WRITE_SECONDS): hold the turn between the write's commit
    and the checkpoint of its reply, where a crash test kills the process."""
    if (pause := runtime.context.services.pause_after_write_s) > 0:
        await asyncio.sleep(pause)


def _told_late(update: dict[str, Any]) -> dict[str, Any]:
    """The reply to an answer whose write had already been made before an interruption."""
    if not update.get("reply"):  # the store failed on the way: the hand-off says so
        return update
    return update | {"reply": f"{say('write_made_before_interruption')} {update['reply']}"}


async def confirm_write(
    state: TurnState, runtime: Rt, customer_id: str, write: Write[Any]
) -> dict[str, Any]:
    """The customer answered the offer: make the write on yes, nothing otherwise; tell a
    write made before an interruption, whatever the answer."""
    offer: Pending = state["pending"] or {}
    made = await _made_before(runtime, write, offer)
    if confirmation(state["message"]) is not True and not made:
        return declined(state, runtime, write.tool, offer.get("order_id", ""), write.declined)
    try:
        result = await asyncio.to_thread(write.run, runtime.context, customer_id, offer)
    except ApprovalRequired as exc:
        if write.approval is None:
            raise
        update = await write.approval(state, runtime, customer_id, exc)
        await _pause_after_write(runtime)
        return _told_late(update) if made else update
    except NotAllowed as exc:
        return {
            "reply": write.refused(offer, str(exc)),
            "pending": None,
            "actions": record(runtime, state, action(write.tool, "refused", str(exc))),
        }
    except (NotFound, BackendUnavailable) as exc:
        return tool_failure(state, runtime, write.tool, exc)
    await _pause_after_write(runtime)
    reply, detail = write.done(offer, result)
    update = {
        "reply": reply,
        "pending": None,
        "actions": record(runtime, state, action(write.tool, "ok", detail)),
    }
    return _told_late(update) if made else update


async def answered_offer(
    state: TurnState, runtime: Rt, write: Write[Any], action_name: str
) -> tuple[str | None, dict[str, Any] | None]:
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
