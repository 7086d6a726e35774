"""Order, invoice and tracking numbers, SKU codes, e-mail addresses.

Product names are matched against a catalogue by `nlu.catalog_match`.

A bare number is read by the nearest cue word among the three before it ('order',
'purchase' -> order_id; 'invoice', 'bill', 'receipt' -> invoice_id; 'tracking',
'parcel', 'package', 'shipment' -> tracking_number), allowing typos ('purchsae').
Number shapes that speak for themselves need no cue: 'W1234567', 'INV-2026-00042',
UPS '1Z' + 16 characters, USPS 20-22 digits.
"""

from __future__ import annotations

import re
from collections.abc import Iterator
from datetime import date

from nlu.entity_rules import Candidate, fuzzy_is, words_before

_ORDER_ID = re.compile(r"(?<![A-Za-z0-9])#?W[ -]?(\d{7})(?!\d)", re.I)
_INVOICE_ID = re.compile(r"(?<![A-Za-z0-9])INV-\d{4}-\d{3,6}(?!\d)", re.I)
_UPS = re.compile(r"(?<![A-Za-z0-9])1Z[A-Z0-9]{16}(?![A-Za-z0-9])", re.I)
_USPS = re.compile(r"(?<![\w-])(\d{20,22})(?![\w-])")
_NUMBER = re.compile(r"(?<![\w.,/$€£-])(#\s?)?(\d{4,15})(?![\w-]|[.,/]\d)")
_GLUED = re.compile(r"(?i:order|purchase)(\d{8,15})(?!\d)")  # 'order732201349959'
_SKU = re.compile(r"(?<![A-Za-z0-9])NW-[A-Z]{2,3}-\d{3}(?!\d)", re.I)
_EMAIL = re.compile(r"(?<![\w.+-])[\w.+-]+@[A-Za-z0-9-]+(?:\.[A-Za-z0-9-]+)+")

_CUES = {
    "order": "order_id", "orders": "order_id", "purchase": "order_id",
    "purchases": "order_id", "invoice": "invoice_id", "invoices": "invoice_id",
    "bill": "invoice_id", "bills": "invoice_id", "receipt": "invoice_id",
    "tracking": "tracking_number", "track": "tracking_number", "parcel": "tracking_number",
    "package": "tracking_number", "shipment": "tracking_number",
}  # fmt: skip
_FILLERS = {"number", "no", "num", "id", "is", "my", "the", "code", "ref", "reference"}


def _cued(text: str, start: int) -> str | None:
    """The entity type named by the nearest cue word just before offset `start`."""
    for word in words_before(text, start, 3):
        glued = next((cue for cue in _CUES if len(cue) > 4 and word.endswith(cue)), None)
        kind = _CUES[glued] if glued else fuzzy_is(word, _CUES)
        if kind:
            return kind
        if word not in _FILLERS:
            return None
    return None


def _numbers(text: str) -> Iterator[Candidate]:
    """Bare numbers read by their cue word."""
    for m in _NUMBER.finditer(text):
        kind = _cued(text, m.start())
        digits = m[2]
        if kind == "order_id" and len(digits) >= 7:
            value = f"W{digits}" if len(digits) == 7 else digits
            yield Candidate(m.start(2), m.end(2), "order_id", value)
        elif kind == "invoice_id":
            yield Candidate(m.start(), m.end(), "invoice_id", digits)
        elif kind == "tracking_number" and len(digits) in (12, 15):  # FedEx
            yield Candidate(m.start(2), m.end(2), "tracking_number", digits)


def find(text: str, today: date) -> Iterator[Candidate]:
    """Identifier candidates in text."""
    for m in _ORDER_ID.finditer(text):
        yield Candidate(m.start(), m.end(), "order_id", f"W{m[1]}")
    for m in _INVOICE_ID.finditer(text):
        yield Candidate(m.start(), m.end(), "invoice_id", m[0].upper())
    for m in _UPS.finditer(text):
        yield Candidate(m.start(), m.end(), "tracking_number", m[0].upper())
    for m in _USPS.finditer(text):
        yield Candidate(m.start(), m.end(), "tracking_number", m[1])
    yield from _numbers(text)
    for m in _GLUED.finditer(text):
        yield Candidate(m.start(1), m.end(1), "order_id", m[1])
    for m in _SKU.finditer(text):
        yield Candidate(m.start(), m.end(), "sku", m[0].upper())
    for m in _EMAIL.finditer(text):
        yield Candidate(m.start(), m.end(), "email", m[0].lower())
