"""Rule-based entity extraction: identifiers, products, dates, money, contacts, people, places.

Every entity carries its normalised value and the character span it was read from, so
`text[e.start:e.end]` is exactly what the customer typed.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date

from nlu.catalog_match import CatalogMatcher, demo_catalog
from nlu.entity_rules import (
    Candidate,
    contacts,
    dates,
    identifiers,
    money,
    people,
    places,
    postal,
)


@dataclass(frozen=True)
class Entity:
    """One entity found in a message."""

    type: str
    """order_id, invoice_id, tracking_number, sku, product, zip_code, date, money, email,
    phone, person_name, account_type, delivery_city or delivery_country."""
    value: str
    """Normalised value: 'W1234567', 'INV-2026-00042', '1Z999AA10123456784', 'NW-HP-100'
    (a sku: the catalogue variant's SKU), 'Headphones' (a product: a catalogue product
    whose variant the message leaves open), '94107' (zip_code), ISO date, '84.10 USD',
    'jane@example.com', '+12025550143' (E.164), 'Mr. Smith',
    'Platinum', 'Munich', 'United States' (GeoNames country name)."""
    start: int
    """Offset of the first character of the matched span."""
    end: int
    """Offset just past the matched span."""


PRIORITY = (
    "email", "invoice_id", "order_id", "tracking_number", "zip_code", "phone", "sku",
    "product", "money", "person_name", "account_type", "delivery_country", "delivery_city", "date",
)  # fmt: skip
"""Entity types from strongest to weakest, for overlapping matches of equal length."""

_FAMILIES = (identifiers, postal, money, contacts, people, places, dates)


def warm_up() -> None:
    """Load the place and first-name lists, dateparser's language data and the demo
    catalogue now (about 0.8 s) rather than on the first turn."""
    people.first_names()
    demo_catalog()
    places.canonical_country("")
    for phrase in ("yesterday", "last tuesday", "March 3"):  # each compiles other tables
        dates.resolve(phrase, date(2026, 1, 1))


def extract_entities(
    text: str, *, today: date | None = None, catalog: CatalogMatcher | None = None
) -> list[Entity]:
    """Entities in text, sorted by position and never overlapping.

    Product names are matched against `catalog` (the store's own catalogue; the demo
    shop's by default).

    Where two matches overlap the longer wins (a product name beats the price inside
    it); on equal length the earlier type in `PRIORITY` wins. Relative dates
    ('yesterday', 'last week', 'last Friday') resolve against `today`.

    >>> [e.value for e in extract_entities("where is #W1234567?")]
    ['W1234567']
    """
    today = today or date.today()
    candidates = {c for family in _FAMILIES for c in family.find(text, today)}
    candidates.update((catalog or demo_catalog()).find(text))
    ranked = sorted(candidates, key=lambda c: (c.start - c.end, PRIORITY.index(c.type), c.start))
    taken: list[Candidate] = []
    for cand in ranked:
        if all(cand.end <= t.start or cand.start >= t.end for t in taken):
            taken.append(cand)
    taken.sort()
    return [Entity(type=kind, value=value, start=s, end=e) for s, e, kind, value in taken]
