"""Entity eval: value normalisation, per-type and micro scores, span match, the CLI."""

from __future__ import annotations

import csv
import json

import pytest

from evals.entities import evaluate_entities, main, normalise_value
from nlu.entities import Entity

HEADER = ["utterance", "intent", "entity_type", "entity_value", "start_offset", "end_offset"]
ROWS = [
    ["cancel order 370795561790", "cancel_order", "order_id", "370795561790", "13", "25"],
    ["refund of $350 please", "track_refund", "refund_amount", "350", "11", "14"],
    ["bills from Mr. Smith", "get_invoice", "person_name", "Mr. Smith", "11", "20"],
    ["do you ship to USA", "delivery_options", "delivery_country", "USA", "15", "18"],
    ["close my gold account", "delete_account", "account_type", "Gold", "9", "13"],
    ["hello there", "greeting", "", "", "", ""],
]


@pytest.fixture
def tiny_csv(tmp_path):
    path = tmp_path / "tiny.csv"
    with path.open("w", newline="", encoding="utf-8") as handle:
        writer = csv.writer(handle)
        writer.writerow(HEADER)
        writer.writerows(ROWS)
    return path


def scripted(answers: dict[str, list[Entity]]):
    """An extractor that returns fixed entities per utterance."""
    return lambda text: answers.get(text, [])


@pytest.mark.parametrize(
    ("kind", "a", "b"),
    [
        ("refund_amount", "$1,499", "1499"),
        ("refund_amount", "1499.00 USD", "1499 dollars"),
        ("invoice_id", "#12588", "12588"),
        ("person_name", "Mr. Smith", "mr smith"),
        ("delivery_country", "USA", "United States"),
        ("account_type", "Free", " free "),
    ],
)
def test_normalise_value_equates_spellings(kind, a, b):
    assert normalise_value(kind, a) == normalise_value(kind, b)


def test_normalise_value_keeps_leading_zeros_and_distinct_amounts():
    assert normalise_value("order_id", "00123842") == "00123842"
    assert normalise_value("refund_amount", "350") != normalise_value("refund_amount", "35")


def test_evaluate_entities_real_extractor_scores_the_tiny_file(tiny_csv):
    report = evaluate_entities(tiny_csv)
    assert report["rows"] == 6
    assert report["value"]["micro"] == {
        "tp": 5, "fp": 0, "fn": 0, "precision": 1.0, "recall": 1.0, "f1": 1.0
    }  # fmt: skip
    # our money span is '$350', the gold span '350': a value hit but a span miss
    assert report["span"]["types"]["refund_amount"]["tp"] == 0
    assert report["span"]["micro"]["tp"] == 4


def test_evaluate_entities_counts_false_positives_and_misses(tiny_csv):
    answers = {
        "cancel order 370795561790": [Entity("order_id", "370795561790", 13, 25)],
        "refund of $350 please": [Entity("money", "35.00 USD", 10, 13)],  # wrong amount
        "hello there": [Entity("person_name", "Hello", 0, 5)],  # spurious
        "do you ship to USA": [Entity("email", "x@y.z", 0, 3)],  # unscored type
    }
    report = evaluate_entities(tiny_csv, extractor=scripted(answers))
    types = report["value"]["types"]
    assert types["order_id"] == {
        "tp": 1, "fp": 0, "fn": 0, "precision": 1.0, "recall": 1.0, "f1": 1.0
    }  # fmt: skip
    assert (types["refund_amount"]["fp"], types["refund_amount"]["fn"]) == (1, 1)
    assert (types["person_name"]["fp"], types["person_name"]["fn"]) == (1, 1)
    assert types["delivery_country"]["fn"] == 1
    micro = report["value"]["micro"]
    assert (micro["tp"], micro["fp"], micro["fn"]) == (1, 2, 4)
    assert micro["precision"] == round(1 / 3, 4)
    assert micro["recall"] == 0.2
    assert micro["f1"] == 0.25


def test_evaluate_entities_reads_another_text_column(tmp_path):
    path = tmp_path / "other.csv"
    path.write_text(
        "text,entity_type,entity_value,start_offset,end_offset\n"
        "ETA of order 00123842,order_id,00123842,13,21\n",
        encoding="utf-8",
    )
    report = evaluate_entities(path, text_column="text")
    assert report["value"]["micro"]["f1"] == 1.0
    assert report["span"]["micro"]["f1"] == 1.0


def test_main_prints_json(tiny_csv, capsys):
    assert main(["--file", str(tiny_csv), "--json"]) == 0
    report = json.loads(capsys.readouterr().out)
    assert report["value"]["micro"]["f1"] == 1.0


def test_main_prints_a_table(tiny_csv, capsys):
    assert main(["--file", str(tiny_csv)]) == 0
    lines = capsys.readouterr().out.splitlines()
    assert lines[1].split() == ["type", "P", "R", "F1", "span", "F1", "tp", "fp", "fn"]
    assert lines[-1].split()[:4] == ["micro", "1.000", "1.000", "1.000"]


def test_main_fails_under_min_f1(tmp_path, capsys):
    path = tmp_path / "hard.csv"
    path.write_text(
        "utterance,entity_type,entity_value,start_offset,end_offset\n"
        "cancel order please,order_id,123,0,3\n",
        encoding="utf-8",
    )
    assert main(["--file", str(path), "--min-f1", "0.95"]) == 1
    assert "micro F1 0.000 is under 0.95" in capsys.readouterr().err


def test_main_reports_a_missing_file(tmp_path, capsys):
    assert main(["--file", str(tmp_path / "nope.csv")]) == 2
    assert "no such file" in capsys.readouterr().err


def test_extractor_finds_the_corpus_entity_spans():
    """The rule extractor against the spans the corpus builder filled in (all intents)."""
    from evals.entities import evaluate_corpus_entities

    report = evaluate_corpus_entities()
    assert report["rows"] >= 5000
    assert report["span"]["micro"]["f1"] >= 0.95
    assert report["value"]["micro"]["f1"] >= 0.97
    assert report["value"]["types"]["order_id"]["f1"] == 1.0


def test_corpus_entity_eval_counts_misses(tmp_path):
    from evals.entities import evaluate_corpus_entities

    corpus = tmp_path / "c.jsonl"
    rows = [
        {"text": "where is W1234567", "intent": "track_order", "entities": [
            {"type": "order_id", "value": "W1234567", "start": 9, "end": 17}]},
        {"text": "mail me at a@b.example", "intent": "contact_customer_service", "entities": [
            {"type": "email", "value": "x@y.example", "start": 11, "end": 22}]},
    ]  # fmt: skip
    corpus.write_text("".join(json.dumps(r) + "\n" for r in rows), encoding="utf-8")
    report = evaluate_corpus_entities(corpus)
    assert report["span"]["micro"]["tp"] == 2
    assert report["value"]["types"]["email"] == {
        "tp": 0, "fp": 1, "fn": 1, "precision": 0.0, "recall": 0.0, "f1": 0.0
    }  # fmt: skip


def test_cli_scores_the_corpus_when_no_file_is_given():
    from typer.testing import CliRunner

    from cli import cli

    result = CliRunner().invoke(cli, ["evals", "entities", "--json", "--min-f1", "0.95"])
    assert result.exit_code == 0, result.output
    report = json.loads(result.output)
    assert report["span"]["micro"]["f1"] >= 0.95
    failing = CliRunner().invoke(cli, ["evals", "entities", "--min-f1", "0.999"])
    assert failing.exit_code == 1
    assert "span micro F1" in failing.output
