"""The composer-comparison metrics on hand-made answers, and the QA set against the KB."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from evals.answer_checks import answers_first, first_sentence, summarise
from evals.composers import DEFAULT_QA, KB_QA, QAItem, load_qa, markdown_table
from evals.metrics import (
    citation_precision,
    fact_present,
    fact_recall,
    groundedness,
    normalise,
)
from knowledge.ingest import doc_id_for

KB_DIR = Path(__file__).resolve().parents[2] / "knowledge" / "demo_kb"


def test_normalise_reads_every_dash_and_curly_quote_alike() -> None:
    assert normalise("Refunds take 5–10  Business—days, don’t worry") == (
        "refunds take 5 10 business days, don't worry"
    )


def test_fact_recall_counts_facts_present_with_any_dash() -> None:
    answer = "Standard shipping costs $5.99 and takes 3-5 business days. [1]"
    assert fact_recall(answer, ["$5.99", "3–5 business days", "$50"]) == pytest.approx(2 / 3)


def test_fact_recall_accepts_alternatives_and_respects_word_edges() -> None:
    assert fact_present("cannot|can't", "Shipped orders can’t be cancelled.")
    assert not fact_present("5 years", "It lasts 15 years.")
    assert not fact_present("the US", "Please contact the USPS office.")
    assert fact_recall("", ["30 days"]) == 0.0
    assert fact_recall("anything", []) == 1.0


def test_citation_precision_is_the_share_of_cited_passages_from_relevant_docs() -> None:
    cited = ["refund-timing", "gift-cards", "refund-timing", "warranty"]
    assert citation_precision(cited, ["refund-timing", "returns-and-refunds"]) == 0.5
    assert citation_precision([], ["refund-timing"]) is None


def test_groundedness_counts_sentences_mostly_made_of_passage_words() -> None:
    passages = ["Refunds appear within 5–10 business days.", "Gift cards are non-refundable."]
    answer = (
        "Refunds appear within 5-10 business days. [1] "  # 7/7 tokens found
        "Gift cards are non refundable! "  # 5/5
        "We also pay you a bonus of $20 today."  # 0/9
    )
    assert groundedness(answer, passages) == pytest.approx(2 / 3)
    # 4 of 5 tokens found is exactly the 80 % threshold: grounded.
    assert groundedness("Refunds appear within ten days.", passages) == 1.0
    assert groundedness("Refunds appear ten more days.", passages) == 0.0
    assert groundedness("", passages) is None


def test_markdown_table_formats_one_row_per_composer() -> None:
    items = [
        QAItem("how long?", "5 days.", ["5 days"], ["a"], "duration", "5 days"),
        QAItem("is it red?", "", [], ["a"], "missing", "", "not_in_passage"),
    ]
    rows = [
        {"answer": "Yes, fast. It takes 5 days. [1]", "fact_recall": 1.0, "cited": ["a"],
         "citation_precision": 1.0, "groundedness": 1.0, "answer_first": False},
        {"answer": "", "fact_recall": 1.0, "cited": [], "citation_precision": None,
         "groundedness": None, "answer_first": False},
    ]  # fmt: skip
    metrics = summarise(items, rows) | {"rouge_l": 0.25, "errors": 0, "latency_ms": 12.4}
    report = {"questions": 2, "not_stated": 1, "k": 4, "min_score": 0.36,
              "retrieval_hit_rate": 1.0, "composers": {"extractive": metrics}}  # fmt: skip
    lines = markdown_table(report).splitlines()
    assert (
        lines[2] == "| extractive | 1.00 | 0.00 | 27 | 1.00 | 1.00 | 1.00 | 0.00 | 0.25 | 0 | 12 |"
    )
    assert "| extractive | 1.00 |" in lines[6]  # recall by ask: duration


def test_answer_first_reads_only_the_first_sentence() -> None:
    assert first_sentence("No, gift cards can't be refunded. [1] They never expire.") == (
        "No, gift cards can't be refunded."
    )
    assert first_sentence("1. Go to Account.\n2. Pick the items. [1]") == "1. Go to Account."
    assert answers_first("Refunds take 5–10 business days. [1]", "5-10 business days") is True
    assert answers_first("We approve it first. It takes 5–10 business days.", "5-10") is False
    assert answers_first("anything", "") is None


def test_load_qa_names_the_bad_line(tmp_path: Path) -> None:
    path = tmp_path / "qa.jsonl"
    good = {"question": "q", "reference": "r", "facts": [], "relevant_ids": []}
    path.write_text(json.dumps(good) + "\n\n" + '{"question": "only"}\n', encoding="utf-8")
    with pytest.raises(ValueError, match=r"qa\.jsonl:3: not a QA row"):
        load_qa(path)


@pytest.mark.parametrize(
    ("path", "count"),
    [(KB_QA, 25), (DEFAULT_QA, 147), (DEFAULT_QA.with_name("answer_qa_dev.jsonl"), 134)],
)
def test_qa_facts_are_stated_in_a_relevant_article(path: Path, count: int) -> None:
    """Every QA item points at existing articles, and each fact of an answerable one is
    written in one of them (so a composer quoting the article can state it)."""
    articles = {
        doc_id_for(p.relative_to(KB_DIR)): p.read_text("utf-8") for p in KB_DIR.rglob("*.md")
    }
    items = load_qa(path)
    assert len(items) == count
    for item in items:
        assert set(item.relevant_ids) <= set(articles), item.question
        if item.expects != "answer":
            assert not item.facts, item.question
            continue
        assert item.facts and item.reference
        for fact in item.facts:
            # Markdown emphasis and table pipes are not part of the wording.
            texts = [articles[d].replace("**", "").replace("|", " ") for d in item.relevant_ids]
            assert any(fact_present(fact, t) for t in texts), (item.question, fact)
        assert fact_recall(item.reference, item.facts) == 1.0, item.question
