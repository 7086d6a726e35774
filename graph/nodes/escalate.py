"""Escalation node: open a ticket with the whole context (or add to the conversation's open
one) and tell the customer."""

from __future__ import annotations

import asyncio

from graph.nodes.common import Rt, action, emit, now_iso, record, say
from graph.state import TurnState
from tools import handoff
from tools.errors import ToolError


async def escalate(state: TurnState, runtime: Rt) -> dict:
    """Create the escalation record (transcript, intent, entities, reason) and say so; a
    conversation that already has an unresolved ticket gets this turn added to it."""
    ctx = runtime.context
    reason = state.get("escalation_reason") or "low_confidence"
    transcript = [*(state.get("transcript") or [])]
    if not transcript or transcript[-1].get("content") != state["message"]:
        transcript.append({"role": "customer", "content": state["message"], "at": now_iso()})
    try:
        ticket, ticket_reason, joined = await asyncio.to_thread(
            handoff.join_or_create_escalation,
            ctx.services.store,
            session_id=ctx.session_id,
            customer_id=ctx.customer_id,
            reason=reason,
            intent=state.get("intent"),
            confidence=state.get("confidence"),
            entities=state.get("entities") or [],
            transcript=transcript,
        )
    except ToolError as exc:
        return {
            "reply": say("escalation_failed"),
            "pending": None,
            "actions": record(runtime, state, action("create_escalation", "error", str(exc))),
        }
    escalation = {"id": ticket, "reason": ticket_reason}
    emit(runtime, "escalation", escalation)
    if joined:
        done = action("join_escalation", "ok", f"{ticket}: {reason}")
        reply = say("ticket_joined", ticket=ticket)
    else:
        done = action("create_escalation", "ok", f"{ticket}: {reason}")
        reply = say(f"escalated_{reason}", ticket=ticket)
    return {
        "reply": reply,
        "streamed": False,
        "escalation": escalation | ({"joined": True} if joined else {}),
        "escalation_reason": reason,
        "pending": None,
        "actions": record(runtime, state, done),
    }
