"""The τ-values entity eval: sentences, scoring, corpus exclusion and the CLI command."""

from __future__ import annotations

import json
from pathlib import Path

from typer.testing import CliRunner

from cli import cli
from evals.entities_tau import TEMPLATES, Gold, Sentence, build_sentences, draw_values, score
from nlu.entities import Entity
from tools.store.tau_import import read_dump

STORE = Path(__file__).resolve().parents[2] / "evals" / "data" / "tau_store.json"


def test_sentences_carry_gold_spans_that_match_the_text():
    sentences = build_sentences(read_dump(STORE), len(TEMPLATES), 0, "")
    assert len(sentences) == len(TEMPLATES)
    for s in sentences:
        assert len(s.gold) >= 2
        for g in s.gold:
            if g.start >= 0 and g.type in ("order_id", "person_name"):
                assert s.text[g.start : g.end].removeprefix("#").casefold() == g.value.casefold()


def test_scorer_counts_true_and_false_positives_and_misses():
    sentence = Sentence(
        "order W1234567 for $12.50",
        [Gold("order_id", "W1234567", 6, 14), Gold("money", "12.50", 19, 25)],
    )
    found = [Entity("order_id", "W1234567", 6, 14), Entity("person_name", "Bob", 0, 3)]
    report = score([sentence], extractor=lambda _t: found, address_reader=lambda _t: None)
    assert report["value"]["types"]["order_id"]["tp"] == 1
    assert report["value"]["types"]["money"]["fn"] == 1
    assert report["value"]["types"]["person_name"]["fp"] == 1
    assert report["value"]["micro"]["precision"] == 0.5
    assert report["span"]["types"]["order_id"]["f1"] == 1.0


def test_values_in_the_corpus_are_never_drawn():
    db = read_dump(STORE)
    everything = draw_values(db, "")
    order = everything["order"][0][1]
    name = everything["name"][0][0]
    kept = draw_values(db, f"... {order.casefold()} ... {name.casefold()} ...")
    assert order not in [v for _s, v in kept["order"]]
    assert name not in [v for _s, v in kept["name"]]
    assert len(kept["order"]) == len(everything["order"]) - 1


def test_command_prints_json_on_the_small_store():
    result = CliRunner().invoke(
        cli, ["evals", "entities-tau", "--db", str(STORE), "--n", "20", "--json"]
    )
    assert result.exit_code == 0, result.output
    report = json.loads(result.output)
    assert report["sentences"] == 20
    assert report["value"]["types"]["order_id"]["f1"] == 1.0
    assert set(report["value"]["types"]) >= {"order_id", "product", "address", "zip", "money"}


def test_products_resolve_against_the_db_catalogue_and_zips_are_read(tmp_path):
    from evals.entities_tau import evaluate_tau_entities

    report = evaluate_tau_entities(STORE, n=len(TEMPLATES) * 2, corpus_dir=tmp_path)
    assert report["value"]["types"]["product"]["tp"] > 0
    for kind in ("product", "zip", "order_id", "money", "address"):
        assert report["value"]["types"][kind]["f1"] == 1.0, kind
    for kind in ("product", "zip"):
        assert report["span"]["types"][kind]["f1"] == 1.0, kind


def test_a_zip_inside_an_address_has_its_gold_span():
    sentences = build_sentences(read_dump(STORE), len(TEMPLATES), 0, "")
    zips = [(s.text, g) for s in sentences for g in s.gold if g.type == "zip"]
    assert zips
    for text, g in zips:
        assert text[g.start : g.end] == g.value
