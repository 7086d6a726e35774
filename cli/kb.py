"""`support ingest` and `support kb ...`: load, inspect, search and prune the help centre."""

from __future__ import annotations

import sys
import textwrap
from collections import Counter
from datetime import UTC, datetime, timedelta
from typing import TYPE_CHECKING, Annotated, Any

import typer

from cli.common import fail, load_settings, print_json
from cli.kb_ingest import CollectionOption, ingest, open_kb_collection
from cli.kb_lint import lint

if TYPE_CHECKING:
    from chromadb.api.models.Collection import Collection

    from app.settings import Settings

app = typer.Typer(no_args_is_help=True, pretty_exceptions_enable=False)

AsJson = Annotated[bool, typer.Option("--json", help="Print JSON.")]
app.command("lint")(lint)
__all__ = ["app", "ingest"]


@app.callback()
def kb() -> None:
    """Inspect, search and prune the help-centre knowledge base.

    Example: support kb search "how long do refunds take"
    """


def _non_empty(settings: Settings, name: str | None) -> Collection:
    collection = open_kb_collection(settings, name)
    if collection.count() == 0:
        fail(f"collection {collection.name!r} is empty; run: support ingest {settings.KB_DIR}")
    return collection


PASSAGE_FIELDS = (
    *("doc_id", "chunk_id", "title", "section", "source", "url"),
    *("score", "bm25", "text"),
)


@app.command()
def search(
    query: Annotated[str, typer.Argument(help="A customer question.")],
    k: Annotated[int, typer.Option("-k", min=1, max=50, help="How many passages.")] = 5,
    mode: Annotated[
        str, typer.Option(help="hybrid (dense + BM25, fused), dense or bm25.")
    ] = "hybrid",
    collection_name: CollectionOption = None,
    local: Annotated[
        bool, typer.Option("--local", help="Search here, without asking the running service.")
    ] = False,
    as_json: AsJson = False,
) -> None:
    """Show the help-centre passages closest to a question, best first.

    Asks the running service (HOST:PORT, an agent token minted from this DATA_DIR's
    secret), which has the models loaded: well under 2 s. When none answers for this help
    centre, it says so on stderr and loads the models here (~10 s). The score in brackets
    is the passage's cosine similarity to the question (what KB_MIN_SCORE is compared with).

    Example: support kb search "my headphones won't pair" -k 3 --json
    """
    from knowledge.modes import MODES

    if mode not in MODES:
        fail(f"--mode must be one of {', '.join(MODES)}, not {mode!r}")
    settings = load_settings()
    rows = None
    if not local and collection_name in (None, settings.KB_COLLECTION):
        from cli.kb_service import ask_service

        rows, why = ask_service(settings, query, k, mode)
        if rows is None:
            print(f"note: {why}; searching here (loads the models)", file=sys.stderr)
    if rows is None:
        rows = _search_here(settings, collection_name, query, k, mode)
    if as_json:
        print_json([{f: _rounded(row[f]) for f in PASSAGE_FIELDS} for row in rows])
        return
    for rank, row in enumerate(rows, start=1):
        typer.echo(f"{rank}. [{row['score']:.3f}] {row['section']}  ({row['chunk_id']})")
        text = str(row["text"])
        prose = " ".join(ln for ln in text.splitlines() if ln and not ln.startswith("#"))
        typer.echo(textwrap.indent(textwrap.shorten(prose, width=240, placeholder=" ..."), "   "))


def _rounded(value: Any) -> Any:
    return round(value, 4) if isinstance(value, float) else value


def _search_here(
    settings: Settings, collection_name: str | None, query: str, k: int, mode: str
) -> list[dict[str, Any]]:
    """Passages from the collection opened in this process (loads the encoder)."""
    from knowledge.retrieval import Retriever

    collection = _non_empty(settings, collection_name)
    passages = Retriever(collection).search(query, k, mode=mode)  # type: ignore[arg-type]
    return [p.public() for p in passages]


@app.command()
def stats(collection_name: CollectionOption = None, as_json: AsJson = False) -> None:
    """Documents, chunks and formats in the knowledge base.

    Example: support kb stats --json
    """
    from knowledge.ingest import stored_documents

    settings = load_settings()
    collection = open_kb_collection(settings, collection_name)
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
    as_json: AsJson = False,
) -> None:
    """Remove one document (all its chunks) from the knowledge base. A running service
    stops citing it within a couple of seconds.

    Example: support kb delete refund-timing --json
    """
    from knowledge.vectorstore import bump_revision

    settings = load_settings()
    collection = open_kb_collection(settings, collection_name)
    ids = collection.get(where={"doc_id": doc_id}, include=[])["ids"]
    if not ids:
        fail(f"no document {doc_id!r} in collection {collection.name!r}")
    collection.delete(ids=ids)
    bump_revision(collection)
    if as_json:
        print_json({"deleted": doc_id, "chunks": len(ids)})
        return
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
    local: Annotated[
        bool, typer.Option("--local", help="Group here, without asking the running service.")
    ] = False,
    as_json: AsJson = False,
) -> None:
    """Questions the help centre could not answer well, grouped by similarity, with counts.

    Sources: escalations for missing knowledge and knowledge questions that retrieved
    weakly, both in the store (every worker logs there). A to-do list for the content team.
    Grouping needs the sentence encoder: the running service (HOST:PORT) is asked first,
    as by `support kb search`; when none answers for this store and help centre, it says so
    on stderr and loads the encoder here (seconds).

    Example: support kb gaps --days 30 --json
    """
    settings = load_settings()
    report = None
    if not local:
        from cli.kb_service import ask_gaps

        report, why = ask_gaps(settings, days, weak_below, limit)
        if report is None:
            print(f"note: {why}; grouping here", file=sys.stderr)
    if report is None:
        report = _gaps_here(settings, days, weak_below, limit)
    if as_json:
        print_json(report)
        return
    groups = report["groups"]
    if not groups:
        typer.echo("no knowledge gaps: every logged question retrieved well")
        return
    total = report.get("groups_total", len(groups))
    typer.echo(f"{report['questions']} questions in {total} groups, largest first")
    for rank, gap in enumerate(groups, start=1):
        nearest = f"; nearest: {', '.join(gap['nearest_docs'])}" if gap["nearest_docs"] else ""
        typer.echo(
            f"{rank}. {gap['count']}x {gap['question']!r}  (escalated {gap['escalated']}{nearest})"
        )
        if gap["missing_words"]:
            typer.echo(f"   no article says: {', '.join(gap['missing_words'])}")
        for example in gap["examples"]:
            typer.echo(f"   also: {example!r}")


def _gaps_here(
    settings: Settings, days: int | None, weak_below: float | None, limit: int
) -> dict[str, Any]:
    """`kb gaps --json`'s report, computed in this process (loads the encoder when there is
    something to group)."""
    from knowledge.gaps import gap_questions, group_gaps
    from knowledge.querylog import QueryLog
    from tools.store.backend import SqlStore

    since = datetime.now(UTC) - timedelta(days=days) if days else None
    threshold = weak_below if weak_below is not None else settings.KB_MIN_SCORE + 0.05
    try:
        store = SqlStore.from_url(settings.database_url)
        escalations = store.list_escalations()
        logged = QueryLog(store).records(since)
    except Exception as exc:  # store unreachable
        fail(f"cannot read escalations and questions from the store: {exc.__class__.__name__}")
    questions = gap_questions(escalations, logged, weak_below=threshold, since=since)
    groups = []
    if questions:  # the encoder and the help centre load only when there is something to group
        from knowledge.embeddings import get_encoder
        from knowledge.retrieval import help_centre_vocabulary

        groups = group_gaps(
            questions,
            get_encoder(settings.EMBEDDING_MODEL),
            unknown_words=help_centre_vocabulary(settings.knowledge),
        )
    return {
        "questions": len(questions),
        "weak_below": threshold,
        "groups_total": len(groups),
        "groups": [g.public() for g in groups[:limit]],
    }
