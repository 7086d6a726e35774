"""A help-centre passage cut into the units an answer can quote: sentences, list items,
and the lead-in that introduces a list ("To start a return:")."""

from __future__ import annotations

import re
from dataclasses import dataclass, field

_SENTENCE_END = re.compile(r"(?<=[.!?])\s+(?=[A-Z0-9\"'(])")
_BULLET = re.compile(r"^\s*(?:[-*+]|\d+[.)])\s+")
_NUMBERED = re.compile(r"^\s*\d+[.)]\s+")
_LINK = re.compile(r"\[([^\]]+)\]\([^)]*\)")
_POINTS_AHEAD = re.compile(r"\b(?:the following|as follows|these (?:steps|ways|options))\b", re.I)


@dataclass
class Unit:
    """One quotable piece of a passage, in reading order (`position`)."""

    rank: int
    """The passage's rank among those retrieved (0 = best)."""
    position: int
    text: str
    list_id: int | None = None
    """Items of one list share an id; None for paragraph sentences."""
    ordered: bool = False
    """An item of a numbered list (a step)."""
    items: list[str] = field(default_factory=list)
    """For a lead-in ending with ':', the items of the list it introduces."""
    introduces: int | None = None
    """For such a lead-in, the `list_id` of that list."""


def plain(text: str) -> str:
    """Markdown emphasis and link targets removed: the text a customer reads."""
    return _LINK.sub(r"\1", text).replace("**", "").replace("`", "").strip()


def _quotable(text: str) -> bool:
    """False for units that only point elsewhere or ask: questions, 'See …'."""
    return (
        len(text) > 15
        and not text.endswith("?")
        and not re.match(r"^(see|read|visit)\b", text, re.I)
    )


def passage_units(text: str, rank: int) -> list[Unit]:
    """The units of a Markdown passage; headings are dropped, a lead-in keeps its list."""
    units: list[Unit] = []
    blocks = [
        [ln for ln in block.splitlines() if ln.strip() and not ln.lstrip().startswith("#")]
        for block in re.split(r"\n\s*\n", text)
    ]
    blocks = [b for b in blocks if b]
    for b, lines in enumerate(blocks):
        if all(_BULLET.match(ln) for ln in lines):
            ordered = all(_NUMBERED.match(ln) for ln in lines)
            for ln in lines:
                item = plain(_BULLET.sub("", ln)).rstrip(";")
                units.append(Unit(rank, len(units), item, list_id=b, ordered=ordered))
            continue
        joined = " ".join(_BULLET.sub("", ln).strip() for ln in lines)
        sentences = [s for s in _SENTENCE_END.split(joined) if s.strip()]
        for sentence in sentences:
            unit = Unit(rank, len(units), plain(sentence))
            following = blocks[b + 1] if b + 1 < len(blocks) else []
            introduces = unit.text.endswith(":") or bool(_POINTS_AHEAD.search(unit.text))
            last = sentence is sentences[-1]
            if introduces and last and following and all(_BULLET.match(x) for x in following):
                unit.items = [plain(_BULLET.sub("", x)).rstrip(";") for x in following]
                unit.introduces = b + 1
            units.append(unit)
    return [
        u
        for u in units
        if ((u.list_id is not None or u.items) and len(u.text) > 2)
        or (_quotable(u.text) and not u.text.endswith(":"))
    ]


def list_of(unit: Unit, units: list[Unit]) -> list[Unit]:
    """The items of the list `unit` belongs to, in order (just `unit` outside a list)."""
    if unit.list_id is None:
        return [unit]
    return [u for u in units if u.rank == unit.rank and u.list_id == unit.list_id]


@dataclass(frozen=True)
class Piece:
    """What the answer says from one unit: the unit alone, or the whole list it is in."""

    unit: Unit
    whole_list: bool = False
