"""Wake-ups for live streams on a Postgres store: one LISTEN connection per worker.

Every write of a conversation line or a desk event also sends a Postgres NOTIFY on commit
(tools/store/desk_log.notify). This worker's `StoreListener` holds one connection that
listens for them, so an open stream re-reads the store as soon as something it shows
was committed by any worker, instead of on its next poll. A dropped connection is
re-opened with backoff; while it is down, streams fall back to polling. The store read
stays the source of truth: a notification only says "read now".
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
import weakref

import psycopg
from sqlalchemy.engine import URL

from tools.store.desk_log import CHANNEL

log = logging.getLogger("support.notifications")
FALLBACK_SECONDS = 0.5
"""How often a stream re-reads while the listening connection is down (as polling does)."""
BACKOFF_SECONDS = (0.5, 30.0)
"""First and longest wait before re-opening a dropped listening connection."""


def listen_conninfo(url: URL) -> str | None:
    """The psycopg connection string for a store's SQLAlchemy URL; None unless it is Postgres."""
    if url.get_backend_name() != "postgresql":
        return None
    return url.set(drivername="postgresql").render_as_string(hide_password=False)


class _Key:
    """What a notification for one key changes: a count, and the event waiters block on."""

    def __init__(self) -> None:
        self.generation = 0
        self.event = asyncio.Event()

    def bump(self) -> None:
        self.generation += 1
        self.event.set()
        self.event = asyncio.Event()


class Waiter:
    """`await waiter(timeout)` returns as soon as a notification for its key has arrived
    since the last call returned (at once if one came meanwhile), else after `timeout`."""

    def __init__(self, listener: StoreListener, key: _Key) -> None:
        self._listener, self._key = listener, key
        self._seen = key.generation

    async def __call__(self, timeout: float) -> None:
        if not self._listener.connected:
            await asyncio.sleep(min(timeout, FALLBACK_SECONDS))
        elif self._key.generation == self._seen:
            with contextlib.suppress(TimeoutError):
                await asyncio.wait_for(self._key.event.wait(), timeout)
        self._seen = self._key.generation


class StoreListener:
    """One worker's `LISTEN support_events` connection, fanning notifications out to the
    streams open on this worker."""

    def __init__(self, conninfo: str) -> None:
        self._conninfo = conninfo
        self._keys: weakref.WeakValueDictionary[str, _Key] = weakref.WeakValueDictionary()
        self._task: asyncio.Task[None] | None = None
        self.connected = False

    def waiter(self, key: str) -> Waiter:
        """A waiter for `key` ("d" for the desk, "s:<session id>" for one conversation)."""
        state = self._keys.get(key)
        if state is None:
            state = self._keys[key] = _Key()
        return Waiter(self, state)

    def start(self) -> None:
        self._task = asyncio.create_task(self._run(), name="store-listener")

    async def stop(self) -> None:
        """Close the connection; open streams go back to polling until they end."""
        if self._task is not None:
            self._task.cancel()
            with contextlib.suppress(asyncio.CancelledError):
                await self._task
            self._task = None
        self.connected = False

    def _deliver(self, payload: str) -> None:
        state = self._keys.get(payload)
        if state is not None:
            state.bump()

    def _wake_all(self) -> None:
        """Everyone re-reads: notifications may have been missed while disconnected."""
        for state in list(self._keys.values()):
            state.bump()

    async def _run(self) -> None:
        delay = BACKOFF_SECONDS[0]
        while True:
            try:
                async with await psycopg.AsyncConnection.connect(
                    self._conninfo, autocommit=True
                ) as conn:
                    await conn.execute(f"LISTEN {CHANNEL}")
                    self.connected, delay = True, BACKOFF_SECONDS[0]
                    log.info("listening for store notifications")
                    self._wake_all()
                    async for note in conn.notifies():
                        self._deliver(note.payload)
            except Exception as exc:  # any failure: poll meanwhile, then reconnect
                log.warning("store notifications lost (%s); retrying in %.1fs", exc, delay)
            finally:
                if self.connected:
                    self.connected = False
                    self._wake_all()
            await asyncio.sleep(delay)
            delay = min(delay * 2, BACKOFF_SECONDS[1])
