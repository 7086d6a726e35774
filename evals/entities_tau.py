"""Entities on values never seen: sentences filled with values drawn from a τ-retail db.

Each sentence comes from one of the `TEMPLATES` below, its {slots} filled with values of
one τ-format store dump (`{"products", "users", "orders"}`, as `tools.store.tau_import`
reads it): order ids with and without '#', product names with their variant options,
street addresses, ZIP codes, full names and amounts. A value that appears anywhere in the
NLU training corpus (the files of nlu/corpus/) is never drawn, so every value is new to
the classifier and to the rules' tuning data.

What is scored, per type, and how each is read the way the graph reads it:

- order_id, person_name, money: `nlu.entities.extract_entities` (what `NLUParser.parse`
  runs for graph/nodes/classify.py); values compared with `evals.entities.normalise_value`
  (money as refund_amount: the number with two decimals);
- product: a `sku` entity whose value is the variant's item_id, i.e. the product name and
  options resolved against the store's own catalogue (the extractor is given the db's
  catalogue, `nlu.catalog_match.CatalogMatcher.from_tau`, as the service is given its
  store's);
- address: `tools.addresses.find_address` (what the graph uses for a new address),
  compared as street, city, state and ZIP;
- zip: a `zip_code` entity (a ZIP after a cue word or inside an address), or the ZIP of
  the address find_address read; one ZIP value counts once.

`value` needs type and normalised value to agree; `span` needs type and exact character
offsets (address spans come from the address parser's Address, which has no offsets, so
address is only scored by value and its span score is left out; the gold span of a ZIP
inside an address is where the address's ZIP is written).

    support evals entities-tau --db db.json [--n 300] [--seed 0] [--json]
"""

from __future__ import annotations

import random
import re
import time
from collections import Counter
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from evals.entities import _scores, _tally, normalise_value, type_table
from nlu.catalog_match import CatalogMatcher
from nlu.entities import Entity, extract_entities
from tools.addresses import Address, find_address
from tools.store.tau_import import read_dump

TYPES = ("order_id", "product", "address", "zip", "person_name", "money")
"""Scored types, in report order."""
SPAN_TYPES = ("order_id", "product", "zip", "person_name", "money")
"""Types whose exact character span is scored."""

TEMPLATES = (
    "Hi, I'm {name}. Where is my order {order}? It had the {product} in it.",
    "Please cancel order {order}, I no longer need the {product}.",
    "My name is {name} and I want a refund of {amount} for {order}.",
    "Can you change the shipping address of {order} to {address}?",
    "I moved. New address: {address}. The order is {order}.",
    "hey this is {name}, zip {zip}, i cant log in",
    "I'd like to return the {product} from order {order} and get my {amount} back.",
    "You charged me {amount} twice on {order}! Fix it. - {name}",
    "Exchange the {product} for another size please, order {order}",
    "Hello, {name} here. My zip code is {zip}. I need help with {order}.",
    "Is the {product} still in stock? I want one shipped to {address}.",
    "order {order} never arrived, it was supposed to go to {address}",
    "The {product} arrived broken. Order number {order}, paid {amount}.",
    "I was refunded {amount} but it should have been more. Name: {name}, order {order}.",
    "Could you update my address to {address}? Thanks, {name}",
    "{name}, ZIP code {zip}. Looking for the status of {order} please.",
    "Why was {order} charged {amount}? I only ordered the {product}.",
    "I want to swap the {product} in {order} before it ships.",
    "Please send the replacement to {address} and refund {amount} to my card.",
    "This is {name}. I live at {address} and my order {order} is late.",
)
"""Customer messages; each names two or more values."""

_SLOT = re.compile(r"\{(\w+)\}")
_CORPUS_DIR = Path(__file__).resolve().parents[1] / "nlu" / "corpus"
Extractor = Callable[[str], Sequence[Entity]]
AddressReader = Callable[[str], Address | None]


@dataclass
class Gold:
    """One gold value in a sentence: type, normalised value and span."""

    type: str
    value: str
    start: int
    end: int


@dataclass
class Sentence:
    text: str
    gold: list[Gold] = field(default_factory=list)


def corpus_text(corpus_dir: str | Path | None = None) -> str:
    """Every file of the NLU training corpus, case-folded, as one string."""
    root = Path(corpus_dir) if corpus_dir is not None else _CORPUS_DIR
    parts = [
        p.read_text(encoding="utf-8", errors="ignore").casefold()
        for p in sorted(root.iterdir())
        if p.is_file() and p.suffix in (".jsonl", ".txt", ".py", ".json", ".csv")
    ]
    return "\n".join(parts)


def _unseen(corpus: str, *forms: str) -> bool:
    return not any(f.casefold() in corpus for f in forms if f)


def _address_key(street: str, city: str, state: str, zip_code: str) -> str:
    return " | ".join(" ".join(p.casefold().split()) for p in (street, city, state, zip_code))


def draw_values(db: dict[str, Any], corpus: str) -> dict[str, list[tuple[str, str]]]:
    """Per slot, the (surface text, gold value) pairs of the db the corpus never names."""
    orders, users, products = db["orders"], db["users"], db["products"]
    values: dict[str, list[tuple[str, str]]] = {k: [] for k in ("order", "product", "name")}
    values.update({"address": [], "zip": [], "amount": []})
    for order_id in sorted(orders):
        bare = order_id.removeprefix("#")
        if _unseen(corpus, bare):
            values["order"].append((order_id, bare))
        for pay in orders[order_id].get("payment_history") or []:
            amount = f"{float(pay['amount']):.2f}"
            if _unseen(corpus, amount):
                values["amount"].append((f"${float(pay['amount']):,.2f}", amount))
    for pid in sorted(products):
        product = products[pid]
        for item_id, variant in sorted(product["variants"].items()):
            opts = ", ".join(str(v) for v in variant.get("options", {}).values())
            surface = f"{product['name']} ({opts})" if opts else product["name"]
            if _unseen(corpus, surface, item_id):
                values["product"].append((surface, item_id))
    for uid in sorted(users):
        user = users[uid]
        full = f"{user['name']['first_name']} {user['name']['last_name']}"
        if _unseen(corpus, full):
            values["name"].append((full, full))
        a = user.get("address") or {}
        if not all(a.get(k) for k in ("address1", "city", "state", "zip")):
            continue
        street = ", ".join(p for p in (a["address1"], a.get("address2")) if p)
        line = f"{street}, {a['city']}, {a['state']} {a['zip']}"
        if _unseen(corpus, a["address1"]):
            values["address"].append(
                (line, _address_key(a["address1"], a["city"], a["state"], a["zip"]))
            )
        if _unseen(corpus, a["zip"]):
            values["zip"].append((a["zip"], a["zip"]))
    return values


_SLOT_TYPE = {
    "order": "order_id",
    "product": "product",
    "name": "person_name",
    "amount": "money",
    "address": "address",
    "zip": "zip",
}


def fill(template: str, picks: dict[str, tuple[str, str]]) -> Sentence:
    """The template with each slot replaced by its surface text, with gold spans."""
    out, gold, at = [], [], 0
    length = 0
    for m in _SLOT.finditer(template):
        literal = template[at : m.start()]
        out.append(literal)
        length += len(literal)
        surface, value = picks[m[1]]
        kind = _SLOT_TYPE[m[1]]
        gold.append(Gold(kind, value, length, length + len(surface)))
        if kind == "address":  # the address's ZIP, which ends it, is a zip value too
            zip_code = value.rsplit(" | ", 1)[1]
            at = length + surface.casefold().rfind(zip_code)
            gold.append(Gold("zip", zip_code, at, at + len(zip_code)))
        out.append(surface)
        length += len(surface)
        at = m.end()
    out.append(template[at:])
    return Sentence("".join(out), gold)


def build_sentences(db: dict[str, Any], n: int, seed: int, corpus: str) -> list[Sentence]:
    """n sentences, templates in turn, values drawn at random (seeded) from unseen values."""
    values = draw_values(db, corpus)
    rng = random.Random(seed)
    sentences = []
    for i in range(n):
        template = TEMPLATES[i % len(TEMPLATES)]
        slots = set(_SLOT.findall(template))
        if any(not values[s] for s in slots):
            continue
        picks = {s: rng.choice(values[s]) for s in slots}
        if "order" in picks and rng.random() < 0.5:  # half the ids without '#'
            picks["order"] = (picks["order"][1], picks["order"][1])
        sentences.append(fill(template, picks))
    return sentences


def _norm(kind: str, value: str) -> str:
    if kind == "money":
        return normalise_value("refund_amount", value)
    if kind in ("order_id", "person_name"):
        return normalise_value(kind, value)
    return " ".join(value.casefold().split())


_KINDS = {"sku": "product", "product": "product", "zip_code": "zip"}
"""Extracted entity type -> scored type: a product left without its variant is a product
whose value (its name) is no item id, so it counts as wrong."""


def score(
    sentences: Sequence[Sentence],
    *,
    extractor: Extractor | None = None,
    address_reader: AddressReader | None = None,
) -> dict[str, Any]:
    """Per-type and micro value P/R/F1 plus exact-span scores over the given sentences."""
    extract = extractor or extract_entities
    read_address = address_reader or find_address
    value_counts = {t: [0, 0, 0] for t in TYPES}
    span_counts = {t: [0, 0, 0] for t in SPAN_TYPES}
    seconds = 0.0
    for s in sentences:
        began = time.perf_counter()
        found = extract(s.text)
        address = read_address(s.text)
        seconds += time.perf_counter() - began
        pred_v: Counter[tuple[Any, ...]] = Counter()
        pred_s: Counter[tuple[Any, ...]] = Counter()
        for e in found:
            kind = _KINDS.get(e.type, e.type)
            if kind in SPAN_TYPES:
                pred_v[(kind, _norm(kind, e.value))] += 1
                pred_s[(kind, e.start, e.end)] += 1
        if address is not None:
            key = _address_key(address.street, address.city, address.state, address.zip_code)
            pred_v[("address", key)] += 1
            zip_value = ("zip", _norm("zip", address.zip_code))
            pred_v[zip_value] = max(pred_v[zip_value], 1)
        gold_v = Counter((g.type, _norm(g.type, g.value)) for g in s.gold)
        gold_s = Counter((g.type, g.start, g.end) for g in s.gold if g.type in SPAN_TYPES)
        _tally(gold_v, pred_v, value_counts)
        _tally(gold_s, pred_s, span_counts)

    def summary(counts: dict[str, list[int]], types: Sequence[str]) -> dict[str, Any]:
        totals = [sum(counts[t][i] for t in types) for i in range(3)]
        return {"types": {t: _scores(*counts[t]) for t in types}, "micro": _scores(*totals)}

    rows = len(sentences)
    return {
        "sentences": rows,
        "ms_per_sentence": round(1000 * seconds / rows, 3) if rows else 0.0,
        "value": summary(value_counts, TYPES),
        "span": summary(span_counts, SPAN_TYPES),
    }


def evaluate_tau_entities(
    db_path: str | Path, *, n: int = 300, seed: int = 0, corpus_dir: str | Path | None = None
) -> dict[str, Any]:
    """Build n sentences from the db at db_path and score the project's extractors on them."""
    db = read_dump(db_path)
    sentences = build_sentences(db, n, seed, corpus_text(corpus_dir))
    catalog = CatalogMatcher.from_tau(db)
    report = score(sentences, extractor=lambda text: extract_entities(text, catalog=catalog))
    report = {"db": str(db_path), "seed": seed, **report}
    report["examples"] = [s.text for s in sentences[:5]]
    return report


def format_report(report: dict[str, Any]) -> str:
    """A plain-text table: value P/R/F1 and exact-span F1 per type, then micro."""
    title = (
        f"{report['db']}: {report['sentences']} sentences (seed {report['seed']}), "
        f"{report['ms_per_sentence']} ms per sentence"
    )
    return "\n".join([title, *type_table(report, TYPES, width=14)])
