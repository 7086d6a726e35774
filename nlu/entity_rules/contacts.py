"""Phone numbers, found and validated by Google's libphonenumber (the phonenumbers port)."""

from __future__ import annotations

from collections.abc import Iterator
from datetime import date

import phonenumbers

from nlu.entity_rules import Candidate

DEFAULT_REGION = "US"
"""Region assumed for numbers written without a '+' country code."""


def find(text: str, today: date) -> Iterator[Candidate]:
    """Valid phone numbers in text, as E.164 ('+12025550143')."""
    if sum(ch.isdigit() for ch in text) < 7:
        return
    matcher = phonenumbers.PhoneNumberMatcher(
        text, DEFAULT_REGION, leniency=phonenumbers.Leniency.VALID
    )
    for match in matcher:
        value = phonenumbers.format_number(match.number, phonenumbers.PhoneNumberFormat.E164)
        yield Candidate(match.start, match.end, "phone", value)
