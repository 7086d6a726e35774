"""The help centre an eval run answers from: pinned (default) or the live one.

Pinned: the project's demo articles (knowledge/demo_kb), or another folder the run names,
ingested into a throw-away collection in the run's work folder, so the gates measure the
bot and not whatever the content team published today. Live: the collection under
DATA_DIR (or at CHROMA_URL) that the service answers from.

    kb = parse_kb("pinned")          # DEMO_KB; "live" -> LIVE; "path/to/articles" -> Path
    centre = pin(kb, workdir)        # a HelpCentre over a fresh collection
    centre.describe()                # "pinned demo help centre (knowledge/demo_kb): 26 ..."
"""

from __future__ import annotations

import time
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING, Any, Literal

if TYPE_CHECKING:
    from chromadb.api.models.Collection import Collection

    from graph.context import Retriever as Searcher
    from knowledge.ingest import IngestSummary
    from knowledge.retrieval import Retriever

ROOT = Path(__file__).resolve().parent.parent
DEMO_KB = ROOT / "knowledge" / "demo_kb"
"""The project's demo help centre: what the golden questions and scripts are written over."""
LIVE: Literal["live"] = "live"
KbChoice = Path | Literal["live"]
"""A folder (or file) of articles to pin, or LIVE."""


def parse_kb(value: str) -> KbChoice:
    """`pinned` (the demo help centre), `live`, or a path of articles to pin instead.

    ValueError says why a path cannot be pinned (missing, or no article ingest can read)."""
    if value == "pinned":
        return DEMO_KB
    if value == LIVE:
        return LIVE
    from knowledge.ingest import find_files

    path = Path(value).expanduser()
    if not path.exists():
        raise ValueError(
            f"--kb must be 'pinned', 'live' or a folder of articles; no such file or folder: "
            f"{value}"
        )
    found, skipped = find_files([path])
    if not found:
        why = "; ".join(skipped[:3]) or "no files"
        raise ValueError(f"--kb {value}: no article ingest can read ({why})")
    return path


def _open(data_dir: Path, embedding_model: str = "") -> tuple[Collection, Any]:
    """An empty embedded Chroma collection under data_dir, and a tokenizer for ingest."""
    from knowledge.config import KnowledgeConfig
    from knowledge.tokens import get_tokenizer
    from knowledge.vectorstore import open_collection

    config = KnowledgeConfig(
        chroma_path=data_dir / "chroma",
        query_log=data_dir / "kb_queries.sqlite",
        embedding_model=embedding_model,
    )
    return open_collection(config), get_tokenizer(str(data_dir / "tiktoken"))


def ingest_folder(
    data_dir: Path, kb_dir: Path, embedding_model: str = ""
) -> tuple[Retriever, Collection, IngestSummary]:
    """kb_dir ingested into an embedded Chroma store under data_dir: its retriever (no
    query log), collection and ingest summary. ValueError when nothing was ingested."""
    from knowledge.ingest import ingest_paths
    from knowledge.retrieval import Retriever

    collection, tokenizer = _open(data_dir, embedding_model)
    summary = ingest_paths([kb_dir], collection, tokenizer)
    if not summary.chunks:
        why = "; ".join([*summary.failed, *summary.skipped])
        raise ValueError(f"{kb_dir}: nothing ingested ({why})")
    return Retriever(collection), collection, summary


def demo_retriever(data_dir: Path, kb_dir: Path) -> Retriever:
    """A Retriever over kb_dir, ingested into an embedded Chroma store under data_dir."""
    return ingest_folder(data_dir, kb_dir)[0]


@dataclass(frozen=True)
class HelpCentre:
    """The help centre a run's graph suites answer from, and what the report says of it."""

    kb: Literal["pinned", "live"]
    retriever: Searcher
    collection: Collection | None = None
    """The pinned collection (None: live, opened from the settings by whoever needs it)."""
    folder: Path | None = None
    """The pinned articles."""
    documents: int | None = None
    """Articles ingested (pinned); None for live."""
    chunks: int = 0
    seconds: float = 0.0
    """Time spent ingesting (pinned)."""
    location: str = ""
    """Where the live collection is (see knowledge.vectorstore.location)."""

    def public(self) -> dict[str, Any]:
        """JSON-ready fields for report.json."""
        return {
            "kb": self.kb,
            "folder": _shown(self.folder) if self.folder else None,
            "documents": self.documents,
            "chunks": self.chunks,
            "ingest_seconds": round(self.seconds, 2),
            "location": self.location or None,
            "text": self.describe(),
        }

    def describe(self) -> str:
        """One line for a reader of the report."""
        if self.kb == LIVE:
            return f"live help centre ({self.location}): {self.chunks} chunks"
        demo = self.folder is not None and self.folder.resolve() == DEMO_KB.resolve()
        name = "demo help centre" if demo else "help centre"
        return (
            f"pinned {name} ({_shown(self.folder)}): {self.documents} documents, "
            f"{self.chunks} chunks, ingested into a throw-away collection in {self.seconds:.1f} s"
        )


def _shown(path: Path | None) -> str:
    if path is None:
        return ""
    try:
        return path.resolve().relative_to(ROOT).as_posix()
    except ValueError:
        return str(path)


def pin(folder: Path, data_dir: Path, embedding_model: str = "") -> HelpCentre:
    """`folder` ingested into a fresh collection under data_dir (a throw-away folder)."""
    started = time.perf_counter()
    retriever, collection, summary = ingest_folder(data_dir, folder, embedding_model)
    retriever.warm()
    return HelpCentre(
        "pinned",
        retriever,
        collection,
        folder=Path(folder),
        documents=summary.added + summary.updated + summary.unchanged,
        chunks=retriever.count(),
        seconds=time.perf_counter() - started,
    )


def live(retriever: Searcher, where: str) -> HelpCentre:
    """The service's own help centre, as the serving models loaded it."""
    return HelpCentre(LIVE, retriever, chunks=retriever.count(), location=where)
