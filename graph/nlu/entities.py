"""Rule-based entity extraction: order and invoice numbers, products, dates, money, email.

Every entity carries its normalised value and the character span it was read from, so
`text[e.start:e.end]` is exactly what the customer typed.
"""

from __future__ import annotations

import re
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from datetime import date, timedelta

from tools.store.catalog import CATALOG


@dataclass(frozen=True)
class Entity:
    """One entity found in a message."""

    type: str
    """order_id, invoice_id, sku, date, money or email."""
    value: str
    """Normalised value: 'W1234567', 'INV-2026-00042', 'NW-HP-100', ISO date, '84.10 USD'."""
    start: int
    """Offset of the first character of the matched span."""
    end: int
    """Offset just past the matched span."""


# -- identifiers -------------------------------------------------------------
_ORDER_ID = re.compile(r"(?<![A-Za-z0-9])#?W[ -]?(\d{7})(?!\d)", re.I)
_ORDER_CONTEXT = re.compile(
    r"\border\s*(?:number|no\.?|num|id|#)?\s*(?:is\s*)?:?\s*#?(\d{7})(?!\d)", re.I
)
_INVOICE_ID = re.compile(r"(?<![A-Za-z0-9])INV-\d{4}-\d{3,6}(?!\d)", re.I)
_SKU = re.compile(r"(?<![A-Za-z0-9])NW-[A-Z]{2,3}-\d{3}(?!\d)", re.I)
_EMAIL = re.compile(r"(?<![\w.+-])[\w.+-]+@[A-Za-z0-9-]+(?:\.[A-Za-z0-9-]+)+")


def _product_patterns() -> list[tuple[re.Pattern[str], str]]:
    """Catalogue names, and the names without their brand word, as flexible patterns."""
    patterns = []
    for item in CATALOG:
        words = item.name.split()
        names = {item.name}
        if len(words) > 1:
            names.add(" ".join(words[1:]))
        for name in names:
            body = r"[\s-]+".join(re.escape(w) for w in name.split())
            pattern = re.compile(rf"(?<![A-Za-z0-9]){body}s?(?![A-Za-z0-9])", re.I)
            patterns.append((pattern, item.sku))
    return patterns


_PRODUCTS = _product_patterns()

# -- dates -------------------------------------------------------------------
_MONTH_NAMES = (
    ("january", "jan"), ("february", "feb"), ("march", "mar"), ("april", "apr"), ("may",),
    ("june", "jun"), ("july", "jul"), ("august", "aug"), ("september", "sept", "sep"),
    ("october", "oct"), ("november", "nov"), ("december", "dec"),
)  # fmt: skip
_MONTHS = {name: i for i, names in enumerate(_MONTH_NAMES, start=1) for name in names}
_WEEKDAYS = ("monday", "tuesday", "wednesday", "thursday", "friday", "saturday", "sunday")
_NUMBER_WORDS = {
    "a": 1, "an": 1, "one": 1, "two": 2, "three": 3, "four": 4, "five": 5, "six": 6,
    "seven": 7, "eight": 8, "nine": 9, "ten": 10, "a couple of": 2, "a few": 3,
}  # fmt: skip
_MONTH_RE = "|".join(sorted(_MONTHS, key=len, reverse=True))
_COUNT_RE = r"\d{1,3}|" + "|".join(sorted(_NUMBER_WORDS, key=len, reverse=True))
_ISO_DATE = re.compile(r"(?<!\d)(\d{4})-(\d{1,2})-(\d{1,2})(?!\d)")
_US_DATE = re.compile(r"(?<![\d/])(\d{1,2})/(\d{1,2})/(\d{4}|\d{2})(?![\d/])")
_MONTH_DAY = re.compile(
    rf"\b({_MONTH_RE})\.?\s+(\d{{1,2}})(?:st|nd|rd|th)?\b(?:,?\s+(\d{{4}}))?", re.I
)
_DAY_MONTH = re.compile(
    rf"\b(\d{{1,2}})(?:st|nd|rd|th)?\s+(?:of\s+)?({_MONTH_RE})\b\.?(?:,?\s+(\d{{4}}))?", re.I
)
_RELATIVE_DAY = re.compile(r"\b(the day before yesterday|yesterday|today|tomorrow|tonight)\b", re.I)
_AGO = re.compile(rf"\b({_COUNT_RE})\s+(day|week|month)s?\s+ago\b", re.I)
_LAST_PERIOD = re.compile(r"\blast\s+(week|month)\b", re.I)
_WEEKDAY = re.compile(rf"\b(?:(?:last|this\s+past)\s+)?({'|'.join(_WEEKDAYS)})\b", re.I)

# -- money -------------------------------------------------------------------
_SYMBOLS = {"$": "USD", "€": "EUR", "£": "GBP"}
_WORDS = {
    "usd": "USD", "dollar": "USD", "dollars": "USD", "bucks": "USD", "eur": "EUR",
    "euro": "EUR", "euros": "EUR", "gbp": "GBP", "pound": "GBP", "pounds": "GBP",
}  # fmt: skip
_AMOUNT = r"(\d{1,3}(?:,\d{3})+|\d+)(?:\.(\d{1,2}))?"
_MONEY_SYMBOL = re.compile(rf"([$€£])\s?{_AMOUNT}(?![\d.,]*\d)")
_MONEY_WORD = re.compile(
    rf"(?<![\w.]){_AMOUNT}\s?({'|'.join(sorted(_WORDS, key=len, reverse=True))})\b", re.I
)
_MONEY_CODE_FIRST = re.compile(rf"\b(USD|EUR|GBP)\s?{_AMOUNT}(?![\d.,]*\d)", re.I)

_Candidate = tuple[int, int, str, str]  # start, end, type, value
_PRIORITY = {"email": 0, "invoice_id": 1, "order_id": 2, "sku": 3, "money": 4, "date": 5}


def _amount(whole: str, cents: str | None, currency: str) -> str:
    value = int(whole.replace(",", "")) + int((cents or "0").ljust(2, "0")) / 100
    return f"{value:.2f} {currency}"


def _safe_date(year: int, month: int, day: int) -> date | None:
    try:
        return date(year, month, day)
    except ValueError:
        return None


def _without_year(month: int, day: int, today: date) -> date | None:
    """This year's date, or last year's when this year's is more than ~6 months ahead."""
    found = _safe_date(today.year, month, day)
    if found and (found - today).days > 183:
        found = _safe_date(today.year - 1, month, day)
    return found


def _dates(text: str, today: date) -> Iterator[_Candidate]:
    for m in _ISO_DATE.finditer(text):
        d = _safe_date(int(m[1]), int(m[2]), int(m[3]))
        if d:
            yield m.start(), m.end(), "date", d.isoformat()
    for m in _US_DATE.finditer(text):
        year = int(m[3]) + (2000 if len(m[3]) == 2 else 0)
        d = _safe_date(year, int(m[1]), int(m[2]))
        if d:
            yield m.start(), m.end(), "date", d.isoformat()
    for m, month, day, year in [
        *((m, m[1], m[2], m[3]) for m in _MONTH_DAY.finditer(text)),
        *((m, m[2], m[1], m[3]) for m in _DAY_MONTH.finditer(text)),
    ]:
        number = _MONTHS[month.lower()]
        d = (
            _safe_date(int(year), number, int(day))
            if year
            else _without_year(number, int(day), today)
        )
        if d:
            yield m.start(), m.end(), "date", d.isoformat()
    offsets = {"today": 0, "tonight": 0, "yesterday": -1, "tomorrow": 1}
    for m in _RELATIVE_DAY.finditer(text):
        word = m[1].lower()
        delta = -2 if word.startswith("the day before") else offsets[word]
        yield m.start(), m.end(), "date", (today + timedelta(days=delta)).isoformat()
    for m in _AGO.finditer(text):
        count = m[1].lower()
        n = int(count) if count.isdigit() else _NUMBER_WORDS[count]
        days = n * {"day": 1, "week": 7, "month": 30}[m[2].lower()]
        yield m.start(), m.end(), "date", (today - timedelta(days=days)).isoformat()
    for m in _LAST_PERIOD.finditer(text):
        days = 7 if m[1].lower() == "week" else 30
        yield m.start(), m.end(), "date", (today - timedelta(days=days)).isoformat()
    for m in _WEEKDAY.finditer(text):  # the most recent such day before today
        back = (today.weekday() - _WEEKDAYS.index(m[1].lower())) % 7 or 7
        yield m.start(), m.end(), "date", (today - timedelta(days=back)).isoformat()


def _money(text: str) -> Iterator[_Candidate]:
    for m in _MONEY_SYMBOL.finditer(text):
        yield m.start(), m.end(), "money", _amount(m[2], m[3], _SYMBOLS[m[1]])
    for m in _MONEY_WORD.finditer(text):
        yield m.start(), m.end(), "money", _amount(m[1], m[2], _WORDS[m[3].lower()])
    for m in _MONEY_CODE_FIRST.finditer(text):
        yield m.start(), m.end(), "money", _amount(m[2], m[3], m[1].upper())


def _identifiers(text: str) -> Iterator[_Candidate]:
    for m in _ORDER_ID.finditer(text):
        yield m.start(), m.end(), "order_id", f"W{m[1]}"
    for m in _ORDER_CONTEXT.finditer(text):
        yield m.start(1), m.end(1), "order_id", f"W{m[1]}"
    for m in _INVOICE_ID.finditer(text):
        yield m.start(), m.end(), "invoice_id", m[0].upper()
    for m in _SKU.finditer(text):
        yield m.start(), m.end(), "sku", m[0].upper()
    for pattern, sku in _PRODUCTS:
        for m in pattern.finditer(text):
            yield m.start(), m.end(), "sku", sku
    for m in _EMAIL.finditer(text):
        yield m.start(), m.end(), "email", m[0].lower()


_EXTRACTORS: tuple[Callable[[str, date], Iterator[_Candidate]], ...] = (
    lambda text, _today: _identifiers(text),
    lambda text, _today: _money(text),
    _dates,
)


def extract_entities(text: str, *, today: date | None = None) -> list[Entity]:
    """Entities in text, sorted by position and never overlapping.

    Where two matches overlap the longer wins (a product name beats the price inside
    it); on equal length, identifiers beat money and dates. Relative dates
    ('yesterday', 'last week', 'last Friday') resolve against `today`.

    >>> [e.value for e in extract_entities("where is #W1234567?")]
    ['W1234567']
    """
    today = today or date.today()
    candidates = [c for extract in _EXTRACTORS for c in extract(text, today)]
    candidates.sort(key=lambda c: (-(c[1] - c[0]), _PRIORITY[c[2]], c[0]))
    taken: list[_Candidate] = []
    for cand in candidates:
        if all(cand[1] <= t[0] or cand[0] >= t[1] for t in taken):
            taken.append(cand)
    taken.sort()
    return [Entity(type=kind, value=value, start=s, end=e) for s, e, kind, value in taken]
