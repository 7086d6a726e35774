"""The help-centre query log in the store: every knowledge question any worker answered and
how well it retrieved, so `support kb gaps` on any machine sees them all.

Synchronous, one transaction per call, database failures raised as `BackendUnavailable`.
"""

from __future__ import annotations

from collections.abc import Iterable
from datetime import datetime
from typing import Any

from sqlalchemy import select

from tools.store.models import KbQuery, utcnow
from tools.store.records import SqlRecords

KB_QUERY_FIELDS = ("at", "session_id", "question", "best_score", "best_doc", "outcome")
"""The fields of one logged question, as `list_kb_queries` returns them."""


def _row(fields: dict[str, Any]) -> KbQuery:
    return KbQuery(
        at=fields.get("at") or utcnow(),
        session_id=str(fields["session_id"])[:64],
        question=str(fields["question"]),
        best_score=float(fields["best_score"]),
        best_doc=str(fields["best_doc"])[:255],
        outcome=str(fields["outcome"]),
    )


class KbQueryRecords(SqlRecords):
    """Knowledge questions and how retrieval went (`knowledge.querylog.QueryLog` reads and
    writes them)."""

    def add_kb_query(
        self,
        *,
        session_id: str,
        question: str,
        best_score: float,
        best_doc: str,
        outcome: str,
        at: datetime | None = None,
    ) -> None:
        """Log one question (at `at`, default now)."""
        fields = {
            "at": at,
            "session_id": session_id,
            "question": question,
            "best_score": best_score,
            "best_doc": best_doc,
            "outcome": outcome,
        }
        with self._guard("add_kb_query"), self._writer.begin() as s:
            s.add(_row(fields))

    def add_kb_queries(self, rows: Iterable[dict[str, Any]]) -> int:
        """Log many questions in one transaction (all or none); how many were logged."""
        with self._guard("add_kb_queries"), self._writer.begin() as s:
            made = [_row(fields) for fields in rows]
            s.add_all(made)
            return len(made)

    def list_kb_queries(self, since: datetime | None = None) -> list[dict[str, Any]]:
        """Every logged question (at or after `since`), oldest first."""
        with self._guard("list_kb_queries"), self._reader() as s:
            query = select(KbQuery).order_by(KbQuery.at, KbQuery.id)
            if since is not None:
                query = query.where(KbQuery.at >= since)
            return [{f: getattr(row, f) for f in KB_QUERY_FIELDS} for row in s.scalars(query)]
