"""The schema this code expects, and how revisions compare against it and write it down.

Every module that defines tables is imported here, so `Base.metadata` is complete wherever
the store's schema is created, checked or migrated. A new module with tables must be added
to the import below.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from sqlalchemy import DefaultClause, MetaData
from sqlalchemy.sql.elements import False_, True_

from tools.store import email_threads, limits, turnlog  # noqa: F401  (register their tables)
from tools.store.models import Base, UTCDateTime

if TYPE_CHECKING:
    from alembic.autogenerate.api import AutogenContext

METADATA: MetaData = Base.metadata


def render_item(kind: str, item: Any, autogen_context: AutogenContext) -> str | bool:
    """How a revision writes what Alembic would write for one backend only.

    The store's UTC datetime becomes the plain column type it is in the database, so a
    revision stays a frozen record that does not import application code. A boolean server
    default stays `sa.true()` / `sa.false()`: compiled for SQLite it would be `text("0")`,
    which Postgres refuses for a boolean column.
    """
    if kind == "type" and isinstance(item, UTCDateTime):
        return "sa.DateTime(timezone=True)"
    if kind == "server_default" and isinstance(item, DefaultClause):
        if isinstance(item.arg, True_):
            return "sa.true()"
        if isinstance(item.arg, False_):
            return "sa.false()"
    return False


def options(dialect_name: str) -> dict[str, Any]:
    """What every run (upgrade, autogenerate, the drift check) compares and writes: types
    are compared; on SQLite, changes are batch operations (copy-and-move), since its ALTER
    TABLE cannot alter or drop most things."""
    return {
        "target_metadata": METADATA,
        "compare_type": True,
        "render_as_batch": dialect_name == "sqlite",
        "render_item": render_item,
    }
