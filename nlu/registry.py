"""Model registry under DATA_DIR: semantic versions, metadata, the serving pointer.

Layout (models_dir/intent/):
    registry.json              {"serving": "1.2.0"}
    versions/<version>/        head.joblib (linear head, TF-IDF vocabularies, temperature),
                               metadata.json, report.json, confusion.png,
                               encoder/ (only when fine-tuned: a sentence-transformers folder)

Versions: the first is 1.0.0; a model trained on different data bumps the minor
number, a retrain on the same data (other parameters) bumps the patch number.
"""

from __future__ import annotations

import json
import os
import shutil
import tempfile
from collections.abc import Callable
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

from nlu.cache import KEY_FILE, ModelCache, training_inputs, training_key
from nlu.classifier import HEAD_FILE, META_FILE, IntentClassifier, TextEncoder
from nlu.corpus import CORPUS_PATH, read_corpus
from nlu.finetune import FinetuneConfig
from nlu.report import plot_confusion

POINTER = "registry.json"


class UnknownVersion(LookupError):
    """No registered model has that version."""


def _key(version: str) -> tuple[int, ...]:
    return tuple(int(part) for part in version.split("."))


class ModelRegistry:
    """Versioned intent models in one folder; which one serves is a pointer file."""

    def __init__(self, models_dir: Path) -> None:
        self.root = models_dir / "intent"
        self.versions_dir = self.root / "versions"

    # -- reading ---------------------------------------------------------------
    def versions(self) -> list[str]:
        """Registered versions, oldest first."""
        if not self.versions_dir.is_dir():
            return []
        found = [p.name for p in self.versions_dir.iterdir() if (p / META_FILE).is_file()]
        return sorted(found, key=_key)

    def metadata(self, version: str) -> dict[str, Any]:
        path = self.versions_dir / version / META_FILE
        if not path.is_file():
            raise UnknownVersion(f"no intent model version {version!r} (see `support nlu models`)")
        metadata: dict[str, Any] = json.loads(path.read_text())
        return metadata

    def serving(self) -> str | None:
        """The version the service loads, or None before the first training."""
        pointer = self.root / POINTER
        if not pointer.is_file():
            return None
        serving: str | None = json.loads(pointer.read_text()).get("serving")
        return serving

    def folder(self, version: str) -> Path:
        self.metadata(version)  # raises UnknownVersion
        return self.versions_dir / version

    def load(self, version: str, encoder: TextEncoder) -> IntentClassifier:
        return IntentClassifier.load(self.folder(version), encoder)

    # -- writing ---------------------------------------------------------------
    def next_version(self, data_sha256: str) -> str:
        versions = self.versions()
        if not versions:
            return "1.0.0"
        latest = versions[-1]
        major, minor, patch = _key(latest)
        if self.metadata(latest).get("data_sha256") == data_sha256:
            return f"{major}.{minor}.{patch + 1}"
        return f"{major}.{minor + 1}.0"

    def register(self, clf: IntentClassifier) -> str:
        """Save a trained classifier as the next version (atomically); returns the version."""
        version = self.next_version(clf.metadata["data_sha256"])
        clf.metadata["model_version"] = version
        self.versions_dir.mkdir(parents=True, exist_ok=True)
        staging = Path(tempfile.mkdtemp(prefix=".new-", dir=self.versions_dir))
        try:
            clf.save(staging)
            if clf.test_report:
                (staging / "report.json").write_text(json.dumps(clf.test_report, indent=1))
                plot_confusion(
                    clf.test_report["confusion"],
                    staging / "confusion.png",
                    title=f"Intent model {version}: held-out test split",
                )
            staging.rename(self.versions_dir / version)
        finally:
            shutil.rmtree(staging, ignore_errors=True)
        return version

    def register_copy(self, folder: Path) -> str:
        """Register a copy of another registry's (or the cache's) version folder as the
        next version here (atomically); returns the version."""
        metadata = json.loads((folder / META_FILE).read_text())
        version = self.next_version(metadata["data_sha256"])
        metadata["model_version"] = version
        self.versions_dir.mkdir(parents=True, exist_ok=True)
        staging = Path(tempfile.mkdtemp(prefix=".new-", dir=self.versions_dir))
        try:
            shutil.copytree(folder, staging, dirs_exist_ok=True)
            (staging / KEY_FILE).unlink(missing_ok=True)
            (staging / META_FILE).write_text(json.dumps(metadata, indent=2) + "\n")
            staging.rename(self.versions_dir / version)
        finally:
            shutil.rmtree(staging, ignore_errors=True)
        return version

    def promote(self, version: str) -> None:
        """Make `version` the serving model (an atomic pointer swap)."""
        self.metadata(version)
        self.root.mkdir(parents=True, exist_ok=True)
        tmp = self.root / f".{POINTER}.tmp"
        payload = {"serving": version, "promoted": datetime.now(UTC).isoformat(timespec="seconds")}
        tmp.write_text(json.dumps(payload))
        os.replace(tmp, self.root / POINTER)

    def listing(self) -> list[dict[str, Any]]:
        """One row per version for `support nlu models`."""
        serving = self.serving()
        rows = []
        for version in self.versions():
            meta = self.metadata(version)
            metrics = meta.get("metrics", {})
            rows.append(
                {
                    "version": version,
                    "serving": version == serving,
                    "created": meta.get("created"),
                    "data_sha256": meta.get("data_sha256", "")[:12],
                    "corpus": meta.get("params", {}).get("corpus"),
                    "test_accuracy": metrics.get("test_accuracy"),
                    "test_macro_f1": metrics.get("test_macro_f1"),
                    "test_ece": metrics.get("test_ece"),
                    "finetuned": bool(meta.get("params", {}).get("finetune")),
                }
            )
        return rows


def train_and_register(
    models_dir: Path,
    encoder: TextEncoder,
    corpus_path: Path | None = None,
    *,
    confidence_floor: float,
    promote: bool = True,
    finetune: FinetuneConfig | None = None,
    progress: Callable[[str], None] | None = None,
) -> tuple[str, dict[str, Any]]:
    """Train on the committed corpus (or corpus_path), register it; promote unless told not to
    (a first model is always promoted). `confidence_floor` is the settings'
    ESCALATION_THRESHOLD, which the confidence temperature is chosen for. With `finetune`
    the encoder is fine-tuned too and saved in the version folder. Returns (version, metrics)."""
    path = corpus_path or CORPUS_PATH
    texts, labels = read_corpus(path)
    clf = IntentClassifier()
    metrics = clf.train(
        texts,
        labels,
        encoder,
        confidence_floor=confidence_floor,
        finetune=finetune,
        progress=progress,
    )
    clf.metadata["params"]["corpus"] = path.name
    registry = ModelRegistry(models_dir)
    version = registry.register(clf)
    if promote or registry.serving() is None:
        registry.promote(version)
    return version, metrics


def train_default(
    models_dir: Path,
    encoder: TextEncoder,
    corpus_path: Path | None = None,
    *,
    confidence_floor: float,
) -> dict[str, Any]:
    """Train, register and serve a new model; returns its held-out metrics."""
    return train_and_register(
        models_dir, encoder, corpus_path, confidence_floor=confidence_floor, promote=True
    )[1]


def trained_default(
    models_dir: Path,
    encoder: TextEncoder,
    cache_dir: Path | None,
    corpus_path: Path | None = None,
    *,
    confidence_floor: float,
) -> dict[str, Any]:
    """Like train_default, but through the model cache (nlu/cache.py): when cache_dir holds
    a model trained from the same inputs (corpus, code, encoder, libraries), register and
    serve a copy of it instead of training; otherwise train and store the new version there.
    cache_dir None trains every time. Returns the model's held-out metrics."""
    inputs = (
        training_inputs(encoder, corpus_path, confidence_floor=confidence_floor)
        if cache_dir is not None
        else None
    )
    if cache_dir is None or inputs is None:
        return train_default(models_dir, encoder, corpus_path, confidence_floor=confidence_floor)
    cache, key = ModelCache(cache_dir), training_key(inputs)
    registry = ModelRegistry(models_dir)
    cached = cache.entry(key)
    if cached is not None:
        version = registry.register_copy(cached)
        registry.promote(version)
        metrics: dict[str, Any] = registry.metadata(version)["metrics"]
        return metrics
    version, metrics = train_and_register(
        models_dir, encoder, corpus_path, confidence_floor=confidence_floor, promote=True
    )
    cache.store(key, inputs, registry.folder(version))
    return metrics


def require_model(models_dir: Path) -> Path:
    """Folder of the serving model; FileNotFoundError telling how to train one if absent."""
    registry = ModelRegistry(models_dir)
    version = registry.serving()
    if version is None or not (registry.versions_dir / version / HEAD_FILE).is_file():
        raise FileNotFoundError(
            f"intent model not trained: run `support nlu train` (looked in {registry.root})"
        )
    return registry.versions_dir / version


def load_default(models_dir: Path, encoder: TextEncoder) -> IntentClassifier:
    """The serving model; FileNotFoundError telling how to train one if absent."""
    return IntentClassifier.load(require_model(models_dir), encoder)
