"""Knowledge gaps: the query log, picking weak questions, grouping them, `support kb gaps`."""

from __future__ import annotations

import json
from datetime import UTC, datetime, timedelta

import pytest
from typer.testing import CliRunner

from cli import kb
from knowledge.gaps import GapQuestion, gap_questions, group_gaps
from knowledge.querylog import QueryLog, QueryRecord
from tools.schemas import EscalationView

runner = CliRunner()
NOW = datetime(2026, 11, 20, 12, 0, tzinfo=UTC)


def escalation(session: str, question: str, reason: str = "missing_knowledge", days: int = 0):
    return EscalationView(
        id=f"E{session}",
        session_id=session,
        customer_id=None,
        reason=reason,
        intent="general_question",
        confidence=0.8,
        entities=[],
        transcript=[
            {"role": "customer", "content": "hello"},
            {"role": "assistant", "content": "Hi! How can I help?"},
            {"role": "customer", "content": question},
        ],
        status="open",
        created_at=NOW - timedelta(days=days),
    )


def record(session: str, question: str, score: float, outcome: str = "answered", days: int = 0):
    return QueryRecord(NOW - timedelta(days=days), session, question, score, "gift-cards", outcome)


def test_query_log_records_and_reads_back_in_order(tmp_path):
    from tools.store.backend import SqlStore

    log = QueryLog(SqlStore.from_url(f"sqlite:///{tmp_path / 'store.sqlite'}"))
    assert log.records() == []

    log.record(session_id="s1", question="a?", best_score=0.5, best_doc="d1", outcome="answered")
    log.record(
        session_id="s2", question="b?", best_score=0.1, best_doc="", outcome="missing_knowledge"
    )

    rows = log.records()
    assert [(r.session_id, r.question, r.best_score, r.best_doc, r.outcome) for r in rows] == [
        ("s1", "a?", 0.5, "d1", "answered"),
        ("s2", "b?", 0.1, "", "missing_knowledge"),
    ]
    assert rows[0].at.tzinfo is not None
    assert log.records(since=datetime.now(UTC) + timedelta(minutes=1)) == []
    with pytest.raises(ValueError, match="outcome must be one of"):
        log.record(session_id="s", question="q", best_score=0, best_doc="", outcome="great")


def test_gap_questions_takes_escalations_and_weak_or_failed_log_rows_once_each():
    escalations = [
        escalation("s1", "do you price match?"),
        escalation("s2", "I want a human", reason="explicit_request"),
        escalation("s9", "old question", days=40),
    ]
    records = [
        record("s1", "do you price match?", 0.2, "missing_knowledge"),  # same turn as E s1
        record("s3", "how long do refunds take", 0.8),  # answered well: not a gap
        record("s4", "what is the Halo lamp wattage", 0.41),  # answered from weak passages
        record("s5", "can I pay in bitcoin", 0.3, "no_answer"),
    ]

    found = gap_questions(escalations, records, weak_below=0.45, since=NOW - timedelta(days=30))

    assert [(q.session_id, q.question, q.escalated, q.best_score) for q in found] == [
        ("s1", "do you price match?", True, 0.2),
        ("s4", "what is the Halo lamp wattage", False, 0.41),
        ("s5", "can I pay in bitcoin", False, 0.3),
    ]
    everything = gap_questions(escalations, records, weak_below=0.45)
    assert "old question" in [q.question for q in everything]


def test_group_gaps_groups_paraphrases_and_orders_by_count(encoder):
    texts = [
        "do you price match other stores",
        "will you match a lower price from a competitor",
        "price matching policy?",
        "can I pay with bitcoin",
        "do you accept cryptocurrency",
        "is there a store in Berlin I can visit",
    ]
    questions = [
        GapQuestion(t, f"s{i}", NOW + timedelta(minutes=i), escalated=i % 2 == 0, best_doc="d")
        for i, t in enumerate(texts)
    ]

    gaps = group_gaps(questions, encoder)

    assert [g.count for g in gaps] == [3, 2, 1]
    assert {gaps[0].question, *gaps[0].examples} == set(texts[:3])
    assert {gaps[1].question, *gaps[1].examples} == set(texts[3:5])
    assert gaps[2].question == texts[5] and gaps[2].examples == []
    assert (gaps[0].escalated, gaps[1].escalated, gaps[2].escalated) == (2, 1, 0)
    assert gaps[0].nearest_docs == ["d"] and gaps[0].last_seen == NOW + timedelta(minutes=2)
    assert group_gaps([], encoder) == []


def test_group_gaps_name_the_words_no_article_uses(encoder):
    kb_words = {"gift", "card", "offer", "price"}
    texts = ["do you offer gift wrapping", "can you gift wrap my order", "gift wrapping?"]
    questions = [GapQuestion(t, f"s{i}", NOW, escalated=True) for i, t in enumerate(texts)]

    def unknown_words(text: str) -> list[str]:
        return [w for w in text.strip("?").split() if w not in kb_words and len(w) > 3]

    (gap,) = group_gaps(questions, encoder, unknown_words=unknown_words)

    assert gap.missing_words[0] == "wrapping"  # in two of the three questions
    assert set(gap.missing_words) == {"wrapping", "wrap", "order"}
    assert gap.public()["missing_words"] == gap.missing_words
    assert group_gaps(questions, encoder)[0].missing_words == []


def test_kb_cli_gaps_lists_groups_from_the_store_and_the_log(settings, monkeypatch, encoder):
    from tools.store.backend import SqlStore

    monkeypatch.setenv("DATA_DIR", str(settings.DATA_DIR))
    monkeypatch.setenv("DATABASE_URL", "")
    monkeypatch.delenv("KB_MIN_SCORE", raising=False)
    store = SqlStore.from_url(settings.database_url)
    for session, question in [("a", "do you price match other stores"), ("b", "price match?")]:
        store.create_escalation(
            session_id=session,
            customer_id=None,
            reason="missing_knowledge",
            intent=None,
            confidence=None,
            entities=[],
            transcript=[{"role": "customer", "content": question}],
        )
    log = QueryLog(store)
    log.record(
        session_id="c",
        question="can I pay with bitcoin",
        best_score=0.3,
        best_doc="",
        outcome="answered",
    )
    log.record(
        session_id="d", question="refunds", best_score=0.8, best_doc="refunds", outcome="answered"
    )

    empty = runner.invoke(kb.app, ["gaps", "--weak-below", "0.1"])
    result = runner.invoke(kb.app, ["gaps"])
    as_json = json.loads(runner.invoke(kb.app, ["gaps", "--json"]).stdout)

    assert result.exit_code == 0, result.output
    lines = result.stdout.splitlines()
    assert lines[0] == "3 questions in 2 groups, largest first"
    assert lines[1].startswith("1. 2x ") and lines[1].endswith("(escalated 2)")
    assert lines[3] == "2. 1x 'can I pay with bitcoin'  (escalated 0)"
    assert (as_json["questions"], as_json["weak_below"]) == (3, pytest.approx(0.41))
    assert [g["count"] for g in as_json["groups"]] == [2, 1]
    # With a stricter notion of "weak", only the escalations are left.
    assert empty.stdout.startswith("2 questions in 1 groups")
