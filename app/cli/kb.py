"""`support ingest` and `support kb ...`: load the help centre into Chroma and search it."""

from __future__ import annotations

import contextlib
import sys
import textwrap
from collections.abc import Callable
from pathlib import Path
from typing import TYPE_CHECKING, Annotated

import typer

from app.cli.common import fail, load_settings, print_json

if TYPE_CHECKING:
    from chromadb.api.models.Collection import Collection

    from app.settings import Settings

app = typer.Typer(no_args_is_help=True, pretty_exceptions_enable=False)


@app.callback()
def kb() -> None:
    """Search the help-centre knowledge base.

    Example: support kb search "how long do refunds take"
    """


def ingest(
    paths: Annotated[
        list[Path], typer.Argument(help="Markdown files or folders (searched recursively).")
    ],
) -> None:
    """Ingest Markdown files or folders into the help-centre collection.

    Unchanged documents are skipped; edited ones have their old chunks replaced.
    Prints one summary line; files that could not be read are listed on stderr.

    Example: support ingest knowledge/demo_kb
    """
    from knowledge.ingest import ingest_paths
    from knowledge.tokens import get_tokenizer

    missing = [str(p) for p in paths if not p.exists()]
    if missing:
        fail(f"no such file or folder: {', '.join(missing)}")
    settings = load_settings()
    tokenizer = get_tokenizer(str(settings.tiktoken_cache_dir))
    collection = _open_collection(settings)
    with contextlib.ExitStack() as stack:
        summary = ingest_paths(paths, collection, tokenizer, progress=_progress_bar(stack))
    for reason in summary.skipped:
        print(f"skipped {reason}", file=sys.stderr)
    typer.echo(summary.line())


def _open_collection(settings: Settings) -> Collection:
    """The help-centre collection, or one error line when Chroma can't be opened."""
    from knowledge.vectorstore import open_collection

    try:
        return open_collection(settings)
    except Exception as exc:  # bad CHROMA_URL, server down, unreadable folder
        where = settings.CHROMA_URL or settings.chroma_path
        fail(f"cannot open Chroma collection {settings.KB_COLLECTION!r} at {where}: {exc}")


def _progress_bar(stack: contextlib.ExitStack) -> Callable[[int, int], None] | None:
    """A progress callback drawing a bar on stderr, or None when stderr is not a terminal."""
    if not sys.stderr.isatty():
        return None
    bar = None

    def update(done: int, total: int) -> None:
        nonlocal bar
        if bar is None:
            bar = stack.enter_context(
                typer.progressbar(length=total, label="Embedding chunks", file=sys.stderr)
            )
        bar.update(done - bar.pos)

    return update


@app.command()
def search(
    query: Annotated[str, typer.Argument(help="A customer question.")],
    k: Annotated[int, typer.Option("-k", min=1, max=50, help="How many passages.")] = 5,
    as_json: Annotated[bool, typer.Option("--json", help="Print a JSON list.")] = False,
) -> None:
    """Show the help-centre passages closest to a question, best first.

    Example: support kb search "my headphones won't pair" -k 3 --json
    """
    from knowledge.retrieval import Retriever

    settings = load_settings()
    collection = _open_collection(settings)
    if collection.count() == 0:
        fail(
            f"collection {settings.KB_COLLECTION!r} is empty; run: support ingest {settings.KB_DIR}"
        )
    passages = Retriever(collection).search(query, k)
    if as_json:
        print_json(
            [
                {
                    "doc_id": p.doc_id,
                    "chunk_id": p.chunk_id,
                    "title": p.title,
                    "source": p.source,
                    "score": round(p.score, 4),
                    "text": p.text,
                }
                for p in passages
            ]
        )
        return
    for rank, p in enumerate(passages, start=1):
        typer.echo(f"{rank}. [{p.score:.3f}] {p.section}  ({p.chunk_id})")
        prose = " ".join(ln for ln in p.text.splitlines() if ln and not ln.startswith("#"))
        typer.echo(textwrap.indent(textwrap.shorten(prose, width=240, placeholder=" ..."), "   "))
