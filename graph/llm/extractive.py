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
import re
from collections.abc import Sequence
from dataclasses import dataclass
from typing import TYPE_CHECKING

import numpy as np

from graph.llm.asks import (
    Ask,
    asked_words,
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
from graph.llm.units import Unit, list_of, passage_units

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
MAX_LIST_ITEMS = 6
ABOUT_SHARE = 2 / 3
_FUNCTION_WORDS = frozenset(
    "a an the if you we your our it its they their this that these those there once when "
    "after before all any each every most some no not yes only standard don't do never "
    "always please can can't we'll we're you'll you're it's".split()
)
_RESTRICTION = re.compile(
    r"\b(?:only|must|required|requires|unless|except|need to|have to)\b", re.I
)


@dataclass(frozen=True)
class Piece:
    """What the answer says from one unit: the unit alone, or the whole list it is in."""

    unit: Unit
    whole_list: bool = False


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
            _render(piece, units, ask, question, passages, first=i == 0)
            + f" [{ranks.index(piece.unit.rank) + 1}]"
            for i, piece in enumerate(pieces)
        ]
        text = _join(parts)
        if on_delta:
            for i, part in enumerate(parts):
                on_delta(part if i == 0 else _separator(parts[i - 1]) + part)
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


def _render(
    piece: Piece,
    units: list[Unit],
    ask: Ask,
    question: str,
    passages: Sequence[Passage],
    *,
    first: bool,
) -> str:
    """A piece as said to the customer: a lead-in with its list, a whole list (numbered
    when it is steps), a sentence (with "Yes," / "No," for a yes/no question)."""
    unit = piece.unit
    if unit.items:
        return unit.text + "\n" + _listed(unit.items, numbered=True)
    if piece.whole_list:
        return _listed([u.text for u in list_of(unit, units)], numbered=unit.ordered)
    sentence = _sentence(unit.text)
    if first and ask == "yes_no" and not negated(question) and _about(unit.text, question):
        sentence = _sentence(_clause_with(unit.text, focus_stem(question)))
        return _yes_or_no(sentence, question, passages)
    return sentence


def _yes_or_no(sentence: str, question: str, passages: Sequence[Passage]) -> str:
    """The sentence led by "No," when it says no, or "Yes," when it says yes without a
    condition ("only", "must" …) a bare yes would misstate. Asked whether something
    exists, a sentence about it never makes a no: its negations are about conditions."""
    existence = asks_existence(question)
    if existence and negated(sentence):
        word = "No" if negates(sentence, focus_stem(question)) else ""
    elif negated(sentence):
        word = "No"
    else:
        word = "" if _RESTRICTION.search(sentence) and not existence else "Yes"
    return f"{word}, {_lower_first(sentence, passages)}" if word else sentence


def _clause_with(text: str, stem: str | None) -> str:
    """Of a sentence in parts ("If you bought one by mistake, give it away: gift cards
    don't expire"), the one part that uses the asked-about word, else the whole."""
    parts = [p.strip() for p in re.split(r"[:;]\s+", text) if p.strip()]
    using = [p for p in parts if mentions(p, stem)]
    return using[0] if len(parts) > 1 and len(using) == 1 and len(using[0]) > 15 else text


def _sentence(text: str) -> str:
    """A unit as a sentence: capital first letter, closing full stop."""
    text = text[0].upper() + text[1:]
    return text if text[-1] in ".!?" else text + "."


def _listed(items: list[str], *, numbered: bool) -> str:
    shown = items[:MAX_LIST_ITEMS]
    lines = [
        f"{f'{n}.' if numbered else '-'} {_sentence(item.rstrip('.;'))}"
        for n, item in enumerate(shown, start=1)
    ]
    if len(items) > len(shown):
        lines.append(f"({len(items) - len(shown)} more in the article)")
    return "\n".join(lines)


def _about(sentence: str, question: str) -> bool:
    """Whether the sentence is plainly about what was asked: it uses at least two thirds
    of the asked-about words (stemmed), so "Yes," or "No," answers the question itself."""
    from knowledge.lexical import analyze

    asked = set(analyze(" ".join(asked_words(question))))
    return bool(asked) and len(asked & set(analyze(sentence))) >= ABOUT_SHARE * len(asked)


def _lower_first(sentence: str, passages: Sequence[Passage]) -> str:
    """The sentence with its first letter lower-cased, unless its first word is a name:
    written with a capital inside a sentence ("… the Northwind app") and never in lower
    case in the passages."""
    first = sentence.split(" ", 1)[0]
    text = " ".join(f"{p.title} {p.text}" for p in passages)
    lower = first.lower()
    named = re.search(rf"[a-z,] {re.escape(first)}\b", text) and not re.search(
        rf"\b{re.escape(lower)}\b", text
    )
    if named and lower not in _FUNCTION_WORDS:
        return sentence
    return sentence[0].lower() + sentence[1:]


def _separator(previous: str) -> str:
    return "\n" if "\n" in previous else " "


def _join(parts: list[str]) -> str:
    text = parts[0]
    for previous, part in zip(parts, parts[1:], strict=False):
        text += _separator(previous) + part
    return text
