"""Hybrid retrieval over the demo help centre: the right article comes back, scored sanely."""

from __future__ import annotations

import pytest

from app.settings import Settings
from knowledge.ingest import ingest_paths
from knowledge.lexical import misspelt
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
    collection = open_collection(settings.knowledge)
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
    fused = [p.fused for p in passages]
    assert fused == sorted(fused, reverse=True) and fused[-1] > 0
    assert all(0.0 < p.score <= 1.0 for p in passages)
    best = passages[0]
    assert best.doc_id == "refund-timing"
    assert best.chunk_id.startswith("refund-timing#")
    assert best.title == "How long do refunds take?"
    assert best.section.startswith("How long do refunds take?")
    assert best.source == "refund-timing.md"
    assert best.url == "https://help.northwind.example/refund-timing"
    assert "5–10 business days" in best.text


def _best(retriever: Retriever, question: str) -> float:
    """The score the knowledge node compares with KB_MIN_SCORE (best of 4 passages)."""
    return max(p.score for p in retriever.search(question, k=4))


def test_retriever_best_score_separates_help_questions_from_off_topic(demo_retriever):
    threshold = Settings.model_fields["KB_MIN_SCORE"].default
    in_kb = {q: _best(demo_retriever, q) for q, _ in QUESTIONS}
    off_topic = {q: _best(demo_retriever, q) for q in OFF_TOPIC}
    assert min(in_kb.values()) >= threshold + 0.1, in_kb
    assert max(off_topic.values()) < threshold, off_topic


def test_retriever_search_empty_query_or_collection_returns_nothing(demo_retriever, settings):
    assert demo_retriever.search("   ", k=5) == []
    assert demo_retriever.search("refund", k=0) == []
    empty = Retriever(open_collection(settings.knowledge, "empty-collection"))
    assert empty.search("refund", k=5) == []


@pytest.mark.parametrize("mode", ["dense", "bm25"])
def test_retriever_single_modes_rank_by_their_own_score(demo_retriever, mode):
    passages = demo_retriever.search("how long do refunds take to show up", k=5, mode=mode)
    key = (lambda p: p.score) if mode == "dense" else (lambda p: p.bm25)
    assert len(passages) == 5
    assert [key(p) for p in passages] == sorted((key(p) for p in passages), reverse=True)
    assert passages[0].doc_id == "refund-timing"
    assert all(p.fused == 0.0 for p in passages)


def test_retriever_bm25_mode_returns_nothing_for_unknown_words(demo_retriever):
    assert demo_retriever.search("zzqx flurbo", k=5, mode="bm25") == []


def test_retriever_unknown_words_are_the_words_no_article_uses(demo_retriever, settings):
    assert demo_retriever.unknown_words("Do you offer gift wrapping?") == ["wrapping"]
    assert demo_retriever.unknown_words("how long do refunds take for W7654321 in 2026") == []
    # A slip of the keyboard is not a new topic; a short or a real other word is.
    assert demo_retriever.unknown_words("how long does a refnud take for my invoics") == []
    assert demo_retriever.unknown_words("How much does the camera weigh?") == ["weigh"]
    assert demo_retriever.unknown_words("ok so hows ur returns policy pls, thx") == []
    empty = Retriever(open_collection(settings.knowledge, "empty-collection"))
    assert empty.unknown_words("refund my order") == ["refund", "order"]


@pytest.mark.parametrize(
    ("word", "typo"),
    [
        ("refnud", True),  # neighbours swapped
        ("refumd", True),  # one wrong letter
        ("invoics", True),  # one missing letter, long enough
        ("invoicees", True),  # one extra letter
        ("weigh", False),  # 'weight' is another word, not a slip
        ("wrap", False),  # too short to tell from 'trap'
        ("refnduu", False),  # two slips
    ],
)
def test_misspelt_tells_a_slip_from_another_word(word, typo):
    known = ["refund", "invoices", "weight", "trap"]
    assert misspelt(word, known) is typo


SMALL_KB = {
    "pairing": "# Pairing\n\nHold the power button for five seconds to pair your headphones.",
    "delivery": "# Delivery times\n\nStandard delivery takes three to five business days.",
    "express": "# Express delivery\n\nExpress parcels arrive the next business day.",
    "vouchers": "# Store credit\n\nVouchers from the Kestrel campaign combine with store credit.",
    "case": "# Charging case\n\nThe case light blinks red when the case battery is low.",
}


@pytest.fixture
def small_kb(tmp_path, settings, encoder):
    folder = tmp_path / "kb"
    folder.mkdir()
    for name, text in SMALL_KB.items():
        (folder / f"{name}.md").write_text(text, encoding="utf-8")
    collection = open_collection(settings.knowledge)
    tokenizer = get_tokenizer(str(settings.tiktoken_cache_dir))
    ingest_paths([folder], collection, tokenizer)
    return folder, collection, tokenizer


def test_retriever_hybrid_finds_a_lexical_match_that_dense_misses(small_kb):
    _, collection, _ = small_kb
    retriever = Retriever(collection)
    question = "when does my Kestrel parcel arrive"

    dense = [p.doc_id for p in retriever.search(question, k=2, mode="dense")]
    bm25 = [p.doc_id for p in retriever.search(question, k=2, mode="bm25")]
    hybrid = retriever.search(question, k=2)

    assert "vouchers" not in dense  # the name means nothing to the embedding model
    assert "vouchers" in bm25
    assert "vouchers" in [p.doc_id for p in hybrid]
    vouchers = next(p for p in hybrid if p.doc_id == "vouchers")
    assert vouchers.bm25 > 0 and 0 < vouchers.score < 1  # cosine filled in for citations


def test_retriever_rebuilds_bm25_after_an_ingest_changes_the_collection(small_kb):
    folder, collection, tokenizer = small_kb
    retriever = Retriever(collection, refresh_every=0)
    assert retriever.search("Ostrava pickup point", k=3, mode="bm25") == []

    (folder / "pickup.md").write_text(
        "# Pickup points\n\nCollect parcels at the Ostrava pickup point.", encoding="utf-8"
    )
    ingest_paths([folder], collection, tokenizer)

    found = retriever.search("Ostrava pickup point", k=3, mode="bm25")
    assert [p.doc_id for p in found][:1] == ["pickup"]
    # A document deleted from the collection disappears from BM25 results too.
    collection.delete(where={"doc_id": "pickup"})
    assert [p.doc_id for p in retriever.search("Ostrava", k=3, mode="bm25")] == []


def test_service_retriever_sees_what_another_chroma_engine_wrote_and_deleted(small_kb, settings):
    # What another process (`support ingest` beside `support serve`) does to the same
    # folder: a second engine writes. The service's engine keeps its old vector index
    # until it reopens the collection, which the retriever does when the revision moved.
    from knowledge.vectorstore import LazyCollection

    folder, _, tokenizer = small_kb
    retriever = Retriever(LazyCollection(settings.knowledge), refresh_every=0)
    question = "can I collect my parcel at the Ostrava pickup point"
    assert "pickup" not in [p.doc_id for p in retriever.search(question, k=3, mode="dense")]

    (folder / "pickup.md").write_text(
        "# Pickup points\n\nCollect parcels at the Ostrava pickup point.", encoding="utf-8"
    )
    writer = open_collection(settings.knowledge, fresh=True)  # an engine of its own
    assert ingest_paths([folder], writer, tokenizer).added == 1

    for mode in ("dense", "hybrid"):
        found = retriever.search(question, k=3, mode=mode)  # type: ignore[arg-type]
        assert [p.doc_id for p in found][:1] == ["pickup"], mode

    (folder / "pickup.md").unlink()
    assert ingest_paths([folder], writer, tokenizer, delete_missing=True).deleted == 1
    for mode in ("dense", "bm25", "hybrid"):
        found = retriever.search(question, k=3, mode=mode)  # type: ignore[arg-type]
        assert "pickup" not in [p.doc_id for p in found], mode


def test_collections_search_with_a_wide_hnsw_candidate_list(settings):
    # A collection made before SEARCH_EF existed (Chroma's default 100) is widened on open,
    # so dense search returns what exact search would, as on a new collection.
    from knowledge.embeddings import MiniLMEmbeddingFunction
    from knowledge.vectorstore import SEARCH_EF, open_client, search_ef

    client = open_client(settings.knowledge)
    old = client.create_collection(
        "made-by-an-older-version",
        metadata={"hnsw:space": "cosine"},
        embedding_function=MiniLMEmbeddingFunction(settings.EMBEDDING_MODEL),  # type: ignore[arg-type]
    )
    assert search_ef(old) == 100
    assert (
        search_ef(open_collection(settings.knowledge, "made-by-an-older-version", client=client))
        == SEARCH_EF
    )
    assert search_ef(client.get_collection("made-by-an-older-version")) == SEARCH_EF
    assert search_ef(open_collection(settings.knowledge, "brand-new", client=client)) == SEARCH_EF


def test_retriever_context_finds_what_a_follow_up_refers_to(small_kb):
    retriever = Retriever(small_kb[1])
    follow_up, context = "how long does that one take?", "I paid for express shipping"

    alone = retriever.search(follow_up, k=2)
    in_context = retriever.search(follow_up, k=2, context=context)

    assert alone[0].doc_id != "express", [p.chunk_id for p in alone]
    assert in_context[0].doc_id == "express", [p.chunk_id for p in in_context]
    # The score the KB_MIN_SCORE check reads is the best cosine to either query.
    cosines = [
        next(p.score for p in retriever.search(q, k=5, mode="dense") if p.doc_id == "express")
        for q in (follow_up, f"{context} {follow_up}")
    ]
    assert in_context[0].score == pytest.approx(max(cosines), abs=1e-5)
    for mode in ("dense", "bm25"):  # a single mode fuses its two queries' rankings
        ranked = retriever.search(follow_up, k=2, mode=mode, context=context)
        assert "express" in [p.doc_id for p in ranked] and ranked[0].fused > 0
