"""Knowledge gaps: questions the help centre could not answer well, grouped by meaning.

Sources: escalations with reason ``missing_knowledge`` (the store) and knowledge questions
whose best passage scored under a "weak" similarity (the query log). Questions are
embedded with the service's encoder and grouped by average-linkage agglomerative
clustering with a cosine-distance cut, largest group first: a to-do list for the
content team.
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Callable, Iterable
from dataclasses import dataclass, field
from datetime import UTC, datetime
from typing import TYPE_CHECKING, Any

import numpy as np

if TYPE_CHECKING:
    from knowledge.embeddings import Encoder
    from knowledge.querylog import QueryRecord
    from tools.schemas import EscalationView

GROUP_DISTANCE = 0.65
"""Average cosine distance under which questions join a group. Measured on 22 project-written
unanswerable questions in 7 topics (price match, crypto, showroom, discounts, ...): 0.65 gave
8 groups (adjusted Rand index 0.94), 0.5-0.6 gave 10 (0.88), 0.7 merged topics (0.74)."""


@dataclass(frozen=True)
class GapQuestion:
    """One question that went unanswered or was answered from weak passages."""

    question: str
    session_id: str
    at: datetime
    escalated: bool
    best_score: float | None = None
    best_doc: str = ""


@dataclass
class Gap:
    """Similar questions: what the help centre should cover next."""

    count: int
    question: str
    """The most central question of the group."""
    examples: list[str]
    escalated: int
    """How many of them were handed to a human for missing knowledge."""
    nearest_docs: list[str] = field(default_factory=list)
    """Documents retrieval came closest with, most frequent first."""
    last_seen: datetime | None = None
    missing_words: list[str] = field(default_factory=list)
    """Words of the questions that no article uses ("wrapping"), most frequent first: what
    the new article has to say."""

    def public(self) -> dict[str, Any]:
        return {
            "count": self.count,
            "question": self.question,
            "examples": self.examples,
            "escalated": self.escalated,
            "nearest_docs": self.nearest_docs,
            "last_seen": self.last_seen.isoformat() if self.last_seen else None,
            "missing_words": self.missing_words,
        }


def _last_customer_line(transcript: list[dict[str, Any]]) -> str:
    for line in reversed(transcript):
        if line.get("role") in ("customer", "user") and str(line.get("content", "")).strip():
            return str(line["content"]).strip()
    return ""


def gap_questions(
    escalations: Iterable[EscalationView],
    records: Iterable[QueryRecord],
    *,
    weak_below: float,
    since: datetime | None = None,
) -> list[GapQuestion]:
    """Missing-knowledge escalations plus logged questions that escalated or scored weakly.

    A turn both escalated and logged counts once (same session, same question).
    """
    found: dict[tuple[str, str], GapQuestion] = {}
    for esc in escalations:
        if esc.reason != "missing_knowledge" or (since and esc.created_at < since):
            continue
        question = _last_customer_line(esc.transcript)
        if question:
            found[(esc.session_id, question)] = GapQuestion(
                question, esc.session_id, esc.created_at, escalated=True
            )
    for rec in records:
        weak = rec.outcome != "answered" or rec.best_score < weak_below
        if not weak or (since and rec.at < since):
            continue
        key = (rec.session_id, rec.question.strip())
        before = found.get(key)
        found[key] = GapQuestion(
            rec.question.strip(),
            rec.session_id,
            rec.at,
            escalated=(before is not None and before.escalated)
            or rec.outcome == "missing_knowledge",
            best_score=rec.best_score,
            best_doc=rec.best_doc,
        )
    return sorted(found.values(), key=lambda q: q.at)


def group_gaps(
    questions: list[GapQuestion],
    encoder: Encoder,
    *,
    distance: float = GROUP_DISTANCE,
    examples: int = 3,
    unknown_words: Callable[[str], list[str]] | None = None,
) -> list[Gap]:
    """Questions grouped by embedding similarity, largest group (then latest) first.

    `unknown_words` (e.g. ``Retriever.unknown_words``) gives each group the words of its
    questions that the help centre never uses."""
    if not questions:
        return []
    vectors = encoder.encode([q.question for q in questions])
    labels = _cluster(vectors, distance)
    gaps: list[Gap] = []
    for label in sorted(set(labels)):
        members = [i for i, lab in enumerate(labels) if lab == label]
        centre = vectors[members].mean(axis=0)
        order = sorted(members, key=lambda i: -float(vectors[i] @ centre))
        texts = list(dict.fromkeys(questions[i].question for i in order))
        docs = Counter(questions[i].best_doc for i in members if questions[i].best_doc)
        missing = Counter(
            word
            for i in members
            for word in (unknown_words(questions[i].question) if unknown_words else [])
        )
        gaps.append(
            Gap(
                count=len(members),
                question=texts[0],
                examples=texts[1 : 1 + examples],
                escalated=sum(questions[i].escalated for i in members),
                nearest_docs=[d for d, _ in docs.most_common(3)],
                last_seen=max(questions[i].at for i in members),
                missing_words=[w for w, _ in missing.most_common(5)],
            )
        )
    gaps.sort(key=lambda g: g.last_seen or datetime.min.replace(tzinfo=UTC), reverse=True)
    return sorted(gaps, key=lambda g: -g.count)  # stable: equal counts stay latest first


def _cluster(vectors: np.ndarray, distance: float) -> list[int]:
    if len(vectors) == 1:
        return [0]
    from sklearn.cluster import AgglomerativeClustering

    model = AgglomerativeClustering(
        n_clusters=None, metric="cosine", linkage="average", distance_threshold=distance
    )
    return [int(x) for x in model.fit_predict(vectors)]
