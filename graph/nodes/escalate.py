"""Escalation node: open a ticket with the whole context and tell the customer."""

from __future__ import annotations

import asyncio

from graph.nodes.common import Rt, action, emit, now_iso, record, say
from graph.state import TurnState
from tools import handoff
from tools.errors import ToolError


async def escalate(state: TurnState, runtime: Rt) -> dict:
    """Create the escalation record (transcript, intent, entities, reason) and say so."""
    ctx = runtime.context
    reason = state.get("escalation_reason") or "low_confidence"
    transcript = [*(state.get("transcript") or [])]
    if not transcript or transcript[-1].get("content") != state["message"]:
        transcript.append({"role": "customer", "content": state["message"], "at": now_iso()})
    try:
        record_ = await asyncio.to_thread(
            handoff.create_escalation,
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
    escalation = {"id": record_.id, "reason": reason}
    emit(runtime, "escalation", escalation)
    return {
        "reply": say(f"escalated_{reason}", ticket=record_.id),
        "streamed": False,
        "escalation": escalation,
        "escalation_reason": reason,
        "pending": None,
        "actions": record(
            runtime, state, action("create_escalation", "ok", f"{record_.id}: {reason}")
        ),
    }
