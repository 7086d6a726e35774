"""Rule families behind `nlu.entities.extract_entities`, one module per kind of entity.

Each module exposes `find(text, today) -> Iterator[Candidate]`; the extractor pools the
candidates and keeps the longest non-overlapping ones.
"""

from __future__ import annotations

import re
from typing import NamedTuple

from rapidfuzz import fuzz


class Candidate(NamedTuple):
    """A possible entity: span, type and normalised value."""

    start: int
    end: int
    type: str
    value: str


_WORD = re.compile(r"[A-Za-z]+")


def words_before(text: str, start: int, count: int) -> list[str]:
    """The last `count` words before offset `start`, lower-cased, nearest first."""
    return [w.lower() for w in reversed(_WORD.findall(text[:start]))][:count]


def fuzzy_is(word: str, options: dict[str, str], threshold: float = 80.0) -> str | None:
    """The label of the option that `word` is, allowing typos ('purchsae' is 'purchase')."""
    if word in options:
        return options[word]
    if len(word) < 3:
        return None
    best = max(options, key=lambda option: fuzz.ratio(word, option))
    return options[best] if fuzz.ratio(word, best) >= threshold else None
