"""Chroma access: embedded (PersistentClient) by default, a Chroma server when CHROMA_URL is set."""

from __future__ import annotations

import functools
import logging
import threading
import uuid
from typing import Any
from urllib.parse import urlsplit

import chromadb
import httpx
from chromadb import EmbeddingFunction
from chromadb.api import BaseAPI, ClientAPI
from chromadb.api.models.Collection import Collection
from chromadb.config import Settings as ChromaSettings
from chromadb.errors import ChromaError

from knowledge.config import KnowledgeConfig
from knowledge.embeddings import MiniLMEmbeddingFunction

SEARCH_EF = 500
"""HNSW candidate list of a query. Chroma's default (100) is below the 100 chunks hybrid
search asks for, and lost whole relevant chunks: on MTRAG, dense recall@5 moved by a
point between two ingests of the same documents; at 500 it equals exact search."""
COLLECTION_METADATA = {"hnsw:space": "cosine", "hnsw:search_ef": SEARCH_EF}
REVISION_KEY = "kb_revision"
"""Collection metadata key changed by every write, so retrievers know to refresh."""
UNAVAILABLE_ERRORS = (httpx.HTTPError, OSError, ChromaError)
"""What a Chroma call raises when the server is down, restarting or failing."""
log = logging.getLogger("support.knowledge")


class VectorStoreUnavailable(RuntimeError):
    """Chroma could not be reached or failed; `str()` says which one, for operators."""


def open_client(config: KnowledgeConfig, *, fresh: bool = False) -> ClientAPI:
    """A Chroma client: HttpClient for config.chroma_url, else a PersistentClient.

    ``fresh``: an embedded client that reads the folder anew. Chroma keeps one engine per
    folder and process, and that engine's vector index never sees what another process
    wrote (measured with chromadb 1.5: count() and get() see new chunks, query() keeps
    returning the old ones, deleted ids included, until the process opens the folder
    again). The service asks for a fresh one when the help centre's revision changed.
    """
    chroma_settings = ChromaSettings(anonymized_telemetry=False)
    if config.chroma_url:
        url = urlsplit(config.chroma_url)
        if url.scheme not in ("http", "https") or not url.hostname:
            raise ValueError(
                f"CHROMA_URL must look like http://host:port, got {config.chroma_url!r}"
            )
        ssl = url.scheme == "https"
        return chromadb.HttpClient(
            host=url.hostname,
            port=url.port or (443 if ssl else 8000),
            ssl=ssl,
            settings=chroma_settings,
        )
    config.chroma_path.mkdir(parents=True, exist_ok=True)
    if fresh:
        _forget_engine(str(config.chroma_path))
    return chromadb.PersistentClient(path=str(config.chroma_path), settings=chroma_settings)


def _forget_engine(path: str) -> None:
    """Make the next PersistentClient for ``path`` start its own engine (chromadb has no
    public call for it). Collections opened before keep the old engine until dropped; it
    is not stopped here, so a search running on it in another thread still finishes."""
    from chromadb.api.shared_system_client import SharedSystemClient

    with SharedSystemClient._refcount_lock:
        SharedSystemClient._identifier_to_system.pop(path, None)


def open_collection(
    config: KnowledgeConfig,
    name: str | None = None,
    *,
    embedding_function: EmbeddingFunction | None = None,
    client: ClientAPI | None = None,
    fresh: bool = False,
) -> Collection:
    """The named collection (default config.collection), created on first use.

    Cosine space; embeddings by MiniLMEmbeddingFunction(config.embedding_model)
    unless ``embedding_function`` is given (tests pass one that counts calls).
    ``fresh``: see `open_client`.
    """
    client = client or open_client(config, fresh=fresh)
    collection = client.get_or_create_collection(
        name or config.collection,
        metadata=dict(COLLECTION_METADATA),
        embedding_function=embedding_function  # type: ignore[arg-type]
        or MiniLMEmbeddingFunction(config.embedding_model),
    )
    if search_ef(collection) < SEARCH_EF:  # made before SEARCH_EF was set
        collection.modify(configuration={"hnsw": {"ef_search": SEARCH_EF}})
    return collection


def search_ef(collection: Collection) -> int:
    """The collection's HNSW ef_search (Chroma's default when not configured)."""
    hnsw = (collection.configuration or {}).get("hnsw") or {}
    return int(hnsw.get("ef_search") or 100)


def bump_revision(collection: Collection) -> None:
    """Mark the collection changed (retrievers rebuild their BM25 index on the next search)."""
    metadata = {
        k: v for k, v in (collection.metadata or {}).items() if not str(k).startswith("hnsw:")
    }
    # The distance function lives in the collection's configuration and cannot be set again.
    collection.modify(metadata={**metadata, REVISION_KEY: uuid.uuid4().hex})


def collection_revision(collection: Collection) -> str:
    """The collection's revision as the server holds it now (not this object's cached copy)."""
    # Collection has no public refresh; its client's get_collection returns the stored model.
    model = collection._client.get_collection(
        collection.name, tenant=collection.tenant, database=collection.database
    )
    return str((model.metadata or {}).get(REVISION_KEY, ""))


def query_embedder(collection: Collection) -> EmbeddingFunction:
    """The embedding function the collection embeds queries with (ours, see open_collection)."""
    function = collection._embedding_function  # no public accessor in chromadb 1.5
    if function is None:
        raise ValueError(f"collection {collection.name!r} has no embedding function")
    return function


def location(config: KnowledgeConfig) -> str:
    """Where the help centre lives, for operators: 'Chroma at http://host:port' or a path."""
    return f"Chroma at {config.chroma_url or config.chroma_path}"


class LazyCollection:
    """The help-centre collection, opened on first use rather than at start-up.

    A Chroma server that is down when the service starts (or stops under it) does not
    stop the service: every call that cannot reach it raises `VectorStoreUnavailable`,
    and a later call opens the collection again once the server answers. Attributes and
    methods are the wrapped `Collection`'s.
    """

    def __init__(
        self, config: KnowledgeConfig, *, embedding_function: EmbeddingFunction | None = None
    ) -> None:
        self.where = location(config)
        self._config = config
        self._ef = embedding_function
        self._collection: Collection | None = None
        self._fresh = False
        self._lock = threading.Lock()

    def unavailable(self) -> VectorStoreUnavailable:
        return VectorStoreUnavailable(f"knowledge base ({self.where}) unreachable")

    def reopen(self) -> None:
        """Open the collection afresh on the next call: the help centre changed under this
        process (another process ingested), and the embedded engine must re-read it."""
        with self._lock:
            self._collection = None
            self._fresh = True

    def _opened(self) -> Collection:
        with self._lock:
            if self._collection is None:
                try:
                    self._collection = open_collection(
                        self._config, embedding_function=self._ef, fresh=self._fresh
                    )
                    self._fresh = False
                except (ValueError, *UNAVAILABLE_ERRORS) as exc:  # HttpClient: ValueError
                    log.warning("cannot open the help centre at %s: %s", self.where, exc)
                    raise self.unavailable() from exc
            return self._collection

    def __getattr__(self, name: str) -> Any:
        if name.startswith("__"):  # copy, pickle and friends probe these: no connection
            raise AttributeError(name)
        return _guarded(getattr(self._opened(), name), self)

    def _forget(self) -> None:
        """Drop the open collection: the next call opens it afresh (a restarted server may
        have lost or recreated it)."""
        with self._lock:
            self._collection = None


def _guarded(value: Any, owner: LazyCollection) -> Any:
    """`value` with every call it makes to Chroma turning a failure into
    VectorStoreUnavailable (methods, and the client behind the collection)."""
    if isinstance(value, BaseAPI):
        return _GuardedClient(value, owner)
    if not callable(value):
        return value

    @functools.wraps(value)
    def call(*args: Any, **kwargs: Any) -> Any:
        try:
            return value(*args, **kwargs)
        except UNAVAILABLE_ERRORS as exc:
            log.warning("Chroma call failed at %s: %r", owner.where, exc)
            owner._forget()
            raise owner.unavailable() from exc

    return call


class _GuardedClient:
    """A collection's client whose calls fail as VectorStoreUnavailable."""

    def __init__(self, client: BaseAPI, owner: LazyCollection) -> None:
        self._client = client
        self._owner = owner

    def __getattr__(self, name: str) -> Any:
        return _guarded(getattr(self._client, name), self._owner)
