"""Handoff tool: open an escalation so a human agent picks the conversation up."""

from __future__ import annotations

import time
from typing import Any, Literal, get_args

from tools.errors import BackendUnavailable
from tools.schemas import EscalationView
from tools.store.backend import StoreBackend

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
REASONS: tuple[str, ...] = get_args(EscalationReason)


def create_escalation(
    store: StoreBackend,
    *,
    session_id: str,
    customer_id: str | None,
    reason: str,
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
    store: StoreBackend, *, session_id: str, customer_id: str | None, **package: Any
) -> tuple[str, str, bool]:
    """One ticket per conversation: (ticket id, its reason, joined). A later turn that needs
    a person joins the conversation's unresolved ticket (its package - reason, intent,
    confidence, entities, transcript - updates) instead of opening a second one; otherwise
    a new escalation is created with that package (see `create_escalation`)."""
    reason = package["reason"]
    if reason not in REASONS:
        raise ValueError(f"unknown escalation reason {reason!r}; expected one of {REASONS}")
    ticket = store.open_ticket(session_id)
    if ticket is not None:
        joined = store.join_ticket(ticket["id"], **package)
        return joined["id"], joined["reason"], True
    made = create_escalation(store, session_id=session_id, customer_id=customer_id, **package)
    return made.id, made.reason, False
