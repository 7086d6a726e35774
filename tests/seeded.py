"""A seeded demo store per test module, copied for each test (seeding once keeps tests fast)."""

from __future__ import annotations

import shutil
from datetime import date
from pathlib import Path

from tools.store.backend import SqlStore
from tools.store.seed import seed_demo


def seeded_template(tmp_path_factory, name: str, today: date) -> Path:
    """A database file seeded with the demo data of `today`, made once per module."""
    path = tmp_path_factory.mktemp(name) / "template.sqlite"
    store = SqlStore.from_url(f"sqlite:///{path}")
    seed_demo(store.engine, today=today)
    store.engine.dispose()
    return path


def copy_store(template: Path, tmp_path: Path) -> SqlStore:
    """A private copy of the seeded template for one test."""
    shutil.copy(template, tmp_path / "store.sqlite")
    return SqlStore.from_url(f"sqlite:///{tmp_path / 'store.sqlite'}")
