"""NLU latency and throughput beside the bare encoder's cost, measured in one run.

The NLU adds the TF-IDF transform, the linear head and the entity rules to one encoder
pass (two with a fine-tuned model: the packaged and the tuned encoder).

Usage: python -m bench.nlu [--n 300] [--models-dir DIR]
Trains a model into a temp folder when DATA_DIR has none.
"""

from __future__ import annotations

import argparse
import statistics
import tempfile
import time
from pathlib import Path

from app.settings import Settings
from knowledge.embeddings import get_encoder
from nlu.corpus import read_corpus
from nlu.parser import NLU
from nlu.registry import ModelRegistry, load_default, train_default


def percentile(values: list[float], q: float) -> float:
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, int(q * len(ordered)))]


def timed_pair(first, second, items) -> tuple[list[float], list[float]]:
    """Milliseconds per item for two functions, interleaved so both see the same load."""
    a, b = [], []
    for item in items:
        for fn, out in ((first, a), (second, b)):
            started = time.perf_counter()
            fn(item)
            out.append((time.perf_counter() - started) * 1000)
    return a, b


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--n", type=int, default=300, help="messages to time")
    parser.add_argument("--models-dir", type=Path, default=None)
    args = parser.parse_args(argv)

    encoder = get_encoder("")
    settings = Settings()
    models_dir = args.models_dir or settings.models_dir
    if ModelRegistry(models_dir).serving() is None:
        models_dir = Path(tempfile.mkdtemp(prefix="bench-nlu-"))
        print(f"no serving model; training one into {models_dir}")
        train_default(models_dir, encoder, confidence_floor=settings.ESCALATION_THRESHOLD)
    classifier = load_default(models_dir, encoder)
    nlu = NLU(classifier, version="bench")
    params = classifier.metadata.get("params", {})
    texts, _ = read_corpus()
    sample = texts[: args.n]
    for text in sample[:20]:  # warm up both paths
        nlu.parse(text)

    encoder_ms, nlu_ms = timed_pair(
        lambda t: encoder.encode([t]), lambda t: nlu.parse(t, session_id="s"), sample
    )

    started = time.perf_counter()
    encoder.encode(sample)
    encoder_batch = len(sample) / (time.perf_counter() - started)
    started = time.perf_counter()
    nlu.parse_many(sample)
    nlu_batch = len(sample) / (time.perf_counter() - started)

    p50_enc, p95_enc = statistics.median(encoder_ms), percentile(encoder_ms, 0.95)
    p50_nlu, p95_nlu = statistics.median(nlu_ms), percentile(nlu_ms, 0.95)
    print(f"{len(sample)} messages from the project corpus")
    print(
        f"model: {classifier.metadata.get('model_version', '?')}, "
        f"TF-IDF features {classifier.lexical.size if classifier.lexical else 0}, "
        f"fine-tuned encoder {'yes (encodes twice)' if params.get('finetune') else 'no'}"
    )
    print(
        f"single message  p50: encoder {p50_enc:6.2f} ms | NLU {p50_nlu:6.2f} ms "
        f"| NLU/encoder {p50_nlu / p50_enc:4.2f}x"
    )
    print(
        f"single message  p95: encoder {p95_enc:6.2f} ms | NLU {p95_nlu:6.2f} ms "
        f"| NLU/encoder {p95_nlu / p95_enc:4.2f}x"
    )
    print(
        f"batch throughput   : encoder {encoder_batch:6.1f} msg/s | NLU {nlu_batch:6.1f} msg/s "
        f"| NLU/encoder {nlu_batch / encoder_batch:4.2f}x"
    )


if __name__ == "__main__":
    main()
