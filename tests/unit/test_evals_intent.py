"""Intent evaluation on labelled CSVs: column detection, errors, ECE, the CLI end to end."""

from __future__ import annotations

import csv
import json

import pytest
from typer.testing import CliRunner

from cli.evals import app
from evals.intent import (
    DatasetError,
    evaluate,
    expected_calibration_error,
    holdout_split,
    read_labelled_csv,
    score,
)

TINY = {
    "track_order": (
        "where is my order", "track my package", "has my parcel shipped yet",
        "order status please", "where is my delivery", "track order W1234567",
        "is my order on its way", "where's my package right now",
    ),
    "recover_password": (
        "I forgot my password", "reset my password", "can't remember my password",
        "password reset link", "help me recover my password", "locked out, new password",
        "my password doesn't work", "change forgotten password",
    ),
    "greeting": (
        "hello", "hi there", "good morning", "hey", "hiya", "good afternoon",
        "hello support", "hey there",
    ),
}  # fmt: skip


def write_csv(path, header, rows):
    with path.open("w", newline="", encoding="utf-8") as handle:
        writer = csv.writer(handle)
        writer.writerow(header)
        writer.writerows(rows)
    return path


def test_read_labelled_csv_detects_banking77_columns(tmp_path):
    path = write_csv(tmp_path / "b.csv", ["text", "category"], [["card lost", "lost_card"]])
    assert read_labelled_csv(path) == (["card lost"], ["lost_card"])


def test_read_labelled_csv_prefers_bitext_intent_over_its_category(tmp_path):
    path = write_csv(
        tmp_path / "bitext.csv",
        ["utterance", "intent", "category", "tags"],
        [["cancel order 12", "cancel_order", "ORDER", "B"], ["hi", "greeting", "GENERAL", "L"]],
    )
    assert read_labelled_csv(path) == (["cancel order 12", "hi"], ["cancel_order", "greeting"])


def test_read_labelled_csv_takes_explicit_columns(tmp_path):
    path = write_csv(tmp_path / "x.csv", ["id", "msg", "tag"], [["1", "hello", "greeting"]])
    assert read_labelled_csv(path, "msg", "tag") == (["hello"], ["greeting"])


def test_read_labelled_csv_names_a_missing_column(tmp_path):
    path = write_csv(tmp_path / "x.csv", ["text", "category"], [["hello", "greeting"]])
    with pytest.raises(DatasetError, match="no label column 'intent'; columns are text, category"):
        read_labelled_csv(path, label_column="intent")


def test_read_labelled_csv_cannot_guess_unknown_columns(tmp_path):
    path = write_csv(tmp_path / "x.csv", ["msg", "tag"], [["hello", "greeting"]])
    with pytest.raises(DatasetError, match="cannot tell the text column among msg, tag"):
        read_labelled_csv(path)


def test_read_labelled_csv_rejects_a_blank_label(tmp_path):
    path = write_csv(tmp_path / "x.csv", ["text", "intent"], [["hello", "greeting"], ["hey", ""]])
    with pytest.raises(DatasetError, match=r"x\.csv:3: empty 'text' or 'intent'"):
        read_labelled_csv(path)


def test_expected_calibration_error_on_hand_made_bins():
    # Bin (0.8, 0.9]: confidences 0.9, 0.9, accuracy 1/2 -> gap 0.4, weight 2/4.
    # Bin (0.5, 0.6]: confidences 0.6, 0.6, accuracy 1   -> gap 0.4, weight 2/4.
    ece = expected_calibration_error([0.9, 0.9, 0.6, 0.6], [True, False, True, True])
    assert ece == pytest.approx(0.4)
    # A single bin (0.7, 0.8] holding 0.75 and 0.8, both right: gap 1 - 0.775.
    assert expected_calibration_error([0.75, 0.8], [True, True]) == pytest.approx(0.225)
    # 0.7 sits in (0.6, 0.7] although 0.7 * 10 is 7.000000000000001 in floating point.
    assert expected_calibration_error([0.7, 0.61], [True, False]) == pytest.approx(0.155)
    assert expected_calibration_error([], []) == 0.0


def test_score_reports_per_class_and_confusions():
    report = score(["a", "a", "b", "b"], ["a", "b", "b", "b"], [1.0, 0.5, 1.0, 1.0])
    assert report["accuracy"] == 0.75
    assert report["per_class"]["a"] == {"precision": 1.0, "recall": 0.5, "f1": 0.6667, "support": 2}
    assert report["top_confusions"] == [{"true": "a", "predicted": "b", "count": 1}]
    assert report["ece"] == pytest.approx(0.125)


def test_evaluate_rejects_test_labels_never_trained_on(encoder):
    with pytest.raises(DatasetError, match="test labels missing from the training set: x"):
        evaluate(["hello"], ["greeting"], ["what"], ["x"], encoder, confidence_floor=0.6)


@pytest.fixture
def tiny_split(tmp_path):
    """A Bitext-style train CSV (utterance,intent) and a Banking77-style test CSV
    (text,category) over the same three intents."""
    train = [[t, intent] for intent, texts in TINY.items() for t in texts]
    test = [["where's my parcel", "track_order"], ["forgot password", "recover_password"],
            ["hi!", "greeting"], ["tracking for my order", "track_order"]]  # fmt: skip
    return (
        write_csv(tmp_path / "train.csv", ["utterance", "intent"], train),
        write_csv(tmp_path / "test.csv", ["text", "category"], test),
    )


def test_evals_intent_cli_trains_and_scores_in_json(tiny_split, encoder, monkeypatch):
    monkeypatch.setattr("cli.evals._encoder", lambda: encoder)
    train, test = tiny_split
    result = CliRunner().invoke(
        app, ["intent", "--train", str(train), "--test", str(test), "--json"]
    )
    assert result.exit_code == 0, result.output
    report = json.loads(result.stdout)
    assert report["n_train"] == 24 and report["n_classes"] == 3 and report["n_test"] == 4
    assert report["accuracy"] == 1.0 and report["macro_f1"] == 1.0
    assert set(report["per_class"]) == set(TINY)
    assert 0.0 <= report["ece"] <= 1.0


def test_evals_intent_cli_accepts_labels_outside_the_taxonomy(tmp_path, encoder, monkeypatch):
    monkeypatch.setattr("cli.evals._encoder", lambda: encoder)
    rows = [[t, f"bank_{i}"] for i, texts in enumerate(TINY.values()) for t in texts]
    train = write_csv(tmp_path / "train.csv", ["text", "category"], rows)
    test = write_csv(tmp_path / "test.csv", ["text", "category"], [["reset password", "bank_1"]])
    result = CliRunner().invoke(app, ["intent", "--train", str(train), "--test", str(test)])
    assert result.exit_code == 0, result.output
    assert "accuracy         1.0000" in result.stdout
    assert "bank_1" in result.stdout


def test_evals_intent_cli_fails_in_one_line_on_a_bad_column(tiny_split):
    train, test = tiny_split
    result = CliRunner().invoke(
        app, ["intent", "--train", str(train), "--test", str(test), "--label-column", "tag"]
    )
    assert result.exit_code == 1
    assert result.stderr == "error: no label column 'tag'; columns are utterance, intent\n"


def test_evals_intent_shipped_rejects_foreign_labels(tmp_path):
    path = write_csv(tmp_path / "t.csv", ["text", "category"], [["lost my card", "lost_card"]])
    result = CliRunner().invoke(app, ["intent-shipped", "--test", str(path)])
    assert result.exit_code == 1
    assert result.stderr == f"error: labels outside the shop's intents in {path}: lost_card\n"


def test_holdout_split_is_stratified_seeded_and_disjoint():
    texts = [f"{label} message {i}" for label in "abc" for i in range(20)]
    labels = [label for label in "abc" for _ in range(20)]
    train_x, train_y, test_x, test_y = holdout_split(texts, labels, 0.15)
    assert sorted(test_y) == ["a"] * 3 + ["b"] * 3 + ["c"] * 3
    assert len(train_x) == 51 and not set(train_x) & set(test_x)
    assert [label.split()[0] for label in test_x] == test_y
    assert holdout_split(texts, labels, 0.15) == (train_x, train_y, test_x, test_y)
    assert holdout_split(texts, labels, 0.15, seed=14)[2] != test_x


def test_holdout_split_rejects_a_class_with_one_row():
    with pytest.raises(DatasetError, match="classes with a single row cannot be split: x"):
        holdout_split(["a1", "a2", "x1"], ["a", "a", "x"], 0.5)


def test_evals_intent_cli_holds_out_a_share_of_the_train_file(tmp_path, encoder, monkeypatch):
    monkeypatch.setattr("cli.evals._encoder", lambda: encoder)
    rows = [[t, intent] for intent, texts in TINY.items() for t in texts]
    train = write_csv(tmp_path / "train.csv", ["utterance", "intent"], rows)
    result = CliRunner().invoke(
        app, ["intent", "--train", str(train), "--holdout", "0.25", "--json"]
    )
    assert result.exit_code == 0, result.output
    report = json.loads(result.stdout)
    assert (report["n_train"], report["n_test"]) == (18, 6)
    assert {n: c["support"] for n, c in report["per_class"].items()} == dict.fromkeys(TINY, 2)
    assert report["train_threads"] == 2 and report["finetune"] is None
    assert report["test_source"] == f"25% held out of {train}"
    assert report["training"]["n_val"] == 3 and "test_accuracy" not in report["training"]


@pytest.mark.parametrize("given", [[], ["--test", "t.csv", "--holdout", "0.2"]])
def test_evals_intent_cli_needs_exactly_one_test_source(tiny_split, given):
    train, _ = tiny_split
    result = CliRunner().invoke(app, ["intent", "--train", str(train), *given])
    assert result.exit_code == 1
    assert result.stderr == "error: give either --test FILE or --holdout SHARE\n"
