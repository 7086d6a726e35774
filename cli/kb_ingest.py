"""`support ingest`: load help-centre files into the knowledge base, with a safe delete."""

from __future__ import annotations

import sys
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import TYPE_CHECKING, Annotated

import typer

from cli.common import fail, load_settings, print_json

if TYPE_CHECKING:
    from chromadb.api.models.Collection import Collection

    from app.settings import Settings
    from knowledge.ingest import ProgressCallback

CollectionOption = Annotated[
    str | None,
    typer.Option("--collection", help="Chroma collection (default: the KB_COLLECTION setting)."),
]
AsJson = Annotated[bool, typer.Option("--json", help="Print JSON.")]


DELETE_SHARE = 0.2
"""Share of the stored documents `--delete-missing` may remove without --yes."""


def ingest(
    paths: Annotated[
        list[Path],
        typer.Argument(help="Files or folders (recursive): .md .txt .html .pdf .jsonl."),
    ],
    collection_name: CollectionOption = None,
    delete_missing: Annotated[
        bool,
        typer.Option(
            "--delete-missing",
            help="Remove stored documents not found under PATHS (they are the whole KB).",
        ),
    ] = False,
    yes: Annotated[
        bool,
        typer.Option(
            "--yes", help="Let --delete-missing remove more than --max-delete-share of the KB."
        ),
    ] = False,
    max_delete_share: Annotated[
        float,
        typer.Option(
            min=0.0,
            max=1.0,
            help="Most of the stored documents --delete-missing removes without --yes.",
        ),
    ] = DELETE_SHARE,
    dry_run: Annotated[
        bool, typer.Option("--dry-run", help="Report what would change; write nothing.")
    ] = False,
    keep_going: Annotated[
        bool,
        typer.Option(
            "--keep-going",
            help="Ingest the good files when some fail (still exits 1); "
            "without it a failure writes nothing.",
        ),
    ] = False,
    reviewed: Annotated[
        bool,
        typer.Option(
            "--reviewed", help="Vouch for every document (a vetted corpus): lint flags none."
        ),
    ] = False,
    as_json: AsJson = False,
) -> None:
    """Ingest help-centre files into the knowledge base, re-embedding only what changed.

    Markdown (YAML front matter: title, url, reviewed), plain text, HTML (main content
    only; charset as declared, else detected), PDF and JSONL (one document per line: text,
    optional id, title, url). Unchanged documents are skipped, edited ones replaced. A file
    that cannot be read is named on stderr with the reason; then nothing is written (with
    --keep-going the others are) and the exit code is 1, as it is when no document was
    found. --delete-missing lists the documents it removes, and refuses (exit 1) to remove
    more than --max-delete-share of them without --yes. A running service answers from
    the new articles within a couple of seconds, no restart needed. Passages that `support
    kb lint` flags are stored but never used in answers; each gets a warning on stderr.
    Prints one summary line (--json: one object).

    Example: support ingest knowledge/demo_kb exports/faq.jsonl --delete-missing
    """
    from knowledge.ingest import ingest_paths
    from knowledge.tokens import get_tokenizer

    missing = [str(p) for p in paths if not p.exists()]
    if missing:
        fail(f"no such file or folder: {', '.join(missing)}")
    settings = load_settings()
    tokenizer = get_tokenizer(str(settings.tiktoken_cache_dir))
    collection = open_kb_collection(settings, collection_name)
    with _progress_bar() as progress:
        try:
            summary = ingest_paths(
                paths,
                collection,
                tokenizer,
                delete_missing=delete_missing,
                dry_run=dry_run,
                reviewed=reviewed,
                keep_going=keep_going,
                max_delete_share=None if yes else max_delete_share,
                progress=progress,
            )
        except Exception as exc:  # Chroma server gone mid-run: documents stay whole
            fail(f"ingest stopped, documents written so far are complete: {exc}")
    for reason in summary.skipped:
        print(f"skipped {reason}", file=sys.stderr)
    for reason in summary.failed:
        print(f"failed {reason}", file=sys.stderr)
    for passage in summary.flagged:
        print(f"warning: flagged {passage.line()} (kept out of answers)", file=sys.stderr)
    if as_json:
        print_json(summary.public())
    else:
        verb = "delete" if summary.written else "would delete"
        for doc_id, source in summary.delete_plan:
            typer.echo(f"{verb} {doc_id} ({source})")
        typer.echo(summary.line())
    if summary.refused or summary.failed:
        raise typer.Exit(1)


def open_kb_collection(settings: Settings, name: str | None = None) -> Collection:
    """The help-centre collection, or one error line when Chroma can't be opened."""
    from knowledge.vectorstore import open_collection

    name = name or settings.KB_COLLECTION
    try:
        return open_collection(settings.knowledge, name)
    except Exception as exc:  # bad CHROMA_URL or name, server down, unreadable folder
        where = settings.CHROMA_URL or settings.chroma_path
        fail(f"cannot open Chroma collection {name!r} at {where}: {exc}")


@contextmanager
def _progress_bar() -> Iterator[ProgressCallback | None]:
    """A rich progress bar on stderr while chunks are embedded (None when not a terminal)."""
    if not sys.stderr.isatty():
        yield None
        return
    from rich.console import Console
    from rich.progress import BarColumn, MofNCompleteColumn, Progress, TimeRemainingColumn

    with Progress(
        "[progress.description]{task.description}",
        BarColumn(),
        MofNCompleteColumn(),
        TimeRemainingColumn(),
        console=Console(file=sys.stderr),
        transient=True,
    ) as bar:
        task = bar.add_task("Embedding chunks", total=None)

        def update(done: int, total: int) -> None:
            bar.update(task, completed=done, total=total)

        yield update
