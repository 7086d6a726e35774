"""Engines and sessions for the store: SQLite by default, PostgreSQL (psycopg 3) at scale."""

from __future__ import annotations

from pathlib import Path
from typing import Any

from sqlalchemy import Engine, create_engine, event, inspect
from sqlalchemy.engine import URL, Connection, make_url
from sqlalchemy.orm import Session, sessionmaker
from sqlalchemy.schema import CreateColumn

from tools.store import limits, turnlog  # noqa: F401  (register their tables on Base)
from tools.store.models import Base

SQLITE_BUSY_TIMEOUT_MS = 10_000
IMMEDIATE = "sqlite_begin_immediate"
"""Execution option: on SQLite, open the transaction with BEGIN IMMEDIATE (take the write
lock up front) so read-then-write transactions serialise instead of failing as 'locked'."""


def _normalise(url: str) -> URL:
    parsed = make_url(url)
    if parsed.drivername in ("postgresql", "postgres"):
        parsed = parsed.set(drivername="postgresql+psycopg")
    return parsed


def _configure_sqlite(engine: Engine, busy_timeout_ms: int) -> None:
    """Foreign keys, WAL, a busy timeout, and SQLAlchemy (not sqlite3) in charge of BEGIN."""

    @event.listens_for(engine, "connect")
    def _on_connect(dbapi_connection: Any, _record: Any) -> None:
        dbapi_connection.isolation_level = None  # we emit BEGIN ourselves, see _on_begin
        cursor = dbapi_connection.cursor()
        cursor.execute("PRAGMA foreign_keys=ON")
        cursor.execute(f"PRAGMA busy_timeout={int(busy_timeout_ms)}")
        if engine.url.database not in (None, "", ":memory:"):
            cursor.execute("PRAGMA journal_mode=WAL")
        cursor.close()

    @event.listens_for(engine, "begin")
    def _on_begin(conn: Connection) -> None:
        immediate = conn.get_execution_options().get(IMMEDIATE, False)
        conn.exec_driver_sql("BEGIN IMMEDIATE" if immediate else "BEGIN")


PG_CONNECT_TIMEOUT_S = 5
"""Seconds a Postgres connection attempt may take before the store counts as down."""


def make_engine(url: str, *, busy_timeout_ms: int = SQLITE_BUSY_TIMEOUT_MS) -> Engine:
    """An engine for `url`; a plain `postgresql://` URL is given the psycopg 3 driver.

    `busy_timeout_ms` is how long a SQLite write waits for another writer's lock before it
    fails as 'database is locked'. Example: `make_engine("sqlite:///data/store.sqlite")`
    creates `data/` if needed.
    """
    parsed = _normalise(url)
    if parsed.get_backend_name() == "sqlite":
        if parsed.database and parsed.database != ":memory:":
            Path(parsed.database).expanduser().parent.mkdir(parents=True, exist_ok=True)
        engine = create_engine(parsed)
        _configure_sqlite(engine, busy_timeout_ms)
        return engine
    # A host that drops packets instead of refusing would otherwise hang a request for
    # minutes before the store-down 503.
    return create_engine(
        parsed, pool_pre_ping=True, connect_args={"connect_timeout": PG_CONNECT_TIMEOUT_S}
    )


def create_schema(engine: Engine) -> None:
    """Create every table that does not exist yet and add columns that a store made by an
    older version lacks (safe to call on every start)."""
    Base.metadata.create_all(engine)
    _add_missing_columns(engine)


def _add_missing_columns(engine: Engine) -> None:
    """ALTER TABLE ... ADD COLUMN for each model column an existing table lacks.

    Only additive: columns added since a table was created are nullable or have a server
    default, so existing rows stay valid. Nothing is dropped or retyped.
    """
    found = inspect(engine)
    with engine.begin() as conn:
        for table in Base.metadata.sorted_tables:
            have = {c["name"] for c in found.get_columns(table.name)}
            for column in table.columns:
                if column.name in have:
                    continue
                ddl = CreateColumn(column).compile(dialect=engine.dialect)
                conn.exec_driver_sql(f'ALTER TABLE "{table.name}" ADD COLUMN {ddl}')


def session_factory(engine: Engine) -> sessionmaker[Session]:
    """Sessions bound to `engine`; objects stay readable after commit."""
    return sessionmaker(engine, expire_on_commit=False)


def writer_factory(engine: Engine) -> sessionmaker[Session]:
    """Sessions for read-then-write transactions (SQLite: BEGIN IMMEDIATE; others: as is)."""
    return sessionmaker(engine.execution_options(**{IMMEDIATE: True}), expire_on_commit=False)
