"""Intent-classifier evaluation on any labelled CSV: accuracy, macro-F1, per-class scores, ECE.

`evaluate` trains a fresh `IntentClassifier` on one labelled set and scores it on another;
`evaluate_model` scores an already trained one (the shipped model). Column names are
auto-detected for the common public formats: Banking77 (`text,category`) and Bitext
(`utterance,intent`).

    support evals intent --train train.csv --test test.csv
    support evals intent --train banking77/train.csv --holdout 0.15 [--finetune]
    support evals intent-shipped --test Bitext_Sample_Customer_Service_Validation_Dataset.csv
"""

from __future__ import annotations

import csv
import time
from collections import Counter
from collections.abc import Callable, Sequence
from pathlib import Path
from typing import TYPE_CHECKING, Any

import numpy as np
from sklearn.metrics import accuracy_score, f1_score, precision_recall_fscore_support
from sklearn.model_selection import train_test_split

from nlu.report import expected_calibration_error
from nlu.taxonomy import INTENT_CATEGORY

if TYPE_CHECKING:
    from nlu.classifier import IntentClassifier, TextEncoder
    from nlu.finetune import FinetuneConfig

TEXT_COLUMNS = ("text", "utterance", "sentence", "query", "message")
"""Text column names tried in order when none is given."""
LABEL_COLUMNS = ("intent", "category", "label")
"""Label column names tried in order when none is given (Bitext has both `intent` and a
coarser `category`, so `intent` comes first)."""
TOP_CONFUSIONS = 10
HOLDOUT_SEED = 13
"""Seed of `holdout_split`: the same file always gives the same train/test parts."""


class DatasetError(ValueError):
    """A labelled CSV that cannot be read as (text, label) rows; the message says why."""


def _pick(header: Sequence[str], given: str | None, candidates: Sequence[str], role: str) -> str:
    if given is not None:
        if given not in header:
            raise DatasetError(f"no {role} column {given!r}; columns are {', '.join(header)}")
        return given
    lowered = {name.strip().lower(): name for name in header}
    for name in candidates:
        if name in lowered:
            return lowered[name]
    raise DatasetError(
        f"cannot tell the {role} column among {', '.join(header)}: "
        f"pass --{role}-column (tried {', '.join(candidates)})"
    )


def read_labelled_csv(
    path: Path, text_column: str | None = None, label_column: str | None = None
) -> tuple[list[str], list[str]]:
    """Texts and labels of a CSV with a header row; blank texts or labels are an error.

    Without explicit columns the text column is the first of TEXT_COLUMNS present and
    the label column the first of LABEL_COLUMNS (case-insensitive).
    """
    if not path.is_file():
        raise DatasetError(f"no such file: {path}")
    with path.open(encoding="utf-8-sig", newline="") as handle:
        reader = csv.DictReader(handle)
        header = list(reader.fieldnames or [])
        if not header:
            raise DatasetError(f"{path} is empty: expected a header row")
        text_col = _pick(header, text_column, TEXT_COLUMNS, "text")
        label_col = _pick(header, label_column, LABEL_COLUMNS, "label")
        if text_col == label_col:
            raise DatasetError(f"text and label are the same column {text_col!r}")
        texts, labels = [], []
        for number, row in enumerate(reader, start=2):
            text, label = (row.get(text_col) or "").strip(), (row.get(label_col) or "").strip()
            if not text or not label:
                raise DatasetError(f"{path}:{number}: empty {text_col!r} or {label_col!r}")
            texts.append(text)
            labels.append(label)
    if not texts:
        raise DatasetError(f"{path} has a header but no rows")
    return texts, labels


def holdout_split(
    texts: Sequence[str], labels: Sequence[str], share: float, seed: int = HOLDOUT_SEED
) -> tuple[list[str], list[str], list[str], list[str]]:
    """(train_texts, train_labels, test_texts, test_labels): a seeded, stratified split
    that keeps `share` of every class for testing; the model never sees that part."""
    if not 0 < share < 1:
        raise DatasetError(f"the held-out share must be between 0 and 1, not {share}")
    counts = Counter(labels)
    rare = sorted(label for label, n in counts.items() if n < 2)
    if rare:
        raise DatasetError(f"classes with a single row cannot be split: {', '.join(rare[:5])}")
    try:
        train, test = train_test_split(
            np.arange(len(labels)), test_size=share, stratify=labels, random_state=seed
        )
    except ValueError as exc:  # e.g. fewer test rows than classes
        raise DatasetError(f"cannot hold out {share:.0%} stratified: {exc}") from exc
    return (
        [texts[i] for i in train],
        [labels[i] for i in train],
        [texts[i] for i in test],
        [labels[i] for i in test],
    )


def score(
    labels: Sequence[str], predicted: Sequence[str], confidences: Sequence[float]
) -> dict[str, Any]:
    """Accuracy, macro-F1, ECE, per-class precision/recall/F1/support and top confusions."""
    classes = sorted(set(labels) | set(predicted))
    precision, recall, f1, support = precision_recall_fscore_support(
        labels, predicted, labels=classes, zero_division=0
    )
    correct = [t == p for t, p in zip(labels, predicted, strict=True)]
    confusions = Counter((t, p) for t, p in zip(labels, predicted, strict=True) if t != p)
    return {
        "n_test": len(labels),
        "accuracy": round(float(accuracy_score(labels, predicted)), 4),
        "macro_f1": round(
            float(f1_score(labels, predicted, labels=sorted(set(labels)), average="macro")), 4
        ),
        "ece": round(expected_calibration_error(confidences, correct), 4),
        "mean_confidence": round(float(np.mean(confidences)), 4),
        "per_class": {
            name: {
                "precision": round(float(p), 4),
                "recall": round(float(r), 4),
                "f1": round(float(f), 4),
                "support": int(s),
            }
            for name, p, r, f, s in zip(classes, precision, recall, f1, support, strict=True)
            if s > 0
        },
        "top_confusions": [
            {"true": t, "predicted": p, "count": n}
            for (t, p), n in confusions.most_common(TOP_CONFUSIONS)
        ],
    }


def evaluate_model(
    classifier: IntentClassifier, test_texts: Sequence[str], test_labels: Sequence[str]
) -> dict[str, Any]:
    """Scores of a trained classifier on a labelled test set."""
    started = time.perf_counter()
    predictions = classifier.predict(list(test_texts))
    seconds = time.perf_counter() - started
    report = score(
        list(test_labels), [p.intent for p in predictions], [p.confidence for p in predictions]
    )
    report["predict_seconds"] = round(seconds, 2)
    return report


def evaluate(
    train_texts: Sequence[str],
    train_labels: Sequence[str],
    test_texts: Sequence[str],
    test_labels: Sequence[str],
    encoder: TextEncoder,
    *,
    confidence_floor: float,
    finetune: FinetuneConfig | None = None,
    progress: Callable[[str], None] | None = None,
) -> dict[str, Any]:
    """Train a fresh classifier on the train set and score it on the test set
    (`confidence_floor`: the settings' ESCALATION_THRESHOLD, see IntentClassifier.train).

    The classifier holds out a validation part (15 %) of the train set to choose C, the
    feature weights and the temperature (and fine-tunes, when asked, on the rest); its
    internal metrics come back under `training`. The test set plays no part in training.
    """
    from nlu.classifier import IntentClassifier

    unseen = sorted(set(test_labels) - set(train_labels))
    if unseen:
        raise DatasetError(f"test labels missing from the training set: {', '.join(unseen)}")
    # An outside label set (e.g. Banking77) is its own taxonomy: each label its own category.
    outside = set(train_labels) - set(INTENT_CATEGORY)
    classifier = IntentClassifier(
        {label: label for label in set(train_labels)} if outside else None
    )
    started = time.perf_counter()
    training = classifier.train(
        list(train_texts),
        list(train_labels),
        encoder,
        confidence_floor=confidence_floor,
        finetune=finetune,
        test_share=0.0,
        progress=progress,
    )
    train_seconds = time.perf_counter() - started
    report = evaluate_model(classifier, test_texts, test_labels)
    return {
        "n_train": len(train_texts),
        "n_classes": len(set(train_labels)),
        "train_seconds": round(train_seconds, 2),
        "train_threads": training["train_threads"],
        "finetune": finetune.to_dict() if finetune else None,
        **report,
        "training": {k: v for k, v in training.items() if k != "gibberish_confidence"},
    }
