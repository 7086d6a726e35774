"""Ingest Markdown documents into a Chroma collection, re-embedding only what changed."""

from __future__ import annotations

import hashlib
import re
import time
from collections.abc import Callable, Iterable
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING, Any

from knowledge.chunking import Chunk, Tokenizer, chunk_markdown, parse_front_matter

if TYPE_CHECKING:
    from chromadb.api.models.Collection import Collection

CHUNKER_VERSION = "1"
"""Bump when chunk_markdown's output changes, so every document is re-chunked once."""
ADD_BATCH = 64


@dataclass
class IngestSummary:
    """What one ingest run did; ``chunks`` counts chunks embedded and written by it."""

    added: int = 0
    updated: int = 0
    unchanged: int = 0
    chunks: int = 0
    seconds: float = 0.0
    skipped: list[str] = field(default_factory=list)
    """One ``'path: reason'`` per file that was not ingested."""

    def line(self) -> str:
        return (
            f"added {self.added}, updated {self.updated}, unchanged {self.unchanged}, "
            f"chunks {self.chunks}, skipped {len(self.skipped)} in {self.seconds:.1f} s"
        )


@dataclass(frozen=True)
class SourceFile:
    """A Markdown file found under one of the paths given to ingest."""

    path: Path
    source: str
    """Path relative to the folder it was found in (POSIX separators)."""
    doc_id: str


def doc_id_for(relative: Path) -> str:
    """Stable id from a relative path: 'Billing/Invoices & VAT.md' -> 'billing/invoices-vat'."""
    parts = [*relative.parent.parts, relative.stem]
    slugs = [re.sub(r"[^a-z0-9]+", "-", part.lower()).strip("-") for part in parts]
    return "/".join(s for s in slugs if s) or "document"


def find_markdown(paths: Iterable[Path]) -> tuple[list[SourceFile], list[str]]:
    """Markdown files under the paths (folders searched recursively) and skip reasons."""
    found: list[SourceFile] = []
    skipped: list[str] = []
    for path in paths:
        if path.is_dir():
            candidates = [(p, p.relative_to(path)) for p in sorted(path.rglob("*.md"))]
            candidates = [(p, rel) for p, rel in candidates if p.is_file()]
            if not candidates:
                skipped.append(f"{path}: no Markdown files")
        elif path.is_file():
            if path.suffix.lower() != ".md":
                skipped.append(f"{path}: not a Markdown (.md) file")
                continue
            candidates = [(path, Path(path.name))]
        else:
            skipped.append(f"{path}: does not exist")
            continue
        found.extend(SourceFile(p, rel.as_posix(), doc_id_for(rel)) for p, rel in candidates)
    seen: dict[str, SourceFile] = {}
    unique: list[SourceFile] = []
    for doc in found:
        if doc.doc_id in seen:
            if seen[doc.doc_id].path.resolve() != doc.path.resolve():
                skipped.append(f"{doc.path}: same doc_id {doc.doc_id!r} as {seen[doc.doc_id].path}")
            continue
        seen[doc.doc_id] = doc
        unique.append(doc)
    return unique, skipped


ProgressCallback = Callable[[int, int], None]
"""Called as ``progress(chunks_written, chunks_to_write)`` after each batch is stored."""


@dataclass
class _Planned:
    """A new or changed document, chunked and waiting to be embedded."""

    doc: SourceFile
    chunks: list[Chunk]
    metadata: list[dict[str, Any]]
    stale_ids: list[str]


def ingest_paths(
    paths: list[Path],
    collection: Collection,
    tokenizer: Tokenizer,
    *,
    max_tokens: int = 200,
    overlap: int = 30,
    progress: ProgressCallback | None = None,
) -> IngestSummary:
    """Chunk, embed and store the Markdown files under ``paths``; idempotent.

    A document whose content hash (and chunker settings) match what is stored is
    left alone; a changed one has its old chunks deleted before the new ones are
    added. Empty or undecodable files are reported in ``skipped``.
    """
    started = time.perf_counter()
    summary = IngestSummary()
    docs, summary.skipped = find_markdown(paths)
    chunker = f"v{CHUNKER_VERSION}:{max_tokens}:{overlap}"
    planned: list[_Planned] = []
    for doc in docs:
        outcome = _plan(doc, collection, tokenizer, chunker, max_tokens, overlap)
        if isinstance(outcome, _Planned):
            planned.append(outcome)
        elif outcome == "unchanged":
            summary.unchanged += 1
        else:
            summary.skipped.append(f"{doc.path}: {outcome}")

    total = sum(len(p.chunks) for p in planned)

    def report(written: int) -> None:
        if progress is not None:
            progress(written, total)

    batch = _Batch(collection, report)
    for plan in planned:
        if plan.stale_ids:
            collection.delete(ids=plan.stale_ids)
            summary.updated += 1
        else:
            summary.added += 1
        for chunk, metadata in zip(plan.chunks, plan.metadata, strict=True):
            batch.add(f"{plan.doc.doc_id}#{chunk.index}", chunk.text, metadata)
        summary.chunks += len(plan.chunks)
    batch.flush()
    summary.seconds = time.perf_counter() - started
    return summary


def _plan(
    doc: SourceFile,
    collection: Collection,
    tokenizer: Tokenizer,
    chunker: str,
    max_tokens: int,
    overlap: int,
) -> _Planned | str:
    """The document's new chunks, ``'unchanged'``, or the reason it is skipped."""
    try:
        raw = doc.path.read_bytes()
        text = raw.decode("utf-8")
    except UnicodeDecodeError:
        return "not UTF-8 text"
    except OSError as exc:
        return f"cannot read ({exc.strerror or exc})"
    meta, body = parse_front_matter(text)
    if not body.strip():
        return "empty document"
    content_hash = hashlib.sha256(raw).hexdigest()
    stored = collection.get(where={"doc_id": doc.doc_id}, include=["metadatas"])
    stored_meta = stored["metadatas"] or []
    if stored_meta and all(
        m.get("content_hash") == content_hash and m.get("chunker") == chunker for m in stored_meta
    ):
        return "unchanged"
    title = meta.get("title") or _first_h1(body) or doc.doc_id
    chunks = chunk_markdown(
        text, tokenizer=tokenizer, max_tokens=max_tokens, overlap=overlap, title=title
    )
    if not chunks:
        return "no text outside headings"
    url = meta.get("url", "")
    metadata = [_metadata(doc, c, title, url, content_hash, chunker) for c in chunks]
    return _Planned(doc, chunks, metadata, list(stored["ids"]))


def _metadata(
    doc: SourceFile, chunk: Chunk, title: str, url: str, content_hash: str, chunker: str
) -> dict[str, Any]:
    return {
        "doc_id": doc.doc_id,
        "title": title,
        "section": chunk.section,
        "source": doc.source,
        "url": url,
        "chunk_index": chunk.index,
        "content_hash": content_hash,
        "chunker": chunker,
    }


def _first_h1(body: str) -> str:
    match = re.search(r"^#\s+(.+?)\s*#*\s*$", body, flags=re.MULTILINE)
    return match.group(1) if match else ""


class _Batch:
    """Chunks waiting to be embedded and added together (the encoder is faster in batches)."""

    def __init__(self, collection: Collection, on_flush: Callable[[int], None]) -> None:
        self._collection = collection
        self._on_flush = on_flush
        self._written = 0
        self._ids: list[str] = []
        self._documents: list[str] = []
        self._metadatas: list[dict[str, Any]] = []

    def add(self, id_: str, document: str, metadata: dict[str, Any]) -> None:
        self._ids.append(id_)
        self._documents.append(document)
        self._metadatas.append(metadata)
        if len(self._ids) >= ADD_BATCH:
            self.flush()

    def flush(self) -> None:
        if self._ids:
            self._collection.add(
                ids=self._ids,
                documents=self._documents,
                metadatas=self._metadatas,  # type: ignore[arg-type]
            )
            self._written += len(self._ids)
            self._on_flush(self._written)
        self._ids, self._documents, self._metadatas = [], [], []
