"""Money amounts with their currency: '$84.10', '20 dollars', 'EUR 15', '£30'."""

from __future__ import annotations

import re
from collections.abc import Iterator
from datetime import date

from nlu.entity_rules import Candidate

_SYMBOLS = {"$": "USD", "€": "EUR", "£": "GBP"}
_WORDS = {
    "usd": "USD", "dollar": "USD", "dollars": "USD", "bucks": "USD", "eur": "EUR",
    "euro": "EUR", "euros": "EUR", "gbp": "GBP", "pound": "GBP", "pounds": "GBP",
}  # fmt: skip
_AMOUNT = r"(\d{1,3}(?:,\d{3})+|\d+)(?:\.(\d{1,2}))?"
_MONEY_SYMBOL = re.compile(rf"([$€£])\s?{_AMOUNT}(?![\d.,]*\d)")
_MONEY_WORD = re.compile(
    rf"(?<![\d.]){_AMOUNT}\s?({'|'.join(sorted(_WORDS, key=len, reverse=True))})\b", re.I
)
_MONEY_CODE_FIRST = re.compile(rf"\b(USD|EUR|GBP)\s?{_AMOUNT}(?![\d.,]*\d)", re.I)


def _amount(whole: str, cents: str | None, currency: str) -> str:
    value = int(whole.replace(",", "")) + int((cents or "0").ljust(2, "0")) / 100
    return f"{value:.2f} {currency}"


def find(text: str, today: date) -> Iterator[Candidate]:
    """Amounts with a currency symbol, code or word, as '84.10 USD'."""
    for m in _MONEY_SYMBOL.finditer(text):
        yield Candidate(m.start(), m.end(), "money", _amount(m[2], m[3], _SYMBOLS[m[1]]))
    for m in _MONEY_WORD.finditer(text):
        yield Candidate(m.start(), m.end(), "money", _amount(m[1], m[2], _WORDS[m[3].lower()]))
    for m in _MONEY_CODE_FIRST.finditer(text):
        yield Candidate(m.start(), m.end(), "money", _amount(m[2], m[3], m[1].upper()))
