"""The store's part of /metrics: the escalation queue and agents' relabels, read at scrape
time so every worker reports the store's numbers (observability.store_gauges renders them)."""

from __future__ import annotations

import logging
from datetime import UTC, datetime, timedelta

from sqlalchemy.engine import Engine
from sqlalchemy.exc import SQLAlchemyError

from observability.store_gauges import render_store_gauges
from tools.store.ops_queries import relabel_counts, unresolved_escalations

RELABEL_WINDOW = timedelta(days=7)
log = logging.getLogger("support.metrics")


def store_gauges(engine: Engine) -> bytes:
    """Prometheus text of the store gauges; empty when the store cannot be read (the rest of
    /metrics still answers, and says the process is up)."""
    try:
        unresolved = unresolved_escalations(engine)
        relabels = relabel_counts(engine, datetime.now(UTC) - RELABEL_WINDOW)
    except SQLAlchemyError as exc:
        log.warning("store gauges left out of /metrics: %s", type(exc).__name__)
        return b""
    return render_store_gauges(unresolved, relabels, window="7d")
