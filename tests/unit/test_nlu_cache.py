"""The trained-intent-model cache: keyed by everything training reads, never stale."""

from __future__ import annotations

import json
import os
from pathlib import Path

import pytest

import nlu.registry
from app.settings import Settings
from nlu.cache import KEY_FILE, ModelCache, training_inputs, training_key
from nlu.classifier import IntentClassifier
from nlu.corpus import CORPUS_PATH
from nlu.registry import ModelRegistry, load_default, trained_default
from nlu.taxonomy import INTENTS

PROBES = ["where is my order W1234567", "hello", "I want my money back"]
FLOOR = Settings(_env_file=None).ESCALATION_THRESHOLD


def small_corpus(path: Path, per_intent: int = 12) -> Path:
    """The first rows of each intent of the committed corpus (trains in seconds)."""
    rows = [json.loads(line) for line in CORPUS_PATH.read_text().splitlines()]
    small = [r for i in INTENTS for r in [r for r in rows if r["intent"] == i][:per_intent]]
    path.write_text("".join(json.dumps(r) + "\n" for r in small))
    return path


@pytest.fixture
def count_trainings(monkeypatch):
    """How many times trained_default really trained (train_and_register calls)."""
    calls = []
    real = nlu.registry.train_and_register

    def counting(*args, **kwargs):
        calls.append(args)
        return real(*args, **kwargs)

    monkeypatch.setattr(nlu.registry, "train_and_register", counting)
    return calls


def test_nlu_cache_key_is_stable_and_changes_with_any_corpus_line(encoder, tmp_path):
    corpus = small_corpus(tmp_path / "corpus.jsonl")
    before = training_inputs(encoder, corpus)
    assert before is not None
    assert training_key(before) == training_key(training_inputs(encoder, corpus))
    assert len(training_key(before)) == 64

    lines = corpus.read_text().splitlines()
    row = json.loads(lines[5])
    lines[5] = json.dumps({**row, "text": row["text"] + " please"})
    corpus.write_text("\n".join(lines) + "\n")
    after = training_inputs(encoder, corpus)
    assert after["corpus_sha256"] != before["corpus_sha256"]
    assert training_key(after) != training_key(before)
    # The committed corpus, the floor and fine-tuning are inputs too.
    assert training_key(training_inputs(encoder)) != training_key(before)
    floor = training_inputs(encoder, corpus, confidence_floor=0.7)
    assert training_key(floor) != training_key(after)
    tuned = training_inputs(encoder, corpus, finetune={"epochs": 1})
    assert training_key(tuned) != training_key(after)
    assert set(before) >= {"nlu_code_sha256", "encoder_sha256", "libraries", "model_format"}


def test_nlu_cache_has_no_key_for_an_encoder_without_a_model_folder(encoder):
    class Bare:
        def encode(self, texts):
            return encoder.encode(texts)

    assert training_inputs(Bare()) is None


def test_nlu_trained_default_trains_once_then_copies_from_the_cache(
    encoder, tmp_path, count_trainings, monkeypatch
):
    corpus = small_corpus(tmp_path / "corpus.jsonl", per_intent=8)
    cache_dir = tmp_path / "cache"

    first = trained_default(tmp_path / "a", encoder, cache_dir, corpus, confidence_floor=FLOOR)
    assert len(count_trainings) == 1
    key = training_key(training_inputs(encoder, corpus, confidence_floor=FLOOR))
    entry = ModelCache(cache_dir).entry(key)
    assert entry is not None
    assert json.loads((entry / KEY_FILE).read_text()) == training_inputs(
        encoder, corpus, confidence_floor=FLOOR
    )
    assert [p.name for p in cache_dir.iterdir()] == [key]  # no staging folder left

    def no_training(*args, **kwargs):
        raise AssertionError("a cached model must not be retrained")

    monkeypatch.setattr(IntentClassifier, "train", no_training)
    second = trained_default(tmp_path / "b", encoder, cache_dir, corpus, confidence_floor=FLOOR)
    assert len(count_trainings) == 1
    assert second == first
    registry = ModelRegistry(tmp_path / "b")
    assert (registry.versions(), registry.serving()) == (["1.0.0"], "1.0.0")
    assert not (registry.folder("1.0.0") / KEY_FILE).exists()
    assert (registry.folder("1.0.0") / "confusion.png").is_file()
    served = load_default(tmp_path / "b", encoder)
    assert served.metadata["model_version"] == "1.0.0"
    assert served.predict(PROBES) == load_default(tmp_path / "a", encoder).predict(PROBES)

    # Same data again into the same registry: a patch version, as a retrain would be.
    trained_default(tmp_path / "b", encoder, cache_dir, corpus, confidence_floor=FLOOR)
    assert (registry.versions(), registry.serving()) == (["1.0.0", "1.0.1"], "1.0.1")
    assert registry.metadata("1.0.1")["model_version"] == "1.0.1"


@pytest.fixture
def fake_training(monkeypatch):
    """train_and_register replaced by one that registers a stand-in model at once; the
    corpus files it was called with, in order."""
    calls: list[Path] = []

    def fake(models_dir, encoder, corpus_path=None, **kwargs):
        calls.append(corpus_path)
        registry = ModelRegistry(models_dir)
        version = registry.next_version("x" * 64)
        folder = registry.versions_dir / version
        folder.mkdir(parents=True)
        (folder / "head.joblib").write_bytes(b"stand-in")
        meta = {"data_sha256": "x" * 64, "model_version": version, "metrics": {"n": 1}}
        (folder / "metadata.json").write_text(json.dumps(meta))
        registry.promote(version)
        return version, meta["metrics"]

    monkeypatch.setattr(nlu.registry, "train_and_register", fake)
    return calls


def test_nlu_trained_default_retrains_after_a_corpus_edit_or_without_a_cache(
    encoder, tmp_path, fake_training
):
    corpus = small_corpus(tmp_path / "corpus.jsonl", per_intent=8)
    cache_dir = tmp_path / "cache"
    trained_default(tmp_path / "a", encoder, cache_dir, corpus, confidence_floor=FLOOR)
    trained_default(tmp_path / "b", encoder, cache_dir, corpus, confidence_floor=FLOOR)
    assert len(fake_training) == 1
    corpus.write_text(corpus.read_text().replace("order", "orders", 1))
    trained_default(tmp_path / "c", encoder, cache_dir, corpus, confidence_floor=FLOOR)
    assert len(fake_training) == 2
    assert len(list(cache_dir.iterdir())) == 2
    trained_default(tmp_path / "d", encoder, cache_dir, corpus, confidence_floor=0.7)
    assert len(fake_training) == 3  # another floor is another model

    trained_default(tmp_path / "e", encoder, None, corpus, confidence_floor=FLOOR)
    assert len(fake_training) == 4
    assert ModelRegistry(tmp_path / "e").serving() == "1.0.0"


def test_nlu_cache_ignores_an_incomplete_entry(tmp_path):
    cache = ModelCache(tmp_path)
    (tmp_path / "abc").mkdir()
    (tmp_path / "abc" / "metadata.json").write_text("{}")
    assert cache.entry("abc") is None
    assert cache.entry("missing") is None


def test_nlu_cache_dir_setting(tmp_path, monkeypatch):
    monkeypatch.setenv("XDG_CACHE_HOME", str(tmp_path / "xdg"))
    assert Settings(_env_file=None, NLU_CACHE_DIR="").nlu_cache_dir == (
        tmp_path / "xdg" / "support-agent" / "intent"
    )
    assert Settings(_env_file=None, NLU_CACHE_DIR="off").nlu_cache_dir is None
    mine = Settings(_env_file=None, NLU_CACHE_DIR=str(tmp_path / "mine")).nlu_cache_dir
    assert mine == tmp_path / "mine"
    monkeypatch.delenv("XDG_CACHE_HOME")
    home = Settings(_env_file=None, NLU_CACHE_DIR="").nlu_cache_dir
    assert home == Path(os.path.expanduser("~")) / ".cache" / "support-agent" / "intent"
