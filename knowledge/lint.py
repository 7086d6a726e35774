"""Lint the help centre: the passages that tell the reader to do something risky.

The rules are in ``knowledge.lint_rules``. Passages are the chunks ingest stores, cut the
same way, so what `support kb lint` lists is exactly what ingest marks ``flagged`` in the
chunk metadata and what the retriever then keeps out of customer answers. A document
whose front matter says ``reviewed: true`` is never flagged.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any

from knowledge.chunking import Chunk, Tokenizer, chunk_sections
from knowledge.lint_rules import RULES, RULES_VERSION, Finding, lint_text
from knowledge.loaders import Document, LoadError, load_file

if TYPE_CHECKING:
    from knowledge.ingest import SourceFile

__all__ = [
    "RULES",
    "RULES_VERSION",
    "FlaggedPassage",
    "LintReport",
    "flag_metadata",
    "lint_chunks",
    "lint_files",
    "lint_text",
]


@dataclass(frozen=True)
class FlaggedPassage:
    """A passage some rule fired on: where it is, and why."""

    source: str
    doc_id: str
    section: str
    chunk_index: int
    findings: list[Finding]

    @property
    def reason(self) -> str:
        """The reasons of every rule that fired, '; '-joined (stored as ``flag_reason``)."""
        return "; ".join(f.reason for f in self.findings)

    def line(self) -> str:
        """One line for a person: 'file > heading: reason'."""
        return f"{self.source} > {self.section or '(no heading)'}: {self.reason}"

    def public(self) -> dict[str, Any]:
        return {
            "source": self.source,
            "doc_id": self.doc_id,
            "heading": self.section,
            "chunk_index": self.chunk_index,
            "rules": [f.rule for f in self.findings],
            "reason": self.reason,
            "excerpt": self.findings[0].excerpt,
            "excerpts": {f.rule: f.excerpt for f in self.findings},
        }


def lint_chunks(document: Document, chunks: list[Chunk]) -> list[FlaggedPassage]:
    """The document's flagged chunks, in order; none when the document is reviewed."""
    if document.reviewed:
        return []
    flagged = []
    for chunk in chunks:
        findings = lint_text(chunk.text)
        if findings:
            flagged.append(
                FlaggedPassage(
                    document.source, document.doc_id, chunk.section, chunk.index, findings
                )
            )
    return flagged


def flag_metadata(passage: FlaggedPassage | None, reviewed: bool) -> dict[str, Any]:
    """Chunk metadata that marks a flagged passage and a reviewed document. None removes a
    key: Chroma's upsert keeps the keys a new version does not name, and a passage flagged
    once must not stay flagged after its document is fixed or reviewed."""
    return {
        "flagged": True if passage else None,
        "flag_reason": passage.reason if passage else None,
        "reviewed": True if reviewed else None,
    }


@dataclass
class LintReport:
    """What `support kb lint` found under some paths."""

    flagged: list[FlaggedPassage] = field(default_factory=list)
    documents: int = 0
    passages: int = 0
    reviewed: int = 0
    """Reviewed documents, whose passages are not linted."""
    skipped: list[str] = field(default_factory=list)
    """``'path: reason'`` per file (or JSONL line) that could not be read."""

    def public(self) -> dict[str, Any]:
        return {
            "documents": self.documents,
            "passages": self.passages,
            "reviewed_documents": self.reviewed,
            "flagged": [p.public() for p in self.flagged],
            "skipped": self.skipped,
        }


def lint_files(
    files: Iterable[SourceFile], tokenizer: Tokenizer, *, max_tokens: int = 200, overlap: int = 30
) -> LintReport:
    """Lint every document of the files (``knowledge.ingest.find_files``), chunked as ingest
    chunks them."""
    report = LintReport()
    for file in files:
        try:
            loaded = load_file(file.path, file.source, file.doc_id)
        except LoadError as exc:
            report.skipped.append(f"{file.path}: {exc}")
            continue
        report.skipped += loaded.problems
        for document in loaded.documents:
            chunks = chunk_sections(
                document.sections, tokenizer=tokenizer, max_tokens=max_tokens, overlap=overlap
            )
            report.documents += 1
            report.passages += len(chunks)
            report.reviewed += document.reviewed
            report.flagged += lint_chunks(document, chunks)
    return report
