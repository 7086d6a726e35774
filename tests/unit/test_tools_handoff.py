"""Handoff tool: an escalation keeps the whole context and can be read back."""

from __future__ import annotations

import pytest

from tools import handoff
from tools.store.backend import SqlStore


@pytest.fixture
def store(tmp_path) -> SqlStore:
    return SqlStore.from_url(f"sqlite:///{tmp_path / 's.sqlite'}")


def test_create_escalation_stores_transcript_intent_and_entities(store):
    transcript = [
        {"role": "customer", "content": "I want a human", "at": "2026-03-15T10:00:00Z"},
    ]
    entities = [{"type": "order_id", "value": "W1234567", "start": 0, "end": 8}]
    made = handoff.create_escalation(
        store,
        session_id="s1",
        customer_id="C0001",
        reason="explicit_request",
        intent="human_agent",
        confidence=0.91,
        entities=entities,
        transcript=transcript,
    )
    assert made.id.startswith("E") and made.status == "open"
    assert made.created_at.tzinfo is not None
    assert store.get_escalation(made.id) == made
    assert store.list_escalations(status="open") == [made]
    assert store.list_escalations(status="closed") == []
    assert made.transcript == transcript and made.entities == entities


def test_create_escalation_anonymous_caller_is_kept(store):
    made = handoff.create_escalation(
        store,
        session_id="s2",
        customer_id=None,
        reason="low_confidence",
        intent=None,
        confidence=None,
        entities=[],
        transcript=[],
    )
    assert store.get_escalation(made.id).customer_id is None


def test_create_escalation_unknown_reason_is_refused(store):
    with pytest.raises(ValueError, match="unknown escalation reason 'bored'"):
        handoff.create_escalation(
            store,
            session_id="s3",
            customer_id="C0001",
            reason="bored",
            intent=None,
            confidence=None,
            entities=[],
            transcript=[],
        )
    assert store.list_escalations() == []
