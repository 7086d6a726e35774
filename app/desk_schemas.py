"""What the agent desk's endpoints return: one typed model per shape, so OpenAPI (and the
console) know every field."""

from __future__ import annotations

from typing import Any, Literal

from pydantic import BaseModel, Field

Status = Literal["open", "claimed", "handed_back", "resolved"]
Sla = Literal["ok", "warn", "breach"]
Channel = Literal["api", "widget", "email"]


class Ticket(BaseModel):
    """An escalation's state after a claim, transfer, handback, resolve or reopen."""

    id: str
    session_id: str
    reason: str
    status: Status
    assignee: str | None
    customer_id: str | None
    intent: str | None
    confidence: float | None
    created_at: str | None
    claimed_at: str | None = None
    resolved_at: str | None = None
    waiting_since: str | None = Field(
        None, description="Since when the customer has waited for a human (null: nobody waits)."
    )
    first_response_at: str | None = None


class QueueRow(BaseModel):
    """One conversation in the queue."""

    id: str
    session_id: str
    reason: str
    status: Status
    customer_id: str | None
    customer_name: str | None
    assignee: str | None
    last_message: str = Field(description="The customer's latest line (200 characters at most).")
    created_at: str | None
    waiting_since: str | None
    wait_seconds: float | None = Field(
        description="Seconds since the customer's oldest message no agent has answered."
    )
    sla: Sla | None = Field(
        description="ok / warn / breach against DESK_SLA_WARN_SECONDS and "
        "DESK_SLA_BREACH_SECONDS; null when nobody is waiting."
    )
    order_ids: list[str] = Field(description="Order numbers the conversation mentions.")
    channel: Channel = Field("api", description="Where the customer writes: api, widget, email.")


class Line(BaseModel):
    role: str
    content: str
    at: str | None = None
    intent: str | None = None
    confidence: float | None = None
    author: str | None = None


class IntentTurn(BaseModel):
    turn: int = Field(description="Index of the customer line in the transcript.")
    intent: str
    confidence: float | None = None
    at: str | None = None


class OrderItemCard(BaseModel):
    sku: str
    name: str
    quantity: int
    price: str
    refundable: bool


class OrderCard(BaseModel):
    id: str
    status: str
    total: str
    placed_at: str
    mentioned: bool = Field(description="The conversation is about this order.")
    carrier: str | None = None
    tracking_number: str | None = None
    items: list[OrderItemCard] = []
    refunded: str = Field("$0.00", description="Sum of the order's refunds so far.")


class ApprovalCard(BaseModel):
    id: str
    order_id: str
    amount: str
    amount_cents: int
    status: str


class PastTicket(BaseModel):
    id: str
    reason: str
    status: str
    assignee: str | None


class PastConversation(BaseModel):
    session_id: str
    started_at: str
    tickets: list[PastTicket]
    csat: int | None = Field(description="The rating (1-5) the customer gave, if any.")


class CustomerCard(BaseModel):
    id: str
    name: str
    email: str
    since: str
    orders: list[OrderCard] = Field(description="The customer's latest orders.")
    conversations: list[PastConversation] = Field(
        description="Their other conversations, newest first, with outcome and CSAT."
    )


class Note(BaseModel):
    """A private note: agents see it, the customer never does."""

    id: int
    escalation_id: str
    author: str
    text: str
    at: str


class Package(BaseModel):
    """Everything an agent needs to take over one conversation."""

    escalation: Ticket
    transcript: list[Line]
    intent_history: list[IntentTurn]
    entities: list[dict[str, Any]]
    sentiment: dict[str, Any] | None
    orders: list[OrderCard] = Field(
        description="The orders the conversation is about first, then the customer's latest."
    )
    citations: list[dict[str, Any]]
    suggested_reply: str
    approvals: list[ApprovalCard]
    intents: list[str] = Field(description="The intents a turn can be relabelled to.")
    predicted_intent: str | None = Field(
        description="The intent the bot read in the customer's latest line (relabel default)."
    )
    customer: CustomerCard | None
    notes: list[Note]
    channel: Channel = Field(
        "api",
        description="Where the customer writes (api, widget, email): an e-mail "
        "conversation's agent replies are mailed to the customer.",
    )


class Message(BaseModel):
    """A line an agent sent (or the bot added) outside the graph."""

    id: int
    session_id: str
    escalation_id: str | None
    role: str
    author: str | None
    content: str
    at: str | None


class CorrectionOut(BaseModel):
    id: int
    session_id: str
    turn_index: int | None
    text: str
    predicted_intent: str | None
    intent: str | None
    entities: list[dict[str, Any]] | None
    kind: str
    agent: str
    created_at: str | None


class Macro(BaseModel):
    id: int
    name: str
    text: str
    created_by: str
    created_at: str


class RenderedMacro(BaseModel):
    text: str = Field(description="The saved reply with this conversation's details filled in.")
    missing: list[str] = Field(
        description="Placeholders this conversation has no value for, left as {name} in the "
        "text for the agent to fill."
    )


class DeskEvent(BaseModel):
    id: int
    kind: str
    escalation_id: str | None
    session_id: str | None
    actor: str
    at: str
    data: dict[str, Any]
