"""Generated τ-retail requests: deterministic, labelled, of every length; the command runs."""

import json
from pathlib import Path

import pytest
from typer.testing import CliRunner

from cli import cli
from evals.intent_tau import BUCKETS, INTENTS, TauDbError, bucket_of, evaluate, generate, load_db
from nlu.taxonomy import INTENT_CATEGORY

STORE = Path(__file__).resolve().parents[2] / "evals" / "data" / "tau_store.json"


def test_generation_is_deterministic_for_a_seed_and_gives_the_asked_count():
    db = load_db(STORE)
    first, again = generate(db, n=50, seed=3), generate(db, n=50, seed=3)
    assert first == again
    assert len(first) == 50
    assert [r.text for r in generate(db, n=50, seed=4)] != [r.text for r in first]


def test_requests_carry_shop_intents_order_ids_and_every_length():
    db = load_db(STORE)
    requests = generate(db, n=70, seed=0)
    assert {r.intent for r in requests} == set(INTENTS)
    assert set(INTENTS) <= set(INTENT_CATEGORY)
    assert all(r.order_id in db["orders"] for r in requests)
    buckets = {bucket_of(r.words) for r in requests}
    assert buckets == {name for name, *_ in BUCKETS}
    long_ones = [r for r in requests if r.words > 30]
    assert any(r.n_items >= 2 for r in requests)
    assert any("(" in r.text for r in long_ones)  # items named with their variant options


def test_order_ids_appear_with_and_without_hash():
    requests = generate(load_db(STORE), n=70, seed=0)
    with_hash = [r for r in requests if r.order_id in r.text]
    without = [r for r in requests if r.order_id not in r.text and r.order_id[1:] in r.text]
    assert with_hash and without


def test_a_file_that_is_not_a_tau_store_is_refused(tmp_path):
    bad = tmp_path / "db.json"
    bad.write_text(json.dumps({"users": {}}))
    with pytest.raises(TauDbError):
        load_db(bad)
    with pytest.raises(TauDbError):
        load_db(tmp_path / "missing.json")


def test_report_groups_by_length_and_intent(built):
    settings, services = built
    requests = generate(load_db(STORE), n=28, seed=0)
    report = evaluate(services.nlu, requests, settings.ESCALATION_THRESHOLD)
    assert report["n"] == 28
    assert 0.0 <= report["accuracy"] <= 1.0
    assert sum(g["n"] for g in report["by_length"].values()) == 28
    assert set(report["by_intent"]) == set(INTENTS)


def test_command_runs_with_json_on_the_small_store(built, monkeypatch):
    settings, _ = built
    monkeypatch.setenv("DATA_DIR", str(settings.data_dir))
    result = CliRunner().invoke(
        cli, ["evals", "intent-tau", "--db", str(STORE), "--n", "21", "--seed", "1", "--json"]
    )
    assert result.exit_code == 0, result.output
    report = json.loads(result.stdout)
    assert report["n"] == 21
    assert set(report["by_length"]) == {name for name, *_ in BUCKETS}
    for key in ("accuracy", "mean_confidence", "below_threshold", "escalated_low_confidence"):
        assert 0.0 <= report[key] <= 1.0
