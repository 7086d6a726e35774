"""Product attributes a customer asks about, and whether a passage states them.

"How much does the Lumen camera weigh?", "is the Summit tent waterproof?", "what colours
does the lamp come in?": a help centre often covers the product but not the attribute, and
the closest sentence it has ("Never pack the tent away wet …") is a near miss, not an
answer. Each attribute has the wording that asks for it and the wording (or a measurement)
that states it; an answer is given only when the answering article states it.
"""

from __future__ import annotations

import re
from collections.abc import Sequence
from dataclasses import dataclass
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from knowledge.retrieval import Passage


@dataclass(frozen=True)
class Attribute:
    name: str
    asked: re.Pattern[str]
    stated: re.Pattern[str]


SAYS = {
    "weight": "how much it weighs",
    "colour": "which colours it comes in",
    "size": "its dimensions",
    "capacity": "how much it holds",
    "material": "what it is made of",
    "water resistance": "whether it is waterproof",
    "battery life": "how long its battery lasts",
    "dishwasher": "whether it is dishwasher-safe",
    "microwave": "whether it is microwave-safe",
    "bpa": "whether it is BPA-free",
    "vegan": "whether it is vegan",
    "origin": "where it is made",
    "brightness": "how bright it is or whether it dims",
    "resolution": "its resolution",
}
"""What the help centre does not say, in the customer's words, for each attribute."""


def describe(names: Sequence[str]) -> str:
    """The unstated attributes as a phrase: 'how much it weighs'."""
    return " or ".join(SAYS.get(n, n) for n in names)


def _rx(pattern: str) -> re.Pattern[str]:
    return re.compile(pattern, re.I)


_MASS = r"\d+(?:\.\d+)?\s?(?:g|kg|grams?|kilograms?|oz|ounces?|lbs?|pounds?)\b"
_LENGTH = r"\d+(?:\.\d+)?\s?(?:mm|cm|m|in|inches|ft|feet|\")\b"
_VOLUME = r"\d+(?:\.\d+)?\s?(?:ml|l|litres?|liters?|fl\.? ?oz|oz|ounces?|cups?)\b"

ATTRIBUTES = (
    Attribute(
        "weight",
        _rx(
            r"\bweigh(?:s|t|ts)?\b|\bhow heavy\b|\bheavy is\b|\bhow many (?:grams|ounces"
            r"|pounds|kg|lbs)\b"
        ),
        _rx(rf"\bweigh|\bweight\b|\bheavy\b|\blight(?:weight|er)\b|\b{_MASS}"),
    ),
    Attribute(
        "colour",
        _rx(
            r"\b(?:what|which) colou?rs?\b|\bcolou?rs? (?:does|do|is|are|available|options)\b"
            r"|\bcomes? in (?:\w+ )?colou?rs?\b|\bcomes? in (?:black|white|other)\b"
        ),
        _rx(r"\bcolou?rs?\b|\bcolou?rways?\b|\bfinish(?:es)?\b"),
    ),
    Attribute(
        "size",
        _rx(r"\bdimensions?\b|\bhow (?:tall|wide)\b|\bmeasurements?\b|\bpacked size\b"),
        _rx(rf"\bdimensions?\b|\bmeasure|\b\d+\s?[x×]\s?\d+|\b{_LENGTH}"),
    ),
    Attribute(
        "capacity",
        _rx(
            r"\bcapacity\b|\bhow (?:much|many)\b.*\bhold\b|\bhow many (?:ml|oz|ounces"
            r"|litres|liters)\b"
        ),
        _rx(rf"\bcapacity\b|\bholds?\b|\b{_VOLUME}"),
    ),
    Attribute(
        "material",
        _rx(r"\bmaterials?\b|\bmade (?:of|from|out of)\b|\bfabric\b|\bwhat is it made\b"),
        _rx(
            r"\bmaterials?\b|\bmade (?:of|from)\b|\bfabric\b|\bnylon\b|\bpolyester\b"
            r"|\bsteel\b|\baluminium\b|\baluminum\b|\bplastic\b"
        ),
    ),
    Attribute(
        "water resistance",
        _rx(
            r"\bwater ?proof\b|\bwater[- ]?resistant\b|\bwater resistance\b"
            r"|\bip ?x?\d\d?\b|\bsplash ?proof\b"
        ),
        _rx(
            r"\bwater ?proof|\bwater[- ]?resist|\bip ?x?\d|\bsplash|\bsubmer|\batm\b"
            r"|\b\d+\s?(?:m|meters|feet) (?:deep|of water)"
        ),
    ),
    Attribute(
        "battery life",
        _rx(
            r"\bbattery life\b|\bbattery\b.{0,30}\blasts?\b|\bmah\b"
            r"|\bon a (?:single |full )?charge\b|\bhours? (?:of|per|on a) (?:battery|charge"
            r"|playback)\b|\bplay(?:back)? time\b"
        ),
        _rx(
            r"\bbattery life\b|\bmah\b|\b\d+\s?(?:hours?|hrs?|days?) (?:of|per|on a)\b"
            r"|\blasts?\b|\bplay(?:back)? time\b"
        ),
    ),
    Attribute(
        "dishwasher",
        _rx(r"\bdish ?washer\b"),
        _rx(r"\bdish ?washer\b"),
    ),
    Attribute("microwave", _rx(r"\bmicrowave\b"), _rx(r"\bmicrowave\b")),
    Attribute("bpa", _rx(r"\bbpa\b"), _rx(r"\bbpa\b")),
    Attribute("vegan", _rx(r"\bvegan\b|\bleather\b"), _rx(r"\bvegan\b|\bleather\b")),
    Attribute(
        "origin",
        _rx(
            r"\bmade in\b|\bmanufactured\b|\bcountry of origin\b|\bwhere (?:is|are) (?:it"
            r"|they|the \w+) made\b"
        ),
        _rx(r"\bmade in\b|\bmanufactured\b|\borigin\b"),
    ),
    Attribute(
        "brightness",
        _rx(r"\bdimm(?:able|er|ing)\b|\bbrightness\b|\blumens\b|\bhow bright\b"),
        _rx(r"\bdimm|\bbrightness\b|\blumens\b|\bbright(?:er|ness)?\b"),
    ),
    Attribute(
        "resolution",
        _rx(r"\bresolution\b|\bmegapixels?\b|\bmp\b|\b4k\b|\bfps\b|\bframe rate\b"),
        _rx(
            r"\bresolution\b|\bmegapixels?\b|\b\d+\s?mp\b|\b4k\b|\b1080p\b|\bfps\b"
            r"|\bframe rate\b"
        ),
    ),
)


def asked_attributes(question: str) -> list[Attribute]:
    """The product attributes the question asks about."""
    return [a for a in ATTRIBUTES if a.asked.search(question)]


def unstated(question: str, passages: Sequence[Passage]) -> list[str]:
    """Names of the attributes the question asks about that none of the passages states:
    "how much does the Lumen camera weigh?" over the camera's troubleshooting article ->
    ['weight']."""
    text = " ".join(f"{p.title} {p.text}" for p in passages)
    return [a.name for a in asked_attributes(question) if not a.stated.search(text)]
