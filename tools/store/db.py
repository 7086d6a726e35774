"""Engines, sessions and schema for the store: SQLite by default, PostgreSQL (psycopg 3) at scale.

The schema is versioned with Alembic (revisions in `tools/store/migrations/`).
"""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from sqlalchemy import Engine, create_engine, event, inspect, text
from sqlalchemy.engine import URL, Connection, make_url
from sqlalchemy.orm import Session, sessionmaker
from sqlalchemy.schema import CreateColumn

from tools.errors import BackendUnavailable
from tools.store import migrations
from tools.store.migrations.target import METADATA

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
            # WAL + NORMAL: a commit survives the process being killed (the OS holds it),
            # not a power cut in its last moments; no fsync per commit (2.4 ms each here,
            # a dozen a turn with the checkpointer). Postgres is the path for more.
            cursor.execute("PRAGMA synchronous=NORMAL")
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


class StoreSchemaOutOfDate(BackendUnavailable):
    """The store's schema is not the one this code needs and start-up may not change it
    (Postgres: a migration Job does, with `support db upgrade`)."""

    default_message = "The store's schema does not match this version of the service."


@dataclass(frozen=True)
class SchemaChange:
    """What bringing a store to the code's revision did."""

    before: str | None
    """The store's revision before: None for an empty store or one made before migrations."""
    after: str
    adopted: bool = False
    """True when the store was made by a version from before migrations: its missing tables
    and columns were added, then it was stamped with the current revision."""

    def describe(self) -> str:
        """One line for an operator, e.g. 'upgraded 0001 -> 0002'."""
        if self.adopted:
            return (
                f"adopted a store made before migrations: added what it lacked, now at {self.after}"
            )
        if self.before is None:
            return f"created the store's tables at {self.after}"
        if self.before == self.after:
            return f"already at {self.after}, nothing to do"
        return f"upgraded {self.before} -> {self.after}"


def create_schema(engine: Engine) -> None:
    """Make the store usable by this code; safe to call on every start.

    SQLite: brought to the newest revision (created, adopted or upgraded, see `upgrade`).
    Postgres and others: an empty database gets its tables; an existing store must already be
    at the code's revision, else `StoreSchemaOutOfDate` says to run `support db upgrade`
    (in a deployment, the chart's migration Job does).
    """
    _bring_to_head(engine, change_existing=engine.dialect.name == "sqlite")


def upgrade(engine: Engine) -> SchemaChange:
    """Bring any store to the code's revision (`support db upgrade`); safe to repeat.

    An empty database: every revision runs. A store made by a version from before
    migrations (tables, no `alembic_version`): the tables and columns it lacks are added
    once, as before, and it is stamped with the current revision. A stamped store: the
    revisions it lacks run, in one transaction with the write lock held, so two processes
    starting at once cannot both migrate. A store at a revision this code does not know
    (a newer version migrated it) raises `StoreSchemaOutOfDate`.
    """
    return _bring_to_head(engine, change_existing=True)


def schema_revision(engine: Engine) -> str | None:
    """The store's revision (None: empty, or made before migrations)."""
    with engine.connect() as conn:
        return migrations.current(conn)


def _bring_to_head(engine: Engine, *, change_existing: bool) -> SchemaChange:
    needed = migrations.head()
    with engine.connect() as conn:  # the usual case, read without taking any lock
        if migrations.current(conn) == needed:
            return SchemaChange(needed, needed)
    with _schema_lock(engine) as conn:
        before = migrations.current(conn)
        if before == needed:
            return SchemaChange(needed, needed)
        if before is not None and not migrations.known(before):
            raise StoreSchemaOutOfDate(
                f"store schema is at {before}, which this version does not know (a newer "
                f"version migrated it); this code needs {needed}"
            )
        existing = _has_store_tables(conn)
        if existing and not change_existing:
            found = before or "a version from before migrations"
            raise StoreSchemaOutOfDate(
                f"store schema is at {found}, the code needs {needed}: run `support db upgrade`"
            )
        from alembic import command

        config = migrations.alembic_config(conn)
        if existing and before is None:
            METADATA.create_all(conn)
            _add_missing_columns(conn)
            command.stamp(config, "head")
            return SchemaChange(None, needed, adopted=True)
        command.upgrade(config, "head")
        return SchemaChange(before, needed)


def _has_store_tables(conn: Connection) -> bool:
    """Whether any of the store's tables exist (other tables, e.g. LangGraph's checkpoints
    in the same Postgres database, do not count)."""
    return bool(set(inspect(conn).get_table_names()) & set(METADATA.tables))


PG_SCHEMA_LOCK = 7_210_421
"""Postgres advisory lock key held while the store's schema changes."""


@contextmanager
def _schema_lock(engine: Engine) -> Iterator[Connection]:
    """A connection in a transaction that holds the write lock for schema changes; committed
    on success, rolled back on any error (nothing half-migrated: both backends' DDL is
    transactional).

    SQLite: BEGIN IMMEDIATE; foreign keys are off while a revision copies and moves tables
    (SQLite's documented way to change a table) and checked before commit. Postgres: an
    advisory lock for the transaction.
    """
    sqlite = engine.dialect.name == "sqlite"
    with engine.execution_options(**{IMMEDIATE: True}).connect() as conn:
        if sqlite:  # only takes effect outside a transaction
            _raw_sqlite(conn, "PRAGMA foreign_keys=OFF")
        try:
            with conn.begin():
                if engine.dialect.name == "postgresql":
                    conn.execute(
                        text("SELECT pg_advisory_xact_lock(:key)"), {"key": PG_SCHEMA_LOCK}
                    )
                yield conn
                if sqlite:
                    broken = conn.exec_driver_sql("PRAGMA foreign_key_check").fetchall()
                    if broken:
                        raise StoreSchemaOutOfDate(
                            "the schema change would leave rows whose foreign keys point "
                            f"nowhere, so nothing was changed: {broken[:5]}"
                        )
        finally:
            if sqlite:
                _raw_sqlite(conn, "PRAGMA foreign_keys=ON")


def _raw_sqlite(conn: Connection, statement: str) -> None:
    """Run `statement` on the driver's connection, outside any transaction."""
    cursor = conn.connection.cursor()
    try:
        cursor.execute(statement)
    finally:
        cursor.close()


def _add_missing_columns(conn: Connection) -> None:
    """ALTER TABLE ... ADD COLUMN for each model column an existing table lacks, then the
    indexes it lacks, so the adopted store matches the revision it is stamped with.

    Only additive: columns added since a table was created are nullable or have a server
    default, so existing rows stay valid. Nothing is dropped or retyped. Used once, when a
    store made before migrations is adopted.
    """
    found = inspect(conn)
    for table in METADATA.sorted_tables:
        have = {c["name"] for c in found.get_columns(table.name)}
        for column in table.columns:
            if column.name in have:
                continue
            ddl = CreateColumn(column).compile(dialect=conn.dialect)
            conn.exec_driver_sql(f'ALTER TABLE "{table.name}" ADD COLUMN {ddl}')
        indexed = {i["name"] for i in found.get_indexes(table.name)}
        for index in table.indexes:
            if index.name not in indexed:
                index.create(conn)


def session_factory(engine: Engine) -> sessionmaker[Session]:
    """Sessions bound to `engine`; objects stay readable after commit."""
    return sessionmaker(engine, expire_on_commit=False)


def writer_factory(engine: Engine) -> sessionmaker[Session]:
    """Sessions for read-then-write transactions (SQLite: BEGIN IMMEDIATE; others: as is)."""
    return sessionmaker(engine.execution_options(**{IMMEDIATE: True}), expire_on_commit=False)
