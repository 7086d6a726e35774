"""Rule-based entity extraction: identifiers, products, dates, money, contacts, people, places.

Every entity carries its normalised value and the character span it was read from, so
`text[e.start:e.end]` is exactly what the customer typed.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date

from nlu.entity_rules import Candidate, contacts, dates, identifiers, money, people, places


@dataclass(frozen=True)
class Entity:
    """One entity found in a message."""

    type: str
    """order_id, invoice_id, tracking_number, sku, date, money, email, phone, person_name,
    account_type, delivery_city or delivery_country."""
    value: str
    """Normalised value: 'W1234567', 'INV-2026-00042', '1Z999AA10123456784', 'NW-HP-100',
    ISO date, '84.10 USD', 'jane@example.com', '+12025550143' (E.164), 'Mr. Smith',
    'Platinum', 'Munich', 'United States' (GeoNames country name)."""
    start: int
    """Offset of the first character of the matched span."""
    end: int
    """Offset just past the matched span."""


PRIORITY = (
    "email", "invoice_id", "order_id", "tracking_number", "phone", "sku", "money",
    "person_name", "account_type", "delivery_country", "delivery_city", "date",
)  # fmt: skip
"""Entity types from strongest to weakest, for overlapping matches of equal length."""

_FAMILIES = (identifiers, money, contacts, people, places, dates)


def warm_up() -> None:
    """Load the place and first-name lists and dateparser's language data now (about 0.8 s)
    rather than on the first turn."""
    people.first_names()
    places.canonical_country("")
    dates.resolve("yesterday", date(2026, 1, 1))


def extract_entities(text: str, *, today: date | None = None) -> list[Entity]:
    """Entities in text, sorted by position and never overlapping.

    Where two matches overlap the longer wins (a product name beats the price inside
    it); on equal length the earlier type in `PRIORITY` wins. Relative dates
    ('yesterday', 'last week', 'last Friday') resolve against `today`.

    >>> [e.value for e in extract_entities("where is #W1234567?")]
    ['W1234567']
    """
    today = today or date.today()
    candidates = {c for family in _FAMILIES for c in family.find(text, today)}
    ranked = sorted(candidates, key=lambda c: (c.start - c.end, PRIORITY.index(c.type), c.start))
    taken: list[Candidate] = []
    for cand in ranked:
        if all(cand.end <= t.start or cand.start >= t.end for t in taken):
            taken.append(cand)
    taken.sort()
    return [Entity(type=kind, value=value, start=s, end=e) for s, e, kind, value in taken]
