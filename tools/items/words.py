"""The words of product names and of what customers say about them.

Both sides go through the same tidying (lower case, singular, '1 liter' -> '1l', 'gray' ->
'grey'), so 'bottles' meets 'Bottle' and '2 l' meets '2L'. A product name's words are
telling ('headphones', 'vacuum') or WEAK ('wireless', 'gift'); its options come from the
line's `options` and from the parentheses of τ-bench names ('Water Bottle (1000ml, blue)').
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from functools import cache

from rapidfuzz.distance import OSA

from tools.schemas import ItemView
from tools.store.catalog import SHOP_NAME

GENERIC = frozenset(
    "order orders item items thing things stuff refund refunds return returns returned package "
    "packages parcel it its one ones product products purchase purchases everything all both "
    "whole entire charge charged delivery delivered shipping shipped money".split()
)
"""Words about orders in general: they never name a line, not even as a typo."""
WEAK = frozenset(
    "wireless smart electric digital portable indoor outdoor security mechanical bluetooth "
    "insulated action running gaming fitness water coffee tea air office desk wall light led "
    "pet garden patio hiking cycling set kit card gift person usb pro mini max plus new".split()
) | frozenset(SHOP_NAME.lower().split())
"""Words of product names that describe many products ('wireless', 'gift card'): alone they
name a line only with a pointer ('the wireless one'); beside a telling word they add weight."""
REFERENTS = frozenset("one ones item items line lines product products thing version model".split())
"""Pointer words: 'the blue one', 'the second item'."""
SAME, COMPOUND, TYPO = 1.0, 0.8, 0.7
"""How well a word of the text fits a word of a product name: the same word, the end of a
compound ('watch' of 'wristwatch'), or one typo ('headphnes')."""

FILLERS = frozenset("the a an my your this that these those of in with for from # its".split())
DETERMINERS = frozenset("the a an my this that these those your our some any no".split())
VERB_LEADS = frozenset("i we you they to can will would don didn not never".split())
"""A word right after these is a verb: 'I watch videos on it' names no smart watch."""
SEPARATORS = frozenset("and or but plus also then & , ; . ! ? : /".split())
ORDINALS = {
    "first": 1, "1st": 1, "second": 2, "2nd": 2, "third": 3, "3rd": 3, "fourth": 4, "4th": 4,
    "fifth": 5, "5th": 5, "sixth": 6, "6th": 6, "seventh": 7, "7th": 7, "eighth": 8, "8th": 8,
    "ninth": 9, "9th": 9, "tenth": 10, "10th": 10, "last": -1,
}  # fmt: skip
_UNITS = {
    "ml": "ml", "l": "l", "liter": "l", "liters": "l", "litre": "l", "litres": "l", "gb": "gb",
    "tb": "tb", "mah": "mah", "mp": "mp", "k": "k", "ft": "ft", "feet": "ft", "inch": "inch",
    "inches": "inch", "w": "w", "x": "x", "mm": "mm", "bar": "bar", "hour": "hour",
    "hours": "hour", "cup": "cup", "cups": "cup", "lb": "lb", "lbs": "lb", "piece": "piece",
    "degree": "degree", "degrees": "degree",
}  # fmt: skip
_SPELLINGS = {"gray": "grey", "colour": "color"}
_VAGUE_OPTIONS = frozenset({"yes", "no", "none", "not"})
"""Option values like waterproof 'yes' or armrest 'none' are words of every sentence."""
_NO_SUFFIX = frozenset({"phone", "phones", "board"})
"""'my phone' is the customer's own phone, not the headphones or smartphone they bought."""

NOISE = re.compile(
    r"[\w.+-]+@[\w-]+(?:\.[\w-]+)+|https?://\S+"  # e-mails, links
    r"|#?\bW[ -]?\d{3,}\b|#\d{4,}"  # order ids
    r"|[$€£]\s?\d[\d,]*(?:\.\d+)?|\b\d[\d,]*\.\d\d\b|\b\d+\s?(?:dollars|usd|bucks|cents)\b"
    r"|\b\d{4}-\d\d?-\d\d?\b|\b\d\d?/\d\d?(?:/\d{2,4})?\b"  # dates
    r"|\b(?:jan|feb|mar|apr|may|jun|jul|aug|sep|oct|nov|dec)[a-z]*\.?\s+\d\d?(?:st|nd|rd|th)?\b"
    r"|\b\d{5,}\b",  # other long numbers: phone numbers, ZIP codes
    re.I,
)
_TOKEN = re.compile(r"\d+(?:\.\d+)?[a-z]*|[a-z][a-z0-9]*|[(),;.!?&:/#]")
_MEASURE = re.compile(r"(\d+(?:\.\d+)?)([a-z]+)")


def product_name(item: ItemView | str) -> str:
    """The product, less its options: 'Water Bottle (1000ml, glass, blue)' -> 'Water Bottle'."""
    name = item if isinstance(item, str) else item.name
    return re.sub(r"\s*\([^()]*\)\s*$", "", name).strip()


@dataclass(frozen=True)
class Tok:
    """One word of a text, where it starts, as said and as compared."""

    pos: int
    raw: str
    word: str  # lower case, singular, units merged ('1 liter' -> '1l')

    @property
    def plural(self) -> bool:
        """Said in the plural ('bottles'), which can mean several lines."""
        return self.word != self.raw and self.raw[:1].isalpha() and self.raw.endswith("s")


def _singular(w: str) -> str:
    if len(w) <= 3 or not w.endswith("s") or w.endswith(("ss", "us", "is")):
        return w
    if w.endswith("ies"):
        return w[:-3] + "y"
    if w.endswith(("ches", "shes", "xes", "zes", "sses")):
        return w[:-2]
    return w[:-1]


def _canon(raw: str) -> str:
    if (m := _MEASURE.fullmatch(raw)) and m[2] in _UNITS:
        return m[1] + _UNITS[m[2]]
    return _singular(_SPELLINGS.get(raw, raw))


def tokens(text: str) -> list[Tok]:
    """Words and punctuation of `text`; a number and its unit become one word ('1000 ml')."""
    found = [(m.start(), m[0]) for m in _TOKEN.finditer(text.lower())]
    out: list[Tok] = []
    i = 0
    while i < len(found):
        pos, raw = found[i]
        if raw.replace(".", "").isdigit() and i + 1 < len(found) and found[i + 1][1] in _UNITS:
            raw, i = raw + found[i + 1][1], i + 1
        out.append(Tok(pos, raw, _canon(raw)))
        i += 1
    return out


@dataclass(frozen=True)
class Word:
    """One word of a product name: the forms that count as it ('t-shirt', 'tshirt'), whether
    it names the product alone (`strong`), and whether the name itself is plural
    ('Headphones': saying 'headphones' means one line)."""

    forms: frozenset[str]
    strong: bool
    plural: bool


@dataclass(frozen=True)
class Product:
    """How one order line, or one catalogue product, can be called."""

    words: tuple[Word, ...]
    options: tuple[tuple[str, ...], ...]  # each option value as words: ('stainless', 'steel')


@cache
def vocabulary(name: str, options: tuple[str, ...]) -> Product:
    """How a line (or a catalogue name) can be called: its name's words and its options."""
    words: list[Word] = []
    for chunk in product_name(name).split():
        raw = tokens(chunk)
        parts = [t for t in raw if len(t.word) > 1 and not t.word.replace(".", "").isdigit()]
        parts = [t for t in parts if t.word not in GENERIC]
        if not parts:
            continue
        longest = max(parts, key=lambda t: len(t.word))
        joined = _canon("".join(t.raw for t in raw))  # 'T-Shirt' is also 'tshirt'
        for t in parts:
            forms = {t.word, t.raw, joined} if t is longest and len(raw) > 1 else {t.word, t.raw}
            strong = t.word[0].isalpha() and len(t.word) >= 3 and t.word not in WEAK
            words.append(Word(frozenset(forms), strong, t.plural))
    inside = re.search(r"\(([^()]*)\)\s*$", name)
    values = [*options, *(inside[1].split(",") if inside else ())]
    seen: dict[tuple[str, ...], None] = {}
    for value in values:
        said = tuple(t.word for t in tokens(value) if t.raw not in ",()")
        if said and not _VAGUE_OPTIONS & set(said):
            seen[said] = None
    return Product(tuple(words), tuple(seen))


def options_of(item: ItemView) -> tuple[str, ...]:
    """A line's option values; read with getattr so views without `options` work too."""
    return tuple(str(v) for v in (getattr(item, "options", None) or {}).values())


def likeness(tok: Tok, word: Word) -> float:
    """SAME, COMPOUND, TYPO or 0."""
    w = tok.word
    if w in word.forms:
        return SAME
    if len(w) < 5 or w in GENERIC:
        return 0.0
    if w not in _NO_SUFFIX and any(len(f) - len(w) >= 3 and f.endswith(w) for f in word.forms):
        return COMPOUND
    if tok.raw.endswith(("ed", "ing")):
        return 0.0  # 'charged' is a word of its own, not a typo of 'charger'
    for said in {w, tok.raw}:
        for form in word.forms:
            if len(form) >= 5 and form[0] == w[0] and OSA.distance(said, form, score_cutoff=1) <= 1:
                return TYPO
    return 0.0
