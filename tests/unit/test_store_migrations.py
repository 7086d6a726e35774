"""The store's schema under Alembic: an empty SQLite store, one made before migrations, one
a newer version migrated, the `support db` commands, and the guard that catches a model
change made without a revision."""

from __future__ import annotations

import json
import threading

import pytest
from alembic.autogenerate import compare_metadata
from alembic.runtime.migration import MigrationContext
from sqlalchemy import Column, Engine, MetaData, String, inspect, text
from typer.testing import CliRunner

from cli import cli
from tools.errors import BackendUnavailable
from tools.store import migrations
from tools.store.backend import SqlStore
from tools.store.db import (
    StoreSchemaOutOfDate,
    create_schema,
    make_engine,
    schema_revision,
    upgrade,
)
from tools.store.migrations.target import METADATA, options

MAKE_A_REVISION = 'python -m tools.store.migrations revision -m "what changed"'


def differences(engine: Engine, metadata: MetaData = METADATA) -> list[object]:
    """What the store's schema lacks or has beyond `metadata` (Alembic's own comparison)."""
    with engine.connect() as conn:
        context = MigrationContext.configure(conn, opts=options(engine.dialect.name))
        return list(compare_metadata(context, metadata))


@pytest.fixture
def engine(tmp_path) -> Engine:
    engine = make_engine(f"sqlite:///{tmp_path / 'store.sqlite'}")
    yield engine
    engine.dispose()


def test_an_empty_store_upgraded_to_head_is_exactly_the_models(engine):
    """The guard: a developer who changes tools/store/models.py without a revision fails
    here, with the command that writes the revision."""
    change = upgrade(engine)

    assert (change.before, change.after, change.adopted) == (None, migrations.head(), False)
    assert schema_revision(engine) == migrations.head()
    diff = differences(engine)
    assert diff == [], (
        f"the models differ from revision {migrations.head()}: {diff}\n"
        f"write the missing revision with: {MAKE_A_REVISION}\n"
        "then read it (renames come out as drop + add) and run this test again"
    )
    with engine.connect() as conn:  # the schema lock gave foreign keys back
        assert conn.exec_driver_sql("PRAGMA foreign_keys").scalar() == 1


def test_the_guard_sees_a_column_the_revisions_lack(engine):
    """The comparison the guard relies on does report a model change with no revision."""
    upgrade(engine)
    changed = MetaData()
    for table in METADATA.sorted_tables:
        table.to_metadata(changed)
    changed.tables["refunds"].append_column(Column("carrier_note", String(80), nullable=True))

    diff = differences(engine, changed)

    assert [(op[0], op[2], op[3].name) for op in diff] == [
        ("add_column", "refunds", "carrier_note")
    ]


def test_a_store_made_before_migrations_gets_what_it_lacks_and_is_stamped(engine):
    """An older version's store (no alembic_version) keeps its rows, gains the tables,
    columns and indexes it lacks, and is stamped; the next start has nothing to do."""
    METADATA.create_all(engine)
    with engine.begin() as conn:
        conn.exec_driver_sql("DROP TABLE order_exchanges")
        conn.exec_driver_sql("ALTER TABLE refunds DROP COLUMN skus")
        conn.exec_driver_sql("DROP INDEX ix_refund_approvals_status")
        conn.exec_driver_sql("ALTER TABLE refund_approvals DROP COLUMN status")
        conn.exec_driver_sql(
            "INSERT INTO chat_sessions (id, customer_id, created_at, verify_failures, "
            "verify_locked) VALUES ('s1', 'C0001', '2026-03-15 09:30:00', 2, 0)"
        )

    create_schema(engine)  # what every SQLite start does

    found = inspect(engine)
    assert "order_exchanges" in found.get_table_names()
    assert "skus" in {c["name"] for c in found.get_columns("refunds")}
    assert "status" in {c["name"] for c in found.get_columns("refund_approvals")}
    assert schema_revision(engine) == migrations.head()
    assert differences(engine) == []
    assert SqlStore(engine).session_identity("s1").verify_failures == 2
    assert upgrade(engine).describe() == f"already at {migrations.head()}, nothing to do"


def test_a_store_a_newer_version_migrated_is_refused_with_a_clear_reason(engine, tmp_path):
    upgrade(engine)
    with engine.begin() as conn:
        conn.execute(text("UPDATE alembic_version SET version_num = '9999'"))

    with pytest.raises(StoreSchemaOutOfDate, match="at 9999, which this version does not know"):
        create_schema(engine)
    with pytest.raises(BackendUnavailable, match="9999"):  # the service starts, not ready
        SqlStore.from_url(str(engine.url))


def test_two_processes_starting_on_one_empty_store_migrate_it_once(engine):
    results: list[str] = []
    errors: list[BaseException] = []

    def start() -> None:
        other = make_engine(str(engine.url))
        try:
            results.append(upgrade(other).describe())
        except BaseException as exc:  # noqa: BLE001 - the assertion below shows it
            errors.append(exc)
        finally:
            other.dispose()

    threads = [threading.Thread(target=start) for _ in range(3)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()

    assert errors == []
    head = migrations.head()
    assert sorted(results) == sorted(
        [f"created the store's tables at {head}"] + [f"already at {head}, nothing to do"] * 2
    )
    assert differences(engine) == []


# -- support db ------------------------------------------------------------------------


def support(monkeypatch, tmp_path, *args: str):
    monkeypatch.setenv("DATA_DIR", str(tmp_path / "data"))
    monkeypatch.setenv("DATABASE_URL", f"sqlite:///{tmp_path / 'store.sqlite'}")
    return CliRunner().invoke(cli, list(args))


def test_support_db_current_and_upgrade(monkeypatch, tmp_path):
    head = migrations.head()

    before = support(monkeypatch, tmp_path, "db", "current")
    made = support(monkeypatch, tmp_path, "db", "upgrade")
    again = support(monkeypatch, tmp_path, "db", "upgrade")
    after = support(monkeypatch, tmp_path, "db", "current", "--json")

    assert before.exit_code == 0, before.output
    assert "revision: none" in before.output
    assert f"head:     {head} (behind: run `support db upgrade`)" in before.output
    assert made.exit_code == 0 and f"created the store's tables at {head}" in made.output
    assert again.exit_code == 0 and f"already at {head}, nothing to do" in again.output
    assert json.loads(after.output) == {
        "store": f"sqlite:///{tmp_path / 'store.sqlite'}",
        "revision": head,
        "head": head,
        "up_to_date": True,
    }


def test_support_db_upgrade_refuses_a_store_from_a_newer_version(monkeypatch, tmp_path):
    support(monkeypatch, tmp_path, "db", "upgrade")
    engine = make_engine(f"sqlite:///{tmp_path / 'store.sqlite'}")
    with engine.begin() as conn:
        conn.execute(text("UPDATE alembic_version SET version_num = '9999'"))
    engine.dispose()

    refused = support(monkeypatch, tmp_path, "db", "upgrade")

    assert refused.exit_code == 1
    assert "store schema is at 9999, which this version does not know" in refused.output
