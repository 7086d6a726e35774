"""What one customer turn costs, by path: database statements, vector queries, encodes, CPU.

Usage: python -m bench.per_turn [--repeat 6] [--paths order_status,escalation]
                                [--postgres postgresql+psycopg://postgres@127.0.0.1:5432/test]
Prepares a DATA_DIR like `support setup` (the demo store, the intent model, the demo help
centre) in a temp folder, serves the API in-process (FastAPI TestClient, SQLite store and
SQLite conversation memory, or both in a fresh schema of `--postgres`; abuse limits off)
and runs each path's scripted turns as a signed-in customer: the turns that lead up to the
measured one run uncounted, the measured turn is counted. Prints, per path, the median
over `--repeat` fresh conversations of:

- store statements (SQLAlchemy `before_cursor_execute` on the store's engine): reads
  (SELECT), writes (INSERT / UPDATE / DELETE) and commits;
- checkpointer statements (sqlite3 trace callback on the saver's connection, or psycopg's
  async cursor for Postgres): reads, writes and, on SQLite, commits;
- Chroma calls on the help-centre collection: `query` (nearest neighbours), `get`
  (vectors and texts of ids), `count`;
- encoder calls (`Encoder.encode`, every caller: NLU, retrieval, extractive composer) and
  the texts encoded;
- CPU milliseconds of this process (all threads) and wall milliseconds for the turn.

The counting wraps objects of this process only (an engine listener, a trace callback, a
proxy on the retriever's collection, a patched `Encoder.encode`), each removed afterwards.
"""

from __future__ import annotations

import argparse
import dataclasses
import statistics
import tempfile
import threading
import time
from collections import Counter
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any

from fastapi.testclient import TestClient
from sqlalchemy import event

from app.auth import mint_token
from app.main import create_app
from app.settings import Settings
from graph.context import Services

CUSTOMERS = ["C0001", "C0002", "C0004", "C0005", "C0007", "C0008"]
"""Demo customers with a delivered and a pending order; conversation i is CUSTOMERS[i % 6]."""


@dataclasses.dataclass(frozen=True)
class Path_:
    """A scripted conversation: `lead` turns run uncounted, then the measured `turn`."""

    name: str
    lead: tuple[str, ...]
    turn: str


def paths(orders: dict[str, str]) -> list[Path_]:
    """The measured paths for a demo customer (orders: status -> one unused order id)."""
    return [
        Path_("order_status", (), f"where is my order {orders['delivered']}?"),
        Path_("help_centre", (), "what is your return policy?"),
        Path_("escalation", (), "I want to talk to a human agent"),
        Path_("smalltalk", (), "hello there"),
        Path_(
            "confirmed_write",
            (f"I want to cancel order {orders['pending']}", "I ordered it by mistake"),
            "yes",
        ),
    ]


COLUMNS = (
    "store_reads",
    "store_writes",
    "store_commits",
    "ckpt_reads",
    "ckpt_writes",
    "ckpt_commits",
    "chroma_query",
    "chroma_get",
    "chroma_count",
    "encodes",
    "texts_encoded",
    "cpu_ms",
    "wall_ms",
)


def kind(statement: str) -> str:
    """'read', 'write', 'commit' or 'other' for one SQL statement."""
    words = statement.lstrip().split(None, 1)
    first = words[0].upper() if words else ""
    if first in ("SELECT", "WITH"):
        return "read"
    if first in ("INSERT", "UPDATE", "DELETE", "REPLACE", "UPSERT"):
        return "write"
    if first in ("COMMIT", "END"):
        return "commit"
    return "other"


class Tally:
    """Thread-safe counters of one measured turn."""

    def __init__(self) -> None:
        self._lock = threading.Lock()
        self.counts: Counter[str] = Counter()
        self.on = False

    def add(self, key: str, n: int = 1) -> None:
        if self.on:
            with self._lock:
                self.counts[key] += n


class CountingCollection:
    """The retriever's collection, counting `query`, `get` and `count` calls."""

    def __init__(self, inner: Any, tally: Tally) -> None:
        self._inner = inner
        self._tally = tally

    def __getattr__(self, name: str) -> Any:
        value = getattr(self._inner, name)
        if name in ("query", "get", "count") and callable(value):

            def counted(*args: Any, **kwargs: Any) -> Any:
                self._tally.add(f"chroma_{name}")
                return value(*args, **kwargs)

            return counted
        return value


@contextmanager
def counting(services: Services, tally: Tally) -> Iterator[Callable[[str], None]]:
    """Install the counters on the store, the retriever and the encoder; yields the trace
    callback for a SQLite checkpointer (see `trace_checkpointer`)."""
    from knowledge.embeddings import Encoder

    engine = services.store.engine

    def on_statement(conn, cursor, statement, parameters, context, executemany) -> None:
        found = kind(statement)
        if found in ("read", "write"):
            tally.add(f"store_{found}s")

    def on_commit(conn) -> None:
        tally.add("store_commits")

    original_encode = Encoder.encode

    def encode(self: Encoder, texts: list[str], batch_size: int = 64) -> Any:
        tally.add("encodes")
        tally.add("texts_encoded", len(texts))
        return original_encode(self, texts, batch_size)

    def on_checkpoint_sql(statement: str) -> None:
        found = kind(statement)
        if found in ("read", "write"):
            tally.add(f"ckpt_{found}s")
        elif found == "commit":
            tally.add("ckpt_commits")

    retriever: Any = services.retriever
    collection = retriever._collection
    event.listen(engine, "before_cursor_execute", on_statement)
    event.listen(engine, "commit", on_commit)
    Encoder.encode = encode  # type: ignore[method-assign]
    retriever._collection = CountingCollection(collection, tally)
    try:
        yield on_checkpoint_sql
    finally:
        retriever._collection = collection
        Encoder.encode = original_encode  # type: ignore[method-assign]
        event.remove(engine, "commit", on_commit)
        event.remove(engine, "before_cursor_execute", on_statement)


@contextmanager
def counting_postgres_checkpointer(tally: Tally) -> Iterator[None]:
    """Count the statements of psycopg's async cursors (only the Postgres checkpointer
    uses them; the store's engine is synchronous): `executemany` counts one statement per
    parameter set. Its commits are not counted (ckpt_commits stays 0): the connections
    are autocommit and writes are pipelined, so a commit per write is the upper bound."""
    import psycopg

    cursor: Any = psycopg.AsyncCursor
    execute, executemany = cursor.execute, cursor.executemany

    async def counted_execute(self: Any, query: Any, *args: Any, **kwargs: Any) -> Any:
        found = kind(_sql_text(query))
        if found in ("read", "write"):
            tally.add(f"ckpt_{found}s")
        return await execute(self, query, *args, **kwargs)

    async def counted_many(self: Any, query: Any, params_seq: Any, **kwargs: Any) -> Any:
        params_seq = list(params_seq)
        found = kind(_sql_text(query))
        if found in ("read", "write"):
            tally.add(f"ckpt_{found}s", len(params_seq))
        return await executemany(self, query, params_seq, **kwargs)

    cursor.execute, cursor.executemany = counted_execute, counted_many
    try:
        yield
    finally:
        cursor.execute, cursor.executemany = execute, executemany


def _sql_text(query: Any) -> str:
    """The text of a psycopg query (a str, bytes or a psycopg.sql object)."""
    if isinstance(query, bytes):
        return query.decode(errors="replace")
    if isinstance(query, str):
        return query
    return str(getattr(query, "_obj", query))


def trace_checkpointer(client: TestClient, callback: Callable[[str], None]) -> bool:
    """Attach `callback` as the SQLite checkpointer's trace callback; False when the
    checkpointer is not SQLite (nothing is counted for it then)."""
    graph = client.app.state.chat._graph  # type: ignore[attr-defined]
    conn = getattr(graph.checkpointer, "conn", None)
    setter = getattr(conn, "set_trace_callback", None)
    if setter is None or client.portal is None:
        return False
    client.portal.call(setter, callback)
    return True


def demo_orders(services: Services, customer: str, used: set[str]) -> dict[str, str]:
    """status -> the customer's first order in that status not in `used`."""
    found: dict[str, str] = {}
    for summary in services.store.list_orders(customer):
        if summary.id not in used:
            found.setdefault(summary.status, summary.id)
    return found


def measure(
    settings: Settings, services: Services, names: list[str] | None = None, repeat: int = 3
) -> dict[str, list[dict[str, float]]]:
    """Path name -> one row of counts per fresh conversation (see the module's docstring)."""
    tally = Tally()
    cancelled: set[str] = set()
    names = names or [p.name for p in paths({"delivered": "", "pending": ""})]
    rows: dict[str, list[dict[str, float]]] = {name: [] for name in names}
    with (
        counting(services, tally) as on_checkpoint_sql,
        counting_postgres_checkpointer(tally),
        TestClient(create_app(settings, services=services)) as client,
    ):
        trace_checkpointer(client, on_checkpoint_sql)

        def post(message: str, session_id: str | None, customer: str) -> str:
            token = mint_token(customer, settings.jwt_secret(), 3600)
            headers = {"Authorization": f"Bearer {token}"}
            body = {"message": message, **({"session_id": session_id} if session_id else {})}
            response = client.post("/v1/chat", json=body, headers=headers)
            if response.status_code != 200:
                raise RuntimeError(f"{message!r}: {response.status_code} {response.text[:300]}")
            return str(response.json()["session_id"])

        post("hello", None, CUSTOMERS[0])  # warm: first-call imports and caches stay out
        for i in range(repeat):
            customer = CUSTOMERS[i % len(CUSTOMERS)]
            orders = demo_orders(services, customer, cancelled)
            for path in paths(orders):
                if path.name not in names:
                    continue
                if path.name == "confirmed_write":  # every "yes" cancels a pending order
                    cancelled.add(orders["pending"])
                session_id = None
                for message in path.lead:
                    session_id = post(message, session_id, customer)
                tally.counts.clear()
                cpu, wall = time.process_time(), time.perf_counter()
                tally.on = True
                try:
                    post(path.turn, session_id, customer)
                finally:
                    tally.on = False
                row: dict[str, float] = {c: float(tally.counts[c]) for c in COLUMNS}
                row["cpu_ms"] = (time.process_time() - cpu) * 1000
                row["wall_ms"] = (time.perf_counter() - wall) * 1000
                rows[path.name].append(row)
    return rows


def table(rows: dict[str, list[dict[str, float]]]) -> str:
    """The medians as a fixed-width table, one line per path."""
    short = {c: c.replace("store_", "st_").replace("chroma_", "ch_") for c in COLUMNS}
    short["texts_encoded"] = "texts"
    widths = {c: 15 if c.endswith("_ms") else max(7, len(short[c]) + 1) for c in COLUMNS}
    lines = [f"{'path':16s}" + "".join(f"{short[c]:>{widths[c]}s}" for c in COLUMNS)]
    for name, found in rows.items():
        cells = []
        for c in COLUMNS:
            values = [r[c] for r in found] or [0.0]
            median = statistics.median(values)
            if c.endswith("_ms"):
                cells.append(f"{median:.0f} ({min(values):.0f}-{max(values):.0f})")
            else:
                cells.append(f"{median:.0f}" + ("~" if min(values) != max(values) else ""))
        padded = [f"{cell:>{widths[c]}s}" for cell, c in zip(cells, COLUMNS, strict=True)]
        lines.append(f"{name:16s}" + "".join(padded))
    lines.append(
        "medians per turn; '~': the count varied between conversations; _ms: median (min-max)"
    )
    return "\n".join(lines)


def bench_settings(root: Path) -> Settings:
    """Settings over DATA_DIR root: SQLite store and memory, embedded Chroma, no LLM,
    abuse limits off."""
    return Settings(
        _env_file=None,
        DATA_DIR=root,
        JWT_SECRET="b" * 40,
        OPENAI_BASE_URL="",
        LLM_MODEL="",
        DATABASE_URL="",
        CHECKPOINT_URL="",
        CHROMA_URL="",
        LOG_LEVEL="WARNING",
        TURNS_PER_CLIENT_PER_MINUTE=0,  # abuse limits off
        TURNS_PER_CUSTOMER_PER_MINUTE=0,
        SESSIONS_PER_CLIENT_PER_MINUTE=0,
    )


def prepare(root: Path) -> tuple[Settings, Services]:
    """A DATA_DIR set up like `support setup` does (as tests/conftest.py `built`), and
    services over it with abuse limits off."""
    from app.runtime import build_services
    from knowledge.embeddings import get_encoder
    from knowledge.ingest import ingest_paths
    from knowledge.tokens import get_tokenizer
    from knowledge.vectorstore import open_collection
    from nlu.registry import trained_default
    from tools.store.db import create_schema, make_engine
    from tools.store.seed import seed_demo

    settings = bench_settings(root)
    settings.ensure_dirs()
    encoder = get_encoder("")
    engine = make_engine(settings.database_url)
    create_schema(engine)
    seed_demo(engine)
    engine.dispose()
    trained_default(
        settings.models_dir,
        encoder,
        Settings(_env_file=None).nlu_cache_dir,
        confidence_floor=settings.ESCALATION_THRESHOLD,
    )
    ingest_paths(
        [settings.KB_DIR],
        open_collection(settings.knowledge),
        get_tokenizer(str(settings.tiktoken_cache_dir)),
    )
    return settings, build_services(settings, encoder=encoder)


@contextmanager
def on_postgres(
    settings: Settings, services: Services, server_url: str
) -> Iterator[tuple[Settings, Services]]:
    """Settings and services whose store and conversation memory live in a fresh schema
    of the Postgres at server_url (seeded like the SQLite store), dropped afterwards."""
    import uuid

    import psycopg

    from tools.store.backend import SqlStore
    from tools.store.db import create_schema, make_engine
    from tools.store.seed import seed_demo

    schema = f"bench_{uuid.uuid4().hex[:12]}"
    conninfo = server_url.replace("postgresql+psycopg://", "postgresql://")
    with psycopg.connect(conninfo, autocommit=True) as conn:
        conn.execute(f'create schema "{schema}"')
    sep = "&" if "?" in server_url else "?"
    url = f"{server_url}{sep}options=-csearch_path%3D{schema}"
    try:
        engine = make_engine(url)
        create_schema(engine)
        seed_demo(engine)
        engine.dispose()
        store = SqlStore.from_url(url)
        moved = settings.model_copy(update={"DATABASE_URL": url, "CHECKPOINT_URL": url})
        # the help-centre query log writes to the store too: point it at this one meanwhile
        query_log: Any = getattr(services.retriever, "log", None)
        logged_to = getattr(query_log, "store", None)
        if isinstance(logged_to, SqlStore):
            query_log.store = store
        try:
            yield moved, dataclasses.replace(services, store=store)
        finally:
            if isinstance(logged_to, SqlStore):
                query_log.store = logged_to
            store.engine.dispose()
    finally:
        with psycopg.connect(conninfo, autocommit=True) as conn:
            conn.execute(f'drop schema "{schema}" cascade')


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--repeat", type=int, default=6, help="conversations per path (at most 6)")
    parser.add_argument("--paths", default="", help="comma-separated path names (default all)")
    parser.add_argument(
        "--postgres",
        default="",
        metavar="URL",
        help="store and conversation memory on this Postgres (a fresh schema), e.g. "
        "postgresql+psycopg://postgres@127.0.0.1:5432/test; default: SQLite files",
    )
    args = parser.parse_args(argv)
    names = [n for n in args.paths.split(",") if n] or None
    repeat = max(1, min(args.repeat, len(CUSTOMERS)))
    with tempfile.TemporaryDirectory(prefix="bench-per-turn-") as tmp:
        started = time.perf_counter()
        settings, services = prepare(Path(tmp))
        print(f"prepared in {time.perf_counter() - started:.0f} s; {repeat} per path")
        if args.postgres:
            with on_postgres(settings, services, args.postgres) as (pg_settings, pg_services):
                rows = measure(pg_settings, pg_services, names, repeat)
        else:
            rows = measure(settings, services, names, repeat)
    print(f"store and memory: {'Postgres' if args.postgres else 'SQLite'}")
    print(table(rows))
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
