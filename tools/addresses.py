"""US postal addresses in customers' messages: '986 Sunset Drive, Suite 259, Denver, CO 80279'.

Only complete addresses are read (street with number, optional second line, city, state
code, ZIP): a shipping address is changed to exactly what the customer wrote, never to a
guess.
"""

from __future__ import annotations

import re
from dataclasses import dataclass

_ADDRESS = re.compile(
    r"(?<![\w#-])(?P<street>\d{1,6}[A-Za-z]?(?:\s+[A-Za-z0-9.'#-]+)+?)\s*,\s*"
    r"(?:(?P<line2>(?:apt|apartment|suite|ste|unit|floor|fl|#|building|bldg)\.?\s*[^,\n]+?)\s*,\s*)?"
    r"(?P<city>[A-Za-z][A-Za-z .'-]*?)\s*,?\s+"
    r"(?P<state>[A-Z]{2})\s*,?\s*(?P<zip>\d{5})(?:-\d{4})?"
    r"(?:\s*,?\s*(?P<country>USA|US|United States))?\b",
    re.I,
)


@dataclass(frozen=True)
class Address:
    """A parsed address; `line()` is how it is stored and shown."""

    street: str
    line2: str | None
    city: str
    state: str
    zip_code: str
    country: str = "USA"

    def line(self) -> str:
        parts = [self.street, self.line2, self.city, f"{self.state} {self.zip_code}"]
        return ", ".join(p for p in parts if p)


def _title(text: str) -> str:
    words = text.split()
    return " ".join(w if any(c.isdigit() for c in w) else w[:1].upper() + w[1:] for w in words)


def find_address(text: str) -> Address | None:
    """The first complete US address in `text`, tidied, or None.

    >>> find_address("ship it to 12 oak lane, apt 3, portland, or 97205 please").line()
    '12 Oak Lane, Apt 3, Portland, OR 97205'
    """
    m = _ADDRESS.search(text)
    if m is None:
        return None
    line2 = m["line2"]
    return Address(
        street=_title(m["street"].strip()),
        line2=_title(line2.strip()) if line2 else None,
        city=_title(m["city"].strip()),
        state=m["state"].upper(),
        zip_code=m["zip"],
    )


def with_recipient(current: str, new_line: str) -> str:
    """The new address line, keeping the recipient's name that leads the current address.

    >>> with_recipient("Jordan Rivera, 1 Elm St, Austin, TX 78704", "2 Oak St, Austin, TX 78704")
    'Jordan Rivera, 2 Oak St, Austin, TX 78704'
    """
    first = current.split(",", 1)[0].strip()
    if first and not any(c.isdigit() for c in first) and first not in new_line:
        return f"{first}, {new_line}"
    return new_line
