"""The knowledge query log: each question the help centre was asked, how well it retrieved.

The rows live in the store (the `kb_queries` table), so every worker writes to the same log
and `support kb gaps` on any machine sees the questions all of them answered. The knowledge
node writes one row per turn; `support kb gaps` reads them. Versions before issue 21 kept
the log in DATA_DIR/kb_queries.sqlite, one file per worker: `import_legacy_file` moves such
a file's rows into the store once, at the service's start.
"""

from __future__ import annotations

import logging
import os
import sqlite3
from contextlib import closing
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from pathlib import Path

    from tools.store.protocol import KbQueryStore

log = logging.getLogger("support.knowledge")

OUTCOMES = ("answered", "missing_knowledge", "no_answer")
"""answered; escalated because no passage passed KB_MIN_SCORE; composer found nothing to say."""


@dataclass(frozen=True)
class QueryRecord:
    """One knowledge question and how retrieval went."""

    at: datetime
    session_id: str
    question: str
    best_score: float
    """Highest cosine similarity among the retrieved passages."""
    best_doc: str
    """doc_id of that passage ('' when nothing was retrieved)."""
    outcome: str


class QueryLog:
    """Append-only log of knowledge questions in the store; safe to call from several
    threads and several worker processes."""

    def __init__(self, store: KbQueryStore) -> None:
        self.store = store

    def record(
        self, *, session_id: str, question: str, best_score: float, best_doc: str, outcome: str
    ) -> None:
        if outcome not in OUTCOMES:
            raise ValueError(f"outcome must be one of {', '.join(OUTCOMES)}")
        self.store.add_kb_query(
            session_id=session_id,
            question=question,
            best_score=float(best_score),
            best_doc=best_doc,
            outcome=outcome,
        )

    def records(self, since: datetime | None = None) -> list[QueryRecord]:
        """Every row (at or after ``since``), oldest first; [] when nothing was logged yet."""
        return [
            QueryRecord(
                row["at"].astimezone(UTC),
                row["session_id"],
                row["question"],
                float(row["best_score"]),
                row["best_doc"],
                row["outcome"],
            )
            for row in self.store.list_kb_queries(since)
        ]


IMPORTED_SUFFIX = ".imported"
"""Added to a legacy log's name once its rows are in the store (the file is kept)."""


def import_legacy_file(path: Path, query_log: QueryLog) -> int:
    """Move the rows of a per-worker log file from before issue 21 into the store, once.

    The file is first renamed to ``*.importing`` (so two processes sharing a DATA_DIR do not
    both import it), its rows are written in one transaction, then it is renamed to
    ``*.imported`` and kept. When the store refuses the rows, the file gets its name back
    and the next start tries again. Returns how many rows were imported (0: no file).
    """
    if not path.is_file():
        return 0
    claimed = path.with_name(path.name + ".importing")
    try:
        os.rename(path, claimed)
    except OSError:  # another process took it first
        return 0
    try:
        with closing(sqlite3.connect(claimed, timeout=10)) as conn:
            rows = conn.execute(
                "select at, session_id, question, best_score, best_doc, outcome"
                " from kb_queries order by id"
            ).fetchall()
        count = query_log.store.add_kb_queries(
            {
                "at": _utc(at),
                "session_id": sid,
                "question": question,
                "best_score": score,
                "best_doc": doc,
                "outcome": outcome,
            }
            for at, sid, question, score, doc, outcome in rows
        )
    except Exception:
        os.rename(claimed, path)
        raise
    os.rename(claimed, path.with_name(path.name + IMPORTED_SUFFIX))
    log.info("imported %d knowledge questions from %s into the store", count, path)
    return count


def _utc(at: str) -> datetime:
    parsed = datetime.fromisoformat(at)
    return parsed if parsed.tzinfo else parsed.replace(tzinfo=UTC)
