"""Ingesting into Chroma: metadata, idempotence, updates, pruning, dry runs, skips, persistence."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

import chromadb
import pytest
from chromadb.api.client import SharedSystemClient
from chromadb.config import Settings as ChromaSettings

from knowledge.embeddings import MiniLMEmbeddingFunction
from knowledge.ingest import IngestSummary, doc_id_for, ingest_paths, stored_documents
from knowledge.tokens import get_tokenizer
from knowledge.vectorstore import collection_revision, open_client, open_collection

RETURNS = """---
title: Returns and refunds
url: https://help.northwind.example/returns-and-refunds
---
You can return most items within 30 days of delivery.

## Refund timing

Refunds go to the original payment method and appear in 5–10 business days.

## Gift cards

Gift cards are non-refundable.
"""

PAIRING = """---
title: Headphones pairing
url: https://help.northwind.example/headphones-pairing
---
## Pairing mode

Hold the power button for 5 seconds until the light flashes blue and white.
"""

SHIPPING = """# Shipping costs

Standard shipping costs $5.99 and is free over $50.
"""


class CountingEmbeddingFunction(MiniLMEmbeddingFunction):
    """The real embedding function, recording every text it embeds."""

    def __init__(self, model_path: str = "") -> None:
        super().__init__(model_path)
        self.texts: list[str] = []

    def __call__(self, input):
        self.texts.extend(input)
        return super().__call__(input)


@pytest.fixture
def kb_dir(tmp_path) -> Path:
    folder = tmp_path / "kb"
    folder.mkdir()
    (folder / "returns-and-refunds.md").write_text(RETURNS, encoding="utf-8")
    (folder / "headphones-pairing.md").write_text(PAIRING, encoding="utf-8")
    (folder / "Shipping Costs.md").write_text(SHIPPING, encoding="utf-8")
    return folder


@pytest.fixture
def tokenizer(settings):
    return get_tokenizer(str(settings.tiktoken_cache_dir))


@pytest.fixture
def embedder(encoder) -> CountingEmbeddingFunction:
    return CountingEmbeddingFunction()


@pytest.fixture
def collection(settings, embedder):
    return open_collection(settings.knowledge, embedding_function=embedder)


def test_doc_id_for_slugs_the_relative_path():
    assert doc_id_for(Path("returns-and-refunds.md")) == "returns-and-refunds"
    assert doc_id_for(Path("Billing/Invoices & VAT.md")) == "billing/invoices-vat"


def test_ingest_paths_adds_chunks_with_citation_metadata(kb_dir, collection, tokenizer, embedder):
    progress: list[tuple[int, int]] = []

    summary = ingest_paths([kb_dir], collection, tokenizer, progress=lambda *a: progress.append(a))

    assert (summary.added, summary.updated, summary.unchanged, summary.skipped) == (3, 0, 0, [])
    assert progress == [(5, 5)]
    assert summary.chunks == 5 == collection.count() == len(embedder.texts)
    stored = collection.get(ids=["returns-and-refunds#1"], include=["documents", "metadatas"])
    meta = stored["metadatas"][0]
    assert stored["documents"][0] == (
        "## Returns and refunds > Refund timing\n\n"
        "Refunds go to the original payment method and appear in 5–10 business days."
    )
    assert {k: v for k, v in meta.items() if k not in ("content_hash", "chunker")} == {
        "doc_id": "returns-and-refunds",
        "title": "Returns and refunds",
        "section": "Returns and refunds > Refund timing",
        "source": "returns-and-refunds.md",
        "url": "https://help.northwind.example/returns-and-refunds",
        "chunk_index": 1,
        "format": "markdown",
    }
    assert len(meta["content_hash"]) == 64
    shipping = collection.get(where={"doc_id": "shipping-costs"}, include=["metadatas"])
    assert shipping["ids"] == ["shipping-costs#0"]
    assert shipping["metadatas"][0]["title"] == "Shipping costs"
    assert shipping["metadatas"][0]["url"] == ""


def test_ingest_paths_second_run_is_unchanged_and_embeds_nothing(
    kb_dir, collection, tokenizer, embedder
):
    ingest_paths([kb_dir], collection, tokenizer)
    embedded = len(embedder.texts)

    progress: list[tuple[int, int]] = []
    again = ingest_paths([kb_dir], collection, tokenizer, progress=lambda *a: progress.append(a))

    assert progress == []
    assert (again.added, again.updated, again.unchanged, again.chunks) == (0, 0, 3, 0)
    assert again.deleted == 0
    assert len(embedder.texts) == embedded
    assert collection.count() == 5


def test_ingest_paths_edited_doc_replaces_its_old_chunks(kb_dir, collection, tokenizer, embedder):
    ingest_paths([kb_dir], collection, tokenizer)
    embedder.texts.clear()
    (kb_dir / "returns-and-refunds.md").write_text(
        "---\ntitle: Returns and refunds\n---\nReturns are accepted within 30 days.\n",
        encoding="utf-8",
    )

    summary = ingest_paths([kb_dir], collection, tokenizer)

    assert (summary.added, summary.updated, summary.unchanged, summary.chunks) == (0, 1, 2, 1)
    assert embedder.texts == ["# Returns and refunds\n\nReturns are accepted within 30 days."]
    ids = collection.get(where={"doc_id": "returns-and-refunds"})["ids"]
    assert ids == ["returns-and-refunds#0"]
    assert collection.get(ids=["returns-and-refunds#1", "returns-and-refunds#2"])["ids"] == []
    assert collection.count() == 3


def test_ingest_paths_reports_bad_files_by_name_and_ingests_the_rest(kb_dir, collection, tokenizer):
    (kb_dir / "empty.md").write_text("---\ntitle: Empty\n---\n\n", encoding="utf-8")
    (kb_dir / "latin1.md").write_bytes("Caf\xe9 cr\xe8me".encode("latin-1"))
    (kb_dir / "manual.pdf").write_bytes(b"%PDF-1.4\n1 0 obj<<>>\ngarbage")
    (kb_dir / "photo.jpg").write_bytes(b"\xff\xd8\xff\xe0\x00\x10JFIF")
    (kb_dir / "notes.txt").write_bytes(b"\x00\x01\x02binary")
    (kb_dir / ".hidden").mkdir()
    (kb_dir / ".hidden" / "draft.md").write_text("# Draft\n\nnot ready\n", encoding="utf-8")

    summary = ingest_paths([kb_dir], collection, tokenizer)

    assert summary.added == 4  # latin1.md is read in its code page
    assert summary.skipped == [f"{kb_dir / 'photo.jpg'}: unsupported file type '.jpg'"]
    assert [s.split(": ", 1)[0] for s in sorted(summary.failed)] == [
        str(kb_dir / n) for n in ("empty.md", "manual.pdf", "notes.txt")
    ]
    reasons = dict(s.split(": ", 1) for s in summary.failed)
    assert reasons[str(kb_dir / "empty.md")] == "empty document"
    assert reasons[str(kb_dir / "manual.pdf")].startswith("corrupt or unreadable PDF")
    assert reasons[str(kb_dir / "notes.txt")] == "binary file, not text"
    assert sorted(stored_documents(collection)) == [
        "headphones-pairing",
        "latin1",
        "returns-and-refunds",
        "shipping-costs",
    ]
    text = collection.get(where={"doc_id": "latin1"}, include=["documents"])["documents"]
    assert text == ["# Latin1\n\nCafé crème"]


def test_ingest_paths_without_keep_going_writes_nothing_when_a_file_fails(
    kb_dir, collection, tokenizer
):
    (kb_dir / "broken.md").write_text("---\ntitle: [unclosed\n---\nBody.\n", encoding="utf-8")

    summary = ingest_paths([kb_dir], collection, tokenizer, keep_going=False)

    assert summary.refused.startswith("1 file(s) failed")
    assert summary.failed[0].startswith(f"{kb_dir / 'broken.md'}: front matter is not valid YAML")
    assert collection.count() == 0


def test_ingest_paths_reads_every_format_in_one_folder(kb_dir, collection, tokenizer):
    from tests.unit.test_knowledge_loaders import HTML, make_pdf

    (kb_dir / "returns.html").write_text(HTML, encoding="utf-8")
    (kb_dir / "warranty.pdf").write_bytes(make_pdf(["The warranty lasts two years."], "Warranty"))
    (kb_dir / "hours.txt").write_text("We are open nine to five.\n", encoding="utf-8")
    (kb_dir / "faq.jsonl").write_text(
        json.dumps({"id": "faq-gift", "title": "Gift cards", "text": "They never expire."}) + "\n",
        encoding="utf-8",
    )

    summary = ingest_paths([kb_dir], collection, tokenizer)

    assert (summary.added, summary.skipped) == (7, [])
    formats = {d: s.format for d, s in stored_documents(collection).items()}
    assert formats == {
        "faq-gift": "jsonl",
        "headphones-pairing": "markdown",
        "hours": "text",
        "returns": "html",
        "returns-and-refunds": "markdown",
        "shipping-costs": "markdown",
        "warranty": "pdf",
    }
    warranty = collection.get(where={"doc_id": "warranty"}, include=["documents", "metadatas"])
    assert warranty["documents"] == ["# Warranty\n\nThe warranty lasts two years."]
    assert warranty["metadatas"][0]["source"] == "warranty.pdf"


def test_ingest_paths_delete_missing_removes_documents_no_longer_there(
    kb_dir, collection, tokenizer
):
    ingest_paths([kb_dir], collection, tokenizer)
    (kb_dir / "headphones-pairing.md").unlink()
    (kb_dir / "Shipping Costs.md").write_bytes(b"\x00 corrupted by a bad sync")

    kept = ingest_paths([kb_dir], collection, tokenizer)
    assert (kept.deleted, collection.count()) == (0, 5)  # without the flag nothing goes

    pruned = ingest_paths([kb_dir], collection, tokenizer, delete_missing=True)

    assert (pruned.added, pruned.updated, pruned.unchanged, pruned.deleted) == (0, 0, 1, 1)
    # The unreadable file is still there: its last good version is kept, not deleted.
    assert sorted(stored_documents(collection)) == ["returns-and-refunds", "shipping-costs"]
    assert collection.count() == 4


def test_ingest_paths_dry_run_reports_and_writes_nothing(kb_dir, collection, tokenizer, embedder):
    ingest_paths([kb_dir], collection, tokenizer)
    before = collection.get(include=["documents", "metadatas"])
    embedder.texts.clear()
    (kb_dir / "headphones-pairing.md").unlink()
    (kb_dir / "new.md").write_text("# New\n\nA new article.\n", encoding="utf-8")
    (kb_dir / "returns-and-refunds.md").write_text("# Returns\n\nChanged.\n", encoding="utf-8")

    summary = ingest_paths([kb_dir], collection, tokenizer, dry_run=True, delete_missing=True)

    assert (summary.added, summary.updated, summary.unchanged, summary.deleted) == (1, 1, 1, 1)
    assert summary.chunks == 2
    assert summary.line().startswith("dry run, nothing written: would have added 1, updated 1")
    assert embedder.texts == []
    assert collection.get(include=["documents", "metadatas"]) == before


class FailingEmbeddingFunction(CountingEmbeddingFunction):
    """Fails when asked to embed a text containing a marker, like a crash mid-run."""

    def __call__(self, input):
        if any("EXPLODE" in text for text in input):
            raise RuntimeError("encoder died")
        return super().__call__(input)


def test_ingest_paths_failure_mid_run_leaves_the_old_version_whole(kb_dir, settings, tokenizer):
    collection = open_collection(settings.knowledge, embedding_function=FailingEmbeddingFunction())
    ingest_paths([kb_dir], collection, tokenizer)
    before = collection.get(where={"doc_id": "returns-and-refunds"}, include=["documents"])
    (kb_dir / "returns-and-refunds.md").write_text(
        "# Returns\n\nShort now. EXPLODE\n", encoding="utf-8"
    )

    with pytest.raises(RuntimeError, match="encoder died"):
        ingest_paths([kb_dir], collection, tokenizer)

    after = collection.get(where={"doc_id": "returns-and-refunds"}, include=["documents"])
    assert after == before and len(after["ids"]) == 3
    # Fixed content goes in on the next run and replaces all three old chunks.
    (kb_dir / "returns-and-refunds.md").write_text("# Returns\n\nShort now.\n", encoding="utf-8")
    assert ingest_paths([kb_dir], collection, tokenizer).updated == 1
    assert collection.get(where={"doc_id": "returns-and-refunds"})["ids"] == [
        "returns-and-refunds#0"
    ]


def test_ingest_paths_bumps_the_collection_revision_only_when_it_writes(
    kb_dir, collection, tokenizer
):
    ingest_paths([kb_dir], collection, tokenizer)
    first = collection_revision(collection)
    ingest_paths([kb_dir], collection, tokenizer)
    assert collection_revision(collection) == first
    (kb_dir / "new.md").write_text("# New\n\nA new article.\n", encoding="utf-8")
    ingest_paths([kb_dir], collection, tokenizer)
    assert collection_revision(collection) not in ("", first)


def test_ingest_paths_names_nested_docs_by_folder(tmp_path, collection, tokenizer):
    (tmp_path / "kb" / "billing").mkdir(parents=True)
    (tmp_path / "kb" / "billing" / "invoices.md").write_text(PAIRING, encoding="utf-8")

    ingest_paths([tmp_path / "kb"], collection, tokenizer)

    meta = collection.get(ids=["billing/invoices#0"], include=["metadatas"])["metadatas"][0]
    assert (meta["doc_id"], meta["source"]) == ("billing/invoices", "billing/invoices.md")


def test_ingest_summary_line_format():
    summary = IngestSummary(added=2, updated=1, unchanged=3, deleted=4, chunks=9, seconds=1.234)
    summary.skipped.append("a.md: empty document")
    assert summary.line() == (
        "added 2, updated 1, unchanged 3, deleted 4, chunks 9, skipped 1 in 1.2 s"
    )


def test_open_collection_reopens_persisted_collection_in_a_fresh_client(
    kb_dir, settings, tokenizer, encoder
):
    ingest_paths([kb_dir], open_collection(settings.knowledge), tokenizer)
    SharedSystemClient.clear_system_cache()  # forget the in-process client for this path

    client = chromadb.PersistentClient(
        path=str(settings.chroma_path), settings=ChromaSettings(anonymized_telemetry=False)
    )
    plain = client.get_collection(settings.KB_COLLECTION)  # no embedding function passed
    assert plain.count() == 5
    assert plain.configuration["hnsw"]["space"] == "cosine"
    result = plain.query(query_texts=["my headphones won't pair"], n_results=1)
    assert result["ids"] == [["headphones-pairing#0"]]

    reopened = open_collection(settings.knowledge)
    assert reopened.count() == 5
    assert ingest_paths([kb_dir], reopened, tokenizer).unchanged == 3


REOPEN_SCRIPT = """
import json, sys
import chromadb
from chromadb.config import Settings
import knowledge.vectorstore  # registers our embedding function with Chroma
client = chromadb.PersistentClient(path=sys.argv[1], settings=Settings(anonymized_telemetry=False))
collection = client.get_collection(sys.argv[2])
print(json.dumps({
    "count": collection.count(),
    "embedding_function": type(collection.configuration["embedding_function"]).__name__,
    "ids": sorted(collection.get()["ids"]),
}))
"""


def test_persisted_collection_reopens_in_another_process(kb_dir, settings, tokenizer, encoder):
    ingest_paths([kb_dir], open_collection(settings.knowledge), tokenizer)

    done = subprocess.run(
        [sys.executable, "-c", REOPEN_SCRIPT, str(settings.chroma_path), settings.KB_COLLECTION],
        capture_output=True,
        text=True,
        timeout=120,
        cwd=Path(__file__).resolve().parents[2],
    )

    assert done.returncode == 0, done.stderr
    assert json.loads(done.stdout.splitlines()[-1]) == {
        "count": 5,
        "embedding_function": "MiniLMEmbeddingFunction",
        "ids": [
            "headphones-pairing#0",
            "returns-and-refunds#0",
            "returns-and-refunds#1",
            "returns-and-refunds#2",
            "shipping-costs#0",
        ],
    }


def test_open_client_rejects_a_chroma_url_without_scheme(settings):
    settings.CHROMA_URL = "localhost:8000"
    with pytest.raises(ValueError, match="CHROMA_URL must look like http://host:port"):
        open_client(settings.knowledge)
