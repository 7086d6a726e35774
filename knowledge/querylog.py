"""The knowledge query log: each question the help centre was asked, how well it retrieved.

A small SQLite file in DATA_DIR owned by ``knowledge/`` (the conversation store is not
touched). The knowledge node writes one row per turn; `support kb gaps` reads them.
"""

from __future__ import annotations

import sqlite3
from contextlib import closing
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path

_SCHEMA = """
create table if not exists kb_queries (
    id integer primary key autoincrement,
    at text not null,
    session_id text not null,
    question text not null,
    best_score real not null,
    best_doc text not null,
    outcome text not null
)
"""

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
    """Append-only log of knowledge questions; safe to call from several threads."""

    def __init__(self, path: Path) -> None:
        self.path = path

    def _connect(self) -> sqlite3.Connection:
        self.path.parent.mkdir(parents=True, exist_ok=True)
        conn = sqlite3.connect(self.path, timeout=10)
        conn.execute(_SCHEMA)
        return conn

    def record(
        self, *, session_id: str, question: str, best_score: float, best_doc: str, outcome: str
    ) -> None:
        if outcome not in OUTCOMES:
            raise ValueError(f"outcome must be one of {', '.join(OUTCOMES)}")
        with closing(self._connect()) as conn, conn:
            conn.execute(
                "insert into kb_queries (at, session_id, question, best_score, best_doc, outcome)"
                " values (?, ?, ?, ?, ?, ?)",
                (
                    datetime.now(UTC).isoformat(timespec="seconds"),
                    session_id,
                    question,
                    float(best_score),
                    best_doc,
                    outcome,
                ),
            )

    def records(self, since: datetime | None = None) -> list[QueryRecord]:
        """Every row (at or after ``since``), oldest first; [] when nothing was logged yet."""
        if not self.path.exists():
            return []
        query = "select at, session_id, question, best_score, best_doc, outcome from kb_queries"
        params: tuple[str, ...] = ()
        if since is not None:
            query += " where at >= ?"
            params = (since.astimezone(UTC).isoformat(timespec="seconds"),)
        with closing(self._connect()) as conn:
            rows = conn.execute(query + " order by id", params).fetchall()
        return [
            QueryRecord(datetime.fromisoformat(at), sid, q, score, doc, outcome)
            for at, sid, q, score, doc, outcome in rows
        ]
