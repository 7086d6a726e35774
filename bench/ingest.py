"""Ingestion throughput (chunks/s) beside the bare encoder's on the same chunks, in one run.

Usage: python -m bench.ingest [PATH ...] [--rounds 3]
Default PATH: the demo help centre. Each round times the bare encoder on every chunk
text, then a full `ingest_paths` (parse, chunk, embed, write to a fresh embedded Chroma
collection); the rounds interleave so both see the same machine load. Target: ingestion
keeps at least 80 % of the encoder's throughput (embedding is the work; the rest is
overhead).
"""

from __future__ import annotations

import argparse
import statistics
import tempfile
import time
from pathlib import Path

from app.settings import Settings
from knowledge.chunking import chunk_sections
from knowledge.embeddings import get_encoder
from knowledge.ingest import find_files, ingest_paths
from knowledge.loaders import LoadError, load_file
from knowledge.tokens import get_tokenizer
from knowledge.vectorstore import open_client, open_collection

TARGET = 0.8


def chunk_texts(paths: list[Path], tokenizer) -> list[str]:
    """The texts ingestion will embed, chunked the same way (default settings)."""
    files, _ = find_files(paths)
    texts: list[str] = []
    for file in files:
        try:
            loaded = load_file(file.path, file.source, file.doc_id)
        except LoadError:
            continue
        for document in loaded.documents:
            texts += [c.text for c in chunk_sections(document.sections, tokenizer=tokenizer)]
    return texts


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("paths", nargs="*", type=Path, help="files or folders to ingest")
    parser.add_argument("--rounds", type=int, default=3, help="interleaved rounds (median)")
    args = parser.parse_args(argv)

    with tempfile.TemporaryDirectory(prefix="bench-ingest-") as tmp:
        settings = Settings(_env_file=None, DATA_DIR=Path(tmp), CHROMA_URL="")  # type: ignore[call-arg]
        paths = args.paths or [settings.KB_DIR]
        tokenizer = get_tokenizer(str(settings.tiktoken_cache_dir))
        encoder = get_encoder(settings.EMBEDDING_MODEL)
        texts = chunk_texts(paths, tokenizer)
        if not texts:
            print(f"nothing to ingest under {', '.join(map(str, paths))}")
            return 1
        encoder.encode(texts[:64])  # warm up
        client = open_client(settings.knowledge)
        encoder_rates: list[float] = []
        ingest_rates: list[float] = []
        for round_ in range(args.rounds):
            started = time.perf_counter()
            encoder.encode(texts)
            encoder_rates.append(len(texts) / (time.perf_counter() - started))

            collection = open_collection(settings.knowledge, f"bench-{round_}", client=client)
            summary = ingest_paths(paths, collection, tokenizer)
            ingest_rates.append(summary.chunks / summary.seconds)
            if summary.chunks != len(texts):
                print(f"warning: ingested {summary.chunks} chunks, encoder timed {len(texts)}")
            client.delete_collection(f"bench-{round_}")

    encoder_rate = statistics.median(encoder_rates)
    ingest_rate = statistics.median(ingest_rates)
    # Each round's pair ran back to back under the same load: compare within rounds.
    ratio = statistics.median(i / e for i, e in zip(ingest_rates, encoder_rates, strict=True))
    print(f"{len(texts)} chunks from {', '.join(map(str, paths))}, {args.rounds} rounds (median)")
    print(f"bare encoder     {encoder_rate:8.1f} chunks/s")
    print(f"full ingestion   {ingest_rate:8.1f} chunks/s")
    verdict = "meets" if ratio >= TARGET else "misses"
    print(f"ratio            {ratio:8.2f}  ({verdict} the {TARGET:.0%} target; median of rounds)")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
