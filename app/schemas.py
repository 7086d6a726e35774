"""Public API schemas, named by role. Graph state and rows are mapped to these."""

from __future__ import annotations

from typing import Any, Literal

from pydantic import BaseModel, Field


class ChatRequest(BaseModel):
    """One customer message; omit session_id to start a new conversation."""

    session_id: str | None = Field(None, description="Conversation to continue.")
    message: str = Field(
        ...,
        description="What the customer says: UTF-8 text with at least one visible character "
        "(control characters read as spaces), at most MAX_MESSAGE_CHARS long (413 past it).",
        # Documented only: the service checks these itself, with messages a client can act on.
        json_schema_extra={"minLength": 1, "pattern": r"[^\s\x00-\x1f\x7f-\x9f]"},
    )
    channel: Literal["api", "widget"] | None = Field(
        None,
        description="Where the customer writes, kept on a new conversation for KPIs by "
        "channel: api (default) or widget. An existing conversation keeps its own.",
    )


class ErrorDetail(BaseModel):
    code: str = Field(description="Stable reason, e.g. invalid_request, unknown_session.")
    message: str = Field(description="What went wrong and what to do about it.")


class ErrorBody(BaseModel):
    """The body of every 4xx and 5xx answer."""

    error: ErrorDetail


class EntityPublic(BaseModel):
    type: str
    value: str
    start: int
    end: int


class CitationPublic(BaseModel):
    doc_id: str
    title: str
    source: str
    chunk_id: str
    section: str | None = None
    url: str | None = None


class ActionPublic(BaseModel):
    tool: str
    status: str
    detail: str


class EscalationRef(BaseModel):
    id: str
    reason: str


class SentimentPublic(BaseModel):
    label: str
    score: float
    angry: bool = False
    """The customer says they are angry (a reason to hand the chat to a person)."""


class ChatResponse(BaseModel):
    """The bot's answer to one turn."""

    session_id: str
    reply: str
    intent: str
    category: str
    confidence: float
    entities: list[EntityPublic]
    citations: list[CitationPublic]
    actions: list[ActionPublic]
    escalated: bool
    escalation: EscalationRef | None
    model_version: str = ""
    sentiment: SentimentPublic | None = None
    suggestions: list[str] = Field(
        default_factory=list,
        description="Quick replies for this turn (e.g. the readings of an unclear message).",
    )


class TranscriptLine(BaseModel):
    """One line of a conversation as its customer sees it (desk notes are never lines)."""

    role: str = Field(description="customer, assistant (the bot) or agent (a person).")
    content: str
    at: str | None = None
    intent: str | None = None
    confidence: float | None = None
    model_version: str | None = None
    sentiment: SentimentPublic | None = None
    author: str | None = Field(
        None,
        description="The name of the agent who wrote an agent line (as the live agent_reply "
        "event names them); null on customer and bot lines.",
    )


class SessionPublic(BaseModel):
    """A conversation's transcript and what the bot is waiting for."""

    session_id: str
    transcript: list[TranscriptLine]
    pending: dict[str, Any] | None = None
    approval: ApprovalPublic | None = None


class ApprovalPublic(BaseModel):
    """A refund of this conversation waiting for an agent's approval."""

    id: str
    order_id: str
    amount_cents: int
    status: str = "pending"


def response_from_state(session_id: str, state: dict[str, Any]) -> ChatResponse:
    """Map final turn state to the public response."""
    escalation = state.get("escalation")
    return ChatResponse(
        session_id=session_id,
        reply=state.get("reply") or "",
        intent=state.get("intent") or "",
        category=state.get("category") or "",
        confidence=float(state.get("confidence") or 0.0),
        entities=[EntityPublic(**e) for e in state.get("entities") or []],
        citations=[CitationPublic(**c) for c in state.get("citations") or []],
        actions=[ActionPublic(**a) for a in state.get("actions") or []],
        escalated=escalation is not None,
        escalation=EscalationRef(**escalation) if escalation else None,
        model_version=state.get("model_version") or "",
        sentiment=SentimentPublic(**state["sentiment"]) if state.get("sentiment") else None,
        suggestions=list(state.get("suggestions") or []),
    )
