"""Agent API: the escalation queue, handoff packages, replies, ownership, corrections and
refund decisions. Only agent tokens (`support token --agent NAME`) get in; customers 403."""

from __future__ import annotations

from typing import Annotated, Any, Literal

from fastapi import APIRouter, Query, Response
from pydantic import BaseModel, Field

from app.deps import AgentDep, DeskDep
from app.desk_schemas import (
    CorrectionOut,
    Macro,
    Message,
    Note,
    Package,
    QueueRow,
    RenderedMacro,
    Ticket,
)
from app.openapi import responses
from tools.schemas import ApprovalView

# Every operation: a bad or missing token, a customer's token, bad input, the store down.
router = APIRouter(prefix="/v1/agent", tags=["agent"], responses=responses(401, 403, 422, 503))

StatusFilter = Literal["open", "claimed", "handed_back", "resolved", "active"]


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


class AssignRequest(BaseModel):
    agent: str | None = Field(
        min_length=1, max_length=120, description="The agent to give it to; null: the queue."
    )


class NoteRequest(BaseModel):
    text: str = Field(min_length=1, max_length=4000)


class MacroRequest(BaseModel):
    name: str = Field(min_length=1, max_length=80)
    text: str = Field(min_length=1, max_length=4000)


class RenderRequest(BaseModel):
    order_id: str | None = Field(
        None, max_length=16, description="Fill order placeholders from this order of theirs."
    )


@router.get("/escalations", response_model=list[QueueRow])
async def list_escalations(
    agent: AgentDep,
    desk: DeskDep,
    status: Annotated[
        StatusFilter | None, Query(description="active: every unresolved one.")
    ] = None,
    view: Literal["all", "mine", "unassigned"] = "all",
    reason: Annotated[str | None, Query(max_length=32)] = None,
    q: Annotated[
        str | None, Query(max_length=200, description="Customer, order id or text.")
    ] = None,
) -> list[dict]:
    """The queue: one row per conversation, the customers who have waited longest first."""
    return await desk.queue(agent, status, view, reason, q)


@router.get("/escalations/{escalation_id}", response_model=Package, responses=responses(404))
async def get_escalation(escalation_id: str, agent: AgentDep, desk: DeskDep) -> dict:
    """The handoff package of one escalation."""
    return await desk.package(escalation_id)


@router.post("/escalations/{escalation_id}/claim", response_model=Ticket,
             responses=responses(404, 409))  # fmt: skip
async def claim(escalation_id: str, agent: AgentDep, desk: DeskDep) -> dict:
    """Take over the conversation; the bot stays silent until handback or resolve. 409 when
    another agent holds it."""
    return await desk.claim(escalation_id, agent)


@router.post("/escalations/{escalation_id}/assign", response_model=Ticket,
             responses=responses(404, 409))  # fmt: skip
async def assign(escalation_id: str, body: AssignRequest, agent: AgentDep, desk: DeskDep) -> dict:
    """Transfer the conversation to another agent, or (agent null) back to the queue. Only
    the agent holding it may transfer a claimed conversation."""
    return await desk.assign(escalation_id, agent, body.agent)


@router.post("/escalations/{escalation_id}/reply", response_model=Message,
             responses=responses(404, 409))  # fmt: skip
async def reply(escalation_id: str, body: ReplyRequest, agent: AgentDep, desk: DeskDep) -> dict:
    """Send a message to the customer (claims an unclaimed escalation first)."""
    return await desk.reply(escalation_id, agent, body.text, body.suggestion)


@router.post("/escalations/{escalation_id}/notes", response_model=Note, status_code=201,
             responses=responses(404))  # fmt: skip
async def add_note(escalation_id: str, body: NoteRequest, agent: AgentDep, desk: DeskDep) -> dict:
    """A private note: other agents see it in the package; the customer never does."""
    return await desk.add_note(escalation_id, agent, body.text)


@router.post("/escalations/{escalation_id}/suggestion/reject", response_model=CorrectionOut,
             responses=responses(404, 409))  # fmt: skip
async def reject_suggestion(escalation_id: str, agent: AgentDep, desk: DeskDep) -> dict:
    """Record that the bot's suggested reply was wrong (stored as a correction)."""
    return await desk.reject_suggestion(escalation_id, agent)


@router.post("/escalations/{escalation_id}/relabel", response_model=CorrectionOut,
             responses=responses(404, 409))  # fmt: skip
async def relabel(escalation_id: str, body: RelabelRequest, agent: AgentDep, desk: DeskDep) -> dict:
    """Correct a customer turn's intent (and entities); stored as labelled training data."""
    return await desk.relabel(escalation_id, agent, body.turn, body.intent, body.entities)


@router.post("/escalations/{escalation_id}/handback", response_model=Ticket,
             responses=responses(404, 409))  # fmt: skip
async def handback(escalation_id: str, agent: AgentDep, desk: DeskDep) -> dict:
    """Give the conversation back to the bot."""
    return await desk.handback(escalation_id, agent)


@router.post("/escalations/{escalation_id}/resolve", response_model=Ticket,
             responses=responses(404, 409))  # fmt: skip
async def resolve(escalation_id: str, agent: AgentDep, desk: DeskDep) -> dict:
    """Close the escalation and ask the customer for a rating."""
    return await desk.resolve(escalation_id, agent)


@router.post("/escalations/{escalation_id}/reopen", response_model=Ticket,
             responses=responses(404, 409))  # fmt: skip
async def reopen(escalation_id: str, agent: AgentDep, desk: DeskDep) -> dict:
    """Put a resolved conversation back in the queue, unassigned and waiting."""
    return await desk.reopen(escalation_id, agent)


@router.get("/macros", response_model=list[Macro])
async def list_macros(agent: AgentDep, desk: DeskDep) -> list[dict]:
    """Saved replies, by name."""
    return await desk.macros()


@router.post("/macros", response_model=Macro, status_code=201, responses=responses(409))
async def add_macro(body: MacroRequest, agent: AgentDep, desk: DeskDep) -> dict:
    """Save a reply; placeholders: {customer_name}, {customer_first_name}, {agent_name},
    {order_id}, {order_status}, {tracking_number}, {carrier}. 409 when the name is taken."""
    return await desk.add_macro(agent, body.name, body.text)


@router.delete("/macros/{macro_id}", status_code=204, response_class=Response,
               responses=responses(404))  # fmt: skip
async def delete_macro(macro_id: int, agent: AgentDep, desk: DeskDep) -> Response:
    await desk.delete_macro(agent, macro_id)
    return Response(status_code=204)


@router.post("/escalations/{escalation_id}/macros/{macro_id}/render",
             response_model=RenderedMacro, responses=responses(404))  # fmt: skip
async def render_macro(
    escalation_id: str, macro_id: int, body: RenderRequest, agent: AgentDep, desk: DeskDep
) -> dict:
    """A saved reply filled in for this conversation (the agent edits and sends it)."""
    return await desk.render_macro(escalation_id, agent, macro_id, body.order_id)


@router.post("/approvals/{approval_id}/decide", response_model=ApprovalView,
             responses=responses(404, 409))  # fmt: skip
async def decide(approval_id: str, body: DecideRequest, agent: AgentDep, desk: DeskDep) -> dict:
    """Approve (refund) or decline a refund waiting for a human; resumes the customer's chat."""
    decided = await desk.decide(approval_id, agent, body.approve, body.note)
    return decided.model_dump(mode="json")
