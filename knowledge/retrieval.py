"""Search the help centre: hybrid (dense + BM25, fused by reciprocal rank) with citations.

The Chroma collection is the single source of truth. The BM25 index is built in memory
from the collection's documents. Every ingest bumps the collection's revision (its
metadata, see ``knowledge.ingest``); a retriever reads the revision and chunk count at
most every ``refresh_every`` seconds and, when they changed, reopens the collection (an
embedded Chroma engine does not see vectors another process wrote until it does, see
``knowledge.vectorstore.open_client``) and rebuilds its BM25 index. So articles ingested
while the service runs are answered, and deleted ones no longer cited, within a second or
two, by every worker process, with embedded Chroma or a Chroma server.

Retrieved text is data, not instructions: chunks that ingest's lint flagged (``flagged`` in
their metadata: they ask for a card number, point to a phone line, address the assistant)
are never returned, so they can neither be quoted nor cited until the content team has
reviewed their document.
"""

from __future__ import annotations

import threading
import time
from collections.abc import Mapping, Sequence
from dataclasses import asdict, dataclass, replace
from typing import TYPE_CHECKING, Any

import numpy as np

from knowledge.config import KnowledgeConfig
from knowledge.fusion import fuse_by_document
from knowledge.lexical import LexicalIndex
from knowledge.modes import MODES, Mode
from knowledge.querylog import QueryLog
from knowledge.vectorstore import collection_revision, open_collection, query_embedder

if TYPE_CHECKING:
    from collections.abc import Callable

    from chromadb.api.models.Collection import Collection

HYBRID_RRF_K = 20
"""Below the usual 60: a sharper rank discount lets a document that one retriever ranks
near the top beat one that both rank in the middle (chosen on MTRAG, see the README)."""
__all__ = ["MODES", "Mode", "Passage", "Retriever", "build_retriever"]


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
    """Cosine similarity to the query (1 - cosine distance); higher is better. The
    "no good context" threshold (KB_MIN_SCORE) applies to this, whatever the mode."""
    text: str
    fused: float = 0.0
    """Reciprocal-rank-fusion score of the passage's document, which ordered the results
    (0 for a single mode searched without context)."""
    bm25: float = 0.0
    """BM25 score of the chunk for the query (0 when it shares no term with it)."""

    def public(self) -> dict[str, Any]:
        """The passage as plain JSON-ready fields."""
        return asdict(self)


class Retriever:
    """Dense, BM25 or hybrid search over a Chroma collection built by ``knowledge.ingest``.

    Hybrid takes the top ``candidates`` chunks of each retriever and fuses the two
    rankings by reciprocal rank at the document level (``rrf_k``; ``weights`` = dense,
    BM25): the best chunk of each document comes first, in fused document order, then
    the other chunks. Measured on MTRAG (`support evals retrieval`), fusing documents
    rather than chunks and the smaller ``rrf_k`` each found relevant documents that
    chunk-level fusion with k=60 pushed below the top 5.
    """

    def __init__(
        self,
        collection: Collection,
        *,
        mode: Mode = "hybrid",
        candidates: int = 100,
        rrf_k: int = HYBRID_RRF_K,
        weights: tuple[float, float] = (1.0, 1.0),
        log: QueryLog | None = None,
        refresh_every: float = 1.0,
    ) -> None:
        if mode not in MODES:
            raise ValueError(f"mode must be one of {', '.join(MODES)}")
        self._collection = collection
        self.mode: Mode = mode
        self.candidates = candidates
        self.rrf_k = rrf_k
        self.weights = weights
        self.log = log
        """Where the knowledge node records questions for `support kb gaps` (None: nowhere)."""
        self._lock = threading.Lock()
        self._lexical: LexicalIndex | None = None
        self._lexical_version: tuple[str, int] | None = None
        self.refresh_every = refresh_every
        """Seconds between two checks of the collection's revision (0: every search)."""
        self._checked = float("-inf")
        self._withheld: frozenset[str] = frozenset()
        """Ids of the flagged chunks, read with the BM25 index."""

    def count(self) -> int:
        """Number of chunks in the collection."""
        return self._collection.count()

    def warm(self) -> None:
        """Build the BM25 index now rather than on the first search."""
        self._lexical_index()

    def search(
        self, query: str, k: int = 5, mode: Mode | None = None, context: str = ""
    ) -> list[Passage]:
        """The k best passages for the query, best first.

        `context` is what the query may lean on, e.g. the customer's previous message
        ("How do I apply?" after "Tell me about the parking permit"): see `_fused`.
        """
        query, context = query.strip(), context.strip()
        mode = mode or self.mode
        if not query or k <= 0:
            return []
        if context:
            return self._fused([query, f"{context} {query}"], k, mode)
        if mode == "dense":
            return self._dense(self._embed(query), k)
        if mode == "bm25":
            lexical = self._lexical_index().search(query, max(k, self.candidates))
            ranked = [(id_, 0.0) for id_, _ in lexical[:k]]
            return self._passages([self._embed(query)], ranked, dict(lexical))
        return self._fused([query], k, mode)

    def unknown_words(self, text: str) -> list[str]:
        """Words of `text` whose stem appears nowhere in the collection (see LexicalIndex)."""
        return self._lexical_index().unknown_words(text)

    def _fused(self, queries: list[str], k: int, mode: Mode) -> list[Passage]:
        """Every ranking of the mode's retrievers for every query, fused by document.

        With context the queries are the message alone and context + message: a follow-up
        question finds its topic through the context, a change of topic still through the
        message alone. A passage's score is its best cosine similarity to any query (the
        KB_MIN_SCORE check reads it)."""
        vectors = [self._embed(q) for q in queries]
        pool = max(k, self.candidates)
        index = self._lexical_index()
        rankings: list[list[tuple[str, str]]] = []
        weights: list[float] = []
        bm25: dict[str, float] = {}
        for text, vector in zip(queries, vectors, strict=True):
            if mode != "bm25":
                rankings.append([(p.doc_id, p.chunk_id) for p in self._dense(vector, pool)])
                weights.append(self.weights[0])
            if mode != "dense":
                lexical = index.search(text, pool)
                rankings.append([(index.doc_of(i), i) for i, _ in lexical])
                weights.append(self.weights[1])
                for id_, score in lexical:
                    bm25[id_] = max(bm25.get(id_, 0.0), score)
        top = fuse_by_document(rankings, k=self.rrf_k, weights=weights)[:k]
        return self._passages(vectors, top, bm25)

    def _embed(self, query: str) -> list[float]:
        """The query's vector, computed once per search whatever the mode needs it for."""
        return [float(x) for x in query_embedder(self._collection)([query])[0]]

    def _passages(
        self, vectors: list[list[float]], ranked: list[tuple[str, float]], bm25: dict[str, float]
    ) -> list[Passage]:
        """Passages for ranked (id, fused score) pairs, each with its best cosine to the
        query vectors and its BM25 score."""
        if not ranked:
            return []
        ids = [id_ for id_, _ in ranked]
        scored = [{p.chunk_id: p for p in self._scored(v, ids)} for v in vectors]
        passages = []
        for id_, fused in ranked:
            found = [by_id[id_] for by_id in scored if id_ in by_id]
            if found:  # else deleted since the BM25 index was built
                best = max(found, key=lambda p: p.score)
                passages.append(replace(best, fused=fused, bm25=bm25.get(id_, 0.0)))
        return passages

    def _scored(self, vector: list[float], ids: list[str]) -> list[Passage]:
        """Passages for chunk ids, with their exact cosine similarity to the query (an
        id-filtered ANN query may return fewer than asked; reading the vectors never does)."""
        got = self._collection.get(ids=ids, include=["documents", "metadatas", "embeddings"])
        if not got["ids"]:
            return []
        query = np.asarray(vector, dtype=np.float32)
        vectors = np.asarray(got["embeddings"], dtype=np.float32)
        cosine = vectors @ query / (np.linalg.norm(vectors, axis=1) * np.linalg.norm(query))
        metadatas: Sequence[Mapping[str, Any] | None] = got["metadatas"] or [None] * len(got["ids"])
        documents: Sequence[str | None] = got["documents"] or [None] * len(got["ids"])
        return [
            _passage(chunk_id, text, meta or {}, 1.0 - float(cos))
            for chunk_id, text, meta, cos in zip(
                got["ids"], documents, metadatas, cosine, strict=True
            )
            if not _flagged(meta)
        ]

    def _dense(self, vector: list[float], k: int) -> list[Passage]:
        count = self._collection.count()
        if count == 0:
            return []
        self._lexical_index()  # refreshes the flagged ids, which the query must skip over
        result = self._collection.query(
            # chromadb's parameter is a list of a union, so list[list[float]] falls outside it
            query_embeddings=[vector],  # type: ignore[arg-type]
            n_results=min(k + len(self._withheld), count),
            include=["documents", "metadatas", "distances"],
        )
        ids_found = result["ids"][0]
        documents = (result["documents"] or [[]])[0]
        metadatas = (result["metadatas"] or [[]])[0]
        distances = (result["distances"] or [[]])[0]
        passages = [
            _passage(chunk_id, text, meta or {}, distance)
            for chunk_id, text, meta, distance in zip(
                ids_found, documents, metadatas, distances, strict=True
            )
            if not _flagged(meta)
        ]
        return sorted(passages, key=lambda p: p.score, reverse=True)[:k]

    def _lexical_index(self) -> LexicalIndex:
        """The BM25 index, rebuilt from the collection when it changed since the last build
        (checked at most every ``refresh_every`` seconds; the collection is reopened first,
        when it can be, so dense search sees the change too)."""
        with self._lock:
            now = time.monotonic()
            if self._lexical is not None and now - self._checked < self.refresh_every:
                return self._lexical
            version = (collection_revision(self._collection), self._collection.count())
            self._checked = now
            if self._lexical is None or version != self._lexical_version:
                reopen = getattr(self._collection, "reopen", None)
                if self._lexical is not None and callable(reopen):
                    reopen()  # a LazyCollection (the service's): re-read the engine
                ids, texts, docs, withheld = _all_texts(self._collection)
                self._lexical = LexicalIndex(ids, texts, docs)
                self._withheld = frozenset(withheld)
                self._lexical_version = version
            return self._lexical


def build_retriever(config: KnowledgeConfig, log: QueryLog | None = None) -> Retriever:
    """A retriever over the help-centre collection, BM25 warmed, questions logged to `log`
    (None: nowhere)."""
    retriever = Retriever(open_collection(config), log=log)
    retriever.warm()
    return retriever


def help_centre_vocabulary(config: KnowledgeConfig) -> Callable[[str], list[str]] | None:
    """`Retriever.unknown_words` of the help centre, or None when it is empty or cannot be
    opened (`support kb gaps` then lists the gaps without their missing words)."""
    try:
        retriever = build_retriever(config)
    except Exception:  # a Chroma server down: the report does not need it
        return None
    return retriever.unknown_words if retriever.count() else None


def _all_texts(
    collection: Collection, page: int = 5000
) -> tuple[list[str], list[str], list[str], list[str]]:
    """Chunk ids, texts and doc ids of the collection's usable chunks, and the flagged ids."""
    ids: list[str] = []
    texts: list[str] = []
    docs: list[str] = []
    withheld: list[str] = []
    offset = 0
    while True:
        got = collection.get(include=["documents", "metadatas"], limit=page, offset=offset)
        metas: Sequence[Mapping[str, Any] | None] = got["metadatas"] or [None] * len(got["ids"])
        documents = got["documents"] or [""] * len(got["ids"])
        for chunk, text, meta in zip(got["ids"], documents, metas, strict=True):
            if _flagged(meta):
                withheld.append(chunk)
                continue
            ids.append(chunk)
            texts.append(text or "")
            docs.append(_doc_id(chunk, meta or {}))
        if len(got["ids"]) < page:
            return ids, texts, docs, withheld
        offset += page


def _flagged(meta: Any) -> bool:
    """A chunk the lint flagged at ingest (its document unreviewed): never used to answer."""
    return bool((meta or {}).get("flagged"))


def _doc_id(chunk_id: str, meta: Any) -> str:
    return str(meta.get("doc_id", chunk_id.split("#", 1)[0]))


def _passage(chunk_id: str, text: str | None, meta: Any, distance: float) -> Passage:
    return Passage(
        doc_id=_doc_id(chunk_id, meta),
        chunk_id=chunk_id,
        title=str(meta.get("title", "")),
        section=str(meta.get("section", "")),
        source=str(meta.get("source", "")),
        url=str(meta.get("url", "")),
        score=1.0 - float(distance),
        text=text or "",
    )
