"""Escalation node: open a ticket with the whole context (or add to the conversation's open
one) and tell the customer."""

from __future__ import annotations

import asyncio
from typing import Any

from graph.llm.attributes import describe
from graph.nodes.common import Rt, action, emit, now_iso, record, say
from graph.nodes.waits import wait_words
from graph.state import EscalationReason, TurnState
from tools import handoff
from tools.errors import ToolError

HELP_CENTRE_TOOLS = frozenset({"search_knowledge", "compose_answer"})
"""Tools of the help-centre answer: when one of them failed, the customer hears that the
help centre (not the order system) could not be reached."""


def _reply_name(state: TurnState, reason: EscalationReason) -> str:
    """The reply template for an escalation of `reason`."""
    failed = [a.get("tool") for a in state.get("actions") or [] if a.get("status") == "error"]
    if reason == "tool_failure" and failed and failed[-1] in HELP_CENTRE_TOOLS:
        return "escalated_help_centre_down"
    if reason == "missing_knowledge" and state.get("unstated"):
        return "escalated_unstated"
    return f"escalated_{reason}"


async def escalate(state: TurnState, runtime: Rt) -> dict[str, Any]:
    """Create the escalation record (transcript, intent, entities, reason) and say so; a
    conversation that already has an unresolved ticket gets this turn added to it; a caller
    over the new-ticket limit hears when they can open another."""
    ctx = runtime.context
    reason: EscalationReason = state.get("escalation_reason") or "low_confidence"
    transcript = [*(state.get("transcript") or [])]
    if not transcript or transcript[-1].get("content") != state["message"]:
        transcript.append({"role": "customer", "content": state["message"], "at": now_iso()})
    try:
        ticket, ticket_reason, joined = await asyncio.to_thread(
            handoff.join_or_create_escalation,
            ctx.services.store,
            session_id=ctx.session_id,
            customer_id=ctx.customer_id,
            client=ctx.client,
            abuse=ctx.services.limits,
            reason=reason,
            intent=state.get("intent"),
            confidence=state.get("confidence"),
            entities=state.get("entities") or [],
            transcript=transcript,
        )
    except handoff.TicketLimitReached as exc:  # the team has this caller's recent tickets
        limited = action("create_escalation", "limited", f"retry in {exc.retry_after} s")
        return {
            "reply": say("escalation_limited", wait=wait_words(exc.retry_after)),
            "streamed": False,
            "pending": None,
            "actions": record(runtime, state, limited),
        }
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
        what = describe(state.get("unstated") or [])
        reply = say(_reply_name(state, reason), ticket=ticket, what=what)
    return {
        "reply": reply,
        "streamed": False,
        "escalation": escalation | ({"joined": True} if joined else {}),
        "escalation_reason": reason,
        "pending": None,
        "actions": record(runtime, state, done),
    }
