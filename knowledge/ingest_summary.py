"""What one `support ingest` run did (or would do): counts, problems, the deletion plan."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

from knowledge.lint import FlaggedPassage


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
    """One ``'path: reason'`` per path that holds nothing to ingest (missing, no files, a
    type ingest does not read)."""
    failed: list[str] = field(default_factory=list)
    """One ``'path: reason'`` per file (or JSONL line) that could not be ingested."""
    flagged: list[FlaggedPassage] = field(default_factory=list)
    """Passages written by this run that the lint flagged (kept out of answers)."""
    delete_plan: list[tuple[str, str]] = field(default_factory=list)
    """(doc_id, source) of every stored document ``delete_missing`` removes (or would)."""
    stored: int = 0
    """Documents the collection held before the run."""
    refused: str = ""
    """Why nothing was written (a failed file, too many deletions); '' when not refused."""

    @property
    def written(self) -> bool:
        return not self.dry_run and not self.refused

    def line(self) -> str:
        flagged = f", flagged {len(self.flagged)}" if self.flagged else ""
        failed = f", failed {len(self.failed)}" if self.failed else ""
        text = (
            f"added {self.added}, updated {self.updated}, unchanged {self.unchanged}, "
            f"deleted {self.deleted}, chunks {self.chunks}, skipped {len(self.skipped)}"
            f"{failed}{flagged} in {self.seconds:.1f} s"
        )
        if self.refused:
            verb = "would be refused" if self.dry_run else "refused, nothing written"
            return f"{verb}: {self.refused}; it would have {text}"
        return f"dry run, nothing written: would have {text}" if self.dry_run else text

    def public(self) -> dict[str, Any]:
        """The summary as JSON-ready fields (`support ingest --json`)."""
        return {
            "added": self.added,
            "updated": self.updated,
            "unchanged": self.unchanged,
            "deleted": self.deleted,
            "chunks": self.chunks,
            "seconds": round(self.seconds, 2),
            "dry_run": self.dry_run,
            "written": self.written,
            "refused": self.refused or None,
            "stored_documents": self.stored,
            "delete_plan": [{"doc_id": d, "source": s} for d, s in self.delete_plan],
            "skipped": self.skipped,
            "failed": self.failed,
            "flagged": [p.public() for p in self.flagged],
        }
