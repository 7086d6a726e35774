"""Readiness: which dependencies answer now, named so an operator knows what to fix.

The service starts with any of them down (store, Chroma, Postgres conversation memory)
and recovers without a restart when they return; `/readyz` says what is missing meanwhile.
"""

from __future__ import annotations

import asyncio
import threading
from dataclasses import dataclass, field

from langgraph.checkpoint.base import BaseCheckpointSaver
from sqlalchemy.exc import SQLAlchemyError

from app.runtime import hidden_password
from graph.checkpoint import checkpoints_ready, is_postgres
from graph.context import Services
from knowledge.vectorstore import VectorStoreUnavailable
from tools.errors import BackendUnavailable
from tools.store.db import StoreSchemaOutOfDate, create_schema


@dataclass
class Report:
    """What a readiness check found."""

    missing: list[str] = field(default_factory=list)
    """One line per dependency that is down or empty, e.g. 'knowledge base (Chroma at
    http://10.0.0.5:8000) unreachable'."""
    knowledge_chunks: int = 0


class Readiness:
    """Checks the store, the help centre and the conversation memory on demand."""

    def __init__(
        self, services: Services, checkpointer: BaseCheckpointSaver, checkpoint_url: str
    ) -> None:
        self._services = services
        self._checkpointer = checkpointer
        self._memory = hidden_password(checkpoint_url) if is_postgres(checkpoint_url) else ""
        self._engine = services.store.engine
        self._store = hidden_password(str(self._engine.url))
        self._schema_ok = False
        self._lock = threading.Lock()

    async def check(self) -> Report:
        report = Report()
        try:
            await asyncio.to_thread(self._check_store)
        except StoreSchemaOutOfDate as exc:
            report.missing.append(f"store ({self._store}): {exc}")
        except BackendUnavailable:
            report.missing.append(f"store ({self._store}) unreachable")
        try:
            report.knowledge_chunks = await asyncio.to_thread(self._services.retriever.count)
            if report.knowledge_chunks == 0:
                report.missing.append("knowledge base is empty; run `support ingest`")
        except VectorStoreUnavailable as exc:
            report.missing.append(str(exc))
        try:
            await checkpoints_ready(self._checkpointer)
        except BackendUnavailable:
            report.missing.append(f"conversation memory ({self._memory}) unreachable")
        return report

    def _check_store(self) -> None:
        """The store answers; the first time it does, its tables are created if missing
        (it may have been down when the service started)."""
        with self._lock:
            if not self._schema_ok:
                try:
                    create_schema(self._engine)
                except SQLAlchemyError as exc:
                    raise BackendUnavailable() from exc
                self._schema_ok = True
        self._services.store.customer_exists("__readyz__")
