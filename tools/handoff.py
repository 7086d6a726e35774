"""Handoff tool: open an escalation so a human agent picks the conversation up."""

from __future__ import annotations

import time
from typing import Any, Literal, get_args

from tools.errors import BackendUnavailable, ToolError
from tools.schemas import EscalationView
from tools.store.limits import AbuseLimits, checks
from tools.store.protocol import StoreBackend

EscalationReason = Literal[
    "low_confidence",
    "explicit_request",
    "negative_sentiment",
    "tool_failure",
    "missing_knowledge",
    "policy",
    "approval_needed",
    "verification_failed",
    "repeated_fallback",
]
"""Why a conversation goes to a person: the one list, used by the graph's state and nodes."""
REASONS: tuple[str, ...] = get_args(EscalationReason)


class TicketLimitReached(ToolError):
    """The caller opened as many tickets as the limits allow; `retry_after` seconds until
    they may open another. Nothing was created."""

    code = "ticket_limit"
    default_message = "Too many new tickets; our team already has the earlier ones."

    def __init__(self, retry_after: int) -> None:
        super().__init__()
        self.retry_after = retry_after


def create_escalation(
    store: StoreBackend,
    *,
    session_id: str,
    customer_id: str | None,
    reason: EscalationReason,
    intent: str | None,
    confidence: float | None,
    entities: list[Any] | dict[str, Any],
    transcript: list[dict[str, Any]],
    retry_pauses: tuple[float, ...] = (0.25, 0.75, 1.5),
) -> EscalationView:
    """Hand the conversation to a human agent with everything needed to continue it.

    `reason` is one of: low_confidence, explicit_request, negative_sentiment, tool_failure,
    missing_knowledge, policy, approval_needed (a refund above the auto-approve limit; made
    by `tools.approvals`), verification_failed (an anonymous caller failed the identity
    check too often), repeated_fallback (two messages in a row the bot could only answer
    with its fallback). The ticket keeps the transcript, the detected intent, its
    confidence and the entities, so the customer never has to repeat themselves. A store
    that fails (e.g. locked) is retried after each of `retry_pauses` seconds.
    """
    if reason not in REASONS:
        raise ValueError(f"unknown escalation reason {reason!r}; expected one of {REASONS}")
    for pause in (*retry_pauses, None):
        try:
            return store.create_escalation(
                session_id=session_id,
                customer_id=customer_id,
                reason=reason,
                intent=intent,
                confidence=confidence,
                entities=entities,
                transcript=transcript,
            )
        except BackendUnavailable:
            # A locked store usually frees up within a second: the ticket matters most
            # exactly when a tool has just failed, so try again before giving up.
            if pause is None:
                raise
            time.sleep(pause)
    raise AssertionError("unreachable")


def join_or_create_escalation(
    store: StoreBackend,
    *,
    session_id: str,
    customer_id: str | None,
    client: str | None = None,
    abuse: AbuseLimits | None = None,
    **package: Any,
) -> tuple[str, str, bool]:
    """One ticket per conversation: (ticket id, its reason, joined). A later turn that needs
    a person joins the conversation's unresolved ticket (its package - reason, intent,
    confidence, entities, transcript - updates) instead of opening a second one; otherwise
    a new escalation is created with that package (see `create_escalation`).

    New tickets are limited (`abuse`) per customer, or for an anonymous caller per `client`
    address: over the limit `TicketLimitReached` is raised and nothing is created (a limit
    the store cannot check lets the ticket through). Joining the conversation's own ticket
    is never limited."""
    reason = package["reason"]
    if reason not in REASONS:
        raise ValueError(f"unknown escalation reason {reason!r}; expected one of {REASONS}")
    ticket = store.open_ticket(session_id)
    if ticket is not None:
        joined = store.join_ticket(ticket["id"], **package)
        return joined["id"], joined["reason"], True
    if abuse is not None:
        limit = checks(
            ("ticket_customer", customer_id, abuse.tickets_per_customer)
            if customer_id
            else ("ticket_client", client, abuse.tickets_per_client)
        )
        try:
            wait = store.hit_limits(limit)
        except BackendUnavailable:
            wait = None  # as below: a ticket matters most when the store is struggling
        if wait is not None:
            raise TicketLimitReached(wait)
    made = create_escalation(store, session_id=session_id, customer_id=customer_id, **package)
    return made.id, made.reason, False
