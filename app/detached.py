"""Work that finishes even when nobody is listening any more.

A client that hangs up mid-stream cancels whatever is reading a turn's events. If the turn
itself were that reader's work, it would stop half-way: the customer's line checkpointed
without the bot's reply, no turn-log row. So each turn runs in a task of its own and the
reader only forwards its events from a queue; `drain()` lets shutdown wait for them.
"""

from __future__ import annotations

import asyncio
import logging
from collections.abc import AsyncIterator
from typing import Any, TypeVar

T = TypeVar("T")
log = logging.getLogger("support.chat")

_END = object()


class TurnInterrupted(RuntimeError):
    """The task running a turn was cancelled (e.g. the process is shutting down)."""


class Detached:
    """Runs async iterators to completion in tasks of their own."""

    def __init__(self) -> None:
        self._tasks: set[asyncio.Task] = set()  # strong references until each finishes

    async def stream(self, events: AsyncIterator[T]) -> AsyncIterator[T]:
        """`events`' items as they come; the iterator runs to its end even if the caller
        stops reading (is cancelled, or closes this generator). Its error is re-raised here,
        or logged when nobody reads any more."""
        queue: asyncio.Queue[Any] = asyncio.Queue()
        reader_gone = False

        async def pump() -> None:
            try:
                async for item in events:
                    queue.put_nowait((item, None))
            except asyncio.CancelledError:
                queue.put_nowait((None, TurnInterrupted("the turn was interrupted")))
                raise
            except Exception as exc:
                if reader_gone:
                    log.exception("a turn failed after its client went away")
                queue.put_nowait((None, exc))
            finally:
                queue.put_nowait(_END)

        task = asyncio.create_task(pump())
        self._tasks.add(task)
        task.add_done_callback(self._tasks.discard)
        try:
            while (got := await queue.get()) is not _END:
                item, error = got
                if error is not None:
                    raise error
                yield item
        finally:
            reader_gone = not task.done()

    async def drain(self) -> None:
        """Wait until every running iterator has finished."""
        while self._tasks:
            await asyncio.gather(*self._tasks, return_exceptions=True)
