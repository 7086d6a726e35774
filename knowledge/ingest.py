"""Ingest help-centre files into a Chroma collection, re-embedding only what changed.

One run: find the files, parse each (``knowledge.loaders``), compare every document's
content hash with what the collection holds, chunk the new and changed ones, then write
them in batches of whole documents. A batch is embedded and upserted in one call, so a
failure (a crash, the encoder, the Chroma server) leaves each document either at its old
version or at its new one; only then are the changed documents' surplus old chunks
deleted. With ``delete_missing`` documents no longer found are removed last.

Every chunk is linted (``knowledge.lint``) on the way in: one that tells the reader to do
something risky (share a card number, call a premium line, ignore the rules) is stored with
``flagged: true`` and a ``flag_reason``, and the retriever never uses it for an answer,
unless its document's front matter says ``reviewed: true``.
"""

from __future__ import annotations

import re
import time
from collections.abc import Callable, Iterable
from dataclasses import dataclass, field, replace
from pathlib import Path
from typing import TYPE_CHECKING, Any

from knowledge.chunking import Chunk, Tokenizer, chunk_sections
from knowledge.lint import RULES_VERSION, FlaggedPassage, flag_metadata, lint_chunks
from knowledge.loaders import FORMATS, Document, LoadError, load_file
from knowledge.vectorstore import bump_revision

if TYPE_CHECKING:
    from chromadb.api.models.Collection import Collection

CHUNKER_VERSION = "2"
"""Bump when chunking or chunk metadata changes, so every document is re-chunked once."""
WRITE_BATCH = 256
"""Chunks embedded and upserted per call (whole documents; a bigger document goes alone).
Large enough that the encoder works at full batch speed (profiled: ~99 % of an ingest run
is spent in the encoder)."""


@dataclass
class IngestSummary:
    """What one ingest run did; ``chunks`` counts chunks embedded and written by it."""

    added: int = 0
    updated: int = 0
    unchanged: int = 0
    deleted: int = 0
    chunks: int = 0
    seconds: float = 0.0
    dry_run: bool = False
    skipped: list[str] = field(default_factory=list)
    """One ``'path: reason'`` per file (or JSONL line) that was not ingested."""
    flagged: list[FlaggedPassage] = field(default_factory=list)
    """Passages written by this run that the lint flagged (kept out of answers)."""

    def line(self) -> str:
        flagged = f", flagged {len(self.flagged)}" if self.flagged else ""
        text = (
            f"added {self.added}, updated {self.updated}, unchanged {self.unchanged}, "
            f"deleted {self.deleted}, chunks {self.chunks}, skipped {len(self.skipped)}"
            f"{flagged} in {self.seconds:.1f} s"
        )
        return f"dry run, nothing written: would have {text}" if self.dry_run else text


@dataclass(frozen=True)
class SourceFile:
    """A supported file found under one of the paths given to ingest."""

    path: Path
    source: str
    """Path relative to the folder it was found in (POSIX separators)."""
    doc_id: str


@dataclass(frozen=True)
class StoredDocument:
    """What the collection holds for one doc_id."""

    chunk_ids: list[str]
    fingerprints: set[str]
    """``content_hash|chunker`` of its chunks; more than one means a half-finished update."""
    source: str
    format: str


def doc_id_for(relative: Path) -> str:
    """Stable id from a relative path: 'Billing/Invoices & VAT.md' -> 'billing/invoices-vat'."""
    parts = [*relative.parent.parts, relative.stem]
    slugs = [re.sub(r"[^a-z0-9]+", "-", part.lower()).strip("-") for part in parts]
    return "/".join(s for s in slugs if s) or "document"


def _hidden(relative: Path) -> bool:
    return any(part.startswith(".") for part in relative.parts)


def find_files(paths: Iterable[Path]) -> tuple[list[SourceFile], list[str]]:
    """Files under the paths (folders searched recursively, hidden ones ignored) and skips.

    Files of an unsupported type are reported, not silently dropped, so the content team
    sees a .docx that was never ingested.
    """
    found: list[SourceFile] = []
    skipped: list[str] = []
    resolved: set[Path] = set()
    for path in paths:
        if path.is_dir():
            candidates = [
                (p, p.relative_to(path))
                for p in sorted(path.rglob("*"))
                if p.is_file() and not _hidden(p.relative_to(path))
            ]
            if not candidates:
                skipped.append(f"{path}: no files")
        elif path.is_file():
            candidates = [(path, Path(path.name))]
        else:
            skipped.append(f"{path}: does not exist")
            continue
        for file, rel in candidates:
            if file.suffix.lower() not in FORMATS:
                skipped.append(f"{file}: unsupported file type {file.suffix or '(no suffix)'!r}")
                continue
            if file.resolve() not in resolved:  # the same file named twice is read once
                resolved.add(file.resolve())
                found.append(SourceFile(file, rel.as_posix(), doc_id_for(rel)))
    return found, skipped


ProgressCallback = Callable[[int, int], None]
"""Called as ``progress(chunks_written, chunks_to_write)`` after each batch is stored."""


@dataclass
class _Planned:
    """A new or changed document, chunked and waiting to be embedded."""

    document: Document
    chunks: list[Chunk]
    stale_ids: list[str]
    """Its stored chunk ids that the new version does not overwrite."""
    is_update: bool
    flagged: dict[int, FlaggedPassage]
    """Lint findings by chunk index."""


def ingest_paths(
    paths: list[Path],
    collection: Collection,
    tokenizer: Tokenizer,
    *,
    max_tokens: int = 200,
    overlap: int = 30,
    delete_missing: bool = False,
    dry_run: bool = False,
    reviewed: bool = False,
    progress: ProgressCallback | None = None,
) -> IngestSummary:
    """Chunk, embed and store the documents under ``paths``; idempotent.

    A document whose content hash (and chunker settings) match what is stored is left
    alone; a changed one is replaced; bad files are listed in ``skipped`` and the rest
    of the run goes on. ``delete_missing`` removes stored documents not found under
    ``paths`` (the paths are then the whole knowledge base), except those of files that
    exist but could not be read this time. ``dry_run`` reports without writing.
    ``reviewed``: the caller vouches for every document (a vetted corpus), none is flagged.
    """
    started = time.perf_counter()
    summary = IngestSummary(dry_run=dry_run)
    files, summary.skipped = find_files(paths)
    chunker = f"v{CHUNKER_VERSION}:{max_tokens}:{overlap}:lint{RULES_VERSION}"
    chunker += ":reviewed" if reviewed else ""
    stored = stored_documents(collection)
    seen: set[str] = set()
    protected_sources: set[str] = set()
    planned: list[_Planned] = []
    for file in files:
        try:
            loaded = load_file(file.path, file.source, file.doc_id)
        except LoadError as exc:
            summary.skipped.append(f"{file.path}: {exc}")
            seen.add(file.doc_id)  # a file that is there but unreadable keeps its old version
            protected_sources.add(file.source)
            continue
        summary.skipped += loaded.problems
        if loaded.problems:
            protected_sources.add(file.source)
        for document in loaded.documents:
            if document.doc_id in seen:
                summary.skipped.append(
                    f"{file.path}: doc_id {document.doc_id!r} is used twice; kept the first"
                )
                continue
            seen.add(document.doc_id)
            document = replace(document, reviewed=True) if reviewed else document
            previous = stored.get(document.doc_id)
            fingerprint = f"{document.content_hash}|{chunker}"
            if previous and previous.fingerprints == {fingerprint}:
                summary.unchanged += 1
                continue
            chunks = chunk_sections(
                document.sections, tokenizer=tokenizer, max_tokens=max_tokens, overlap=overlap
            )
            if not chunks:
                summary.skipped.append(f"{file.path}: no text outside headings ({document.doc_id})")
                continue
            new_ids = {chunk_id(document.doc_id, c.index) for c in chunks}
            stale = [i for i in previous.chunk_ids if i not in new_ids] if previous else []
            flagged = {p.chunk_index: p for p in lint_chunks(document, chunks)}
            planned.append(_Planned(document, chunks, stale, previous is not None, flagged))

    missing = [
        doc_id
        for doc_id, doc in stored.items()
        if doc_id not in seen and doc.source not in protected_sources
    ]
    summary.added = sum(not p.is_update for p in planned)
    summary.updated = sum(p.is_update for p in planned)
    summary.chunks = sum(len(p.chunks) for p in planned)
    summary.flagged = [f for p in planned for f in p.flagged.values()]
    summary.deleted = len(missing) if delete_missing else 0
    if not dry_run:
        _write(collection, planned, chunker, progress)
        if delete_missing:
            for doc_id in missing:
                collection.delete(ids=stored[doc_id].chunk_ids)
        if planned or summary.deleted:
            bump_revision(collection)
    summary.seconds = time.perf_counter() - started
    return summary


def chunk_id(doc_id: str, index: int) -> str:
    return f"{doc_id}#{index}"


def stored_documents(collection: Collection, page: int = 5000) -> dict[str, StoredDocument]:
    """Every document in the collection with its chunk ids and content fingerprints."""
    docs: dict[str, StoredDocument] = {}
    offset = 0
    while True:
        got = collection.get(include=["metadatas"], limit=page, offset=offset)
        ids = got["ids"]
        for id_, meta in zip(ids, got["metadatas"] or [{}] * len(ids), strict=True):
            meta = meta or {}
            doc_id = str(meta.get("doc_id") or id_.split("#", 1)[0])
            doc = docs.setdefault(
                doc_id,
                StoredDocument(
                    [], set(), str(meta.get("source", "")), str(meta.get("format") or "markdown")
                ),
            )
            doc.chunk_ids.append(id_)
            doc.fingerprints.add(f"{meta.get('content_hash')}|{meta.get('chunker')}")
        if len(ids) < page:
            return docs
        offset += page


def _metadata(
    document: Document, chunk: Chunk, chunker: str, flagged: FlaggedPassage | None
) -> dict[str, Any]:
    return {
        "doc_id": document.doc_id,
        "title": document.title,
        "section": chunk.section,
        "source": document.source,
        "url": document.url,
        "chunk_index": chunk.index,
        "format": document.format,
        "content_hash": document.content_hash,
        "chunker": chunker,
        **flag_metadata(flagged, document.reviewed),
    }


def _write(
    collection: Collection,
    planned: list[_Planned],
    chunker: str,
    progress: ProgressCallback | None,
) -> None:
    """Upsert whole documents in batches, then drop the stale chunks of those documents."""
    total = sum(len(p.chunks) for p in planned)
    written = 0
    batch: list[_Planned] = []

    def flush() -> None:
        nonlocal written, batch
        if not batch:
            return
        ids, texts, metas = [], [], []
        for plan in batch:
            for chunk in plan.chunks:
                ids.append(chunk_id(plan.document.doc_id, chunk.index))
                texts.append(chunk.text)
                metas.append(
                    _metadata(plan.document, chunk, chunker, plan.flagged.get(chunk.index))
                )
        collection.upsert(ids=ids, documents=texts, metadatas=metas)  # type: ignore[arg-type]
        stale = [i for plan in batch for i in plan.stale_ids]
        if stale:
            collection.delete(ids=stale)
        written += len(ids)
        batch = []
        if progress is not None:
            progress(written, total)

    size = 0
    for plan in planned:
        if batch and size + len(plan.chunks) > WRITE_BATCH:
            flush()
            size = 0
        batch.append(plan)
        size += len(plan.chunks)
    flush()
