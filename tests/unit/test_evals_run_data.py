"""The committed eval data stays consistent with the help centre it is written over."""

from __future__ import annotations

from pathlib import Path

from evals.suites.conversations import load_scripts
from evals.suites.escalation import load_turns
from evals.suites.rag import load_golden
from evals.suites.ragas_metrics import plain

KB = Path(__file__).resolve().parents[2] / "knowledge" / "demo_kb"


def normal(text: str) -> str:
    return " ".join(plain(text).replace("\u2019", "'").split())


def test_evals_run_golden_passages_are_quoted_from_their_articles():
    docs = {p.stem: normal(p.read_text(encoding="utf-8")) for p in KB.glob("*.md")}
    golden = load_golden()
    missing = [
        (q.id, c["doc_id"], c["text"])
        for q in golden
        for c in q.reference_contexts
        if normal(c["text"]) not in docs.get(c["doc_id"], "")
    ]
    assert missing == []
    assert len(golden) >= 60
    assert sum(not q.answerable for q in golden) >= 8
    assert all(q.facts for q in golden if q.answerable)


def test_evals_run_labelled_turns_and_scripts_load():
    turns = load_turns()
    assert {t.kind for t in turns} == {
        "in_scope", "human_request", "angry", "gibberish", "unanswerable", "off_topic"
    }  # fmt: skip
    # A first unclear message (gibberish) gets quick replies, not a person: only a second
    # one in a row escalates (the conversation scripts check that).
    assert all(t.escalate == (t.kind in {"human_request", "angry", "unanswerable"})
               for t in turns)  # fmt: skip
    names = [s.name for s in load_scripts()]
    assert len(names) == len(set(names)) >= 60
