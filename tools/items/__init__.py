"""Which lines of an order a customer's words name: 'the blue water bottle', 'item 2', 'NW-HP-100'.

Words are matched against the order's own lines, never the whole catalogue, so 'the bottle'
is the bottle this order has, on the demo shop and on an imported store alike. A phrase
names a line by its product name (any telling word of it, plural or singular, one typo in
a long word), by its SKU, or by its position ('the second item'); option words ('blue',
'1000ml') choose between lines of one product. A phrase that still fits two lines equally
is reported as ambiguous so the bot asks which, rather than refund the wrong one.

`words` tidies the words of both sides; `reading` finds and settles the phrases.
"""

from __future__ import annotations

import re
from collections.abc import Iterable
from dataclasses import dataclass

from tools.items.reading import Reading
from tools.items.words import product_name
from tools.schemas import ItemView, OrderView, money

__all__ = [
    "ItemMatch",
    "describe_line",
    "describe_lines",
    "match_items",
    "product_name",
    "whole_order",
]

_WHOLE = re.compile(
    r"\b(?:everything(?!\s+else)|all\s+but"
    r"|all\s+(?:of\s+)?(?:the\s+|my\s+|these\s+|those\s+)?(?:\d+\s+)?"
    r"(?:items|things|products|lines|stuff|of\s+it|of\s+them)"
    r"|(?:whole|entire|full|complete)\s+(?:order|thing|lot|purchase|package|shipment)"
    r"|every\s+(?:single\s+)?(?:item|thing|product|line))\b",
    re.I,
)
_EXCEPT = re.compile(
    r"\s*,?\s*(?:except(?:\s+for)?|excluding|apart\s+from|other\s+than|but(?:\s+not)?"
    r"|but\s+keep(?:ing)?|minus|save\s+for)\b",
    re.I,
)


_KEPT = re.compile(
    r"\b(?:keep(?:ing)?|i'?ll keep|i will keep|i want to keep|i'?d like to keep|hold on to|"
    r"not the|but not)\b[^.,;!?]*",
    re.I,
)


@dataclass(frozen=True)
class ItemMatch:
    """The order lines a text names, in order of mention, no repeats; `ambiguous` holds, per
    phrase that fits several lines equally, those lines (ask which); `missing` the product
    names it mentions that the order doesn't have ('that order has no Earbuds')."""

    lines: tuple[ItemView, ...] = ()
    ambiguous: tuple[tuple[ItemView, ...], ...] = ()
    missing: tuple[str, ...] = ()

    @property
    def named(self) -> bool:
        """Whether the text names any item at all."""
        return bool(self.lines or self.ambiguous or self.missing)


def describe_line(item: ItemView) -> str:
    """A line as offers show it: 'Water Bottle (1000ml, glass, blue), $47.84'."""
    if item.quantity > 1:
        return f"{item.quantity} × {item.name}, {money(item.unit_price_cents)} each"
    return f"{item.name}, {money(item.unit_price_cents)}"


def describe_lines(items: Iterable[ItemView]) -> str:
    """Lines as one list; ';' between them, since each line already holds commas."""
    return "; ".join(describe_line(i) for i in items)


def whole_order(text: str) -> bool:
    """Whether the text asks about the whole order ('everything', 'all items'), with no
    exception ('everything except the chair' names lines: see `match_items`)."""
    m = _WHOLE.search(text)
    return m is not None and _exception_at(text, m) is None


def _exception_at(text: str, whole: re.Match[str]) -> int | None:
    """Where the exception after a whole-order phrase starts ('everything but | the chair')."""
    if whole[0].lower().endswith("but"):
        return whole.end()
    cue = _EXCEPT.match(text, whole.end())
    return cue.end() if cue else None


def match_items(order: OrderView, text: str, *, known_names: Iterable[str] = ()) -> ItemMatch:
    """The lines of `order` that `text` names, the phrases that fit several, and the names
    from `known_names` (the shop's product names) it mentions that the order lacks.

    'everything', 'all items', 'the whole order' name nothing: no narrowing. 'everything
    except the chair' names every line but the chair.
    """
    known = list(known_names)
    if whole := _WHOLE.search(text):
        start = _exception_at(text, whole)
        if start is None:
            return ItemMatch()
        spared, _, missing = Reading(order, text[start:], known).resolve()
        if not spared:  # an exception we can't place: no narrowing
            return ItemMatch(missing=tuple(missing))
        rest = tuple(i for n, i in enumerate(order.items) if n not in spared)
        return ItemMatch(lines=rest, missing=tuple(missing))
    # "just the charger, keeping the headphones": what the customer keeps names no line.
    text = _KEPT.sub(" ", text)
    lines, asked, missing = Reading(order, text, known).resolve()
    items = order.items
    return ItemMatch(
        lines=tuple(items[i] for i in lines),
        ambiguous=tuple(tuple(items[i] for i in group) for group in asked),
        missing=tuple(missing),
    )
