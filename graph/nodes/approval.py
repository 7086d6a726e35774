"""Approval node: the graph pauses here (LangGraph `interrupt`) until an agent decides.

The turn that asked for approval ends paused in this node. Every resume looks the approval
up in the store: once it is decided (the decision and any refund were written there first,
see app/approvals.py), the customer's transcript gets the outcome and the conversation
goes on; until then each customer message (resumed with {"kind": "message"}) gets a
"still waiting" answer and nothing is refunded.
"""

from __future__ import annotations

import asyncio
from typing import Any

from langgraph.types import interrupt

from graph.nodes.common import Rt, action, now_iso, record, say
from graph.state import TurnState
from tools.errors import ToolError
from tools.schemas import ApprovalView, money


def waiting_payload(approval: dict[str, Any]) -> dict[str, Any]:
    """What the interrupt shows whoever inspects the paused conversation."""
    return {"type": "refund_approval", **approval}


def _outcome(decided: ApprovalView) -> str:
    if decided.status == "approved":
        return say(
            "approval_approved",
            amount=money(decided.amount_cents),
            payment=decided.destination,
            order_id=decided.order_id,
            refund_id=decided.refund_id,
        )
    return say("approval_declined", order_id=decided.order_id,
               note=decided.note or "no reason given")  # fmt: skip


async def await_approval(state: TurnState, runtime: Rt) -> dict[str, Any]:
    """Wait for the agent's decision; answer customer messages with 'still waiting'."""
    approval = state.get("approval") or {}
    resumed: dict[str, Any] = interrupt(waiting_payload(approval))
    update: dict[str, Any] = {"streamed": False, "escalation": None, "escalation_reason": None}
    if resumed.get("kind") == "message":
        message = str(resumed.get("message", ""))
        update |= {
            "message": message,
            "transcript": [{"role": "customer", "content": message, "at": now_iso()}],
            "entities": [],
            "citations": [],
            "actions": [],
        }
    try:
        decided = await asyncio.to_thread(
            runtime.context.services.store.get_approval, approval["id"]
        )
    except ToolError:
        decided = None  # the store is down: the customer hears it is still waiting
    if decided is None or decided.status == "pending":
        return update | {
            "reply": say(
                "approval_waiting",
                amount=money(int(approval.get("amount_cents", 0))),
                order_id=approval.get("order_id"),
            ),  # fmt: skip
            "actions": record(runtime, {}, action("await_approval", "waiting", approval["id"])),
        }
    return update | {
        "approval": None,
        "reply": _outcome(decided),
        "actions": record(runtime, {}, action("decide_approval", decided.status, decided.id)),
    }
