"""Server-sent event streams that read the store: what every worker's stream reads, so a
client connected to any worker sees every worker's changes. On SQLite they re-read every
POLL_SECONDS; on Postgres a notification wakes them (app/notifications.py), with a re-read
at least every POLL_SECONDS * SAFETY_POLLS in case one is ever missed."""

from __future__ import annotations

import asyncio
import json
import logging
import time
from collections.abc import AsyncIterator, Awaitable, Callable
from typing import Any

from app.errors import error_body

log = logging.getLogger("support.streams")
POLL_SECONDS = 0.5
SAFETY_POLLS = 10
"""With a wake-up, the longest wait between reads is POLL_SECONDS * SAFETY_POLLS."""
Wake = Callable[[float], Awaitable[None]]
"""`await wake(timeout)`: returns when there may be new rows, or after `timeout` seconds."""


async def poll(
    fetch: Callable[[int], list[dict[str, Any]]],
    cursor: int,
    max_seconds: float,
    wake: Wake | None = None,
) -> AsyncIterator[dict[str, Any]]:
    """Rows `fetch(cursor)` returns (each with an increasing "id"), in a thread, each once,
    until `max_seconds` have passed: read again every POLL_SECONDS, or, given `wake`, as
    soon as it returns (and at least every POLL_SECONDS * SAFETY_POLLS)."""
    seen, deadline = cursor, time.monotonic() + max_seconds
    while True:
        for row in await asyncio.to_thread(fetch, seen):
            seen = row["id"]
            yield row
        if time.monotonic() >= deadline:
            return
        left = max(0.0, deadline - time.monotonic())
        if wake is None:
            await asyncio.sleep(min(POLL_SECONDS, left))
        else:
            await wake(min(POLL_SECONDS * SAFETY_POLLS, left))


async def guarded(
    events: AsyncIterator[dict[str, Any]], what: str
) -> AsyncIterator[dict[str, Any]]:
    """`events`, or, when producing them fails, a typed `error` event that ends the stream."""
    try:
        async for event in events:
            yield event
    except Exception:
        log.exception("%s stream failed", what)
        body = error_body("stream_failed", "the stream failed on our side; reconnect")
        yield {"event": "error", "data": json.dumps(body)}
