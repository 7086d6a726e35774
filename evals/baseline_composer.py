"""The offline composer as it was before answers were written answer-first (release of
issue 18): up to three passage sentences closest to the question, in reading order.

Kept only so `python -m evals.composers` can compare today's composer with it in one run;
the product uses `graph.llm.extractive.ExtractiveComposer`."""

from __future__ import annotations

import re
from collections.abc import Sequence
from dataclasses import dataclass
from typing import TYPE_CHECKING

import numpy as np

from graph.llm.composer import Answer, DeltaSink

if TYPE_CHECKING:
    from knowledge.embeddings import Encoder
    from knowledge.retrieval import Passage

_SENTENCE_END = re.compile(r"(?<=[.!?])\s+(?=[A-Z0-9\"'(])")
_BULLET = re.compile(r"^\s*(?:[-*+]|\d+[.)])\s+")


@dataclass
class _Candidate:
    passage_rank: int
    position: int
    text: str


def split_sentences(text: str) -> list[str]:
    """Answerable units of a Markdown passage: sentences, and each bullet list as one unit.

    Headings and questions (FAQ-style lead-ins) are dropped: they don't answer anything.
    """
    units: list[str] = []
    for block in re.split(r"\n\s*\n", text):
        lines = [ln for ln in block.splitlines() if ln.strip() and not ln.lstrip().startswith("#")]
        if not lines:
            continue
        if all(_BULLET.match(ln) for ln in lines):
            items = [_BULLET.sub("", ln).strip().rstrip(".;") for ln in lines]
            units.append("; ".join(items) + ".")
            continue
        joined = " ".join(_BULLET.sub("", ln).strip() for ln in lines)
        units.extend(s.strip() for s in _SENTENCE_END.split(joined) if s.strip())
    return [_plain(u) for u in units if _answers(u)]


_LINK = re.compile(r"\[([^\]]+)\]\([^)]*\)")


def _plain(unit: str) -> str:
    """Markdown emphasis and link targets removed: the text a customer reads."""
    return _LINK.sub(r"\1", unit).replace("**", "").replace("`", "")


def _answers(unit: str) -> bool:
    """False for units that only lead in or point elsewhere: questions, 'as follows:', 'See …'."""
    text = unit.strip()
    return (
        len(text) > 15
        and not text.endswith(("?", ":"))
        and not re.match(r"^(see|read|visit)\b", text, re.I)
    )


MIN_SENTENCE_SIMILARITY = 0.35
"""A sentence closer to the question than this, or no answer (the turn then escalates with
`missing_knowledge`). Chosen on project-written data other than the golden set: 73 of the 74
answerable retrieval / KB questions keep a sentence above it, while 2 of the 5 off-topic
messages (of 60) that clear KB_MIN_SCORE do not; on the golden set it drops none of 79
answerable questions and 4 of the 8 unanswerable ones that clear KB_MIN_SCORE (see
docs/decisions.md)."""


class BaselineComposer:
    """Answers with up to `max_sentences` passage sentences closest to the question, cited."""

    name = "baseline"

    def __init__(
        self,
        encoder: Encoder,
        *,
        max_sentences: int = 3,
        max_passages: int = 3,
        min_similarity: float = MIN_SENTENCE_SIMILARITY,
    ) -> None:
        self._encoder = encoder
        self._max_sentences = max_sentences
        self._max_passages = max_passages
        self._min_similarity = min_similarity

    def select(
        self, question: str, passages: Sequence[Passage], context: str = ""
    ) -> list[_Candidate]:
        """The chosen sentences, in reading order (passage rank, then position). With
        `context`, a sentence's similarity is its best to the question alone or to
        context + question, as retrieval searches ("and how long does that take?")."""
        candidates = [
            _Candidate(rank, pos, sentence)
            for rank, passage in enumerate(passages[: self._max_passages])
            for pos, sentence in enumerate(split_sentences(passage.text))
        ]
        if not candidates:
            return []
        queries = [question, f"{context} {question}"] if context.strip() else [question]
        vectors = self._encoder.encode(queries + [c.text for c in candidates])
        similarity = (vectors[len(queries) :] @ vectors[: len(queries)].T).max(axis=1)
        # Prefer the better-ranked passage a little; retrieval already judged it closer.
        score = similarity - 0.03 * np.array([c.passage_rank for c in candidates])
        order = np.argsort(-score)
        best = float(similarity[order[0]])
        chosen = [
            candidates[i]
            for i in order[: self._max_sentences]
            if similarity[i] >= max(self._min_similarity, best - 0.15)
        ]
        return sorted(chosen, key=lambda c: (c.passage_rank, c.position))

    async def answer(
        self,
        question: str,
        passages: Sequence[Passage],
        on_delta: DeltaSink | None = None,
        context: str = "",
    ) -> Answer:
        import asyncio

        chosen = await asyncio.to_thread(self.select, question, passages, context)
        if not chosen:
            return Answer(text="", citations=[])
        ranks: list[int] = []
        for c in chosen:
            if c.passage_rank not in ranks:
                ranks.append(c.passage_rank)
        parts = []
        for c in chosen:
            sentence = c.text if c.text[-1] in ".!?" else c.text + "."
            parts.append(f"{sentence} [{ranks.index(c.passage_rank) + 1}]")
        text = " ".join(parts)
        if on_delta:
            for i, part in enumerate(parts):
                on_delta(part if i == 0 else " " + part)
        return Answer(text=text, citations=[passages[r] for r in ranks], streamed=bool(on_delta))
