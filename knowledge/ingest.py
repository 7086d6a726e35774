"""Ingest help-centre files into a Chroma collection, re-embedding only what changed.

One run: find the files, parse each (``knowledge.loaders``), compare every document's
content hash with what the collection holds, chunk the new and changed ones, then write
them in batches of whole documents. A batch is embedded and upserted in one call, so a
failure (a crash, the encoder, the Chroma server) leaves each document either at its old
version or at its new one; only then are the changed documents' surplus old chunks
deleted. With ``delete_missing`` documents no longer found are removed last.

Nothing at all is written when a file fails (unless ``keep_going``), when no document was
found, or when ``delete_missing`` would remove more than ``max_delete_share`` of the
collection: the summary's ``refused`` says why, and its ``delete_plan`` lists what would go.

Every chunk is linted (``knowledge.lint``) on the way in: one that tells the reader to do
something risky (share a card number, call a premium line, ignore the rules) is stored with
``flagged: true`` and a ``flag_reason``, and the retriever never uses it for an answer,
unless its document's front matter says ``reviewed: true``.
"""

from __future__ import annotations

import time
from collections.abc import Callable
from dataclasses import dataclass, replace
from pathlib import Path
from typing import TYPE_CHECKING, Any

from knowledge.chunking import Chunk, Tokenizer, chunk_sections
from knowledge.ingest_summary import IngestSummary
from knowledge.lint import RULES_VERSION, FlaggedPassage, flag_metadata, lint_chunks
from knowledge.loaders import Document, LoadError, load_file
from knowledge.sources import SourceFile, doc_id_for, find_files
from knowledge.vectorstore import bump_revision

__all__ = [
    "IngestSummary",
    "SourceFile",
    "doc_id_for",
    "find_files",
    "ingest_paths",
    "stored_documents",
]

if TYPE_CHECKING:
    from chromadb.api.models.Collection import Collection

CHUNKER_VERSION = "2"
"""Bump when chunking or chunk metadata changes, so every document is re-chunked once."""
WRITE_BATCH = 256
"""Chunks embedded and upserted per call (whole documents; a bigger document goes alone).
Large enough that the encoder works at full batch speed (profiled: ~99 % of an ingest run
is spent in the encoder)."""


@dataclass(frozen=True)
class StoredDocument:
    """What the collection holds for one doc_id."""

    chunk_ids: list[str]
    fingerprints: set[str]
    """``content_hash|chunker`` of its chunks; more than one means a half-finished update."""
    source: str
    format: str


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
    keep_going: bool = True,
    max_delete_share: float | None = None,
    progress: ProgressCallback | None = None,
) -> IngestSummary:
    """Chunk, embed and store the documents under ``paths``; idempotent.

    A document whose content hash (and chunker settings) match what is stored is left
    alone; a changed one is replaced. A file that cannot be read is listed in ``failed``;
    with ``keep_going`` the rest is written, without it nothing is. ``delete_missing``
    removes stored documents not found under ``paths`` (the paths are then the whole
    knowledge base), except those of files that exist but could not be read this time;
    when that is more than ``max_delete_share`` of the stored documents, nothing is
    written (``refused`` says why). ``dry_run`` reports without writing. ``reviewed``: the
    caller vouches for every document (a vetted corpus), none is flagged.
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
            summary.failed.append(f"{file.path}: {exc}")
            seen.add(file.doc_id)  # a file that is there but unreadable keeps its old version
            protected_sources.add(file.source)
            continue
        summary.failed += loaded.problems
        if loaded.problems:
            protected_sources.add(file.source)
        for document in loaded.documents:
            if document.doc_id in seen:
                summary.failed.append(
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
                summary.failed.append(f"{file.path}: no text outside headings ({document.doc_id})")
                continue
            new_ids = {chunk_id(document.doc_id, c.index) for c in chunks}
            stale = [i for i in previous.chunk_ids if i not in new_ids] if previous else []
            flagged = {p.chunk_index: p for p in lint_chunks(document, chunks)}
            planned.append(_Planned(document, chunks, stale, previous is not None, flagged))

    missing = sorted(
        doc_id
        for doc_id, doc in stored.items()
        if doc_id not in seen and doc.source not in protected_sources
    )
    summary.stored = len(stored)
    summary.added = sum(not p.is_update for p in planned)
    summary.updated = sum(p.is_update for p in planned)
    summary.chunks = sum(len(p.chunks) for p in planned)
    summary.flagged = [f for p in planned for f in p.flagged.values()]
    if delete_missing:
        summary.delete_plan = [(d, stored[d].source) for d in missing]
        summary.deleted = len(missing)
    summary.refused = _refusal(summary, keep_going, max_delete_share)
    if summary.written:
        _write(collection, planned, chunker, progress)
        for doc_id, _ in summary.delete_plan:
            collection.delete(ids=stored[doc_id].chunk_ids)
        if planned or summary.deleted:
            bump_revision(collection)
    summary.seconds = time.perf_counter() - started
    return summary


def _refusal(summary: IngestSummary, keep_going: bool, max_delete_share: float | None) -> str:
    """Why the run must write nothing, or ''."""
    if not summary.added + summary.updated + summary.unchanged and not summary.failed:
        return "no document to ingest under the paths given"
    if summary.failed and not keep_going:
        return f"{len(summary.failed)} file(s) failed (--keep-going ingests the others)"
    if max_delete_share is not None and summary.stored and summary.deleted:
        share = summary.deleted / summary.stored
        if share > max_delete_share:
            return (
                f"--delete-missing would delete {summary.deleted} of {summary.stored} "
                f"documents ({share:.0%}), more than the {max_delete_share:.0%} allowed "
                "without --yes"
            )
    return ""


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
