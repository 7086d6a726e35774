"""Search the help centre: passages with their citation fields and a similarity score."""

from __future__ import annotations

from dataclasses import asdict, dataclass
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from chromadb.api.models.Collection import Collection


@dataclass(frozen=True)
class Passage:
    """A retrieved chunk and where it comes from."""

    doc_id: str
    chunk_id: str
    title: str
    section: str
    """Heading path, 'Title > H2 > H3'."""
    source: str
    """File path relative to the ingested folder."""
    url: str
    score: float
    """Cosine similarity to the query (1 - cosine distance); higher is better."""
    text: str

    def public(self) -> dict[str, Any]:
        """The passage as plain JSON-ready fields."""
        return asdict(self)


class Retriever:
    """Dense (embedding) search over a Chroma collection built by ``knowledge.ingest``.

    ``search`` asks each retriever stage for candidates and merges them; today the
    only stage is dense, so a lexical (BM25) stage plus a fusion step can be added
    beside ``_dense`` without changing callers.
    """

    def __init__(self, collection: Collection) -> None:
        self._collection = collection

    def count(self) -> int:
        """Number of chunks in the collection."""
        return self._collection.count()

    def search(self, query: str, k: int = 5) -> list[Passage]:
        """The k passages most similar to the query, best first."""
        query = query.strip()
        if not query or k <= 0:
            return []
        return self._dense(query, k)

    def _dense(self, query: str, k: int) -> list[Passage]:
        count = self._collection.count()
        if count == 0:
            return []
        result = self._collection.query(
            query_texts=[query],
            n_results=min(k, count),
            include=["documents", "metadatas", "distances"],
        )
        ids = result["ids"][0]
        documents = (result["documents"] or [[]])[0]
        metadatas = (result["metadatas"] or [[]])[0]
        distances = (result["distances"] or [[]])[0]
        passages = [
            _passage(chunk_id, text, meta or {}, distance)
            for chunk_id, text, meta, distance in zip(
                ids, documents, metadatas, distances, strict=True
            )
        ]
        return sorted(passages, key=lambda p: p.score, reverse=True)


def _passage(chunk_id: str, text: str | None, meta: Any, distance: float) -> Passage:
    return Passage(
        doc_id=str(meta.get("doc_id", chunk_id.split("#", 1)[0])),
        chunk_id=chunk_id,
        title=str(meta.get("title", "")),
        section=str(meta.get("section", "")),
        source=str(meta.get("source", "")),
        url=str(meta.get("url", "")),
        score=1.0 - float(distance),
        text=text or "",
    )
