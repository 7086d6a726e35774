"""`support ops webhooks`: escalation notices the webhook never took (dead letters), listed,
and `support ops webhooks replay`: sent again, one try each, now."""

from __future__ import annotations

import asyncio
from typing import Annotated, Any

import typer

from cli.common import fail, load_settings, print_json
from tools.errors import ToolError

app = typer.Typer(pretty_exceptions_enable=False)

JsonFlag = Annotated[bool, typer.Option("--json", help="Print JSON instead of a table.")]


def _open_store() -> Any:
    from tools.store.backend import SqlStore

    try:
        return SqlStore.from_url(load_settings().database_url)
    except ToolError as exc:
        fail(str(exc))


def _when(iso: str | None) -> str:
    return iso[:19].replace("T", " ") if iso else "-"


def _table(letters: list[dict[str, Any]]) -> None:
    rows = [("ID", "ESCALATION", "TRIES", "REASON", "CREATED (UTC)", "REPLAY", "LAST ERROR")]
    for d in letters:
        replay = f"{d['replay_status']} {_when(d['replayed_at'])}" if d["replay_status"] else "-"
        rows.append((str(d["id"]), d["escalation_id"], str(d["attempts"]), d["reason"],
                     _when(d["created_at"]), replay, d["last_error"]))  # fmt: skip
    widths = [max(len(r[i]) for r in rows) for i in range(len(rows[0]) - 1)]
    for r in rows:
        typer.echo("  ".join([c.ljust(w) for c, w in zip(r, widths, strict=False)] + [r[-1]]))


@app.callback(invoke_without_command=True)
def webhooks(
    ctx: typer.Context,
    show_all: Annotated[
        bool, typer.Option("--all", help="Include dead letters a replay has delivered.")
    ] = False,
    as_json: JsonFlag = False,
) -> None:
    """Escalation notices the webhook never took (dead letters): listed oldest first with
    the escalation, the tries, why it gave up (exhausted, refused, shutdown) and the last
    error; `replay` sends them again.

    Example: support ops webhooks --all --json
    """
    if ctx.invoked_subcommand is not None:
        return
    store = _open_store()
    try:
        letters = store.list_webhook_dead_letters(include_delivered=show_all)
    except ToolError as exc:
        fail(str(exc))
    if as_json:
        print_json(letters)
    elif not letters:
        typer.echo("no webhook dead letters" + ("" if show_all else " waiting for a replay"))
    else:
        _table(letters)


async def _replay(store: Any, letters: list[dict[str, Any]], url: str) -> list[dict[str, Any]]:
    from app.notify import replay_dead_letter

    return [await replay_dead_letter(store, d, url=url or d["url"]) for d in letters]


@app.command("replay")
def replay(
    ids: Annotated[
        list[int] | None, typer.Argument(help="Dead letter ids (see `support ops webhooks`).")
    ] = None,
    replay_all: Annotated[
        bool, typer.Option("--all", help="Replay every dead letter not yet delivered.")
    ] = False,
    url: Annotated[
        str,
        typer.Option(
            "--url",
            help="Post to this webhook; default: ESCALATION_WEBHOOK_URL, else the URL the "
            "notice failed on.",
        ),
    ] = "",
    as_json: JsonFlag = False,
) -> None:
    """Post dead letters to the webhook again, one try each, and mark them delivered or
    failed (a failed one stays on the list with its new error). Exit 1 when any fails.

    Example: support ops webhooks replay 3 7, or: support ops webhooks replay --all
    """
    if bool(ids) == replay_all:
        fail("name dead letter ids or --all (not both)", code=2)
    store = _open_store()
    to = url or load_settings().ESCALATION_WEBHOOK_URL
    problems: list[str] = []
    try:
        if replay_all:
            letters = store.list_webhook_dead_letters()
        else:
            letters = []
            for i in dict.fromkeys(ids or []):
                found = store.get_webhook_dead_letter(i)
                if found is None:
                    problems.append(f"no webhook dead letter {i}")
                elif found["replay_status"] == "delivered":
                    problems.append(f"dead letter {i} was delivered at "
                                    f"{_when(found['replayed_at'])}; not sent again")  # fmt: skip
                else:
                    letters.append(found)
        done = asyncio.run(_replay(store, letters, to))
    except ToolError as exc:
        fail(str(exc))
    for d in done:
        if d["replay_status"] != "delivered":
            problems.append(f"dead letter {d['id']} (escalation {d['escalation_id']}) "
                            f"to {d['url']}: {d['last_error']}")  # fmt: skip
    if as_json:
        print_json(done)
    elif not done and replay_all:
        typer.echo("no webhook dead letters to replay")
    else:
        for d in (d for d in done if d["replay_status"] == "delivered"):
            typer.echo(f"delivered dead letter {d['id']} (escalation {d['escalation_id']}) "
                       f"to {d['url']}")  # fmt: skip
    for line in problems:
        typer.echo(f"error: {line}", err=True)
    if problems:
        raise typer.Exit(1)
