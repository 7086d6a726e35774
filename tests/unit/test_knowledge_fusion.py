"""Reciprocal-rank fusion and the BM25 analyzer (pure functions, no model)."""

from __future__ import annotations

import pytest

from knowledge.fusion import fuse_by_document, reciprocal_rank_fusion
from knowledge.lexical import LexicalIndex, analyze


def test_rrf_sums_reciprocal_ranks_across_rankings():
    fused = dict(reciprocal_rank_fusion([["a", "b", "c"], ["c", "a"]], k=10))
    assert fused == pytest.approx({"a": 1 / 11 + 1 / 12, "b": 1 / 12, "c": 1 / 13 + 1 / 11})
    assert [id_ for id_, _ in reciprocal_rank_fusion([["a", "b", "c"], ["c", "a"]], k=10)] == [
        "a",
        "c",
        "b",
    ]


def test_rrf_item_found_by_both_beats_an_item_first_in_only_one():
    fused = reciprocal_rank_fusion([["dense-only", "both"], ["lexical-only", "both"]], k=60)
    assert fused[0][0] == "both"


def test_rrf_weights_and_ties():
    # Equal scores keep the order of first appearance (earlier rankings first).
    assert [i for i, _ in reciprocal_rank_fusion([["a"], ["b"]])] == ["a", "b"]
    weighted = reciprocal_rank_fusion([["a"], ["b"]], weights=[1.0, 2.0])
    assert [i for i, _ in weighted] == ["b", "a"]
    # A duplicate inside one ranking counts once, at its best rank.
    assert dict(reciprocal_rank_fusion([["a", "a", "b"]], k=0)) == {"a": 1.0, "b": 0.5}
    with pytest.raises(ValueError, match="one weight per ranking"):
        reciprocal_rank_fusion([["a"], ["b"]], weights=[1.0])
    assert reciprocal_rank_fusion([]) == []


def test_document_fusion_lets_a_long_article_count_once_per_retriever():
    # Dense ranks three chunks of one long article first; BM25 ranks two other documents
    # first. Chunk-level fusion would fill the top 3 with the article's chunks; document
    # fusion lets each document in once, best chunk first, and keeps the rest after.
    dense = [("long", "long#0"), ("long", "long#1"), ("long", "long#2"), ("faq", "faq#0")]
    lexical = [("faq", "faq#0"), ("howto", "howto#3"), ("long", "long#2")]
    fused = fuse_by_document([dense, lexical], k=10, per_document=1)
    chunks = [chunk for chunk, _ in fused]
    # faq: document rank 2 (dense) and 1 (BM25); long: 1 and 3. long#2 is the article's
    # chunk that both retrievers found, so it stands for the article.
    assert chunks[:3] == ["faq#0", "long#2", "howto#3"]
    assert chunks[3:] == ["long#0", "long#1"]
    # With two per document, the article's second-best chunk comes before the next document.
    two = [chunk for chunk, _ in fuse_by_document([dense, lexical], k=10, per_document=2)]
    assert two == ["faq#0", "long#2", "long#0", "howto#3", "long#1"]
    scores = dict(fused)
    assert scores["faq#0"] == pytest.approx(1 / 12 + 1 / 11)
    assert scores["long#2"] == pytest.approx(1 / 11 + 1 / 13)
    assert scores["long#0"] == scores["long#2"]  # a passage carries its document's score


def test_analyze_lowercases_stems_and_drops_stop_words():
    assert analyze("Refunds are TAKING ages, aren't they?") == ["refund", "take", "age"]
    assert analyze("the of and") == []


def test_lexical_index_scores_only_matching_texts_best_first():
    index = LexicalIndex(
        ["a", "b", "c"],
        ["Refunds take five days.", "Refund refund refunds: the refund policy.", "Shipping."],
    )
    hits = index.search("refunding", k=5)
    assert [i for i, _ in hits] == ["b", "a"]
    assert hits[0][1] > hits[1][1] > 0
    assert index.search("unknownword", k=5) == []
    assert LexicalIndex([], []).search("refund", k=5) == []
