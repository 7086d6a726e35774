"""Drift checks: is recent customer language, or the model's accuracy on it, moving away
from what the serving intent model was trained on?

- Token shift: the total-variation distance (share of probability mass that moved,
  0..1) between the word distribution of recent customer messages and that of the
  training corpus, over the corpus's most frequent words plus one bucket for every other
  word. A small window differs from the corpus by chance alone, so the same distance is
  measured for random corpus samples of the window's size and that noise floor is
  subtracted. Flagged above `TOKEN_SHIFT_LIMIT` (15 points).
- Intent F1 drop: macro-F1 of the serving model on recent turns an agent labelled,
  against the model's own held-out test macro-F1. Flagged when it is lower by more than
  `F1_DROP_LIMIT` (5 points).
"""

from __future__ import annotations

import random
import re
from collections import Counter
from collections.abc import Sequence
from dataclasses import asdict, dataclass
from typing import Any

from sklearn.metrics import f1_score

TOKEN_SHIFT_LIMIT = 0.15
F1_DROP_LIMIT = 0.05
VOCABULARY = 400
NOISE_DRAWS = 5
MIN_MESSAGES = 20
"""Fewer recent messages than this say nothing about drift; the check reports 'too few'."""
_WORD = re.compile(r"[a-z]+(?:'[a-z]+)?")
_OTHER = "<other>"


def words(text: str) -> list[str]:
    return _WORD.findall(text.lower())


def _distribution(texts: Sequence[str], vocabulary: set[str]) -> Counter[str]:
    counts: Counter[str] = Counter()
    for text in texts:
        counts.update(w if w in vocabulary else _OTHER for w in words(text))
    return counts


def _tv_distance(a: Counter[str], b: Counter[str]) -> float:
    total_a, total_b = sum(a.values()) or 1, sum(b.values()) or 1
    keys = set(a) | set(b)
    return 0.5 * sum(abs(a[k] / total_a - b[k] / total_b) for k in keys)


@dataclass(frozen=True)
class TokenShift:
    messages: int
    distance: float
    """Total-variation distance between the window and the corpus, 0..1."""
    noise_floor: float
    """Mean distance of random corpus samples of the same size."""
    shift: float
    """distance - noise_floor (never below 0): the part chance does not explain."""
    flagged: bool
    top_new_words: list[str]
    """Words most over-represented in the window compared with the corpus."""

    def to_dict(self) -> dict[str, Any]:
        return asdict(self)


def token_shift(
    recent: Sequence[str], training: Sequence[str], *, seed: int = 0
) -> TokenShift | None:
    """How far recent messages' words moved from the training corpus; None if too few."""
    if len(recent) < MIN_MESSAGES:
        return None
    train_counts = Counter(w for text in training for w in words(text))
    vocabulary = {w for w, _ in train_counts.most_common(VOCABULARY)}
    reference = _distribution(training, vocabulary)
    distance = _tv_distance(_distribution(recent, vocabulary), reference)
    rng = random.Random(seed)
    size = min(len(recent), len(training))
    floor = (
        sum(
            _tv_distance(_distribution(rng.sample(list(training), size), vocabulary), reference)
            for _ in range(NOISE_DRAWS)
        )
        / NOISE_DRAWS
    )
    shift = max(0.0, distance - floor)
    recent_words = Counter(w for text in recent for w in words(text))
    total_recent, total_train = sum(recent_words.values()) or 1, sum(train_counts.values()) or 1
    lift = sorted(
        recent_words,
        key=lambda w: recent_words[w] / total_recent - train_counts[w] / total_train,
        reverse=True,
    )
    return TokenShift(
        messages=len(recent),
        distance=round(distance, 4),
        noise_floor=round(floor, 4),
        shift=round(shift, 4),
        flagged=shift > TOKEN_SHIFT_LIMIT,
        top_new_words=lift[:10],
    )


@dataclass(frozen=True)
class F1Drop:
    turns: int
    recent_macro_f1: float
    reference_macro_f1: float
    drop: float
    flagged: bool

    def to_dict(self) -> dict[str, Any]:
        return asdict(self)


def f1_drop(
    labels: Sequence[str], predictions: Sequence[str], reference_macro_f1: float
) -> F1Drop | None:
    """Macro-F1 on agent-labelled turns against the model's test macro-F1; None if none.

    Macro-F1 is taken over the intents that occur in the agents' labels, so a window
    that never mentions some intent is not penalised for it."""
    if not labels:
        return None
    present = sorted(set(labels))
    recent = float(f1_score(labels, predictions, labels=present, average="macro", zero_division=0))
    drop = reference_macro_f1 - recent
    return F1Drop(
        turns=len(labels),
        recent_macro_f1=round(recent, 4),
        reference_macro_f1=round(reference_macro_f1, 4),
        drop=round(drop, 4),
        flagged=drop > F1_DROP_LIMIT,
    )
