"""Handoff tool: open an escalation so a human agent picks the conversation up."""

from __future__ import annotations

from typing import Any, Literal, get_args

from tools.schemas import EscalationView
from tools.store.backend import StoreBackend

EscalationReason = Literal[
    "low_confidence",
    "explicit_request",
    "negative_sentiment",
    "tool_failure",
    "missing_knowledge",
    "policy",
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
) -> EscalationView:
    """Hand the conversation to a human agent with everything needed to continue it.

    `reason` is one of: low_confidence, explicit_request, negative_sentiment, tool_failure,
    missing_knowledge, policy. The ticket keeps the transcript, the detected intent, its
    confidence and the entities, so the customer never has to repeat themselves.
    """
    if reason not in REASONS:
        raise ValueError(f"unknown escalation reason {reason!r}; expected one of {REASONS}")
    return store.create_escalation(
        session_id=session_id,
        customer_id=customer_id,
        reason=reason,
        intent=intent,
        confidence=confidence,
        entities=entities,
        transcript=transcript,
    )
