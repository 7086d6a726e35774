"""Intent classifier: MiniLM sentence embeddings + a temperature-scaled logistic regression.

Training holds out a stratified 70/15/15 split: C and the softmax temperature are chosen
on the validation part, accuracy and confidence coverage are reported on the test part,
and the served model is then refitted on train + validation.

Besides the intents the head learns one hidden class, BACKGROUND, from noise (fillers,
keyboard mashes in corpus/background.txt). It is never predicted: it only soaks up
probability so that gibberish gets a low confidence for every real intent.
"""

from __future__ import annotations

import json
import time
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path
from typing import Any, Protocol

import joblib
import numpy as np
from sklearn.linear_model import LogisticRegression
from sklearn.metrics import accuracy_score, f1_score
from sklearn.model_selection import train_test_split
from threadpoolctl import threadpool_limits

from graph.nlu.corpus import data_sha256, read_background
from graph.nlu.report import evaluation_report
from graph.nlu.taxonomy import INTENT_CATEGORY

MODEL_VERSION = "0.1.0"
SPLIT_SEED = 13
C_GRID = (4.0, 16.0, 64.0)
TEMPERATURES = tuple(round(t, 2) for t in np.arange(0.5, 3.01, 0.1))
CONFIDENCE_FLOOR = 0.6
"""Confidence the graph needs to act on an intent (Settings.ESCALATION_THRESHOLD)."""
MIN_COVERAGE = 0.9
"""Share of correct validation predictions that must clear CONFIDENCE_FLOOR."""
GIBBERISH_PROBES = ("qwzx plm", "zzzz", "jjjjj kkkk", "xkcd", "lorem ipsum dolor", "blah")
"""Noise the temperature must keep below the floor; reported, never trained on."""
BACKGROUND = "_background"
"""Label of the hidden noise class."""
HEAD_FILE = "head.joblib"
META_FILE = "metadata.json"


class TextEncoder(Protocol):
    def encode(self, texts: list[str]) -> np.ndarray: ...


@dataclass(frozen=True)
class IntentPrediction:
    """The classifier's reading of one message."""

    intent: str
    category: str
    confidence: float
    """Probability of `intent` after temperature scaling, in [0, 1]."""


def _softmax(logits: np.ndarray, temperature: float) -> np.ndarray:
    z = logits / temperature
    z = z - z.max(axis=1, keepdims=True)
    e = np.exp(z)
    return e / e.sum(axis=1, keepdims=True)


def _split(y: np.ndarray) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """Stratified 70/15/15 train/validation/test indices, the same for the same labels."""
    idx = np.arange(len(y))
    train, rest = train_test_split(idx, test_size=0.30, stratify=y, random_state=SPLIT_SEED)
    val, test = train_test_split(rest, test_size=0.50, stratify=y[rest], random_state=SPLIT_SEED)
    return train, val, test


class IntentClassifier:
    """Maps messages to one of the taxonomy's intents with a calibrated confidence."""

    def __init__(self, categories: Mapping[str, str] | None = None) -> None:
        """`categories` maps each allowed label to its category: the shop's taxonomy by
        default; an outside data set (e.g. Banking77) passes its own labels."""
        self.categories: Mapping[str, str] = categories or INTENT_CATEGORY
        self.encoder: TextEncoder | None = None
        self.head: LogisticRegression | None = None
        self.temperature = 1.0
        self.metadata: dict[str, Any] = {}
        self.test_report: dict[str, Any] = {}

    # -- training ------------------------------------------------------------
    def train(
        self,
        texts: Sequence[str],
        labels: Sequence[str],
        encoder: TextEncoder,
        *,
        C: float | None = None,
        background: Sequence[str] | None = None,
    ) -> dict[str, Any]:
        """Fit on texts/labels and return the held-out metrics.

        With C=None the regularisation is chosen on the validation split from C_GRID;
        the temperature is always chosen there (see `_pick_temperature`). `background`
        (default: corpus/background.txt; pass () for none) joins every training fit as
        the hidden class and is never part of the validation or test split.
        """
        started = time.perf_counter()
        unknown = sorted(set(labels) - set(self.categories))
        if unknown:
            raise ValueError(f"labels outside the taxonomy: {unknown}")
        self.encoder = encoder
        noise_texts = list(read_background() if background is None else background)
        vectors = encoder.encode([*texts, *noise_texts, *GIBBERISH_PROBES])
        x, x_bg, probes = np.split(vectors, [len(texts), len(texts) + len(noise_texts)])
        y, y_bg = np.asarray(labels), np.full(len(noise_texts), BACKGROUND)
        train_idx, val_idx, test_idx = _split(y)

        def fit(idx: np.ndarray, c: float) -> LogisticRegression:
            return self._fit(np.vstack([x[idx], x_bg]), np.r_[y[idx], y_bg], c)

        grid = (C,) if C is not None else C_GRID
        scored = []
        for c in grid:
            head = fit(train_idx, c)
            val_pred = [p.intent for p in self._predict_with(head, 1.0, x[val_idx])]
            scored.append((accuracy_score(y[val_idx], val_pred), -c, head))
        val_accuracy, neg_c, head = max(scored, key=lambda s: (s[0], s[1]))
        self.temperature = self._pick_temperature(
            head.decision_function(x[val_idx]), y[val_idx], head.classes_,
            head.decision_function(probes),
        )  # fmt: skip
        # Serve a model refitted on train + validation; the test split stays unseen.
        self.head = fit(np.concatenate([train_idx, val_idx]), -neg_c)

        metrics: dict[str, Any] = {
            "n_examples": len(y),
            "n_background": len(noise_texts),
            "n_train": len(train_idx),
            "n_val": len(val_idx),
            "n_test": len(test_idx),
            "C": -neg_c,
            "temperature": self.temperature,
            "val_accuracy": round(float(val_accuracy), 4),
            **self._test_metrics(x[test_idx], y[test_idx]),
            "gibberish_confidence": {
                text: round(p.confidence, 4)
                for text, p in zip(GIBBERISH_PROBES, self.predict_vectors(probes), strict=True)
            },
            "train_seconds": round(time.perf_counter() - started, 2),
        }
        self.metadata = {
            "version": MODEL_VERSION,
            "created": datetime.now(UTC).isoformat(timespec="seconds"),
            "data_sha256": data_sha256(texts, labels),
            "background_sha256": data_sha256(noise_texts, [BACKGROUND] * len(noise_texts)),
            "params": {
                "C": -neg_c,
                "C_grid": list(grid),
                "temperature": self.temperature,
                "split": [0.70, 0.15, 0.15],
                "split_seed": SPLIT_SEED,
                "encoder": getattr(encoder, "model_path", type(encoder).__name__),
            },
            "metrics": metrics,
            "intents": [str(c) for c in self.head.classes_ if c != BACKGROUND],
        }
        return metrics

    def _test_metrics(self, x: np.ndarray, y: np.ndarray) -> dict[str, float]:
        """Accuracy, macro-F1 and confidence coverage of the served model on held-out data."""
        preds = self.predict_vectors(x)
        pred = np.asarray([p.intent for p in preds])
        conf = np.asarray([p.confidence for p in preds])
        labels = [str(c) for c in self.head.classes_ if c != BACKGROUND]  # type: ignore[union-attr]
        self.test_report = evaluation_report(list(y), list(pred), list(conf), labels)
        in_scope = y != "out_of_scope"
        confident = in_scope & (conf >= CONFIDENCE_FLOOR)
        right = pred[confident] == y[confident]
        return {
            "test_accuracy": round(float(accuracy_score(y, pred)), 4),
            "test_macro_f1": round(float(f1_score(y, pred, average="macro")), 4),
            "test_ece": self.test_report["ece"],
            "advised_threshold": self.test_report["threshold_advice"]["advised_threshold"],
            "confidence_floor": CONFIDENCE_FLOOR,
            "test_in_scope_confident_fraction": round(float(confident.sum() / in_scope.sum()), 4),
            "test_in_scope_confident_accuracy": round(
                float(right.mean()) if right.size else 0.0, 4
            ),
        }

    @staticmethod
    def _fit(x: np.ndarray, y: np.ndarray, c: float) -> LogisticRegression:
        # One BLAS thread: these matrices are small, and threads fighting the encoder's
        # for a busy CPU made fits 30x slower than running single-threaded.
        with threadpool_limits(limits=1, user_api="blas"):
            return LogisticRegression(C=c, max_iter=2000).fit(x, y)

    @staticmethod
    def _pick_temperature(
        logits: np.ndarray, y: np.ndarray, classes: np.ndarray, noise_logits: np.ndarray
    ) -> float:
        """Largest temperature (softest probabilities) that still lets MIN_COVERAGE of the
        correct validation predictions reach the floor while every noise probe stays under
        it; failing that, the sharpest temperature that keeps the probes under the floor.

        Softer is safer: a confident wrong intent acts for the customer, a hesitant one
        only hands the turn to a person.
        """
        real = classes != BACKGROUND
        correct = classes[real][logits[:, real].argmax(axis=1)] == y
        quiet = []  # temperatures that keep every noise probe under the floor
        for t in TEMPERATURES:
            conf = _softmax(logits, t)[:, real].max(axis=1)
            coverage = float((conf[correct] >= CONFIDENCE_FLOOR).mean()) if correct.any() else 0.0
            if (_softmax(noise_logits, t)[:, real].max(axis=1) < CONFIDENCE_FLOOR).all():
                quiet.append((coverage >= MIN_COVERAGE, t))
        if not quiet:
            return 1.0
        enough = [t for ok, t in quiet if ok]
        return float(max(enough) if enough else min(t for _, t in quiet))

    # -- serving -------------------------------------------------------------
    def _predict_with(
        self, head: LogisticRegression, temperature: float, vectors: np.ndarray
    ) -> list[IntentPrediction]:
        probs = _softmax(head.decision_function(vectors), temperature)
        real = head.classes_ != BACKGROUND
        names, probs = head.classes_[real], probs[:, real]
        out = []
        for row in probs:
            best = int(row.argmax())
            intent = str(names[best])
            out.append(IntentPrediction(intent, self.categories[intent], float(row[best])))
        return out

    def predict_vectors(self, vectors: np.ndarray) -> list[IntentPrediction]:
        """Predictions for already encoded messages (the background class never wins)."""
        if self.head is None:
            raise RuntimeError("classifier is not trained: call train() or load()")
        return self._predict_with(self.head, self.temperature, vectors)

    def predict(self, texts: Sequence[str]) -> list[IntentPrediction]:
        """Predictions for messages, encoded in one batch."""
        if self.encoder is None:
            raise RuntimeError("classifier has no encoder: call train() or load()")
        if not texts:
            return []
        return self.predict_vectors(self.encoder.encode(list(texts)))

    # -- persistence ---------------------------------------------------------
    def save(self, folder: Path) -> None:
        """Write the sklearn head (joblib) and metadata.json into folder."""
        if self.head is None:
            raise RuntimeError("nothing to save: the classifier is not trained")
        folder.mkdir(parents=True, exist_ok=True)
        joblib.dump({"head": self.head, "temperature": self.temperature}, folder / HEAD_FILE)
        (folder / META_FILE).write_text(json.dumps(self.metadata, indent=2) + "\n")

    @classmethod
    def load(cls, folder: Path, encoder: TextEncoder) -> IntentClassifier:
        """A classifier saved by `save`, serving with encoder."""
        if not (folder / HEAD_FILE).is_file() or not (folder / META_FILE).is_file():
            raise FileNotFoundError(f"no intent model in {folder}")
        metadata = json.loads((folder / META_FILE).read_text())
        if metadata.get("version") != MODEL_VERSION:
            raise ValueError(
                f"intent model in {folder} has version {metadata.get('version')!r}, "
                f"expected {MODEL_VERSION}: retrain it"
            )
        saved = joblib.load(folder / HEAD_FILE)
        clf = cls()
        clf.encoder = encoder
        clf.head = saved["head"]
        clf.temperature = float(saved["temperature"])
        clf.metadata = metadata
        return clf
