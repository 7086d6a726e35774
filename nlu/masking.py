"""Concrete values masked out of a message before intent classification (issue 18).

A long request names products with their variant lists, order ids, amounts, addresses,
names and contacts: words that say *which* order, not *what* the customer wants. Left in,
they dilute the sentence embedding and the TF-IDF vector, so a long concrete request was
far less sure than its short form ("I'd like to return the Headphones (over-ear, wireless,
blue) and the Smart Watch (gold, leather, LCD) from order #W1234567" against "I want to
return the headphones"). `mask` replaces each recognised value by a typed placeholder
(`[order_id]`, `[product]`, `[address]`, ...), drops variant lists, and folds a list of
products into one `[product]`; the classifier applies it to every text it trains on and
every message it serves (nlu/classifier.py `_features`), so both sides see the same words.

What is recognised:
- the entity extractor's identifiers, catalogue products, money, e-mails, phone numbers,
  person names and dates (nlu/entities.py);
- complete postal addresses (tools/addresses.py);
- a product written with its options in parentheses, 'the Vacuum Cleaner (robotic,
  bagged)' or 'the black sneakers (size 9, leather)': a capitalised name, or up to three
  words after 'the', 'a', 'my', ..., followed by a short parenthesised list;
- any other short parenthesised option list right after a word: dropped.

>>> mask("return the Headphones (over-ear, wireless, blue) and the Pet Bed (small) from #W1234567")
'return the [product] from [order_id]'
"""

from __future__ import annotations

import re
from collections.abc import Iterable, Sequence
from datetime import date
from pathlib import Path
from typing import NamedTuple

import tools.addresses
import tools.store.catalog
from nlu.entities import extract_entities
from tools.addresses import address_spans

MASKING_VERSION = 1
"""Bumped whenever what `mask` returns changes: models record the version they trained with."""

OUTSIDE_CODE: tuple[Path, ...] = (
    Path(tools.addresses.__file__),
    Path(tools.store.catalog.__file__),
)
"""Files outside nlu/ whose code decides what is masked (addresses; catalogue product names
the entity rules match): the model cache's key hashes them beside nlu/*.py."""

PLACEHOLDERS: dict[str, str] = {
    "order_id": "[order_id]",
    "invoice_id": "[invoice_id]",
    "tracking_number": "[tracking_number]",
    "product": "[product]",
    "variants": "",
    "money": "[amount]",
    "email": "[email]",
    "phone": "[phone]",
    "person_name": "[name]",
    "date": "[date]",
    "address": "[address]",
}
"""What each masked type becomes; variant lists vanish."""

ENTITY_TYPES = {
    "order_id": "order_id",
    "invoice_id": "invoice_id",
    "tracking_number": "tracking_number",
    "sku": "product",
    "product": "product",
    "money": "money",
    "email": "email",
    "phone": "phone",
    "person_name": "person_name",
    "date": "date",
}
"""Entity types of nlu/entities.py that are masked, and the mask type each becomes (the
account type, city and country are left: they can be what a request is about)."""

_FIXED_DAY = date(2026, 1, 1)
"""Relative dates resolve against a fixed day: only their spans matter here."""

_OPTIONS = r"\((?![Tt]he\b|[Aa]n?\b|[Mm]y\b)[^()\n]{1,80}\)"
"""A short parenthesised list that is not a noun phrase of its own: '(gold, leather, LCD)'."""
_WORD_NAME = r"[A-Za-z0-9][\w'&.-]*"
_TITLE_NAME = r"[A-Z0-9][\w'&.-]*"
_DETERMINER = r"(?:the|a|an|my|this|that|these|those|your|our|both|two|three)"
_NAMED_PRODUCT = re.compile(
    rf"(?:(?<![\w-])(?P<title>{_TITLE_NAME}(?:[ ]{_TITLE_NAME}){{0,4}})"  # 'Smart Watch'
    rf"|\b{_DETERMINER}[ ](?P<plain>{_WORD_NAME}(?:[ ]{_WORD_NAME}){{0,2}}))"  # 'the red mug'
    rf"[ ]?{_OPTIONS}"
)
"""A capitalised name, or up to three words after a determiner, then its options."""
_LOOSE_OPTIONS = re.compile(rf"(?<=\w)[ ]?{_OPTIONS}")
_LIST_GAP = re.compile(rf"\s*(?:,|,?\s+and|,?\s+&|\s+plus)\s+(?:{_DETERMINER}\s+)?$", re.I)
"""What may stand between two products of one list: ', the', ' and the', ', and a'."""


class Span(NamedTuple):
    """A masked stretch of the original text."""

    start: int
    end: int
    type: str
    """A key of PLACEHOLDERS."""


def _candidates(text: str) -> Iterable[Span]:
    for entity in extract_entities(text, today=_FIXED_DAY):
        kind = ENTITY_TYPES.get(entity.type)
        if kind is not None:
            yield Span(entity.start, entity.end, kind)
    for start, end in address_spans(text):
        yield Span(start, end, "address")
    for m in _NAMED_PRODUCT.finditer(text):
        yield Span(m.start("title") if m["title"] else m.start("plain"), m.end(), "product")
    for m in _LOOSE_OPTIONS.finditer(text):
        yield Span(m.start(), m.end(), "variants")


def find_spans(text: str) -> list[Span]:
    """The stretches of `text` that `mask` replaces, sorted and never overlapping.

    The longer of two overlapping candidates wins (an address beats the number inside it),
    a product's variant list joins the product, and products listed one after another
    ('the A (..), the B and the C') become one product span.
    """
    ranked = sorted(set(_candidates(text)), key=lambda s: (s.start - s.end, s.start))
    taken: list[Span] = []
    for span in ranked:
        if all(span.end <= t.start or span.start >= t.end for t in taken):
            taken.append(span)
    taken.sort()
    merged: list[Span] = []
    for span in taken:
        previous = merged[-1] if merged else None
        if previous is not None and previous.type in ("product", "variants"):
            gap = text[previous.end : span.start]
            if span.type == "variants" and not gap.strip():
                merged[-1] = previous._replace(end=span.end)
                continue
            if span.type == "product" and previous.type == "product" and _LIST_GAP.match(gap):
                merged[-1] = previous._replace(end=span.end)
                continue
        merged.append(span)
    return merged


def mask(text: str) -> str:
    """`text` with its concrete values replaced by typed placeholders (see the module doc);
    idempotent: mask(mask(t)) == mask(t)."""
    spans = find_spans(text)
    if not spans:
        return text
    parts: list[str] = []
    at = 0
    for span in spans:
        parts.append(text[at : span.start])
        parts.append(PLACEHOLDERS[span.type])
        at = span.end
    parts.append(text[at:])
    out = "".join(parts)
    out = re.sub(r"[ \t]{2,}", " ", out)
    return re.sub(r" +([,.;:!?)])", r"\1", out).strip()


def mask_many(texts: Sequence[str]) -> list[str]:
    """`mask` of each text."""
    return [mask(text) for text in texts]
