"""Alembic's environment for the store: runs the revisions on the connection it is given.

`tools.store.db.upgrade` passes its connection (inside its locked transaction) through
`config.attributes["connection"]`; what is compared and how it is written is in `target.py`.
"""

from __future__ import annotations

from alembic import context

from tools.store.migrations.target import options


def run_online() -> None:
    connection = context.config.attributes.get("connection")
    if connection is None:
        raise RuntimeError(
            "the store's migrations run on a connection in config.attributes['connection']: "
            "use `support db upgrade` (tools.store.db.upgrade)"
        )
    context.configure(connection=connection, **options(connection.dialect.name))
    with context.begin_transaction():
        context.run_migrations()


run_online()
