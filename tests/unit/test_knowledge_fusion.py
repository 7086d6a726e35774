"""Reciprocal-rank fusion and the BM25 analyzer (pure functions, no model)."""

from __future__ import annotations

import pytest

from knowledge.fusion import reciprocal_rank_fusion
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
