"""Reciprocal-rank fusion: merge ranked lists without comparing their incomparable scores."""

from __future__ import annotations

from collections.abc import Sequence

RRF_K = 60
"""The constant of Cormack et al. (2009); larger values flatten the rank discount."""


def reciprocal_rank_fusion(
    rankings: Sequence[Sequence[str]],
    *,
    k: int = RRF_K,
    weights: Sequence[float] | None = None,
) -> list[tuple[str, float]]:
    """Ids of all rankings, best first, scored ``sum(weight / (k + rank))`` (rank from 1).

    Ties keep the order in which ids were first seen (earlier rankings first).
    """
    if k < 0:
        raise ValueError("k must not be negative")
    weights = list(weights) if weights is not None else [1.0] * len(rankings)
    if len(weights) != len(rankings):
        raise ValueError("one weight per ranking")
    scores: dict[str, float] = {}
    for ranking, weight in zip(rankings, weights, strict=True):
        for rank, id_ in enumerate(dict.fromkeys(ranking), start=1):
            scores[id_] = scores.get(id_, 0.0) + weight / (k + rank)
    return sorted(scores.items(), key=lambda item: -item[1])


def fuse_by_document(
    rankings: Sequence[Sequence[tuple[str, str]]],
    *,
    k: int = RRF_K,
    weights: Sequence[float] | None = None,
    per_document: int = 3,
) -> list[tuple[str, float]]:
    """Chunk ids ordered for document-level relevance, each with its document's RRF score.

    Each ranking lists ``(doc_id, chunk_id)`` pairs, best first. Documents are fused by the
    rank of their best chunk in each ranking, so a long article split into many chunks
    counts once per retriever instead of crowding others out. The result gives the best
    ``per_document`` chunks (by chunk-level fusion) of every document, in document order,
    then the remaining chunks, again in document order: an answer composed from the top
    three passages can draw on all three from the best article (how the answer is spread
    over its sections), and a longer list still reaches the next articles.
    """
    doc_scores = dict(
        reciprocal_rank_fusion(
            [[doc for doc, _ in ranking] for ranking in rankings], k=k, weights=weights
        )
    )
    chunk_order = reciprocal_rank_fusion(
        [[chunk for _, chunk in ranking] for ranking in rankings], k=k, weights=weights
    )
    doc_of = {chunk: doc for ranking in rankings for doc, chunk in ranking}
    doc_rank = {doc: rank for rank, doc in enumerate(doc_scores)}
    by_doc = sorted(chunk_order, key=lambda item: doc_rank[doc_of[item[0]]])  # stable
    first: list[tuple[str, float]] = []
    rest: list[tuple[str, float]] = []
    taken: dict[str, int] = {}
    for chunk, _ in by_doc:
        doc = doc_of[chunk]
        (first if taken.get(doc, 0) < per_document else rest).append((chunk, doc_scores[doc]))
        taken[doc] = taken.get(doc, 0) + 1
    return first + rest
