"""Revision 0003 on a store at 0002: every conversation it had keeps its rows and reads as
the JSON API's; new sessions record their channel and e-mails their thread."""

from __future__ import annotations

import pytest
from alembic import command
from sqlalchemy import Engine, inspect

from tools.store import migrations
from tools.store.backend import SqlStore
from tools.store.db import make_engine, schema_revision, upgrade
from tools.store.models import Customer


@pytest.fixture
def engine(tmp_path) -> Engine:
    engine = make_engine(f"sqlite:///{tmp_path / 'store.sqlite'}")
    yield engine
    engine.dispose()


def test_a_store_at_0002_upgraded_keeps_its_sessions_on_the_api_channel(engine):
    with engine.begin() as conn:
        command.upgrade(migrations.alembic_config(conn), "0002")
        conn.exec_driver_sql(
            "INSERT INTO chat_sessions (id, customer_id, created_at, verify_failures, "
            "verify_locked) VALUES ('old', 'C0001', '2026-03-15 09:30:00', 0, 0)"
        )

    change = upgrade(engine)

    assert (change.before, change.after) == ("0002", migrations.head())
    assert schema_revision(engine) == "0003"
    assert "email_threads" in inspect(engine).get_table_names()
    store = SqlStore(engine)
    assert store.session_owner("old") == ("C0001", "api")
    store.create_session("new", None, "email")
    assert store.session_owner("new") == (None, "email")
    assert store.session_channels(["old", "new", "missing"]) == {"old": "api", "new": "email"}


def test_email_threads_match_only_the_same_sender(engine):
    upgrade(engine)
    store = SqlStore(engine)
    with store._writer.begin() as s:
        s.add(Customer(id="C9", email="Ann@Example.com", name="Ann", phone="1", zip_code="1"))
    store.create_session("s1", None, "email")

    assert store.record_email("<q1@x>", "s1", "ann@example.com", "in", "Where is it?")
    assert not store.record_email("<q1@x>", "s1", "ann@example.com", "in")  # delivered twice
    assert store.record_email("<r1@shop>", "s1", "ann@example.com", "out", "Re: Where is it?")

    assert store.email_session(["<nope@x>", "<r1@shop>"], "ANN@example.com") == "s1"
    assert store.email_session(["<r1@shop>"], "mallory@example.com") is None
    assert store.email_session([], "ann@example.com") is None
    assert [m["direction"] for m in store.email_thread_of("s1")] == ["in", "out"]
    assert store.customer_by_email("ann@EXAMPLE.com") == "C9"
    assert store.customer_by_email("bob@example.com") is None
