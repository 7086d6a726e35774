"""The store's schema revisions (Alembic), shipped inside the package.

No `alembic.ini` is needed: `alembic_config()` builds the configuration in code, so an
installed service can upgrade its own store (`support db upgrade`). A developer who changes
`tools/store/models.py` makes the matching revision with
`python -m tools.store.migrations revision -m "what changed"` (see `__main__.py`).
"""

from __future__ import annotations

import functools
import sys
from pathlib import Path
from typing import TYPE_CHECKING

from sqlalchemy import inspect, text
from sqlalchemy.engine import Connection

if TYPE_CHECKING:  # Alembic is imported when it is used (~0.1 s), not by every importer
    from alembic.config import Config
    from alembic.script import ScriptDirectory

HERE = Path(__file__).resolve().parent
VERSION_TABLE = "alembic_version"


def alembic_config(connection: Connection | None = None) -> Config:
    """Alembic's configuration for the store; `connection` (if given) is the one the
    migrations run on, inside the caller's transaction."""
    from alembic.config import Config

    config = Config()
    config.set_main_option("script_location", str(HERE).replace("%", "%%"))
    config.set_main_option("file_template", "%%(rev)s_%%(slug)s")
    config.set_main_option("truncate_slug_length", "40")
    # New revision files are formatted like the rest of the code.
    config.set_section_option("post_write_hooks", "hooks", "ruff_format, ruff_fix")
    for hook, options in (
        ("ruff_fix", "check --fix --quiet REVISION_SCRIPT_FILENAME"),
        ("ruff_format", "format --quiet REVISION_SCRIPT_FILENAME"),
    ):
        config.set_section_option("post_write_hooks", f"{hook}.type", "exec")
        config.set_section_option("post_write_hooks", f"{hook}.executable", sys.executable)
        config.set_section_option("post_write_hooks", f"{hook}.options", f"-m ruff {options}")
    config.attributes["connection"] = connection
    return config


@functools.cache
def scripts() -> ScriptDirectory:
    """The revisions this code knows (read from disk once per process)."""
    from alembic.script import ScriptDirectory

    return ScriptDirectory.from_config(alembic_config())


def head() -> str:
    """The revision this code needs, e.g. '0001'."""
    found = scripts().get_current_head()
    if found is None:  # pragma: no cover - the package always ships 0001
        raise RuntimeError(f"no revisions in {HERE / 'versions'}")
    return found


def known(revision: str) -> bool:
    """Whether this code has the revision `revision` (a newer version's is unknown)."""
    return revision in {script.revision for script in scripts().walk_revisions()}


def current(connection: Connection) -> str | None:
    """The store's revision, or None when it has none (empty, or made before migrations)."""
    if not inspect(connection).has_table(VERSION_TABLE):
        return None
    found = connection.execute(text(f"SELECT version_num FROM {VERSION_TABLE}")).scalars().all()
    if len(found) > 1:
        raise RuntimeError(f"the store has several schema heads {found}; expected one")
    return found[0] if found else None
