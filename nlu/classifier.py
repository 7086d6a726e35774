"""Intent classifier: MiniLM sentence embeddings + TF-IDF n-grams, a linear head, a temperature.

Training holds out a stratified 70/15/15 split: the logistic-regression head's C and the
embedding's weight beside the TF-IDF block are chosen on the validation part, then the
softmax temperature; accuracy and confidence coverage are reported on the test part, and
the served head is refitted on train + validation. An evaluation against an outside test
file passes `test_share=0` (85/15 train/validation, nothing wasted on an internal test).

Optionally (`finetune=FinetuneConfig()`) a copy of the encoder is first fine-tuned on the
training part (nlu/finetune.py); the head then reads both embeddings, and the tuned
encoder is saved beside the head.

Besides the intents the head learns one hidden class, BACKGROUND, from noise (fillers,
keyboard mashes in corpus/background.txt). It is never predicted: it only soaks up
probability so that gibberish gets a low confidence for every real intent.
"""

from __future__ import annotations

import importlib
import json
import sys
import time
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, field, replace
from datetime import UTC, datetime
from pathlib import Path
from typing import TYPE_CHECKING, Any, Protocol

import joblib
import numpy as np
from scipy import sparse
from threadpoolctl import threadpool_limits

from nlu.calibration import BACKGROUND, pick_temperature, softmax
from nlu.corpus import data_sha256, read_background, read_negatives
from nlu.features import LexicalFeatures, combine
from nlu.finetune import (
    ENCODER_DIR,
    FinetuneConfig,
    TunedEncoder,
    cpu_threads,
    finetune_encoder,
)
from nlu.masking import MASKING_VERSION, mask_many
from nlu.report import evaluation_report
from nlu.scope import ScopeGate
from nlu.taxonomy import INTENT_CATEGORY

if TYPE_CHECKING:  # sklearn is imported where a model is trained (seconds to import)
    from sklearn.linear_model import LogisticRegression

MODEL_VERSION = "0.2.0"
READABLE_VERSIONS = ("0.1.0", MODEL_VERSION)
"""Saved formats `load` reads: 0.1.0 heads read the packaged embedding only."""
SPLIT_SEED = 13
C_GRID = (8.0, 16.0, 32.0)
EMBEDDING_WEIGHTS = ((1.0,), (2.0,))
"""Scales tried for the unit-length embedding beside the unit-length TF-IDF block."""
TUNED_WEIGHTS = ((1.0, 1.0), (2.0, 1.0), (1.0, 2.0), (2.0, 2.0))
"""Scales tried for (packaged embedding, fine-tuned embedding) when fine-tuning."""
TRAIN_THREADS = 2
"""CPU threads (torch and BLAS) while training: the target machine has 2 cores."""
GIBBERISH_PROBES = ("qwzx plm", "zzzz", "jjjjj kkkk", "xkcd", "lorem ipsum dolor", "blah")
"""Noise the temperature must keep below the floor; reported, never trained on."""
OUT_OF_SCOPE = "out_of_scope"
NEGATIVE_FOLD = 5
"""Every NEGATIVE_FOLD-th negatives domain (sorted by name) validates instead of training
while C, the temperature and the scope gate are chosen."""
OUT_OF_SCOPE_WEIGHT = 3.0
"""The out_of_scope class weighs as much as this many typical intents in the head's fit
(it has about ten times their messages; at full weight it swallowed oddly worded
in-scope requests)."""
HEAD_FILE = "head.joblib"
META_FILE = "metadata.json"

__all__ = ["BACKGROUND", "IntentClassifier", "IntentPrediction"]


class TextEncoder(Protocol):
    def encode(self, texts: list[str]) -> np.ndarray: ...


@dataclass(frozen=True)
class IntentPrediction:
    """The classifier's reading of one message."""

    intent: str
    category: str
    confidence: float
    """Probability of `intent` after temperature scaling, in [0, 1]."""
    probabilities: Mapping[str, float] = field(default_factory=dict)
    """Every intent's probability (the hidden background class's share left out, so they
    may sum to less than 1); the router sums those that take the same branch."""
    off_topic: bool = False
    """The scope gate (nlu/scope.py) reads the message as off-topic at least at its lower
    threshold: when no intent is sure, the bot should decline rather than ask or escalate.
    Above its upper threshold the intent itself is already out_of_scope."""


def _class_weights(y: np.ndarray) -> np.ndarray:
    """Per-row weights for a fit: 1, and for out_of_scope rows whatever makes that class
    weigh OUT_OF_SCOPE_WEIGHT typical (median-sized) intents."""
    weights = np.ones(len(y))
    outside = y == OUT_OF_SCOPE
    if outside.any() and (~outside).any():
        _, counts = np.unique(y[~outside], return_counts=True)
        weights[outside] = min(1.0, OUT_OF_SCOPE_WEIGHT * float(np.median(counts)) / outside.sum())
    return weights


def _outside_share(prediction: IntentPrediction) -> float:
    """Probability the head gives out_of_scope and the hidden background class together."""
    inside = sum(p for intent, p in prediction.probabilities.items() if intent != OUT_OF_SCOPE)
    return max(0.0, 1.0 - inside)


def _noise_share(prediction: IntentPrediction) -> float:
    """Probability the head gives its hidden background (noise) class."""
    return max(0.0, 1.0 - sum(prediction.probabilities.values()))


def _best_inside(prediction: IntentPrediction) -> float:
    """The head's probability of its likeliest in-scope intent."""
    inside = [p for intent, p in prediction.probabilities.items() if intent != OUT_OF_SCOPE]
    return max(inside, default=0.0)


def _split(y: np.ndarray, test_share: float = 0.15) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """Stratified train/validation/test indices (70/15/15 by default; with test_share=0,
    85/15 and an empty test part), the same for the same labels."""
    from sklearn.model_selection import train_test_split

    idx = np.arange(len(y))
    if not test_share:
        train, val = train_test_split(idx, test_size=0.15, stratify=y, random_state=SPLIT_SEED)
        return train, val, idx[:0]
    train, rest = train_test_split(
        idx, test_size=0.15 + test_share, stratify=y, random_state=SPLIT_SEED
    )
    val, test = train_test_split(
        rest, test_size=test_share / (0.15 + test_share), stratify=y[rest],
        random_state=SPLIT_SEED,
    )  # fmt: skip
    return train, val, test


class IntentClassifier:
    """Maps messages to one of the taxonomy's intents with a calibrated confidence."""

    def __init__(self, categories: Mapping[str, str] | None = None) -> None:
        """`categories` maps each allowed label to its category: the shop's taxonomy by
        default; an outside data set (e.g. Banking77) passes its own labels."""
        self.categories: Mapping[str, str] = categories or INTENT_CATEGORY
        self.encoder: TextEncoder | None = None
        self.tuned: TunedEncoder | None = None
        self.lexical: LexicalFeatures | None = None
        self.dense_weights: tuple[float, ...] = (1.0,)
        """Scale of each embedding block (packaged, then fine-tuned) in the head's input."""
        self.dense_dims: tuple[int, ...] = ()
        """Width of each embedding block at the front of the head's input."""
        self.head: LogisticRegression | None = None
        self.temperature = 1.0
        self.gate: ScopeGate | None = None
        """Off-topic detection beside the head; None for models trained without negatives."""
        self.metadata: dict[str, Any] = {}
        self.test_report: dict[str, Any] = {}
        self.masking = True
        """Mask concrete values (nlu/masking.py) in every text before its features; off
        only for models saved before masking existed."""

    # -- training ------------------------------------------------------------
    @cpu_threads(TRAIN_THREADS)
    def train(
        self,
        texts: Sequence[str],
        labels: Sequence[str],
        encoder: TextEncoder,
        *,
        confidence_floor: float,
        C: float | None = None,
        background: Sequence[str] | None = None,
        negatives: Sequence[tuple[str, str]] | None = None,
        lexical: bool = True,
        finetune: FinetuneConfig | None = None,
        test_share: float = 0.15,
        progress: Callable[[str], None] | None = None,
    ) -> dict[str, Any]:
        """Fit on texts/labels and return the held-out metrics.

        `confidence_floor` is the confidence the graph needs to act on an intent (the
        settings' ESCALATION_THRESHOLD): the temperature is chosen so that correct
        predictions reach it and noise stays under it. With C=None, C and the embedding
        blocks' weights are chosen on the validation split; the temperature is always
        chosen there. `background` (default:
        corpus/background.txt; pass () for none) joins every training fit as the hidden
        class and is never part of the validation or test split. `negatives` (default:
        corpus/negatives.txt when the labels include out_of_scope; pass () for none) are
        (domain, message) pairs of off-topic messages that join the out_of_scope class:
        every NEGATIVE_FOLD-th domain is kept out of the fit that chooses C, the
        temperature and the scope gate (nlu/scope.py) and validates them instead, so the
        gate is chosen on kinds of request the head never saw; the served head trains on
        all of them. `lexical` adds the TF-IDF block. `finetune` first tunes a copy of the
        encoder on the training split (needs an encoder with a `model_path`); its
        embeddings join the packaged ones.
        Torch and BLAS use at most TRAIN_THREADS threads throughout.
        """
        started = time.perf_counter()
        unknown = sorted(set(labels) - set(self.categories))
        if unknown:
            raise ValueError(f"labels outside the taxonomy: {unknown}")
        if negatives is None:  # an outside label set (Banking77) has no out_of_scope class
            negatives = read_negatives() if OUT_OF_SCOPE in set(labels) else ()
        pairs = list(negatives)
        domains = sorted({domain for domain, _ in pairs})
        held = set(domains[::NEGATIVE_FOLD]) if len(domains) >= NEGATIVE_FOLD else set()
        n_corpus = len(texts)
        texts = [*texts, *(text for _, text in pairs)]
        noise_texts = list(read_background() if background is None else background)
        y = np.asarray([*labels, *(OUT_OF_SCOPE for _ in pairs)])
        y_bg = np.full(len(noise_texts), BACKGROUND)
        train_idx, val_idx, test_idx = _split(y[:n_corpus], test_share)
        neg_rows = np.arange(n_corpus, len(texts))
        neg_val = np.asarray([d in held for d, _ in pairs], dtype=bool)
        train_idx = np.concatenate([train_idx, neg_rows[~neg_val]])
        val_idx = np.concatenate([val_idx, neg_rows[neg_val]])
        finetune_seconds = None
        self.encoder = encoder
        self.tuned = None
        if finetune is not None:
            base = getattr(encoder, "model_path", None)
            if not base:
                raise ValueError("fine-tuning needs an encoder loaded from a model folder")
            tuned_at = time.perf_counter()
            self.tuned = finetune_encoder(
                str(base),
                self._masked([*(texts[i] for i in train_idx), *noise_texts]),
                [*y[train_idx], *y_bg],
                finetune,
                progress,
            )
            finetune_seconds = round(time.perf_counter() - tuned_at, 2)
        every = [*texts, *noise_texts, *GIBBERISH_PROBES]
        fit_texts = [*(texts[i] for i in np.concatenate([train_idx, val_idx])), *noise_texts]
        fit_texts = self._masked(fit_texts)  # the vocabulary of what _features will see
        self.lexical = LexicalFeatures().fit(fit_texts) if lexical else None
        x = self._features(every)
        n, n_bg = len(texts), len(noise_texts)
        probes = x[n + n_bg :]

        def fit(idx: np.ndarray, c: float, weights: tuple[float, ...]) -> LogisticRegression:
            rows = np.concatenate([idx, np.arange(n, n + n_bg)])
            return self._fit(
                self._weighted(x[rows], weights),
                np.r_[y[idx], y_bg],
                c,
                np.r_[_class_weights(y[idx]), np.ones(n_bg)],
            )

        grid: tuple[tuple[float, ...], ...]
        if self.tuned is not None:
            grid = TUNED_WEIGHTS
        else:
            grid = EMBEDDING_WEIGHTS if lexical else ((1.0,),)
        from sklearn.metrics import accuracy_score

        scored = []
        for c in (C,) if C is not None else C_GRID:
            for rank, weights in enumerate(grid):
                head = fit(train_idx, c, weights)
                val_pred = head.predict(self._weighted(x[val_idx], weights))
                scored.append((accuracy_score(y[val_idx], val_pred), -c, -rank, weights, head))
        val_accuracy, neg_c, _, self.dense_weights, head = max(scored, key=lambda s: s[:3])
        self.temperature = pick_temperature(
            head.decision_function(self._weighted(x[val_idx], self.dense_weights)), y[val_idx],
            head.classes_, head.decision_function(self._weighted(probes, self.dense_weights)),
            floor=confidence_floor,
        )  # fmt: skip
        dense = self._dense(x)
        self.head, self.gate = head, None
        gate_rates: dict[str, Any] = {}
        if (y[val_idx] == OUT_OF_SCOPE).any() and (y[train_idx] == OUT_OF_SCOPE).any():
            val = self._predict_features(x[val_idx])
            self.gate, gate_rates = ScopeGate.fit(
                dense[train_idx][y[train_idx] != OUT_OF_SCOPE],
                dense[train_idx][y[train_idx] == OUT_OF_SCOPE],
                dense[val_idx],
                np.asarray([_outside_share(p) for p in val]),
                np.asarray([_best_inside(p) for p in val]),
                y[val_idx] == OUT_OF_SCOPE,
            )
        # Serve a head refitted on train + validation; the test split stays unseen.
        served = np.concatenate([train_idx, val_idx])
        self.head = fit(served, -neg_c, self.dense_weights)
        if self.gate is not None:  # the gate compares with everything the head learnt
            self.gate.inside = dense[served][y[served] != OUT_OF_SCOPE].astype(np.float16)
            self.gate.outside = dense[served][y[served] == OUT_OF_SCOPE].astype(np.float16)

        metrics: dict[str, Any] = {
            "n_examples": len(y),
            "n_background": n_bg,
            "n_negatives": len(pairs),
            "n_val_negatives": int(neg_val.sum()),
            "negative_domains": len(domains),
            "negative_domains_validating": sorted(held),
            "scope_gate": gate_rates,
            "n_train": len(train_idx),
            "n_val": len(val_idx),
            "n_test": len(test_idx),
            "C": -neg_c,
            "embedding_weights": list(self.dense_weights),
            "lexical_features": self.lexical.size if self.lexical else 0,
            "temperature": self.temperature,
            "val_accuracy": round(float(val_accuracy), 4),
            **(
                self._test_metrics(x[test_idx], y[test_idx], confidence_floor)
                if len(test_idx)
                else {}
            ),
            "gibberish_confidence": {
                text: round(p.confidence, 4)
                for text, p in zip(GIBBERISH_PROBES, self._predict_features(probes), strict=True)
            },
            "finetune_seconds": finetune_seconds,
            "train_seconds": round(time.perf_counter() - started, 2),
            "train_threads": TRAIN_THREADS,
        }
        self.metadata = {
            "version": MODEL_VERSION,
            "created": datetime.now(UTC).isoformat(timespec="seconds"),
            "data_sha256": data_sha256(texts, [str(label) for label in y]),
            "background_sha256": data_sha256(noise_texts, [BACKGROUND] * n_bg),
            "params": {
                "C": -neg_c,
                "C_grid": [C] if C is not None else list(C_GRID),
                "embedding_weights": list(self.dense_weights),
                "lexical": lexical,
                "head": "LogisticRegression",
                "temperature": self.temperature,
                "split": [round(1 - 0.15 - test_share, 2), 0.15, test_share],
                "split_seed": SPLIT_SEED,
                "encoder": getattr(encoder, "model_path", type(encoder).__name__),
                "finetune": finetune.to_dict() if finetune else None,
                "masking": MASKING_VERSION if self.masking else None,
            },
            "metrics": metrics,
            "intents": [str(c) for c in self.head.classes_ if c != BACKGROUND],
        }
        return metrics

    def _test_metrics(self, x: Any, y: np.ndarray, floor: float) -> dict[str, float]:
        """Accuracy, macro-F1 and confidence coverage (at `floor`) of the served model on
        held-out data."""
        from sklearn.metrics import accuracy_score, f1_score

        preds = self._predict_features(x)
        pred = np.asarray([p.intent for p in preds])
        conf = np.asarray([p.confidence for p in preds])
        labels = [str(c) for c in self.head.classes_ if c != BACKGROUND]  # type: ignore[union-attr]
        self.test_report = evaluation_report(list(y), list(pred), list(conf), labels)
        in_scope = y != "out_of_scope"
        confident = in_scope & (conf >= floor)
        right = pred[confident] == y[confident]
        return {
            "test_accuracy": round(float(accuracy_score(y, pred)), 4),
            "test_macro_f1": round(float(f1_score(y, pred, average="macro")), 4),
            "test_ece": self.test_report["ece"],
            "advised_threshold": self.test_report["threshold_advice"]["advised_threshold"],
            "confidence_floor": floor,
            "test_in_scope_confident_fraction": round(
                float(confident.sum() / max(1, in_scope.sum())), 4
            ),
            "test_in_scope_confident_accuracy": round(
                float(right.mean()) if right.size else 0.0, 4
            ),
        }

    def _features(self, texts: list[str]) -> Any:
        """The head's input for texts: packaged embedding [, fine-tuned embedding] [, TF-IDF]."""
        if self.encoder is None:
            raise RuntimeError("classifier has no encoder: call train() or load()")
        texts = self._masked(texts)  # the same masking in training and serving
        dense = [self.encoder.encode(texts)]
        if self.tuned is not None:
            dense.append(self.tuned.encode(texts))
        self.dense_dims = tuple(int(d.shape[1]) for d in dense)
        vectors = np.hstack(dense) if len(dense) > 1 else dense[0]
        return combine(vectors, self.lexical.transform(texts) if self.lexical else None)

    def _weighted(self, x: Any, weights: Sequence[float]) -> Any:
        """x with each embedding block scaled by its weight; x itself is never modified."""
        if all(w == 1.0 for w in weights):
            return x
        scale = np.ones(x.shape[1], dtype=np.float32)
        start = 0
        for width, weight in zip(self.dense_dims, weights, strict=True):
            scale[start : start + width] = weight
            start += width
        if sparse.issparse(x):
            return (x @ sparse.diags(scale)).tocsr()
        return x * scale

    @staticmethod
    def _fit(
        x: Any, y: np.ndarray, c: float, sample_weight: np.ndarray | None = None
    ) -> LogisticRegression:
        # One BLAS thread: these matrices are small, and threads fighting the encoder's
        # for a busy CPU made fits 30x slower than running single-threaded.
        from sklearn.linear_model import LogisticRegression

        with threadpool_limits(limits=1, user_api="blas"):
            return LogisticRegression(C=c, max_iter=3000).fit(x, y, sample_weight=sample_weight)

    def _masked(self, texts: list[str]) -> list[str]:
        """texts with concrete values masked (nlu/masking.py) when this model masks."""
        return mask_many(texts) if self.masking else texts

    def _dense(self, x: Any) -> np.ndarray:
        """The packaged encoder's unit embeddings: the first block of head features."""
        width = self.dense_dims[0] if self.dense_dims else x.shape[1]
        block = x[:, :width]
        return np.asarray(block.toarray() if sparse.issparse(block) else block, dtype=np.float32)

    # -- serving -------------------------------------------------------------
    def _predict_features(self, x: Any) -> list[IntentPrediction]:
        """Predictions for rows of head features (the background class never wins)."""
        if self.head is None:
            raise RuntimeError("classifier is not trained: call train() or load()")
        scores = self.head.decision_function(self._weighted(x, self.dense_weights))
        probs = softmax(scores, self.temperature)
        real = self.head.classes_ != BACKGROUND
        names, probs = self.head.classes_[real], probs[:, real]
        out = []
        labels = [str(name) for name in names]
        for row in probs:
            best = int(row.argmax())
            intent = labels[best]
            out.append(
                IntentPrediction(
                    intent,
                    self.categories[intent],
                    float(row[best]),
                    dict(zip(labels, map(float, row), strict=True)),
                )
            )
        return self._gated(x, out)

    def _gated(self, x: Any, predictions: list[IntentPrediction]) -> list[IntentPrediction]:
        """Predictions with the scope gate's verdict: out_of_scope above its threshold (the
        gate's probability becomes that intent's, the others shrink to share the rest),
        `off_topic` flagged above its lower one. A message the head reads as noise more
        than as off-topic (the background class's share at least out_of_scope's) keeps
        the head's reading: it is unclear, and gets a question back."""
        if self.gate is None or not predictions or OUT_OF_SCOPE not in self.categories:
            return predictions
        scores = self.gate.off_topic_probability(
            self._dense(x),
            np.asarray([_outside_share(p) for p in predictions]),
            np.asarray([_best_inside(p) for p in predictions]),
        )
        gated = []
        for p, score in zip(predictions, map(float, scores), strict=True):
            if _noise_share(p) >= p.probabilities.get(OUT_OF_SCOPE, 0.0):
                gated.append(p)  # noise ("hmm", "asdfgh"): unclear, not off-topic
                continue
            if score >= self.gate.threshold and p.intent != OUT_OF_SCOPE:
                rest = 1.0 - score
                probabilities = {i: q * rest for i, q in p.probabilities.items()}
                probabilities[OUT_OF_SCOPE] = max(score, p.probabilities.get(OUT_OF_SCOPE, 0.0))
                p = IntentPrediction(
                    OUT_OF_SCOPE,
                    self.categories[OUT_OF_SCOPE],
                    probabilities[OUT_OF_SCOPE],
                    probabilities,
                )
            gated.append(replace(p, off_topic=score >= self.gate.unsure_threshold))
        return gated

    def predict(self, texts: Sequence[str]) -> list[IntentPrediction]:
        """Predictions for messages, encoded in one batch."""
        if not texts:
            return []
        return self._predict_features(self._features(list(texts)))

    # -- persistence ---------------------------------------------------------
    def save(self, folder: Path) -> None:
        """Write the head and TF-IDF vocabularies (joblib), metadata.json and, when
        fine-tuned, the encoder (a sentence-transformers folder) into folder."""
        if self.head is None:
            raise RuntimeError("nothing to save: the classifier is not trained")
        folder.mkdir(parents=True, exist_ok=True)
        saved = {
            "head": self.head,
            "temperature": self.temperature,
            "lexical": self.lexical,
            "dense_weights": self.dense_weights,
            "dense_dims": self.dense_dims,
            "categories": dict(self.categories),
            "gate": self.gate,
        }
        joblib.dump(saved, folder / HEAD_FILE)
        if self.tuned is not None:
            self.tuned.save(folder / ENCODER_DIR)
        (folder / META_FILE).write_text(json.dumps(self.metadata, indent=2) + "\n")

    @classmethod
    def load(cls, folder: Path, encoder: TextEncoder) -> IntentClassifier:
        """A classifier saved by `save`, serving with encoder (plus its own fine-tuned
        encoder when it was trained with one)."""
        if not (folder / HEAD_FILE).is_file() or not (folder / META_FILE).is_file():
            raise FileNotFoundError(f"no intent model in {folder}")
        metadata = json.loads((folder / META_FILE).read_text())
        if metadata.get("version") not in READABLE_VERSIONS:
            raise ValueError(
                f"intent model in {folder} has version {metadata.get('version')!r}, "
                f"expected {MODEL_VERSION}: retrain it"
            )
        _alias_moved_modules()
        saved = joblib.load(folder / HEAD_FILE)
        clf = cls(saved.get("categories"))
        clf.encoder = encoder
        if metadata["params"].get("finetune"):
            clf.tuned = TunedEncoder.load(folder / ENCODER_DIR)
        clf.head = saved["head"]
        clf.temperature = float(saved["temperature"])
        clf.lexical = saved.get("lexical")
        clf.dense_weights = tuple(saved.get("dense_weights", (1.0,)))
        clf.dense_dims = tuple(saved.get("dense_dims", ()))
        clf.gate = saved.get("gate")
        # Models saved before masking (no "masking" in their params) serve unmasked.
        clf.masking = bool(metadata["params"].get("masking"))
        clf.metadata = metadata
        return clf


MOVED_MODULES = {"graph.nlu": "nlu", "graph.nlu.features": "nlu.features"}
"""Models saved while this package lived under graph/ name their pickled classes by that
path; they still load."""


def _alias_moved_modules() -> None:
    for old, new in MOVED_MODULES.items():
        sys.modules.setdefault(old, importlib.import_module(new))
