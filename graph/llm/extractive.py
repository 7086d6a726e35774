"""Offline default composer: answers first, from the passage sentences that give what was
asked, with each claim cited.

"Is …?" leads with the sentence that says yes or no (and says "Yes," / "No," when it is
plainly about the thing asked), "how much / how long" with the sentence holding the amount
or duration, "how do I" with the steps as a numbered list; up to two more sentences follow
when they are nearly as close to the question. When the answering article covers the
product but not the attribute asked about ("how much does the camera weigh?"), there is no
answer: a near miss is not quoted as one.
"""

from __future__ import annotations

import asyncio
from collections.abc import Sequence
from typing import TYPE_CHECKING

import numpy as np

from graph.llm.asks import (
    Ask,
    asks_existence,
    classify_ask,
    fits,
    focus_stem,
    mentions,
    negated,
    negates,
)
from graph.llm.attributes import unstated
from graph.llm.composer import Answer, DeltaSink
from graph.llm.units import Piece, Unit, list_of, passage_units
from graph.llm.wording import join, render, separator

if TYPE_CHECKING:
    from knowledge.embeddings import Encoder
    from knowledge.retrieval import Passage

MIN_SENTENCE_SIMILARITY = 0.35
"""A sentence closer to the question than this, or no answer (the turn then escalates with
`missing_knowledge`); see docs/decisions.md."""
FIT_BONUS = 0.1
"""Added to a sentence's similarity when it carries the kind of fact asked for."""
SPREAD = 0.15
"""Sentences this close to the best one's similarity are said too (at most MAX_UNITS)."""
MAX_UNITS = 3
SAME_POINT = 0.8
"""Two units this similar to each other make the same point: only the better one is said."""
POSITION_PENALTY = 0.005
"""Taken off per sentence before it in its passage: a section states its point early."""


class ExtractiveComposer:
    """Answers with the passage sentence(s) that give what the question asks for, cited."""

    name = "extractive"

    def __init__(
        self,
        encoder: Encoder,
        *,
        max_passages: int = 3,
        min_similarity: float = MIN_SENTENCE_SIMILARITY,
    ) -> None:
        self._encoder = encoder
        self._max_passages = max_passages
        self._min_similarity = min_similarity

    def _similarity(
        self, question: str, context: str, units: list[Unit]
    ) -> tuple[np.ndarray, np.ndarray]:
        """(each unit's similarity to the question, or to context + question when that is
        higher, as retrieval searches ("and how long does that take?"); the units' vectors)."""
        queries = [question, f"{context} {question}"] if context.strip() else [question]
        vectors = self._encoder.encode(queries + [u.text for u in units])
        closeness: np.ndarray = (vectors[len(queries) :] @ vectors[: len(queries)].T).max(axis=1)
        return closeness, vectors[len(queries) :]

    def select(
        self, question: str, passages: Sequence[Passage], context: str = ""
    ) -> tuple[list[Piece], list[Unit], list[str]]:
        """(what the answer says, in order; all units; attributes asked about that the
        answering article never states)."""
        used = list(passages[: self._max_passages])
        units = [u for rank, p in enumerate(used) for u in passage_units(p.text, rank)]
        if not units:
            return [], [], []
        ask = classify_ask(question)
        similarity, vectors = self._similarity(question, context, units)
        focus = focus_stem(question)
        bonus = np.array([_bonus(ask, u, focus) for u in units])
        rank = np.array([u.rank for u in units])
        place = np.array([min(u.position, 10) for u in units])
        score = similarity + bonus - 0.03 * rank - POSITION_PENALTY * place
        order = [int(i) for i in np.argsort(-score)]
        best = float(similarity[order[0]])
        if best < self._min_similarity:
            return [], units, []
        floor = max(self._min_similarity, best - SPREAD)
        picked: list[int] = []
        for i in order:
            if len(picked) == MAX_UNITS:
                break
            # a unit saying again what a better one said ("30 days" twice) is left out
            repeats = any(vectors[i] @ vectors[j] >= SAME_POINT for j in picked)
            if similarity[i] >= floor and bonus[i] >= 0 and not repeats:
                picked.append(i)
        if not picked:
            return [], units, []
        affirmative = asks_existence(question)
        pieces = _answer_first(ask, [units[i] for i in picked], units, focus, affirmative)
        # A product attribute asked about ("is it waterproof?", "how much does it weigh?")
        # must be stated by the answer's own article (its retrieved passages), not only by
        # another article or by nothing at all: else a near miss would be quoted.
        source = [p for p in used if p.doc_id == used[pieces[0].unit.rank].doc_id]
        missing = unstated(question, source)
        if missing:
            return [], units, missing
        return pieces, units, []

    async def answer(
        self,
        question: str,
        passages: Sequence[Passage],
        on_delta: DeltaSink | None = None,
        context: str = "",
    ) -> Answer:
        pieces, units, missing = await asyncio.to_thread(self.select, question, passages, context)
        if not pieces:
            return Answer(text="", citations=[], unanswered=missing)
        ranks: list[int] = []
        for piece in pieces:
            if piece.unit.rank not in ranks:
                ranks.append(piece.unit.rank)
        ask = classify_ask(question)
        parts = [
            render(piece, units, ask, question, passages, first=i == 0)
            + f" [{ranks.index(piece.unit.rank) + 1}]"
            for i, piece in enumerate(pieces)
        ]
        text = join(parts)
        if on_delta:
            for i, part in enumerate(parts):
                on_delta(part if i == 0 else separator(parts[i - 1]) + part)
        return Answer(text=text, citations=[passages[r] for r in ranks], streamed=bool(on_delta))


def _answer_first(
    ask: Ask,
    picked: list[Unit],
    units: list[Unit],
    focus: str | None,
    affirmative: bool = False,
) -> list[Piece]:
    """What to say from the picked units (best first): in reading order, except that
    - the steps, when a step is the best unit of a "how do I" question, are the answer
      (with the one picked sentence that follows them, if any);
    - the best unit giving what was asked (an amount, a duration, the predicate of a
      yes/no question; asked whether a thing exists, one that doesn't negate) leads;
    - for an open or "how do I" question, two items or more of one bullet list are said
      as the whole list, once."""
    best = picked[0]
    if ask == "steps" and best.ordered:
        last = max(u.position for u in list_of(best, units))
        after = [u for u in picked if u.rank == best.rank and u.position > last]
        return [Piece(best, whole_list=True), *(Piece(u) for u in after[:1])]
    distinct = {u.text.lower(): u for u in reversed(picked)}  # the same sentence twice: once
    picked = [u for u in picked if distinct[u.text.lower()] is u]
    in_order = sorted(picked, key=lambda u: (u.rank, u.position))
    # Asked whether something exists, the sentence saying it does leads, not its conditions.
    giving = [u for u in picked if _gives(ask, u, focus)]
    if affirmative:
        giving = [u for u in picked if not negated(u.text) or negates(u.text, focus)]
    lead = next(iter(giving), in_order[0])
    if ask in ("amount", "duration", "yes_no") and lead is not in_order[0]:  # it leads
        in_order = [lead, *(u for u in in_order if u is not lead)]
    lists: list[tuple[int, int | None]] = [
        (u.rank, u.list_id) for u in picked if u.list_id is not None and not u.ordered
    ]
    pieces: list[Piece] = []
    said: set[tuple[int, int | None]] = {(u.rank, u.introduces) for u in picked if u.items}
    for u in in_order:
        key = (u.rank, u.list_id)
        if u.items:  # a lead-in says its list
            pieces.append(Piece(u))
            continue
        several = lists.count(key) > 1 and ask in ("open", "steps")
        whole = u.list_id is not None and (several or (ask == "steps" and u.ordered))
        if whole and key in said:
            continue
        said.add(key)
        pieces.append(Piece(u, whole_list=whole))
    return pieces


def _gives(ask: Ask, unit: Unit, focus: str | None) -> bool:
    """Whether a unit gives what was asked: the amount, the duration, or for a yes/no
    question the predicate asked about ("expire" in "do gift cards expire?")."""
    if ask == "yes_no":
        return mentions(unit.text, focus)
    return ask in ("amount", "duration") and fits(ask, unit.text)


def _bonus(ask: Ask, unit: Unit, focus: str | None) -> float:
    """How much a unit's kind suits the ask: a lead-in with its list suits only a "how do
    I" or open question; a unit that gives what was asked gets FIT_BONUS."""
    if unit.items:
        return 0.0 if ask in ("steps", "open") else -1.0
    return FIT_BONUS * _gives(ask, unit, focus)
