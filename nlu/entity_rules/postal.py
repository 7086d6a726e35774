"""ZIP and postal codes: a US ZIP (or ZIP+4), Canadian postal code or UK postcode.

A code is only read where something says it is one, never from the shape of a number
alone (a five-digit number is as often a quantity, an amount or a year):
- a cue among the few words before it: 'my zip is 94107', 'ZIP code: 10001-1234',
  'postal code M5V 3L9', 'postcode SW1A 2AA';
- a US state or Canadian province code just before it, as an address ends:
  '..., Denver, CO 80279'.
"""

from __future__ import annotations

import re
from collections.abc import Iterator
from datetime import date

from nlu.entity_rules import Candidate, words_before
from tools.addresses import CA_PROVINCES, US_STATES

_CODE = re.compile(
    r"(?<![\w$€£.,/-])(?:(?P<zip>\d{5}(?:-\d{4})?)|(?P<ca>[A-Z]\d[A-Z]\s?\d[A-Z]\d)"
    r"|(?P<uk>[A-Z]{1,2}\d[A-Z\d]?\s?\d[A-Z]{2}))(?![\w-]|[.,]\d)",
    re.I,
)
_AFTER_REGION = re.compile(r"(?<![A-Za-z])([A-Z]{2})\s*,?\s*$")
_CUES = frozenset({"zip", "zipcode", "zip-code", "postal", "postcode", "post", "zcode"})
_FILLERS = frozenset({"code", "is", "my", "the", "number", "no", "it", "s", "its", "our", "and"})


def _cued(text: str, start: int) -> bool:
    for word in words_before(text, start, 4):
        if word in _CUES:
            return True
        if word not in _FILLERS:
            return False
    return False


def _after_region(text: str, start: int, kind: str) -> bool:
    region = _AFTER_REGION.search(text[max(0, start - 6) : start])
    if region is None:
        return False
    return region[1] in (US_STATES if kind == "zip" else CA_PROVINCES)


def find(text: str, today: date) -> Iterator[Candidate]:
    """zip_code candidates: codes after a cue word or a state, as written (letters upper-cased)."""
    for m in _CODE.finditer(text):
        kind = "zip" if m["zip"] else "ca" if m["ca"] else "uk"
        if kind != "zip" and not m[0][:1].isupper():
            continue
        if _cued(text, m.start()) or (kind != "uk" and _after_region(text, m.start(), kind)):
            value = m[0].upper()
            if kind != "zip":
                bare = value.replace(" ", "")
                value = f"{bare[:-3]} {bare[-3:]}"
            yield Candidate(m.start(), m.end(), "zip_code", value)
