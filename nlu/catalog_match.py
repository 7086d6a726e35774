"""Product and variant names, matched against a catalogue: the demo shop's or the store's own.

A `CatalogMatcher` is built from records of (item_id, product name, variant options) and
finds the products a message names, whatever the catalogue holds:

- the product name in any case, singular or plural, hyphens and spaces alike ('t shirts'
  for 'T-Shirt'), with a typo or two in names of two words or more, and without its brand
  where the rest still names it alone ('Desk Lamp' for 'Halo Desk Lamp'; a single word
  only when the first word is a brand that starts two product names: 'Earbuds' for
  'Aurora Earbuds');
- the variant's options around it, in any order: in parentheses after the name
  ('Headphones (over-ear, wireless, blue)'), as adjectives before it ('the blue wireless
  over-ear headphones') or after it ('the headphones in blue'). An option 'yes' is also
  written as its key ('waterproof').

A name whose options pick one variant (all of its options written, or the only variant
that has every option written) is a `sku` entity whose value is that variant's item id;
so is a product of one variant, or a name alone where the catalogue names the variant a
bare name means (`CatalogRecord.primary`). Otherwise it is a `product` entity whose value
is the product's name: which variant is still to ask. The span covers the name and the
options written after it (adjectives before it pick the variant but stay outside the span,
as a determiner would).
"""

from __future__ import annotations

import re
from collections.abc import Iterable, Iterator, Mapping
from dataclasses import dataclass, field
from functools import cache
from typing import TYPE_CHECKING

from rapidfuzz import fuzz

from nlu.entity_rules import Candidate

if TYPE_CHECKING:
    from tools.schemas import ProductView

FUZZY_SCORE = 88.0
"""Least rapidfuzz ratio for a misspelt name of two words or more ('aurora wireles headphones')."""
WORD_SCORE = 75.0
"""Least rapidfuzz ratio of each word of a misspelt name to the catalogue's word."""
CONTEXT_CHARS = 80
"""How far before a name option adjectives are looked for."""

_CHUNK = re.compile(r"\d+(?:\.\d+)?|[^\W\d_]+|[^\w\s\-–—.,:;/'’()]")
"""Numbers, words and symbols ('$', '%', '+'); separators are left out."""
_TOKEN = re.compile(r"[A-Za-z0-9$][\w$'-]*")
_PARENS = re.compile(r"\s*\(([^()\n]{1,200})\)")
_BEFORE_GLUE = re.compile(r"(?:\s*,\s*|\s+and\s+|\s*/\s*|\s+)$", re.I)
_AFTER_GLUE = re.compile(r"(?:\s*,\s*|\s+and\s+|\s*/\s*|\s+in\s+|\s+with\s+|\s+)", re.I)
_OPEN = r"(?<![A-Za-z0-9'’])"
_CLOSE = r"(?![A-Za-z0-9])"
_NEGATIVE = {"no", "none", "false"}
_YES = {"yes", "true"}


@dataclass(frozen=True)
class CatalogRecord:
    """One variant of the catalogue."""

    item_id: str
    """What a resolved mention's `sku` entity holds: the store's SKU (τ: the item id)."""
    product: str
    """The product's name, the same for all its variants: 'Headphones'."""
    options: Mapping[str, str] = field(default_factory=dict)
    """What sets this variant apart: {"color": "blue", "type": "over-ear"}."""
    group: str | None = None
    """The product the variant belongs to (τ: product_id); by default, its name."""
    primary: bool = False
    """The variant the product's name alone means (the demo shop lists one per product)."""


def _chunks(phrase: str) -> list[str]:
    return _CHUNK.findall(phrase.casefold())


def _key(phrase: str) -> str:
    """The normalised form two spellings of one value share: 'Over-Ear' and 'over ear'."""
    return " ".join(_chunks(phrase))


def _flex(chunks: list[str]) -> str:
    """A pattern for the chunks, written with or without spaces and hyphens between them."""
    out = re.escape(chunks[0])
    for prev, chunk in zip(chunks, chunks[1:], strict=False):
        both_digits = prev[0].isdigit() and chunk[0].isdigit()
        out += r"(?:\s*[-–/]\s*|\s+)" if both_digits else r"[\s:-]*"
        out += re.escape(chunk)
    return out


def _plural(word: str) -> str:
    """A pattern for the last word of a name, singular or plural."""
    w = re.escape(word)
    if len(word) < 3 or not word.isalpha():
        return w
    if word.endswith(("ss", "us", "ses")):
        return w + r"(?:es)?" if word.endswith(("ss", "us")) else w
    if word.endswith("s"):
        return re.escape(word[:-1]) + r"s?"
    if word.endswith("y") and word[-2] not in "aeiou":
        return re.escape(word[:-1]) + r"(?:y|ies)"
    if word.endswith(("ch", "sh", "x", "z")):
        return w + r"(?:es)?"
    return w + r"s?"


def _name_pattern(name: str) -> re.Pattern[str]:
    words = [_chunks(w) for w in name.split()]
    words = [w for w in words if w]
    head = [_flex(w) for w in words[:-1]]
    last = words[-1]
    if last[-1].isalpha():
        tail = _plural(last[-1])
        if len(last) > 1:
            tail = _flex(last[:-1]) + r"[\s-]*" + tail
    else:
        tail = _flex(last)
    body = r"[\s-]+".join([*head, tail])
    return re.compile(_OPEN + body + _CLOSE, re.I)


@dataclass
class _Product:
    name: str
    variants: list[CatalogRecord]
    forms: list[str] = field(default_factory=list)
    """Names it goes by, lower-case: the full name and, when unambiguous, the brand-less one."""
    values: dict[str, list[re.Pattern[str]]] = field(default_factory=dict)
    """Normalised option value -> the patterns that find it written."""


class CatalogMatcher:
    """Finds the catalogue's products (and variants) named in a message; see the module."""

    def __init__(self, records: Iterable[CatalogRecord]) -> None:
        groups: dict[str, _Product] = {}
        for record in records:
            if not _chunks(record.product):
                continue  # a name of no letters or digits names nothing
            key = record.group or record.product.casefold()
            product = groups.setdefault(key, _Product(record.product, []))
            product.variants.append(record)
        self.products = list(groups.values())
        self._add_forms()
        for product in self.products:
            for variant in product.variants:
                for opt, value in variant.options.items():
                    key = _value_key(opt, str(value))
                    if key in product.values:
                        continue
                    product.values[key] = [
                        re.compile(_OPEN + _flex(_chunks(written)) + _CLOSE, re.I)
                        for written in _spellings(opt, str(value))
                        if _chunks(written)
                    ]
        self._patterns = [
            (_name_pattern(form), _chunks(form)[0], product)
            for product in self.products
            for form in product.forms
        ]
        by_size: dict[int, list[tuple[str, _Product]]] = {}
        for product in self.products:
            for form in product.forms:
                if " " in form:
                    by_size.setdefault(form.count(" ") + 1, []).append((form, product))
        self._fuzzy = by_size

    @classmethod
    def from_products(cls, products: Iterable[ProductView]) -> CatalogMatcher:
        """The matcher of a store's catalogue (`StoreBackend.list_products`)."""
        return cls(CatalogRecord(p.sku, p.name, dict(p.options), p.group_id) for p in products)

    @classmethod
    def from_tau(cls, db: Mapping[str, object]) -> CatalogMatcher:
        """The matcher of a τ-format store dump's products (item_id, name, options)."""
        records = []
        products = db.get("products")
        for pid, raw in (products if isinstance(products, dict) else {}).items():
            variants = raw.get("variants") or {}
            for item_id, variant in variants.items():
                options = {str(k): str(v) for k, v in (variant.get("options") or {}).items()}
                item = str(variant.get("item_id", item_id))
                records.append(CatalogRecord(item, str(raw["name"]), options, str(pid)))
        return cls(records)

    def _add_forms(self) -> None:
        names = {p.name.casefold() for p in self.products}
        firsts: dict[str, set[str]] = {}
        for name in names:
            words = name.split()
            if len(words) > 1:
                firsts.setdefault(words[0], set()).add(name)
        tails: dict[str, set[int]] = {}
        for i, product in enumerate(self.products):
            words = product.name.casefold().split()
            for n in range(1, len(words)):
                tails.setdefault(" ".join(words[n:]), set()).add(i)
        for i, product in enumerate(self.products):
            name = product.name.casefold()
            product.forms.append(name)
            words = name.split()
            if len(words) < 2:
                continue
            rest = " ".join(words[1:])
            brand = len(firsts.get(words[0], ())) > 1
            if (len(words) > 2 or brand) and rest not in names and tails[rest] == {i}:
                product.forms.append(rest)

    def find(self, text: str) -> Iterator[Candidate]:
        """The products named in text, as `sku` (a variant) or `product` (a name) candidates."""
        lowered = text.casefold()
        seen: set[tuple[int, int, int]] = set()
        exact: list[tuple[int, int, int]] = []
        for pattern, first, product in self._patterns:
            if first not in lowered:
                continue
            for m in pattern.finditer(text):
                key = (m.start(), m.end(), id(product))
                if key not in seen:
                    seen.add(key)
                    exact.append(key)
                    yield self._resolve(text, m.start(), m.end(), product)
        tokens = list(_TOKEN.finditer(text))
        words = [t[0].casefold() for t in tokens]
        for size, forms in self._fuzzy.items():
            for i in range(len(tokens) - size + 1):
                window: str | None = None
                for form, product in forms:
                    if words[i][0] != form[0]:
                        continue
                    window = window or " ".join(words[i : i + size])
                    if window != form and _close(window, form):
                        start, end = tokens[i].start(), tokens[i + size - 1].end()
                        inside = any(
                            start <= s and e <= end and k == id(product) for s, e, k in exact
                        )
                        if not inside and (start, end, id(product)) not in seen:
                            seen.add((start, end, id(product)))
                            yield self._resolve(text, start, end, product)

    def _resolve(self, text: str, start: int, end: int, product: _Product) -> Candidate:
        """The candidate for a name at [start, end): options read around it pick the variant."""
        mentioned: set[str] = set()
        finish = end
        parens = _PARENS.match(text, end)
        if parens:
            inside = {v for _s, _e, v in _hits(product, text, parens.start(1), parens.end(1))}
            if inside:
                mentioned |= inside
                finish = parens.end()
        else:
            finish = self._chain_after(text, end, product, mentioned)
        self._chain_before(text, start, product, mentioned)
        item = _pick(product, mentioned)
        if item is None:
            return Candidate(start, finish, "product", product.name)
        return Candidate(start, finish, "sku", item)

    def _chain_before(self, text: str, start: int, product: _Product, found: set[str]) -> int:
        """Option adjectives just before the name ('the blue wireless headphones')."""
        window_start = max(0, start - CONTEXT_CHARS)
        matches = _hits(product, text, window_start, start)
        cur = start
        while True:
            glued = [
                (e, -s, value)
                for s, e, value in matches
                if e < cur and _BEFORE_GLUE.fullmatch(text[e:cur]) is not None
            ]
            if not glued:
                return cur
            e, neg_s, value = max(glued)
            found.add(value)
            cur = -neg_s

    def _chain_after(self, text: str, end: int, product: _Product, found: set[str]) -> int:
        """Options written just after the name ('the headphones in blue, over-ear')."""
        cur = end
        while True:
            glue = _AFTER_GLUE.match(text, cur)
            if glue is None:
                return cur
            best: tuple[int, str] | None = None
            for value, patterns in product.values.items():
                for pattern in patterns:
                    m = pattern.match(text, glue.end())
                    if m and (best is None or m.end() > best[0]):
                        best = (m.end(), value)
            if best is None:
                return cur
            found.add(best[1])
            cur = best[0]


def _close(window: str, form: str) -> bool:
    """Whether `window` is `form` with a typo or two: close as a whole, and word by word
    (a short word exactly), so 'the kettle' is not 'tea kettle'."""
    if fuzz.ratio(window, form) < FUZZY_SCORE:
        return False
    pairs = zip(window.split(), form.split(), strict=False)
    return all(a == b or (len(b) > 3 and fuzz.ratio(a, b) >= WORD_SCORE) for a, b in pairs)


def _hits(product: _Product, text: str, start: int, end: int) -> list[tuple[int, int, str]]:
    """(start, end, value) of the product's option values written in text[start:end], less
    those inside a longer one ('polarized' in 'non-polarized')."""
    window = text[start:end]
    found = [
        (start + m.start(), start + m.end(), value)
        for value, patterns in product.values.items()
        for pattern in patterns
        for m in pattern.finditer(window)
    ]
    return [
        (s, e, v)
        for s, e, v in found
        if not any(s2 <= s and e <= e2 and (e2 - s2) > (e - s) for s2, e2, _v in found)
    ]


def _value_key(option: str, value: str) -> str:
    """The key of one option value; a yes/no answer is keyed with its option's name."""
    low = value.strip().casefold()
    return f"{_key(option)}={low}" if low in _YES | _NEGATIVE else _key(value)


def _spellings(option: str, value: str) -> list[str]:
    """How a customer may write one option: the value, with or without its option's name
    before it ('size L'), and for 'yes' the option's name ('waterproof')."""
    low = value.strip().casefold()
    if low in _YES:
        return [value, option]
    if low in _NEGATIVE and option:
        return [value, f"no {option}", f"non-{option}", f"without {option}"]
    return [f"{option}: {value}", value] if option else [value]


def _pick(product: _Product, mentioned: set[str]) -> str | None:
    """The item id the options written pick among the product's variants, or None."""
    variants = product.variants
    if len(variants) == 1:
        return variants[0].item_id
    values = [(v, {_value_key(k, str(x)) for k, x in v.options.items()}) for v in variants]
    if mentioned:
        full = [(v, vals) for v, vals in values if vals and vals <= mentioned]
        if full:
            most = max(len(vals) for _v, vals in full)
            best = [v for v, vals in full if len(vals) == most]
            if len(best) == 1:
                return best[0].item_id
        consistent = [v for v, vals in values if mentioned <= vals]
        if len(consistent) == 1:
            return consistent[0].item_id
    primary = [v for v, vals in values if v.primary and (not mentioned or mentioned <= vals)]
    return primary[0].item_id if len(primary) == 1 else None


@cache
def demo_catalog() -> CatalogMatcher:
    """The demo shop's catalogue (tools.store.catalog): every product row, each `CATALOG`
    item the variant its name alone means."""
    from tools.store.catalog import CATALOG, PRODUCTS

    listed = {item.sku for item in CATALOG}
    return CatalogMatcher(
        CatalogRecord(
            item.sku, item.name, dict(item.options or {}), item.group_id, item.sku in listed
        )
        for item in PRODUCTS
    )
