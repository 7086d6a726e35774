"""Out-of-scope gate: is a message something this shop's bot should help with at all?

The intent head alone answers "which of my intents is likeliest", and an everyday
assistant request ("add hot dogs to my shopping list") often has a likeliest shop intent
(place_order). The gate looks at three readings of the message and combines them:

- how close it is to the in-scope training messages in embedding space (mean cosine
  similarity of the k nearest), and how close to the out-of-scope ones;
- the head's calibrated probability of out_of_scope plus the hidden background class;
- the head's best in-scope probability.

A logistic regression over those readings is fitted on validation data the head never
trained on: in-scope validation messages, and out-of-scope messages from whole domains
kept out of the head's training fit (so the gate learns what an unseen kind of request
looks like, not just the ones written for training). It has two thresholds, both chosen
there: above `threshold` (at most MAX_IN_SCOPE_REJECTED of in-scope validation messages
reach it) a message is off-topic whatever the head says; above `unsure_threshold` (at
most MAX_UNSURE_REJECTED reach it) it is off-topic when no intent is sure enough to act on,
so the bot declines it politely instead of asking which shop request was meant or opening
a ticket.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

import numpy as np

if TYPE_CHECKING:  # sklearn is imported where the gate is fitted (seconds to import)
    from sklearn.linear_model import LogisticRegression

NEIGHBOURS = 5
"""How many nearest training messages a similarity averages."""
MAX_IN_SCOPE_REJECTED = 0.01
"""Share of in-scope validation messages the gate may call off-topic outright."""
MAX_UNSURE_REJECTED = 0.03
"""Share of in-scope validation messages that reach the gate's lower threshold (used only
for messages no intent is sure of)."""
FEATURES = ("sim_in_scope", "sim_out_of_scope", "p_out_of_scope", "p_best_in_scope")


_FLOAT32: dict[int, tuple[np.ndarray, np.ndarray]] = {}
"""id of a stored (float16) exemplar matrix -> (that matrix, its float32 copy)."""


def as_float32(matrix: np.ndarray) -> np.ndarray:
    """The matrix as float32, converted once per matrix rather than once per message (the
    stored exemplars are float16; converting thousands of rows took most of a turn's gate)."""
    if matrix.dtype == np.float32:
        return matrix
    hit = _FLOAT32.get(id(matrix))
    if hit is not None and hit[0] is matrix:  # the same object (held here, so id is unique)
        return hit[1]
    if len(_FLOAT32) >= 8:  # a few gates per process at most (A/B tests); never grows
        _FLOAT32.clear()
    converted = matrix.astype(np.float32)
    _FLOAT32[id(matrix)] = (matrix, converted)
    return converted


def knn_similarity(vectors: np.ndarray, exemplars: np.ndarray, k: int = NEIGHBOURS) -> np.ndarray:
    """Mean cosine similarity of each unit vector to its k most similar exemplars."""
    if len(exemplars) == 0 or len(vectors) == 0:
        return np.zeros(len(vectors), dtype=np.float32)
    sims = vectors.astype(np.float32) @ as_float32(exemplars).T
    k = min(k, sims.shape[1])
    top = np.partition(sims, sims.shape[1] - k, axis=1)[:, -k:]
    result: np.ndarray = top.mean(axis=1)
    return result


@dataclass
class ScopeGate:
    """Calls a message off-topic from its embedding and the head's probabilities."""

    inside: np.ndarray
    """Unit embeddings of the in-scope training messages (float16 to keep the file small)."""
    outside: np.ndarray
    """Unit embeddings of the out-of-scope training messages."""
    model: LogisticRegression
    threshold: float
    unsure_threshold: float

    def readings(self, vectors: np.ndarray, p_out: np.ndarray, p_best_in: np.ndarray) -> np.ndarray:
        """The gate's input rows, one per message (columns: FEATURES)."""
        return np.column_stack(
            [
                knn_similarity(vectors, self.inside),
                knn_similarity(vectors, self.outside),
                p_out,
                p_best_in,
            ]
        )

    def off_topic_probability(
        self, vectors: np.ndarray, p_out: np.ndarray, p_best_in: np.ndarray
    ) -> np.ndarray:
        """The gate's probability that each message is off-topic."""
        if len(vectors) == 0:
            return np.zeros(0)
        probs: np.ndarray = self.model.predict_proba(self.readings(vectors, p_out, p_best_in))[:, 1]
        return probs

    def off_topic(
        self, vectors: np.ndarray, p_out: np.ndarray, p_best_in: np.ndarray
    ) -> np.ndarray:
        """Boolean per message: the gate calls it off-topic."""
        return self.off_topic_probability(vectors, p_out, p_best_in) >= self.threshold

    @classmethod
    def fit(
        cls,
        inside: np.ndarray,
        outside: np.ndarray,
        vectors: np.ndarray,
        p_out: np.ndarray,
        p_best_in: np.ndarray,
        is_off_topic: np.ndarray,
        *,
        max_in_scope_rejected: float = MAX_IN_SCOPE_REJECTED,
        max_unsure_rejected: float = MAX_UNSURE_REJECTED,
    ) -> tuple[ScopeGate, dict[str, Any]]:
        """A gate fitted on validation messages (their vectors, the head's readings and
        whether each is off-topic) against exemplars the head trained on; with its
        validation rates."""
        from sklearn.linear_model import LogisticRegression

        gate = cls(
            inside.astype(np.float16), outside.astype(np.float16), LogisticRegression(), 0.5, 0.5
        )
        x = gate.readings(vectors, p_out, p_best_in)
        y = np.asarray(is_off_topic, dtype=bool)
        if y.all() or not y.any():
            raise ValueError("the gate needs in-scope and off-topic validation messages")
        gate.model = LogisticRegression(C=1.0, class_weight="balanced", max_iter=1000).fit(x, y)
        scores = gate.model.predict_proba(x)[:, 1]
        gate.threshold = _cut(scores[~y], max_in_scope_rejected, floor=0.5)
        gate.unsure_threshold = min(gate.threshold, _cut(scores[~y], max_unsure_rejected, 0.2))
        rejected, unsure = scores >= gate.threshold, scores >= gate.unsure_threshold
        rates = {
            "threshold": round(gate.threshold, 4),
            "unsure_threshold": round(gate.unsure_threshold, 4),
            "val_in_scope_rejected": round(float(rejected[~y].mean()), 4),
            "val_off_topic_caught": round(float(rejected[y].mean()), 4),
            "val_in_scope_over_unsure": round(float(unsure[~y].mean()), 4),
            "val_off_topic_over_unsure": round(float(unsure[y].mean()), 4),
            "val_in_scope": int((~y).sum()),
            "val_off_topic": int(y.sum()),
            "weights": {
                name: round(float(w), 3)
                for name, w in zip(FEATURES, gate.model.coef_[0], strict=True)
            },
        }
        return gate, rates


def _cut(in_scope_scores: np.ndarray, share: float, floor: float) -> float:
    """The lowest threshold that at most `share` of the in-scope scores reach (never under
    `floor`)."""
    ranked = np.sort(in_scope_scores)
    allowed = int(np.floor(share * len(ranked)))
    cut = ranked[len(ranked) - allowed - 1]  # just above the (allowed+1)-th highest
    return float(min(0.999, max(floor, np.nextafter(cut, 1.0))))
