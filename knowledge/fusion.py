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
