"""What knowledge/ needs to know about where things live, built by the service from its settings."""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path


@dataclass(frozen=True)
class KnowledgeConfig:
    """Where the help centre is stored and how it is embedded."""

    chroma_path: Path
    """Folder of the embedded Chroma (used when ``chroma_url`` is empty)."""
    query_log: Path
    """SQLite file where versions before issue 21 kept this worker's query log; the service
    imports its rows into the store once (`knowledge.querylog.import_legacy_file`)."""
    chroma_url: str = ""
    """http(s)://host:port of a Chroma server; empty means embedded Chroma."""
    collection: str = "help_center"
    """Chroma collection of the help centre."""
    embedding_model: str = ""
    """Path of a sentence-transformers model; empty means the packaged MiniLM."""
