"""Typed state of one conversation, persisted by the checkpointer between turns."""

from __future__ import annotations

import operator
from typing import Annotated, Any, TypedDict


class TranscriptEntry(TypedDict, total=False):
    """One line of the transcript."""

    role: str
    """'customer', 'assistant' or 'agent'."""
    content: str
    """What was said."""
    at: str
    """ISO-8601 UTC time it was said."""
    intent: str
    """For customer lines: the intent the NLU gave it."""
    confidence: float
    """For customer lines: the classifier's confidence."""
    model_version: str
    """For customer lines: the intent model version that classified it (A/B tests)."""
    sentiment: dict[str, Any]
    """For customer lines: {label: negative|neutral|positive, score: -1..1}."""


class Pending(TypedDict, total=False):
    """Something the bot asked for and waits on in the next turn."""

    kind: str
    """'slot' (waiting for a value) or 'confirm' (waiting for yes / no)."""
    intent: str
    """The intent the customer was pursuing when the bot asked."""
    slot: str
    """For kind='slot': what was asked for: 'order_id', 'cancel_reason', 'address' or
    'verification' (email + order number, or name + ZIP code)."""
    action: str
    """For kind='confirm': the write to perform on yes: 'refund', 'cancel', 'address' or
    'dispute'."""
    order_id: str
    """The order the question or the write is about."""
    amount_cents: int
    """For kind='confirm': the amount stated to the customer."""
    payment_label: str
    """For kind='confirm': where the money goes, as stated to the customer."""
    method_id: str | None
    """For a refund: the customer's payment method named as destination (None: original)."""
    skus: list[str]
    """For a refund: the order lines it covers (empty: every refundable line)."""
    needs_approval: bool
    """For a refund: above the auto-approve limit, so a yes asks a human to approve it."""
    reason: str
    """For a cancellation: the accepted reason stated to the customer."""
    fee_cents: int
    """For a cancellation: the fee stated to the customer."""
    address: str
    """For an address change: the new address stated to the customer."""
    payment_id: str
    """For a dispute: the duplicate charge stated to the customer."""


class TurnState(TypedDict, total=False):
    """Conversation state; nodes return partial updates of it."""

    transcript: Annotated[list[TranscriptEntry], operator.add]
    """Every line of the conversation so far (appended to, never rewritten)."""
    message: str
    """The customer's message of the current turn."""
    intent: str
    """Intent of the current turn (from the NLU, or carried over from `pending`)."""
    category: str
    """Taxonomy category of `intent`."""
    confidence: float
    """How sure the bot is of this turn's branch, 0..1: the classifier's probability for
    `intent`, or, when no intent was sure of a help-centre question, the summed
    probability of the help-centre intents (graph.routing.help_centre_reading). The
    customer's transcript line keeps the classifier's own intent and probability."""
    help_centre_guess: bool
    """No single intent was sure, but together the help-centre intents were: the knowledge
    node then answers only from a passage that clears KB_SURE_SCORE."""
    entities: list[dict[str, Any]]
    """Entities of the current message: {type, value, start, end}."""
    model_version: str
    """Registered intent model version that classified the current message."""
    sentiment: dict[str, Any]
    """Sentiment of the current message: {label, score}."""
    pending: Pending | None
    """What the bot waits on from the customer, if anything."""
    route: str
    """The branch the router chose this turn."""
    escalation_reason: str | None
    """Why this turn must go to a human, set by the node that decided it."""
    reply: str
    """The bot's reply for this turn."""
    streamed: bool
    """True when `reply` was already streamed as deltas by the node that wrote it."""
    citations: list[dict[str, Any]]
    """Knowledge passages the reply relies on: {doc_id, title, source, chunk_id, section, url}."""
    actions: list[dict[str, Any]]
    """Tool calls of this turn: {tool, status, detail}."""
    escalation: dict[str, Any] | None
    retrieval_score: float | None
    """Cosine similarity of the best knowledge passage this turn (knowledge turns only)."""
    """The escalation record created this turn: {id, reason}."""
    approval: dict[str, Any] | None
    """A refund waiting for a human's decision: {id, order_id, amount_cents, destination,
    escalation_id}. While set, the graph is paused in `await_approval`."""
    verified_customer_id: str | None
    """Set this turn by the verify node once the store confirmed an anonymous caller's
    details (the session row keeps it for later turns); never read from a message."""


def new_turn(message: str) -> TurnState:
    """Graph input for a new customer turn: the message, per-turn fields reset."""
    return {
        "message": message,
        "entities": [],
        "route": "",
        "escalation_reason": None,
        "reply": "",
        "streamed": False,
        "citations": [],
        "actions": [],
        "escalation": None,
        "verified_customer_id": None,
        "retrieval_score": None,
    }
