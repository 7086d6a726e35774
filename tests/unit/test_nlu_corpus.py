"""The committed intent corpus: up to date with its generator, balanced, unambiguous."""

from __future__ import annotations

import csv
import json
from collections import Counter
from pathlib import Path

from nlu.corpus import BACKGROUND_PATH, CORPUS_PATH, read_background
from nlu.corpus.build_corpus import build, main, norm_key, read_seeds
from nlu.corpus.products import GENERIC_PRODUCTS, LEAD_WORDS
from nlu.entities import extract_entities
from nlu.taxonomy import INTENTS


def rows() -> list[dict]:
    return [json.loads(line) for line in CORPUS_PATH.read_text().splitlines()]


def test_nlu_corpus_is_what_the_generator_writes(capsys):
    assert main(["--check"]) == 0, capsys.readouterr().out


def test_nlu_corpus_generator_is_deterministic():
    seeds = read_seeds()
    assert build(seeds) == build(seeds)


def test_nlu_corpus_has_at_least_150_rows_per_intent_and_known_sources():
    data = rows()
    counts = Counter(r["intent"] for r in data)
    assert set(counts) == set(INTENTS)
    assert min(counts.values()) >= 150
    assert {r["source"] for r in data} == {"handwritten", "template", "noise"}
    assert all(set(r) == {"text", "intent", "source", "entities"} for r in data)


def test_nlu_corpus_handwritten_rows_are_seeds_verbatim():
    seeds = read_seeds()
    verbatim = {(t, intent) for intent, lines in seeds.items() for t in lines if "{" not in t}
    handwritten = {(r["text"], r["intent"]) for r in rows() if r["source"] == "handwritten"}
    assert handwritten <= verbatim
    # A seed missing from the rows only repeats another seed up to case and punctuation.
    keys = {(norm_key(r["text"]), r["intent"]) for r in rows()}
    assert {(norm_key(t), intent) for t, intent in verbatim} <= keys
    assert not any("{" in r["text"] or "}" in r["text"] for r in rows())


def test_nlu_corpus_has_no_text_under_two_intents():
    labels: dict[str, set[str]] = {}
    for r in rows():
        labels.setdefault(norm_key(r["text"]), set()).add(r["intent"])
    assert [k for k, v in labels.items() if len(v) > 1] == []


def test_nlu_corpus_covers_the_ways_people_ask_for_a_human():
    human = {norm_key(r["text"]) for r in rows() if r["intent"] == "contact_human_agent"}
    for phrase in ("I want to talk to a person", "human please", "speak to someone"):
        assert norm_key(phrase) in human
    assert any("real agent" in t for t in human)
    assert any("representative" in t for t in human)


def test_nlu_corpus_background_never_overlaps_an_intent():
    texts = {norm_key(r["text"]) for r in rows()}
    background = read_background(BACKGROUND_PATH)
    assert len(background) >= 100
    assert not texts & {norm_key(t) for t in background}


def test_nlu_corpus_entity_spans_point_at_the_filled_values():
    rows = [json.loads(line) for line in CORPUS_PATH.read_text(encoding="utf-8").splitlines()]
    spans = [(row["text"], e) for row in rows for e in row["entities"]]
    assert len(spans) > 1000
    types = Counter(e["type"] for _, e in spans)
    assert set(types) == {"order_id", "invoice_id", "money", "sku", "date", "email"}
    for text, e in spans:
        surface = text[e["start"] : e["end"]]
        assert surface and surface == surface.strip(), (text, e)
        if e["type"] == "order_id":
            assert e["value"] == "W" + "".join(ch for ch in surface if ch.isdigit())
        elif e["type"] == "email":
            assert e["value"] == surface
        elif e["type"] == "date":
            assert e["value"] is None and not surface.startswith("on ")


def test_nlu_corpus_handwritten_rows_have_no_entity_spans():
    rows = [json.loads(line) for line in CORPUS_PATH.read_text(encoding="utf-8").splitlines()]
    assert all(not r["entities"] for r in rows if r["source"] == "handwritten")


def test_nlu_corpus_everyday_products_name_no_catalogue_product():
    # Their rows carry no sku span, so the extractor must find none there either.
    forms = [
        form
        for name, options in GENERIC_PRODUCTS.items()
        for form in (
            name,
            *(f"{name} ({o})" for o in options),
            *(f"{w} {name.lower()}" for w in LEAD_WORDS),
        )
    ]
    found = {
        form: [e.type for e in extract_entities(f"return the {form} from W1234567")]
        for form in forms
    }
    corpus_types = {"order_id", "invoice_id", "money", "sku", "date", "email"}
    assert {f: t for f, t in found.items() if set(t) & corpus_types != {"order_id"}} == {}


def test_nlu_corpus_item_level_requests_name_catalogue_and_everyday_products():
    everyday = tuple(name.lower() for name in GENERIC_PRODUCTS)
    for intent in ("get_refund", "change_order", "track_refund", "cancel_order"):
        texts = [(r["text"].lower(), r["entities"]) for r in rows() if r["intent"] == intent]
        assert any(any(e["type"] == "sku" for e in ents) for _, ents in texts), intent
        assert any(name in text for text, _ in texts for name in everyday), intent


def test_nlu_corpus_holds_none_of_the_held_out_item_requests():
    path = Path(__file__).resolve().parents[2] / "evals" / "data" / "item_requests_heldout.csv"
    with path.open(encoding="utf-8") as f:
        held_out = {norm_key(r["text"]) for r in csv.DictReader(f)}
    assert len(held_out) >= 40
    assert held_out.isdisjoint(norm_key(r["text"]) for r in rows())
