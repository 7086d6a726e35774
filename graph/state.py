"""Typed state of one conversation, persisted by the checkpointer between turns."""

from __future__ import annotations

import operator
from typing import Annotated, Any, TypedDict

from tools.handoff import EscalationReason

__all__ = [
    "EscalationReason",
    "Memory",
    "Pending",
    "TranscriptEntry",
    "TurnState",
    "new_turn",
    "remember",
]


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
    """'slot' (waiting for a value), 'confirm' (waiting for yes / no) or 'clarify' (waiting
    for the customer to pick one of the likeliest readings of an unclear message)."""
    intent: str
    """The intent the customer was pursuing when the bot asked."""
    slot: str
    """For kind='slot': what was asked for: 'order_id', 'cancel_reason', 'address' or
    'verification' (email + order number, or name + ZIP code)."""
    action: str
    """For kind='confirm': the write to perform on yes: 'refund', 'cancel', 'address',
    'dispute', 'swap', 'payment_change' or 'default_address'."""
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
    claims: dict[str, str]
    """For slot='verification': the parts of a proof given so far (an order number, then the
    e-mail in the next message)."""
    prompt: str
    """The bot's question exactly as asked, restated after a side question."""
    route: str
    """The branch that asked: the answer goes back to it."""
    choices: list[str]
    """For slot='item' / 'variant': the order lines (SKUs) the customer chooses among."""
    swaps: dict[str, str]
    """For a swap: order line SKU -> the SKU of the option it becomes."""
    swap_kind: str
    """For a swap: 'exchange' (delivered items) or 'modify' (a pending order's items)."""
    summary: str
    """For a swap: what is swapped, as stated to the customer."""
    target: str
    """For an address: 'default' when it is the account's default address, not an order's."""
    write_keys: list[str]
    """For kind='confirm': the idempotency keys a yes writes under (see graph/nodes/writes)."""
    options: list[str]
    """For kind='clarify': the intents offered as quick replies, likeliest first."""
    request: str
    """For kind='clarify': the unclear message, acted on once the customer picks a reading."""
    request_entities: list[dict[str, Any]]
    """For kind='clarify': the entities of that message (an order number said there counts)."""


class Memory(TypedDict, total=False):
    """What the conversation has been about, so later turns can refer back to it."""

    orders: list[str]
    """Orders the bot looked at or acted on, least recent first ("that order", "the other
    one" resolve against these)."""
    items: list[dict[str, str]]
    """Order lines the customer named: {order_id, sku, name}, least recent first."""
    last_reply: str
    """The bot's last reply ("can you say that again?")."""
    last_route: str
    """The account branch of the last such turn ("and W5507320?" continues it)."""
    last_intent: str
    """The intent that branch served."""
    ticket: str
    """The conversation's ticket, once one was opened (later messages join it)."""


def remember(old: Memory | None, new: Memory | None) -> Memory:
    """Reducer of `TurnState.memory`: orders and items mentioned again move to the end (the
    most recent), new ones are appended; other keys are replaced."""
    merged: Memory = dict(old or {})  # type: ignore[assignment]
    new = new or {}
    if "orders" in new:
        seen = [o for o in merged.get("orders", []) if o not in new["orders"]]
        merged["orders"] = (seen + list(new["orders"]))[-10:]
    if "items" in new:
        keys = {(i.get("order_id"), i.get("sku")) for i in new["items"]}
        kept = [i for i in merged.get("items", []) if (i.get("order_id"), i.get("sku")) not in keys]
        merged["items"] = (kept + list(new["items"]))[-20:]
    for key in ("last_reply", "last_route", "last_intent", "ticket"):
        if key in new:
            merged[key] = new[key]
    return merged


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
    declining: bool
    """The message reads as off-topic, though not surely: the knowledge node answers it
    only from a passage that clears KB_SURE_SCORE (the shop's help centre says what is in
    scope: a shop with a gift-card article answers gift-card questions), else the bot
    declines politely. A sure off-topic reading is declined without asking it."""
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
    escalation_reason: EscalationReason | None
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
    """The escalation record created (or joined) this turn: {id, reason}."""
    retrieval_score: float | None
    """Cosine similarity of the best knowledge passage this turn (knowledge turns only)."""
    unstated: list[str] | None
    """Product attributes asked about this turn that the answering article never states
    ("weight"): the customer is told so (graph.llm.attributes)."""
    approval: dict[str, Any] | None
    """A refund waiting for a human's decision: {id, order_id, amount_cents, destination,
    escalation_id}. While set, the graph is paused in `await_approval`."""
    memory: Annotated[Memory, remember]
    """Orders, items and the last reply of the conversation so far (merged, see `remember`)."""
    order_id: str | None
    """The order this turn is about when the message did not name one but referred to one
    ("that order", "it", "the other one"), resolved by the classify node from `memory`."""
    held: Pending | None
    """An offer or question put on hold while the customer asks something else this turn;
    restated after the answer (the resume_offer node) unless this turn replaced it."""
    repair: str | None
    """The conversation-repair move of this turn, if any: 'stray_confirmation', 'repeat',
    'clarify', 'correction', 'side_question'."""
    suggestions: list[str]
    """Quick replies offered with this turn's reply (e.g. the readings of an unclear message)."""
    queue: list[str]
    """Further requests of a multi-request message, handled in order after this one."""
    earlier_replies: list[str]
    """Replies to the requests of this message handled before the current one."""
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
        "unstated": None,
        "order_id": None,
        "held": None,
        "repair": None,
        "suggestions": [],
        "queue": [],
        "earlier_replies": [],
    }
