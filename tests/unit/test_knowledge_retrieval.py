"""Dense retrieval over the demo help centre: the right article comes back, scored sanely."""

from __future__ import annotations

import pytest

from app.settings import Settings
from knowledge.ingest import ingest_paths
from knowledge.retrieval import Passage, Retriever
from knowledge.tokens import get_tokenizer
from knowledge.vectorstore import open_collection

# (customer question, the article that answers it)
QUESTIONS = [
    ("how long do refunds take to show up", "refund-timing"),
    ("can I cancel an order that already shipped", "change-or-cancel-an-order"),
    ("my headphones won't pair", "troubleshoot-aurora-headphones-and-earbuds"),
    ("is there a fee to cancel my order", "change-or-cancel-an-order"),
    ("how much is express shipping", "shipping-options-and-costs"),
    ("do you ship to Canada and how much does it cost", "international-shipping"),
    ("where can I download my invoice", "download-an-invoice"),
    ("can I get a refund on a gift card", "non-refundable-items"),
    ("my fitness watch is not syncing with my phone", "troubleshoot-stride-fitness-watch"),
    ("keyboard keys are typing twice", "troubleshoot-glide-keyboard-and-mouse"),
    ("the camera says SD card error", "troubleshoot-lumen-action-camera"),
    ("I forgot my password", "reset-your-password"),
    ("I was charged twice for the same order", "failed-or-duplicate-charges"),
    ("what payment methods do you accept", "payment-methods"),
    ("the item arrived broken", "damaged-or-wrong-item"),
    ("how do I unsubscribe from your emails", "newsletter-and-email-preferences"),
]

OFF_TOPIC = [
    "what is the capital of France",
    "do you sell car insurance",
    "can you recommend a good pizza recipe",
    "who won the world cup in 2018",
    "what is the meaning of life",
]


@pytest.fixture(scope="module")
def demo_retriever(tmp_path_factory, encoder) -> Retriever:
    """The whole demo KB ingested once for this module."""
    data_dir = tmp_path_factory.mktemp("demo-kb-data")
    settings = Settings(_env_file=None, DATA_DIR=data_dir, CHROMA_URL="")
    settings.ensure_dirs()
    collection = open_collection(settings)
    tokenizer = get_tokenizer(str(settings.tiktoken_cache_dir))
    summary = ingest_paths([settings.KB_DIR], collection, tokenizer)
    assert summary.skipped == [] and summary.added >= 22
    return Retriever(collection)


def _top_docs(passages: list[Passage], n: int) -> list[str]:
    docs: list[str] = []
    for p in passages:
        if p.doc_id not in docs:
            docs.append(p.doc_id)
    return docs[:n]


@pytest.mark.parametrize(("question", "expected"), QUESTIONS, ids=[q for q, _ in QUESTIONS])
def test_retriever_search_demo_kb_finds_the_answering_article(demo_retriever, question, expected):
    passages = demo_retriever.search(question, k=5)
    assert expected in _top_docs(passages, 3), [p.chunk_id for p in passages]


def test_retriever_search_demo_kb_top1_accuracy(demo_retriever):
    hits = sum(_top_docs(demo_retriever.search(q, k=5), 1) == [doc] for q, doc in QUESTIONS)
    assert hits >= len(QUESTIONS) - 2


def test_retriever_search_returns_cited_passages_best_first(demo_retriever):
    passages = demo_retriever.search("how long do refunds take to show up", k=5)

    assert len(passages) == 5
    scores = [p.score for p in passages]
    assert scores == sorted(scores, reverse=True)
    assert 0.0 < scores[-1] <= scores[0] <= 1.0
    best = passages[0]
    assert best.doc_id == "refund-timing"
    assert best.chunk_id.startswith("refund-timing#")
    assert best.title == "How long do refunds take?"
    assert best.section.startswith("How long do refunds take?")
    assert best.source == "refund-timing.md"
    assert best.url == "https://help.northwind.example/refund-timing"
    assert "5–10 business days" in best.text


def test_retriever_best_score_separates_help_questions_from_off_topic(demo_retriever):
    threshold = Settings.model_fields["KB_MIN_SCORE"].default
    in_kb = {q: demo_retriever.search(q, k=1)[0].score for q, _ in QUESTIONS}
    off_topic = {q: demo_retriever.search(q, k=1)[0].score for q in OFF_TOPIC}
    assert min(in_kb.values()) >= threshold + 0.1, in_kb
    assert max(off_topic.values()) < threshold, off_topic


def test_retriever_search_empty_query_or_collection_returns_nothing(demo_retriever, settings):
    assert demo_retriever.search("   ", k=5) == []
    assert demo_retriever.search("refund", k=0) == []
    empty = Retriever(open_collection(settings, "empty-collection"))
    assert empty.search("refund", k=5) == []
