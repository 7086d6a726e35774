"""Person names and account types.

person_name, three rules, each wanting capitalised name words:
- an honorific and a surname: 'Mr. Smith', 'ms Hawkings', 'Dr Jane Doe';
- a known first name (gender-guesser's list of ~48,000) and a surname: 'Anna Freeman',
  unless a house number comes before it ('461 Willow Lane' is a street);
- a cue and one or two names: 'my name is Zed', 'this is Ola Nordmann'; two names after
  'I'm' / 'I am', before 'here' ('Aarav Khan here'), or signing off the message
  ('Thanks, Aarav Khan', '- Aarav Khan').

account_type: a word from our closed list of plans followed by 'account', 'profile',
'plan', 'membership', 'subscription' or 'tier' (typos allowed: 'pro acount', and the
missing spaces of 'Premiumaccount' or 'editingPlatinum account').
"""

from __future__ import annotations

import re
from collections.abc import Iterator
from datetime import date
from functools import cache

from nlu.entity_rules import Candidate, fuzzy_is

ACCOUNT_TYPES = {
    "free": "Free", "freemium": "Freemium", "basic": "Basic", "standard": "Standard",
    "plus": "Plus", "premium": "Premium", "pro": "Pro", "business": "Business",
    "enterprise": "Enterprise", "family": "Family", "student": "Student",
    "bronze": "Bronze", "silver": "Silver", "gold": "Gold", "platinum": "Platinum",
}  # fmt: skip
"""Plan names a customer may hold, lower-case -> the name we report."""

_ACCOUNT_NOUNS = {
    w: w for w in ("account", "accounts", "profile", "plan", "membership", "subscription", "tier")
}
_ACCOUNT = re.compile(
    rf"({'|'.join(sorted(ACCOUNT_TYPES, key=len, reverse=True))})\s*([A-Za-z]+)", re.I
)

_NAME = r"[A-Z][a-z]+(?:[-'’][A-Z]?[a-z]+)?"
_HONORIFICS = {"mr": "Mr.", "mrs": "Mrs.", "ms": "Ms.", "mx": "Mx.", "dr": "Dr.", "miss": "Miss"}
_HONORIFIC = re.compile(rf"\b((?i:mrs|mr|ms|mx|dr)|Miss)\b\.?\s*({_NAME}(?:\s+{_NAME})?)")
_PAIR = re.compile(rf"\b(?=({_NAME})\s+({_NAME})\b)")  # overlapping: 'Contact Anna Lee'
_CUE = re.compile(
    rf"\b(?i:my\s+name\s+is|my\s+name's|i\s+am\s+called|this\s+is|name:)\s+"
    rf"({_NAME}(?:\s+{_NAME})?)"
)
_INTRO = re.compile(rf"\b(?i:i'm|i’m|i\s+am)\s+({_NAME}\s+{_NAME})\b")
_HERE = re.compile(rf"(?:^|[,.!?;:]\s*|\b(?i:hi|hello|hey),?\s+)({_NAME}\s+{_NAME})\s+here\b")
_SIGN_OFF = re.compile(
    rf"(?:\b(?i:thanks|thank\s+you|cheers|regards|best|sincerely|thx)\s*[,!.]?\s*|"
    rf"(?:^|\s)[-–—]+\s*)({_NAME}(?:\s+{_NAME})?)\s*[.!]?\s*$"
)
_HOUSE_NUMBER = re.compile(r"\b\d{1,6}[A-Za-z]?\s+$")
_NOT_NAMES = {
    "january", "february", "march", "april", "may", "june", "july", "august", "september",
    "october", "november", "december", "monday", "tuesday", "wednesday", "thursday",
    "friday", "saturday", "sunday", "will", "can", "hi", "hello", "dear", "thanks",
    "please", "customer", "support", "service", "order", "invoice", "account", "gift",
    "card", "north", "south", "east", "west", "new", "san", "los", "las", "saint", "st",
    "the", "a", "an", "my", "our", "your", "this", "that", "is", "it", "i", "and", "or",
}  # fmt: skip


@cache
def first_names() -> frozenset[str]:
    """Lower-case first names from gender-guesser's name dictionary (loaded once)."""
    from gender_guesser.detector import Detector

    return frozenset(name.lower() for name in Detector(case_sensitive=False).names)


def _is_name(word: str) -> bool:
    return word.lower() not in _NOT_NAMES


def _people(text: str) -> Iterator[Candidate]:
    for m in _HONORIFIC.finditer(text):
        names = m[2].split()
        if not _is_name(names[0]):
            continue
        kept = " ".join(names) if all(_is_name(w) for w in names) else names[0]
        title = _HONORIFICS[m[1].lower()]
        yield Candidate(m.start(), m.start(2) + len(kept), "person_name", f"{title} {kept}")
    for m in _CUE.finditer(text):
        names = m[1].split()
        if _is_name(names[0]):
            kept = m[1] if all(_is_name(w) for w in names) else names[0]
            yield Candidate(m.start(1), m.start(1) + len(kept), "person_name", kept)
    for pattern in (_INTRO, _HERE, _SIGN_OFF):
        for m in pattern.finditer(text):
            names = m[1].split()
            if all(_is_name(w) for w in names):
                yield Candidate(m.start(1), m.end(1), "person_name", m[1])
    for m in _PAIR.finditer(text):
        first, last = m[1], m[2]
        if first.lower() in first_names() and _is_name(first) and _is_name(last):
            if _HOUSE_NUMBER.search(text, max(0, m.start(1) - 8), m.start(1)):
                continue  # '461 Willow Lane'
            yield Candidate(m.start(1), m.end(2), "person_name", f"{first} {last}")


def _accounts(text: str) -> Iterator[Candidate]:
    for m in _ACCOUNT.finditer(text):
        glued_left = m.start() > 0 and text[m.start() - 1].isalpha()
        if glued_left and not (m[1][0].isupper() or len(m[1]) >= 6):  # 'editingPlatinum'
            continue
        if fuzzy_is(m[2].lower(), _ACCOUNT_NOUNS, threshold=80.0):
            yield Candidate(m.start(1), m.end(1), "account_type", ACCOUNT_TYPES[m[1].lower()])


def find(text: str, today: date) -> Iterator[Candidate]:
    """Person-name and account-type candidates in text."""
    yield from _people(text)
    yield from _accounts(text)
