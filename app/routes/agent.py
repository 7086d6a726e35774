"""Agent API: the escalation queue, handoff packages, replies, ownership, corrections and
refund decisions. Only agent tokens (`support token --agent NAME`) get in; customers 403."""

from __future__ import annotations

from typing import Any, Literal

from fastapi import APIRouter
from pydantic import BaseModel, Field

from app.deps import AgentDep, DeskDep
from app.openapi import responses

# Every operation: a bad or missing token, a customer's token, bad input, the store down.
router = APIRouter(prefix="/v1/agent", tags=["agent"], responses=responses(401, 403, 422, 503))

Status = Literal["open", "claimed", "handed_back", "resolved"]


class ReplyRequest(BaseModel):
    text: str = Field(min_length=1, max_length=4000)
    suggestion: Literal["approved", "edited"] | None = None


class RelabelRequest(BaseModel):
    turn: int = Field(ge=0, description="Index of the customer line in the package transcript.")
    intent: str
    entities: list[dict[str, Any]] | None = None


class DecideRequest(BaseModel):
    approve: bool
    note: str = Field("", max_length=1000)


@router.get("/escalations")
async def list_escalations(
    agent: AgentDep, desk: DeskDep, status: Status | None = None
) -> list[dict]:
    """The queue, newest first: id, session_id, reason, status, customer_id, assignee,
    last_message, created_at."""
    return await desk.queue(status)


@router.get("/escalations/{escalation_id}", responses=responses(404))
async def get_escalation(escalation_id: str, agent: AgentDep, desk: DeskDep) -> dict:
    """The handoff package of one escalation."""
    return await desk.package(escalation_id)


@router.post("/escalations/{escalation_id}/claim", responses=responses(404, 409))
async def claim(escalation_id: str, agent: AgentDep, desk: DeskDep) -> dict:
    """Take over the conversation; the bot stays silent until handback or resolve."""
    return await desk.claim(escalation_id, agent)


@router.post("/escalations/{escalation_id}/reply", responses=responses(404, 409))
async def reply(escalation_id: str, body: ReplyRequest, agent: AgentDep, desk: DeskDep) -> dict:
    """Send a message to the customer (claims an unclaimed escalation first)."""
    return await desk.reply(escalation_id, agent, body.text, body.suggestion)


@router.post("/escalations/{escalation_id}/suggestion/reject", responses=responses(404, 409))
async def reject_suggestion(escalation_id: str, agent: AgentDep, desk: DeskDep) -> dict:
    """Record that the bot's suggested reply was wrong (stored as a correction)."""
    return await desk.reject_suggestion(escalation_id, agent)


@router.post("/escalations/{escalation_id}/relabel", responses=responses(404, 409))
async def relabel(escalation_id: str, body: RelabelRequest, agent: AgentDep, desk: DeskDep) -> dict:
    """Correct a customer turn's intent (and entities); stored as labelled training data."""
    return await desk.relabel(escalation_id, agent, body.turn, body.intent, body.entities)


@router.post("/escalations/{escalation_id}/handback", responses=responses(404, 409))
async def handback(escalation_id: str, agent: AgentDep, desk: DeskDep) -> dict:
    """Give the conversation back to the bot."""
    return await desk.handback(escalation_id, agent)


@router.post("/escalations/{escalation_id}/resolve", responses=responses(404, 409))
async def resolve(escalation_id: str, agent: AgentDep, desk: DeskDep) -> dict:
    """Close the escalation and ask the customer for a rating."""
    return await desk.resolve(escalation_id, agent)


@router.post("/approvals/{approval_id}/decide", responses=responses(404, 409))
async def decide(approval_id: str, body: DecideRequest, agent: AgentDep, desk: DeskDep) -> dict:
    """Approve (refund) or decline a refund waiting for a human; resumes the customer's chat."""
    decided = await desk.decide(approval_id, agent, body.approve, body.note)
    return decided.model_dump(mode="json")
