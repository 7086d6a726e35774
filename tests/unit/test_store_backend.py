"""SqlStore and its engine: SQLite settings, sessions, failures, exactly-once refunds."""

from __future__ import annotations

import threading
from datetime import UTC, date

import pytest
from sqlalchemy import text

from tools.errors import BackendUnavailable
from tools.store.backend import SqlStore
from tools.store.db import make_engine
from tools.store.seed import seed_demo


@pytest.fixture
def store(tmp_path) -> SqlStore:
    store = SqlStore.from_url(f"sqlite:///{tmp_path / 'deep' / 'dir' / 'store.sqlite'}")
    seed_demo(store.engine, today=date(2026, 3, 15), customers=8, orders=30)
    return store


def test_make_engine_sqlite_creates_folder_and_sets_pragmas(tmp_path):
    engine = make_engine(f"sqlite:///{tmp_path / 'a' / 'b' / 's.sqlite'}")
    with engine.connect() as conn:
        assert conn.execute(text("pragma foreign_keys")).scalar() == 1
        assert conn.execute(text("pragma journal_mode")).scalar() == "wal"
        assert conn.execute(text("pragma busy_timeout")).scalar() == 10_000
    assert (tmp_path / "a" / "b" / "s.sqlite").exists()


def test_make_engine_plain_postgres_url_gets_psycopg3_driver():
    engine = make_engine("postgresql://u:p@db.example:5433/shop?options=-csearch_path%3Dx")
    assert engine.url.drivername == "postgresql+psycopg"
    assert (engine.url.host, engine.url.port, engine.url.database) == ("db.example", 5433, "shop")
    assert engine.url.query == {"options": "-csearch_path=x"}


def test_sqlstore_unreachable_database_raises_tool_failure(tmp_path):
    with pytest.raises(BackendUnavailable) as err:
        SqlStore.from_url("postgresql://nobody@127.0.0.1:1/none?connect_timeout=2")
    assert err.value.code == "tool_failure"
    assert "nothing was changed" in str(err.value)

    store = SqlStore(make_engine("postgresql://nobody@127.0.0.1:1/none?connect_timeout=2"))
    with pytest.raises(BackendUnavailable):
        store.get_order("W1234567")


def test_sqlstore_missing_tables_raise_tool_failure(tmp_path):
    store = SqlStore(make_engine(f"sqlite:///{tmp_path / 'empty.sqlite'}"))
    with pytest.raises(BackendUnavailable):
        store.list_orders("C0001")


def test_sqlstore_times_come_back_as_utc(store):
    order = store.get_order(store.list_orders("C0001")[0].id)
    assert order.created_at.tzinfo is UTC


def test_sqlstore_customers_and_sessions(store):
    listed = store.list_customers(3)
    assert [c.id for c in listed] == ["C0001", "C0002", "C0003"]
    assert listed[0].email == "jordan.rivera@example.com" and len(listed[0].orders) == 6
    assert store.customer_exists("C0008") and not store.customer_exists("C0009")
    assert store.get_customer("C0009") is None

    store.create_session("s-1", "C0001")
    store.create_session("s-anon", None)
    assert store.get_session("s-1") == ("s-1", "C0001")
    assert store.get_session("s-anon") == ("s-anon", None)
    assert store.get_session("s-2") is None


def test_sqlstore_create_refund_eight_threads_same_key_one_row(store):
    order = store.get_order(
        next(o.id for o in store.list_orders("C0001") if o.status == "delivered")
    )
    barrier = threading.Barrier(8)
    made, errors = [], []

    def go(n: int) -> None:
        barrier.wait()
        try:
            made.append(
                store.create_refund(
                    customer_id="C0001",
                    order_id=order.id,
                    amount_cents=1000,
                    reason=f"thread {n}",
                    idempotency_key="one",
                    actor="bot",
                )
            )
        except Exception as exc:  # collected and asserted below
            errors.append(exc)

    threads = [threading.Thread(target=go, args=(n,)) for n in range(8)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert errors == []
    assert len({r.id for r in made}) == 1 and len(made) == 8
    assert [r.id for r in store.get_order(order.id).refunds] == [made[0].id]
    assert len(store.list_audit(entity_id=made[0].id)) == 1


def test_create_schema_adds_columns_an_older_store_lacks(tmp_path):
    """A store made before identity checks existed gets the new columns, rows kept."""
    from sqlalchemy import inspect

    from tools.store.db import create_schema

    engine = make_engine(f"sqlite:///{tmp_path / 'old.sqlite'}")
    with engine.begin() as conn:
        conn.exec_driver_sql(
            "CREATE TABLE chat_sessions (id VARCHAR(64) PRIMARY KEY, customer_id VARCHAR(16), "
            "created_at DATETIME)"
        )
        conn.exec_driver_sql("INSERT INTO chat_sessions VALUES ('s1', 'C0001', NULL)")
    create_schema(engine)
    columns = {c["name"] for c in inspect(engine).get_columns("chat_sessions")}
    assert {"verified_customer_id", "verify_failures", "verify_locked"} <= columns
    found = SqlStore(engine).session_identity("s1")
    assert (found.customer_id, found.verify_failures, found.verify_locked) == ("C0001", 0, False)


def test_create_schema_adds_item_level_columns_and_exchanges_to_an_older_store(store):
    """A store made before item-level refunds and exchanges keeps its refunds, which cover
    their whole order."""
    from sqlalchemy import inspect

    from tools.store.db import create_schema

    with store.engine.begin() as conn:
        conn.exec_driver_sql("DROP TABLE alembic_version")  # made before migrations
        conn.exec_driver_sql("DROP TABLE order_exchanges")
        conn.exec_driver_sql("ALTER TABLE refunds DROP COLUMN skus")
        conn.exec_driver_sql("ALTER TABLE refund_approvals DROP COLUMN skus")
    create_schema(store.engine)
    found = inspect(store.engine)
    assert "skus" in {c["name"] for c in found.get_columns("refunds")}
    assert "skus" in {c["name"] for c in found.get_columns("refund_approvals")}
    assert "order_exchanges" in found.get_table_names()
    order_id = next(o.id for o in store.list_orders("C0001") if o.status == "delivered")
    store.create_refund(customer_id="C0001", order_id=order_id, amount_cents=100, reason="r",
                        idempotency_key="after-upgrade", actor="bot")  # fmt: skip
    [refund] = store.get_order(order_id).refunds
    assert refund.skus is None
