"""Conversation memory: an async checkpointer on SQLite (default) or Postgres."""

from __future__ import annotations

import asyncio
import logging
from collections.abc import AsyncIterator, Awaitable, Callable, Sequence
from contextlib import asynccontextmanager
from pathlib import Path
from typing import TYPE_CHECKING, Any, TypeVar, cast

from langgraph.checkpoint.base import BaseCheckpointSaver
from langgraph.checkpoint.postgres.aio import AsyncPostgresSaver
from psycopg import InterfaceError, OperationalError
from psycopg_pool import PoolTimeout

from tools.errors import BackendUnavailable

if TYPE_CHECKING:
    from psycopg_pool import AsyncConnectionPool

log = logging.getLogger("support.checkpoint")
T = TypeVar("T")

POOL_TIMEOUT_SECONDS = 5.0
"""How long a turn waits for a Postgres connection before it fails as BackendUnavailable."""
RECONNECT_SECONDS = 10.0
"""How long the pool retries (with backoff) before it starts a fresh series of attempts:
bounds how late the service notices that Postgres is back."""
UNAVAILABLE = (OperationalError, InterfaceError, PoolTimeout, OSError)
"""What a checkpoint call raises when Postgres is down or the connection broke."""


def is_postgres(url: str) -> bool:
    return url.startswith(("postgresql://", "postgres://", "postgresql+psycopg://"))


@asynccontextmanager
async def open_checkpointer(url: str) -> AsyncIterator[BaseCheckpointSaver[str]]:
    """Checkpointer for `url`: a postgresql:// URL, or else a SQLite file path.

    A Postgres that is down does not stop the service from starting: its tables are set
    up on first use, and every call made while it is down raises BackendUnavailable (a
    503 to the client) until it answers again."""
    if is_postgres(url):
        from psycopg.rows import dict_row
        from psycopg_pool import AsyncConnectionPool

        conninfo = url.replace("postgresql+psycopg://", "postgresql://")
        # Our own pool: the saver's single connection dies on long idle periods upstream.
        async with AsyncConnectionPool(
            conninfo,
            min_size=1,
            max_size=8,
            open=False,
            timeout=POOL_TIMEOUT_SECONDS,
            reconnect_timeout=RECONNECT_SECONDS,
            check=AsyncConnectionPool.check_connection,  # drop connections a restart killed
            kwargs={"autocommit": True, "prepare_threshold": 0, "row_factory": dict_row},
        ) as pool:
            yield ResilientPostgresSaver(pool)
        return

    from langgraph.checkpoint.sqlite.aio import AsyncSqliteSaver

    Path(url).parent.mkdir(parents=True, exist_ok=True)
    async with AsyncSqliteSaver.from_conn_string(url) as saver:
        await saver.setup()  # WAL; and no fsync per commit, as the store (tools/store/db.py)
        await saver.conn.execute("PRAGMA synchronous=NORMAL")
        yield saver


async def checkpoints_ready(saver: BaseCheckpointSaver[Any]) -> None:
    """Raise BackendUnavailable unless the checkpointer can be used now."""
    if isinstance(saver, ResilientPostgresSaver):
        await saver.ping()


class ResilientPostgresSaver(AsyncPostgresSaver):
    """AsyncPostgresSaver that sets its tables up on first use rather than at start-up,
    and reports Postgres being down as BackendUnavailable."""

    def __init__(self, conn: Any) -> None:
        super().__init__(conn)
        self._set_up = False
        self._setup_lock = asyncio.Lock()

    async def ready(self) -> None:
        """Set the tables up once Postgres answers; raises BackendUnavailable while it
        does not."""
        if self._set_up:
            return
        async with self._setup_lock:
            if not self._set_up:
                try:
                    await self.setup()
                except UNAVAILABLE as exc:
                    log.warning("conversation memory unavailable: %r", exc)
                    raise BackendUnavailable() from exc
                self._set_up = True

    async def ping(self) -> None:
        """Tables set up and a round trip to Postgres made, or BackendUnavailable."""

        async def select_one() -> None:
            pool = cast("AsyncConnectionPool[Any]", self.conn)  # the pool open_checkpointer gave
            async with pool.connection() as conn:
                await conn.execute("select 1")

        await self._guarded(select_one)

    async def _guarded(self, call: Callable[[], Awaitable[T]]) -> T:
        await self.ready()
        try:
            return await call()
        except UNAVAILABLE as exc:
            log.warning("conversation memory unavailable: %r", exc)
            raise BackendUnavailable() from exc

    async def aget_tuple(self, config: Any) -> Any:
        get_tuple = super().aget_tuple
        return await self._guarded(lambda: get_tuple(config))

    async def alist(self, config: Any, **kwargs: Any) -> AsyncIterator[Any]:
        list_ = super().alist

        async def collect() -> list[Any]:
            return [item async for item in list_(config, **kwargs)]

        for item in await self._guarded(collect):
            yield item

    async def aput(self, config: Any, checkpoint: Any, metadata: Any, new_versions: Any) -> Any:
        put = super().aput
        return await self._guarded(lambda: put(config, checkpoint, metadata, new_versions))

    async def aput_writes(
        self, config: Any, writes: Sequence[tuple[str, Any]], task_id: str, task_path: str = ""
    ) -> None:
        put_writes = super().aput_writes
        await self._guarded(lambda: put_writes(config, writes, task_id, task_path))

    async def adelete_thread(self, thread_id: str) -> None:
        delete_thread = super().adelete_thread
        await self._guarded(lambda: delete_thread(thread_id))

    async def aget_delta_channel_history(self, **kwargs: Any) -> Any:
        history = super().aget_delta_channel_history
        return await self._guarded(lambda: history(**kwargs))
