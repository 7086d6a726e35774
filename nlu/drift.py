"""Drift checks: is recent customer language, or the model's accuracy on it, moving away
from what the serving intent model was trained on?

- Token shift: the total-variation distance (share of probability mass that moved,
  0..1) between the word distribution of recent customer messages and that of the
  training corpus, over the corpus's most frequent words plus one bucket for every other
  word. A small window differs from the corpus by chance alone, so the same distance is
  measured for random corpus samples of the window's size and that noise floor is
  subtracted. Flagged above `TOKEN_SHIFT_LIMIT` (15 points).
  Stop words ("is", "yes", "does" ...) and anything with a digit are left out: they say
  nothing about what customers ask about.
- Intent F1 drop: macro-F1 of the serving model on recent customer turns an agent
  relabelled (edited replies and rejected suggestions are not labels), against the model's
  own held-out test macro-F1. Judged only on at least `MIN_RELABELS` turns (one relabel
  gives an F1 of 0 or 1 and says nothing); flagged when it is lower by more than
  `F1_DROP_LIMIT` (5 points).
"""

from __future__ import annotations

import random
import re
from collections import Counter
from collections.abc import Sequence
from dataclasses import asdict, dataclass
from typing import Any

TOKEN_SHIFT_LIMIT = 0.15
F1_DROP_LIMIT = 0.05
VOCABULARY = 400
NOISE_DRAWS = 5
MIN_MESSAGES = 20
"""Fewer recent messages than this say nothing about drift; the check reports 'too few'."""
MIN_RELABELS = 30
"""Fewer agent-relabelled turns than this give no F1 verdict (the setting DRIFT_MIN_RELABELS
overrides it in `support drift check`)."""
# Whole words only: "2nd", "w1234567" or "10" are not words here.
_WORD = re.compile(r"\b[a-z]+(?:'[a-z]+)?\b")
_OTHER = "<other>"
STOP_WORDS = frozenset(
    """
    a about above after again against all am an and any are aren't as at be because been
    before being below between both but by can can't could couldn't did didn't do does
    doesn't doing don't down during each few for from further had hadn't has hasn't have
    haven't having he he's her here here's hers herself him himself his how how's i i'd i'll
    i'm i've if in into is isn't it it's its itself just let's me more most my myself no nor
    not now of off on once only or other ought our ours ourselves out over own same she
    she's should shouldn't so some such than that that's the their theirs them themselves
    then there there's these they they'd they'll they're they've this those through to too
    under until up very was wasn't we we'd we'll we're we've were weren't what what's when
    when's where where's which while who who's whom why why's will with won't would wouldn't
    you you'd you'll you're you've your yours yourself yourselves
    yes yeah yep ok okay hi hello hey thanks thank please pls also would could get got im
    """.split()
)
"""Function words and chat fillers, left out of the token shift."""


def words(text: str) -> list[str]:
    """The content words of a message: lower case, no stop words, no digits."""
    found = _WORD.findall(text.lower().replace("\u2019", "'"))
    return [w for w in found if len(w) > 1 and w not in STOP_WORDS]


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
    """Agent-relabelled turns in the window."""
    needed: int
    """The fewest turns that give a verdict."""
    judged: bool
    """False with too few turns: no F1, never flagged."""
    recent_macro_f1: float | None
    reference_macro_f1: float
    drop: float | None
    flagged: bool
    note: str | None = None

    def to_dict(self) -> dict[str, Any]:
        return asdict(self)


def too_few_relabels(turns: int, needed: int = MIN_RELABELS) -> str:
    return f"too few relabels (n={turns}, need {needed}) to judge drift"


def f1_drop(
    labels: Sequence[str],
    predictions: Sequence[str],
    reference_macro_f1: float,
    *,
    min_turns: int = MIN_RELABELS,
) -> F1Drop:
    """Macro-F1 on agent-labelled turns against the model's test macro-F1.

    Macro-F1 is taken over the intents that occur in the agents' labels, so a window
    that never mentions some intent is not penalised for it. Fewer than `min_turns`
    labels give no verdict (`judged` False, a note saying so)."""
    reference = round(reference_macro_f1, 4)
    if len(labels) < max(min_turns, 1):
        return F1Drop(
            turns=len(labels), needed=min_turns, judged=False, recent_macro_f1=None,
            reference_macro_f1=reference, drop=None, flagged=False,
            note=too_few_relabels(len(labels), min_turns),
        )  # fmt: skip
    from sklearn.metrics import f1_score  # seconds to import: only when there is a verdict

    present = sorted(set(labels))
    recent = float(f1_score(labels, predictions, labels=present, average="macro", zero_division=0))
    drop = reference_macro_f1 - recent
    return F1Drop(
        turns=len(labels),
        needed=min_turns,
        judged=True,
        recent_macro_f1=round(recent, 4),
        reference_macro_f1=reference,
        drop=round(drop, 4),
        flagged=drop > F1_DROP_LIMIT,
    )
