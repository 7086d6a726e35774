"""The help-centre query log lives in the store: what one worker logs, `support kb gaps` on
any other machine sees; a worker's log file from before issue 21 is imported once."""

from __future__ import annotations

import json
import sqlite3
from contextlib import closing

from typer.testing import CliRunner

from app.runtime import build_query_log
from app.settings import Settings
from cli import kb
from knowledge.querylog import QueryLog
from tools.store.backend import SqlStore

runner = CliRunner()


def worker_settings(tmp_path, name: str, database_url: str) -> Settings:
    s = Settings(
        _env_file=None,
        DATA_DIR=tmp_path / name,
        OPENAI_BASE_URL="",
        LLM_MODEL="",
        JWT_SECRET="test-secret-" + "x" * 32,
        DATABASE_URL=database_url,
        CHECKPOINT_URL="",
        CHROMA_URL="",
    )
    s.ensure_dirs()
    return s


def old_log_file(path, rows) -> None:
    """A DATA_DIR/kb_queries.sqlite as versions before issue 21 wrote it."""
    with closing(sqlite3.connect(path)) as conn, conn:
        conn.execute(
            "create table kb_queries (id integer primary key autoincrement, at text not null,"
            " session_id text not null, question text not null, best_score real not null,"
            " best_doc text not null, outcome text not null)"
        )
        conn.executemany(
            "insert into kb_queries (at, session_id, question, best_score, best_doc, outcome)"
            " values (?, ?, ?, ?, ?, ?)",
            rows,
        )


def test_kb_gaps_on_one_worker_sees_what_another_worker_logged(tmp_path, monkeypatch, encoder):
    url = f"sqlite:///{tmp_path / 'shared-store.sqlite'}"
    b = worker_settings(tmp_path, "b", url)
    worker_b = QueryLog(SqlStore.from_url(b.database_url))
    worker_b.record(
        session_id="s1",
        question="can I pay with bitcoin",
        best_score=0.2,
        best_doc="payments",
        outcome="answered",
    )

    a = worker_settings(tmp_path, "a", url)  # another DATA_DIR, the same store
    monkeypatch.setenv("DATA_DIR", str(a.DATA_DIR))
    monkeypatch.setenv("DATABASE_URL", url)
    result = runner.invoke(kb.app, ["gaps", "--weak-below", "0.5", "--json"])

    assert result.exit_code == 0, result.output
    found = json.loads(result.stdout)
    assert found["questions"] == 1
    assert found["groups"][0]["question"] == "can I pay with bitcoin"
    assert not (a.data_dir / "kb_queries.sqlite").exists()
    assert not (b.data_dir / "kb_queries.sqlite").exists()


def test_a_workers_old_log_file_is_imported_into_the_store_once(tmp_path):
    url = f"sqlite:///{tmp_path / 'store.sqlite'}"
    s = worker_settings(tmp_path, "w", url)
    old = s.knowledge.query_log
    old_log_file(
        old,
        [
            ("2026-11-01T10:00:00+00:00", "s1", "gift wrap?", 0.31, "gifts", "answered"),
            ("2026-11-02T11:00:00+00:00", "s2", "drones?", 0.1, "", "missing_knowledge"),
        ],
    )
    store = SqlStore.from_url(url)

    first = build_query_log(s, store)
    again = build_query_log(s, store)  # the next start

    rows = first.records()
    assert [(r.session_id, r.question, r.best_score, r.outcome) for r in rows] == [
        ("s1", "gift wrap?", 0.31, "answered"),
        ("s2", "drones?", 0.1, "missing_knowledge"),
    ]
    assert rows[0].at.isoformat() == "2026-11-01T10:00:00+00:00"
    assert again.records() == rows  # not imported twice
    assert not old.exists()
    assert old.with_name("kb_queries.sqlite.imported").is_file()  # kept, renamed


def test_an_old_log_file_the_store_refuses_is_kept_for_the_next_start(tmp_path):
    s = worker_settings(tmp_path, "w", f"sqlite:///{tmp_path / 'store.sqlite'}")
    old = s.knowledge.query_log
    old_log_file(old, [("2026-11-01T10:00:00+00:00", "s1", "gift wrap?", 0.31, "g", "answered")])
    down = SqlStore.from_url(f"sqlite:///{tmp_path / 'store.sqlite'}")
    down.engine.dispose()
    with closing(sqlite3.connect(tmp_path / "store.sqlite")) as conn:
        conn.execute("drop table kb_queries")  # the store refuses the rows

    build_query_log(s, down)  # starts anyway

    assert old.is_file()
    assert not old.with_name("kb_queries.sqlite.imported").exists()
    assert not old.with_name("kb_queries.sqlite.importing").exists()
