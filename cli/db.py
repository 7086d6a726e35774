"""`support db ...`: the store's schema revision, and bringing it up to this version's.

SQLite stores are upgraded on every start; a Postgres store is upgraded by an operator
(or the chart's migration Job) with `support db upgrade` before the new version serves.
"""

from __future__ import annotations

from typing import Annotated

import typer

from cli.common import fail, load_settings, print_json

# SQLAlchemy and the store are imported inside the commands: `support --help` stays quick.

app = typer.Typer(
    help="The store's schema: its revision, and upgrading it (DATABASE_URL).",
    no_args_is_help=True,
    pretty_exceptions_enable=False,
)


def hidden_password(url: str) -> str:
    from sqlalchemy.engine import make_url

    return make_url(url).render_as_string(hide_password=True)


JsonFlag = Annotated[bool, typer.Option("--json", help="Print JSON instead of text.")]


@app.command("upgrade")
def upgrade_command() -> None:
    """Bring the store's schema to this version's revision; safe to repeat.

    An empty database gets every table; a store made before migrations gets what it lacks
    and is stamped; a stamped store runs the revisions it lacks, in one transaction.
    Example: support db upgrade
    """
    from sqlalchemy.exc import SQLAlchemyError

    from tools.store.db import StoreSchemaOutOfDate, make_engine, upgrade

    url = load_settings().database_url
    engine = make_engine(url)
    try:
        change = upgrade(engine)
    except StoreSchemaOutOfDate as exc:
        fail(str(exc))
    except SQLAlchemyError as exc:
        reason = str(getattr(exc, "orig", None) or exc).strip().splitlines()[0]
        fail(f"cannot upgrade the store at {hidden_password(url)}: {reason}")
    finally:
        engine.dispose()
    typer.echo(f"store ({hidden_password(url)}): {change.describe()}")


@app.command()
def current(as_json: JsonFlag = False) -> None:
    """Print the store's schema revision and the one this version needs.

    'none' is an empty store or one made before migrations (`support db upgrade` adopts it).
    Example: support db current --json
    """
    from sqlalchemy.exc import SQLAlchemyError

    from tools.store import migrations
    from tools.store.db import make_engine, schema_revision

    url = load_settings().database_url
    engine = make_engine(url)
    try:
        revision = schema_revision(engine)
    except SQLAlchemyError as exc:
        fail(f"cannot reach the store at {hidden_password(url)}: {exc.__class__.__name__}")
    finally:
        engine.dispose()
    head = migrations.head()
    if as_json:
        print_json({"store": hidden_password(url), "revision": revision, "head": head,
                    "up_to_date": revision == head})  # fmt: skip
        return
    state = "up to date" if revision == head else "behind: run `support db upgrade`"
    typer.echo(f"store:    {hidden_password(url)}")
    typer.echo(f"revision: {revision or 'none'}")
    typer.echo(f"head:     {head} ({state})")
