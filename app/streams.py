"""Server-sent event streams that poll the store: what every worker's stream reads, so a
client connected to any worker sees every worker's changes."""

from __future__ import annotations

import asyncio
import json
import logging
import time
from collections.abc import AsyncIterator, Callable
from typing import Any

from app.errors import error_body

log = logging.getLogger("support.streams")
POLL_SECONDS = 0.5


async def poll(
    fetch: Callable[[int], list[dict[str, Any]]], cursor: int, max_seconds: float
) -> AsyncIterator[dict[str, Any]]:
    """Rows `fetch(cursor)` returns (each with an increasing "id"), in a thread, every
    POLL_SECONDS, each once, until `max_seconds` have passed."""
    seen, deadline = cursor, time.monotonic() + max_seconds
    while True:
        for row in await asyncio.to_thread(fetch, seen):
            seen = row["id"]
            yield row
        if time.monotonic() >= deadline:
            return
        await asyncio.sleep(min(POLL_SECONDS, max(0.0, deadline - time.monotonic())))


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
