"""Dates: ISO, US m/d/y, month names, and relative dates resolved against the turn's day.

The patterns below only *locate* date phrases (dateparser's own `search_dates` also reads
"a", "now" or "may" in ordinary sentences as dates). Each phrase is then resolved by
dateparser against the turn's day, preferring the past (customers write about orders
they already placed): 'last Friday' is the most recent Friday before today, 'Dec 12' in
March is last December. Phrases dateparser declines ('a couple of days ago', 'this past
Monday') keep the pattern's own reading.
"""

from __future__ import annotations

import re
from collections.abc import Iterator
from datetime import date, datetime, timedelta
from functools import lru_cache

import dateparser

from nlu.entity_rules import Candidate

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
_PART_OF_DAY = re.compile(r"\b(this|yesterday)\s+(?:morning|afternoon|evening)\b", re.I)
_ORDINAL_DAY = re.compile(r"\bthe\s+(\d{1,2})(?:st|nd|rd|th)\b(?!\s+(?:of\s+)?[a-z])", re.I)
_WEEKDAY = re.compile(rf"\b(?:(?:last|this\s+past)\s+)?({'|'.join(_WEEKDAYS)})\b", re.I)


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


@lru_cache(maxsize=4096)
def resolve(phrase: str, today: date) -> date | None:
    """dateparser's reading of one date phrase relative to `today`, or None."""
    parsed = dateparser.parse(
        phrase,
        languages=["en"],
        settings={
            "RELATIVE_BASE": datetime(today.year, today.month, today.day),
            "PREFER_DATES_FROM": "past",
            "DATE_ORDER": "MDY",
            "STRICT_PARSING": False,
        },
    )
    return parsed.date() if parsed else None


def find(text: str, today: date) -> Iterator[Candidate]:
    """Dates in text, absolute or relative to `today`, as ISO strings."""
    for cand in _candidates(text, today):
        found = resolve(text[cand.start : cand.end], today)
        # dateparser reads a bare "the 25th" as this month's even when that is still ahead;
        # where the pattern placed the phrase in the past, the past reading wins.
        if found is None or (found > today and cand.value <= today.isoformat()):
            yield cand
        else:
            yield cand._replace(value=found.isoformat())


def _candidates(text: str, today: date) -> Iterator[Candidate]:
    """Date phrases located by the patterns, each with the pattern's own reading."""
    for m in _ISO_DATE.finditer(text):
        d = _safe_date(int(m[1]), int(m[2]), int(m[3]))
        if d:
            yield Candidate(m.start(), m.end(), "date", d.isoformat())
    for m in _US_DATE.finditer(text):
        full_year = int(m[3]) + (2000 if len(m[3]) == 2 else 0)
        d = _safe_date(full_year, int(m[1]), int(m[2]))
        if d:
            yield Candidate(m.start(), m.end(), "date", d.isoformat())
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
            yield Candidate(m.start(), m.end(), "date", d.isoformat())
    for m in _PART_OF_DAY.finditer(text):
        back = 0 if m[1].lower() == "this" else 1
        yield Candidate(m.start(), m.end(), "date", (today - timedelta(days=back)).isoformat())
    for m in _ORDINAL_DAY.finditer(text):  # "the 14th": this month's, or last month's if ahead
        d = _safe_date(today.year, today.month, int(m[1]))
        if d is None or d > today:
            last = today.replace(day=1) - timedelta(days=1)
            d = _safe_date(last.year, last.month, int(m[1]))
        if d:
            yield Candidate(m.start(), m.end(), "date", d.isoformat())
    offsets = {"today": 0, "tonight": 0, "yesterday": -1, "tomorrow": 1}
    for m in _RELATIVE_DAY.finditer(text):
        word = m[1].lower()
        delta = -2 if word.startswith("the day before") else offsets[word]
        yield Candidate(m.start(), m.end(), "date", (today + timedelta(days=delta)).isoformat())
    for m in _AGO.finditer(text):
        count = m[1].lower()
        n = int(count) if count.isdigit() else _NUMBER_WORDS[count]
        days = n * {"day": 1, "week": 7, "month": 30}[m[2].lower()]
        yield Candidate(m.start(), m.end(), "date", (today - timedelta(days=days)).isoformat())
    for m in _LAST_PERIOD.finditer(text):
        days = 7 if m[1].lower() == "week" else 30
        yield Candidate(m.start(), m.end(), "date", (today - timedelta(days=days)).isoformat())
    for m in _WEEKDAY.finditer(text):  # the most recent such day before today
        back = (today.weekday() - _WEEKDAYS.index(m[1].lower())) % 7 or 7
        yield Candidate(m.start(), m.end(), "date", (today - timedelta(days=back)).isoformat())
