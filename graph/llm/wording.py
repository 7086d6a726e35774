"""How the extractive composer says what it chose: a sentence, a whole list (numbered when
it is steps), a lead-in with its list, and "Yes," / "No," before a sentence that plainly
settles a yes/no question."""

from __future__ import annotations

import re
from collections.abc import Sequence
from typing import TYPE_CHECKING

from graph.llm.asks import Ask, asked_words, asks_existence, focus_stem, mentions, negated, negates
from graph.llm.units import Piece, Unit, list_of

if TYPE_CHECKING:
    from knowledge.retrieval import Passage

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


def render(
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


def separator(previous: str) -> str:
    return "\n" if "\n" in previous else " "


def join(parts: list[str]) -> str:
    text = parts[0]
    for previous, part in zip(parts, parts[1:], strict=False):
        text += separator(previous) + part
    return text
