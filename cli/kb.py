"""`support ingest` and `support kb ...`: load, inspect, search and prune the help centre."""

from __future__ import annotations

import sys
import textwrap
from collections import Counter
from collections.abc import Iterator
from contextlib import contextmanager
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import TYPE_CHECKING, Annotated, Any

import typer

from cli.common import fail, load_settings, print_json
from cli.kb_lint import lint

if TYPE_CHECKING:
    from chromadb.api.models.Collection import Collection

    from app.settings import Settings
    from knowledge.ingest import ProgressCallback

app = typer.Typer(no_args_is_help=True, pretty_exceptions_enable=False)

CollectionOption = Annotated[
    str | None,
    typer.Option("--collection", help="Chroma collection (default: the KB_COLLECTION setting)."),
]
AsJson = Annotated[bool, typer.Option("--json", help="Print JSON.")]
app.command("lint")(lint)


@app.callback()
def kb() -> None:
    """Inspect, search and prune the help-centre knowledge base.

    Example: support kb search "how long do refunds take"
    """


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
    dry_run: Annotated[
        bool, typer.Option("--dry-run", help="Report what would change; write nothing.")
    ] = False,
    reviewed: Annotated[
        bool,
        typer.Option(
            "--reviewed", help="Vouch for every document (a vetted corpus): lint flags none."
        ),
    ] = False,
) -> None:
    """Ingest help-centre files into the knowledge base, re-embedding only what changed.

    Markdown (front matter title/url), plain text, HTML (main content only), PDF and
    JSONL (one document per line: text, optional id, title, url). Unchanged documents are
    skipped, edited ones replaced; bad files are listed on stderr and skipped. Passages that
    `support kb lint` flags are stored but never used in answers; each gets a warning on
    stderr. Prints one summary line.

    Example: support ingest knowledge/demo_kb exports/faq.jsonl --delete-missing
    """
    from knowledge.ingest import ingest_paths
    from knowledge.tokens import get_tokenizer

    missing = [str(p) for p in paths if not p.exists()]
    if missing:
        fail(f"no such file or folder: {', '.join(missing)}")
    settings = load_settings()
    tokenizer = get_tokenizer(str(settings.tiktoken_cache_dir))
    collection = _open_collection(settings, collection_name)
    with _progress_bar() as progress:
        try:
            summary = ingest_paths(
                paths,
                collection,
                tokenizer,
                delete_missing=delete_missing,
                dry_run=dry_run,
                reviewed=reviewed,
                progress=progress,
            )
        except Exception as exc:  # Chroma server gone mid-run: documents stay whole
            fail(f"ingest stopped, documents written so far are complete: {exc}")
    for reason in summary.skipped:
        print(f"skipped {reason}", file=sys.stderr)
    for passage in summary.flagged:
        print(f"warning: flagged {passage.line()} (kept out of answers)", file=sys.stderr)
    typer.echo(summary.line())


def _open_collection(settings: Settings, name: str | None = None) -> Collection:
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


def _non_empty(settings: Settings, name: str | None) -> Collection:
    collection = _open_collection(settings, name)
    if collection.count() == 0:
        fail(f"collection {collection.name!r} is empty; run: support ingest {settings.KB_DIR}")
    return collection


@app.command()
def search(
    query: Annotated[str, typer.Argument(help="A customer question.")],
    k: Annotated[int, typer.Option("-k", min=1, max=50, help="How many passages.")] = 5,
    mode: Annotated[
        str, typer.Option(help="hybrid (dense + BM25, fused), dense or bm25.")
    ] = "hybrid",
    collection_name: CollectionOption = None,
    as_json: AsJson = False,
) -> None:
    """Show the help-centre passages closest to a question, best first.

    The score in brackets is the passage's cosine similarity to the question (what
    KB_MIN_SCORE is compared with).

    Example: support kb search "my headphones won't pair" -k 3 --json
    """
    from knowledge.retrieval import MODES, Retriever

    if mode not in MODES:
        fail(f"--mode must be one of {', '.join(MODES)}, not {mode!r}")
    settings = load_settings()
    collection = _non_empty(settings, collection_name)
    passages = Retriever(collection).search(query, k, mode=mode)  # type: ignore[arg-type]
    if as_json:
        print_json(
            [
                {
                    "doc_id": p.doc_id,
                    "chunk_id": p.chunk_id,
                    "title": p.title,
                    "section": p.section,
                    "source": p.source,
                    "url": p.url,
                    "score": round(p.score, 4),
                    "bm25": round(p.bm25, 4),
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


@app.command()
def stats(collection_name: CollectionOption = None, as_json: AsJson = False) -> None:
    """Documents, chunks and formats in the knowledge base.

    Example: support kb stats --json
    """
    from knowledge.ingest import stored_documents

    settings = load_settings()
    collection = _open_collection(settings, collection_name)
    docs = stored_documents(collection)
    formats = Counter(d.format for d in docs.values())
    report: dict[str, Any] = {
        "collection": collection.name,
        "location": settings.CHROMA_URL or str(settings.chroma_path),
        "documents": len(docs),
        "chunks": collection.count(),
        "formats": dict(sorted(formats.items())),
        "sources": len({d.source for d in docs.values()}),
        "flagged": len(collection.get(where={"flagged": True}, include=[])["ids"]),
    }
    if as_json:
        print_json(report)
        return
    typer.echo(f"collection {report['collection']} at {report['location']}")
    typer.echo(
        f"documents {report['documents']}, chunks {report['chunks']}, "
        f"source files {report['sources']}"
    )
    if formats:
        typer.echo("formats " + ", ".join(f"{k} {v}" for k, v in report["formats"].items()))
    if report["flagged"]:
        typer.echo(f"flagged {report['flagged']} chunks, kept out of answers (support kb lint)")


@app.command()
def delete(
    doc_id: Annotated[str, typer.Argument(help="Document id, as `support kb stats`/search show.")],
    collection_name: CollectionOption = None,
) -> None:
    """Remove one document (all its chunks) from the knowledge base.

    Example: support kb delete refund-timing
    """
    from knowledge.vectorstore import bump_revision

    settings = load_settings()
    collection = _open_collection(settings, collection_name)
    ids = collection.get(where={"doc_id": doc_id}, include=[])["ids"]
    if not ids:
        fail(f"no document {doc_id!r} in collection {collection.name!r}")
    collection.delete(ids=ids)
    bump_revision(collection)
    typer.echo(f"deleted {doc_id} ({len(ids)} chunks)")


@app.command()
def gaps(
    days: Annotated[
        int | None, typer.Option("--days", min=1, help="Only the last N days (default: all).")
    ] = None,
    weak_below: Annotated[
        float | None,
        typer.Option(
            help="Answered questions whose best passage scored under this count too "
            "(default: KB_MIN_SCORE + 0.05)."
        ),
    ] = None,
    limit: Annotated[int, typer.Option(min=1, help="Groups to show.")] = 20,
    as_json: AsJson = False,
) -> None:
    """Questions the help centre could not answer well, grouped by similarity, with counts.

    Sources: escalations for missing knowledge (the store) and knowledge questions that
    retrieved weakly (DATA_DIR/kb_queries.sqlite). A to-do list for the content team.

    Example: support kb gaps --days 30 --json
    """
    from knowledge.embeddings import get_encoder
    from knowledge.gaps import gap_questions, group_gaps
    from knowledge.querylog import QueryLog
    from knowledge.retrieval import help_centre_vocabulary
    from tools.store.backend import SqlStore

    settings = load_settings()
    since = datetime.now(UTC) - timedelta(days=days) if days else None
    threshold = weak_below if weak_below is not None else settings.KB_MIN_SCORE + 0.05
    try:
        escalations = SqlStore.from_url(settings.database_url).list_escalations()
    except Exception as exc:  # store unreachable
        fail(f"cannot read escalations from the store: {exc.__class__.__name__}")
    questions = gap_questions(
        escalations,
        QueryLog(settings.knowledge.query_log).records(since),
        weak_below=threshold,
        since=since,
    )
    groups = (
        group_gaps(
            questions,
            get_encoder(settings.EMBEDDING_MODEL),
            unknown_words=help_centre_vocabulary(settings.knowledge),
        )
        if questions
        else []
    )
    if as_json:
        print_json(
            {
                "questions": len(questions),
                "weak_below": threshold,
                "groups": [g.public() for g in groups[:limit]],
            }
        )
        return
    if not groups:
        typer.echo("no knowledge gaps: every logged question retrieved well")
        return
    typer.echo(f"{len(questions)} questions in {len(groups)} groups, largest first")
    for rank, gap in enumerate(groups[:limit], start=1):
        nearest = f"; nearest: {', '.join(gap.nearest_docs)}" if gap.nearest_docs else ""
        typer.echo(f"{rank}. {gap.count}x {gap.question!r}  (escalated {gap.escalated}{nearest})")
        if gap.missing_words:
            typer.echo(f"   no article says: {', '.join(gap.missing_words)}")
        for example in gap.examples:
            typer.echo(f"   also: {example!r}")
