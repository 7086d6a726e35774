"""A mean-pooling sentence encoder run with transformers alone.

The packaged all-MiniLM-L6-v2 is a sentence-transformers folder of three modules: the
transformer, mean pooling over the tokens, and normalisation. Running exactly that with
transformers' AutoModel gives the same vectors (largest difference 1.5e-8 on our probes)
without importing sentence-transformers, which brings `datasets` and pandas with it: about
100 MB less per worker and 3 s less to load (docs/performance.md). Any other folder (a
different pooling, a fine-tuned copy) still goes through sentence-transformers.
"""

from __future__ import annotations

import json
import threading
from pathlib import Path
from typing import Any

import numpy as np

PLAIN_MODULES = (
    "sentence_transformers.models.Transformer",
    "sentence_transformers.models.Pooling",
    "sentence_transformers.models.Normalize",
)


def is_mean_pooled(folder: str | Path) -> bool:
    """Whether the folder holds a transformer + mean pooling (+ normalisation), nothing else."""
    root = Path(folder)
    try:
        modules = json.loads((root / "modules.json").read_text())
        kinds = tuple(m["type"] for m in modules)
        pooling = next(m["path"] for m in modules if m["type"].endswith(".Pooling"))
        config = json.loads((root / pooling / "config.json").read_text())
    except (OSError, ValueError, KeyError, StopIteration):
        return False
    modes = {k: v for k, v in config.items() if k.startswith("pooling_mode_") and v}
    return kinds in (PLAIN_MODULES, PLAIN_MODULES[:2]) and list(modes) == [
        "pooling_mode_mean_tokens"
    ]


class MeanPooled:
    """Unit vectors of texts: the transformer's token states averaged over the attention
    mask, then L2-normalised, in batches of similar lengths (as sentence-transformers does)."""

    def __init__(self, folder: str | Path) -> None:
        import torch
        from transformers import AutoModel, AutoTokenizer

        self._torch = torch
        root = Path(folder)
        settings = json.loads((root / "sentence_bert_config.json").read_text())
        self.max_length = int(settings.get("max_seq_length") or 256)
        self.tokenizer = AutoTokenizer.from_pretrained(str(root))
        self.transformer: Any = AutoModel.from_pretrained(str(root)).eval()
        self.dimension = int(self.transformer.config.hidden_size)
        # A fast tokenizer changes its own padding state on each call: one call at a time.
        self._tokenizing = threading.Lock()

    def encode(self, texts: list[str], batch_size: int = 64) -> np.ndarray:
        if not texts:
            return np.zeros((0, self.dimension), dtype=np.float32)
        order = sorted(range(len(texts)), key=lambda i: -len(texts[i]))
        rows = np.zeros((len(texts), self.dimension), dtype=np.float32)
        for start in range(0, len(order), batch_size):
            picked = order[start : start + batch_size]
            rows[picked] = self._batch([texts[i] for i in picked])
        return rows

    def _batch(self, texts: list[str]) -> np.ndarray:
        torch = self._torch
        with self._tokenizing:
            tokens = self.tokenizer(
                texts,
                padding=True,
                truncation=True,
                max_length=self.max_length,
                return_tensors="pt",
            )
        with torch.inference_mode():
            states = self.transformer(**tokens).last_hidden_state
            mask = tokens["attention_mask"].unsqueeze(-1).to(states.dtype)
            mean = (states * mask).sum(1) / mask.sum(1).clamp(min=1e-9)
            unit = torch.nn.functional.normalize(mean, p=2, dim=1)
        return np.asarray(unit.numpy(), dtype=np.float32)
