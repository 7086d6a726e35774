"""`support serve --workers N`: N worker processes answering on one port.

uvicorn's supervisor (its `Multiprocess`, pinned uvicorn 0.54) starts N processes; a worker
that dies is replaced, and the supervisor stops when a worker fails before it serves. Each
worker builds its own app from the environment (`worker_app`, an import-string factory:
uvicorn starts workers afresh) and loads its own models.

Each worker listens on a socket of its own, all bound to the one port with SO_REUSEPORT
(cli/spread.py), so the kernel spreads new connections over the workers by address hash.
With one shared socket (uvicorn's default), a burst of connections all went to whichever
worker woke first (asyncio accepts every waiting connection at once): 4 clients connecting
together landed on one worker of two, which then served them alone.

What the workers share, and why that is safe on one machine:
- the store, SQLite or Postgres: writes that read first open with BEGIN IMMEDIATE, and a
  SQLite writer waits (busy timeout) for another process's lock;
- conversation memory: Postgres, or the SQLite file in WAL mode, where every write opens
  its transaction with the write itself and waits for the lock another process holds;
- the help centre: the service only reads it; `support ingest` writes it from its own
  process, and each worker reopens the collection when the revision stamp moves (embedded
  Chroma included: see docs/architecture.md, Hot reload);
- limits, fan-out, the query log, the serving intent model: in the store already;
- the JWT secret generated in DATA_DIR: created here, before any worker starts;
- metrics: each worker writes to PROMETHEUS_MULTIPROC_DIR (a fresh folder per serve) and
  /metrics adds every worker's counters up, whichever worker answers the scrape.
"""

from __future__ import annotations

import logging
import os
import shutil
import tempfile
from collections.abc import Iterator
from contextlib import contextmanager
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from fastapi import FastAPI

    from app.settings import Settings

FACTORY = "cli.serve_workers:worker_app"
MULTIPROC_ENV = "PROMETHEUS_MULTIPROC_DIR"
log = logging.getLogger("support.serve")


def worker_app() -> FastAPI:
    """One worker's app: settings from the environment, logging as `support serve` sets it,
    and an `X-Worker` header naming the process that answered."""
    from app.main import create_app
    from cli.common import load_settings
    from observability.logs import configure_logging

    settings = load_settings()
    configure_logging(settings.LOG_LEVEL, json_logs=settings.LOG_FORMAT == "json")
    return create_app(settings, worker_header=True)


@contextmanager
def metrics_folder() -> Iterator[str]:
    """A fresh PROMETHEUS_MULTIPROC_DIR for the workers (set in this process's environment,
    which they inherit), removed when serving stops."""
    folder = tempfile.mkdtemp(prefix="support-metrics-")
    before = os.environ.get(MULTIPROC_ENV)
    os.environ[MULTIPROC_ENV] = folder
    try:
        yield folder
    finally:
        if before is None:
            os.environ.pop(MULTIPROC_ENV, None)
        else:
            os.environ[MULTIPROC_ENV] = before
        shutil.rmtree(folder, ignore_errors=True)


def serve_workers(settings: Settings, host: str, port: int, workers: int) -> None:
    """Serve with `workers` processes on host:port until interrupted."""
    import uvicorn

    from cli.spread import SpreadMultiprocess

    settings.jwt_secret()  # generated once here, not raced by the workers
    config = uvicorn.Config(
        FACTORY,
        factory=True,
        workers=workers,
        host=host,
        port=port,
        log_level=settings.LOG_LEVEL.lower(),
        log_config=None,
    )
    try:
        supervisor = SpreadMultiprocess(config)
    except OSError as exc:
        raise SystemExit(f"error: cannot listen on {host}:{port}: {exc.strerror}") from exc
    log.info("serving on http://%s:%d with %d workers", host, port, workers)
    with metrics_folder():
        supervisor.run()
