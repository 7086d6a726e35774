"""The store's schema under Alembic on a real PostgreSQL: an empty database is created at
start-up and equals the models; an existing store that is behind is never changed at
start-up (the migration Job's `support db upgrade` does it)."""

from __future__ import annotations

import pytest
from alembic.autogenerate import compare_metadata
from alembic.runtime.migration import MigrationContext
from sqlalchemy import Engine, inspect, text

from tools.errors import BackendUnavailable
from tools.store import migrations
from tools.store.backend import SqlStore
from tools.store.db import StoreSchemaOutOfDate, create_schema, make_engine, upgrade
from tools.store.migrations.target import METADATA, options

pytestmark = pytest.mark.postgres


@pytest.fixture
def engine(postgres_url) -> Engine:
    engine = make_engine(postgres_url)
    yield engine
    engine.dispose()


def differences(engine: Engine) -> list[object]:
    with engine.connect() as conn:
        context = MigrationContext.configure(conn, opts=options("postgresql"))
        return list(compare_metadata(context, METADATA))


def test_an_empty_postgres_is_created_at_start_up_exactly_as_the_models(engine, postgres_url):
    store = SqlStore.from_url(postgres_url)  # what the service does at start-up
    store.engine.dispose()

    with engine.connect() as conn:
        assert conn.execute(text("SELECT version_num FROM alembic_version")).scalar() == (
            migrations.head()
        )
    diff = differences(engine)
    assert diff == [], f"revision {migrations.head()} differs from the models on Postgres: {diff}"
    create_schema(engine)  # the next start: nothing to do


def test_a_store_made_before_migrations_waits_for_support_db_upgrade(engine, postgres_url):
    METADATA.create_all(engine)
    with engine.begin() as conn:
        conn.exec_driver_sql("ALTER TABLE refunds DROP COLUMN skus")

    with pytest.raises(StoreSchemaOutOfDate) as refused:
        create_schema(engine)
    with pytest.raises(BackendUnavailable):  # the service starts, /readyz says not ready
        SqlStore.from_url(postgres_url)
    change = upgrade(engine)  # the migration Job

    assert str(refused.value) == (
        "store schema is at a version from before migrations, the code needs "
        f"{migrations.head()}: run `support db upgrade`"
    )
    assert change.adopted and change.after == migrations.head()
    assert "skus" in {c["name"] for c in inspect(engine).get_columns("refunds")}
    assert differences(engine) == []
    create_schema(engine)


def test_a_store_a_newer_version_migrated_is_refused(engine):
    upgrade(engine)
    with engine.begin() as conn:
        conn.execute(text("UPDATE alembic_version SET version_num = '9999'"))

    with pytest.raises(StoreSchemaOutOfDate, match="at 9999, which this version does not know"):
        upgrade(engine)
