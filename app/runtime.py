"""Build the long-lived services from settings (used by the lifespan, the CLI and tests)."""

from __future__ import annotations

import logging
from typing import TYPE_CHECKING, cast

from app.limits import abuse_limits
from app.settings import Settings
from graph.context import Services, Thresholds
from tools.errors import BackendUnavailable
from tools.policy import load_policy
from tools.store.catalog import SHOP_NAME

if TYPE_CHECKING:
    from chromadb.api.models.Collection import Collection

    from graph.llm.composer import Composer
    from knowledge.embeddings import Encoder
    from knowledge.querylog import QueryLog
    from knowledge.retrieval import Retriever
    from nlu.catalog_match import CatalogMatcher
    from nlu.parser import NLU
    from tools.store.backend import SqlStore

log = logging.getLogger("support.app")


def build_composer(settings: Settings, encoder: Encoder) -> Composer:
    """The extractive composer, behind the OpenAI-compatible one when an endpoint is
    configured (it answers whenever the endpoint fails or is slower than
    LLM_TIMEOUT_SECONDS)."""
    from graph.llm.extractive import ExtractiveComposer

    offline = ExtractiveComposer(encoder)
    if not settings.llm_configured:
        return offline
    from graph.llm.fallback import FallbackComposer
    from graph.llm.openai_composer import build_openai_composer

    llm = build_openai_composer(
        base_url=settings.OPENAI_BASE_URL,
        api_key=settings.OPENAI_API_KEY,
        model=settings.LLM_MODEL,
        timeout=settings.LLM_TIMEOUT_SECONDS,
        shop=SHOP_NAME,
        max_tokens=settings.LLM_MAX_TOKENS,
    )
    return FallbackComposer(llm, offline)


def build_store(settings: Settings) -> SqlStore:
    """The store at DATABASE_URL. When it is down at start-up the service starts anyway:
    its calls fail as BackendUnavailable (503) until it answers, and the first readiness
    check that reaches it creates the tables it may lack (app/readiness.py)."""
    from tools.store.backend import SqlStore
    from tools.store.db import make_engine

    try:
        return SqlStore.from_url(settings.database_url)
    except BackendUnavailable as exc:
        engine = make_engine(settings.database_url)
        log.warning("store not ready at start-up (%s): %s", hidden_password(str(engine.url)),
                    exc)  # fmt: skip
        return SqlStore(engine)


def hidden_password(url: str) -> str:
    """A database URL fit for logs and /readyz (the password masked)."""
    from sqlalchemy.engine import make_url

    return make_url(url).render_as_string(hide_password=True)


def build_retriever(settings: Settings, store: SqlStore | None = None) -> Retriever:
    """The help-centre retriever over a collection opened on first use: a Chroma server
    that is down at start-up (or restarts later) does not stop the service. Questions are
    logged to `store` (the query log `support kb gaps` reads, one for every worker); a
    DATA_DIR/kb_queries.sqlite from before issue 21 is imported into it once. No store:
    questions are not logged."""
    from knowledge.retrieval import Retriever
    from knowledge.vectorstore import LazyCollection, VectorStoreUnavailable

    collection = cast("Collection", LazyCollection(settings.knowledge))
    retriever = Retriever(collection, log=build_query_log(settings, store) if store else None)
    try:
        retriever.warm()
    except VectorStoreUnavailable as exc:
        log.warning("starting without the help centre: %s", exc)
    return retriever


def build_query_log(settings: Settings, store: SqlStore) -> QueryLog:
    """The help-centre query log in the store, with this worker's old log file (if any)
    imported; a store that refuses the import leaves the file for the next start."""
    from knowledge.querylog import QueryLog, import_legacy_file

    query_log = QueryLog(store)
    try:
        import_legacy_file(settings.knowledge.query_log, query_log)
    except Exception as exc:  # store down, unreadable file: the service starts anyway
        log.warning("kept %s to import later: %s", settings.knowledge.query_log, exc)
    return query_log


def build_catalog(store: SqlStore) -> CatalogMatcher | None:
    """The matcher of the store's own products, read once at start-up, for the NLU's
    product entities; None (the NLU then uses the demo catalogue) when the store is
    unreachable or holds no product yet. Products added later are seen after a restart."""
    from nlu.catalog_match import CatalogMatcher

    try:
        products = store.list_products()
    except BackendUnavailable as exc:
        log.warning("product names matched against the demo catalogue: %s", exc)
        return None
    if not products:
        return None
    return CatalogMatcher.from_products(products)


def build_nlu(
    settings: Settings,
    encoder: Encoder,
    *,
    catalog: CatalogMatcher | None = None,
    store: SqlStore | None = None,
    follow_every: float | None = None,
) -> NLU:
    """The serving intent model, plus the A/B candidate when NLU_CANDIDATE_VERSION is set;
    product names are matched against `catalog` (see `build_catalog`).

    With a `store`, the worker serves the version `support nlu promote` recorded there
    (when its DATA_DIR has it) and follows later promotions without a restart, checking
    every `follow_every` seconds (default `nlu.serving.FOLLOW_EVERY_S`)."""
    from nlu.entities import warm_up
    from nlu.parser import NLU
    from nlu.registry import ModelRegistry, require_model
    from nlu.serving import FOLLOW_EVERY_S, MODEL_NAME, ServingFollower

    warm_up()  # load the name and place lists now, not on the first customer turn
    registry = ModelRegistry(settings.models_dir)
    serving = require_model(settings.models_dir).name
    follower = None
    if store is not None:
        every = FOLLOW_EVERY_S if follow_every is None else follow_every
        follower = ServingFollower(
            registry, encoder, lambda: store.serving_model(MODEL_NAME), every=every
        )
        try:
            wanted = store.serving_model(MODEL_NAME)
        except BackendUnavailable:
            wanted = None  # the follower reads it once the store answers
        if wanted and wanted in registry.versions():
            serving = wanted
    candidate = None
    if settings.NLU_CANDIDATE_VERSION:
        candidate = registry.load(settings.NLU_CANDIDATE_VERSION, encoder)
    return NLU(
        registry.load(serving, encoder),
        version=serving,
        candidate=candidate,
        candidate_version=settings.NLU_CANDIDATE_VERSION,
        candidate_share=settings.NLU_CANDIDATE_SHARE,
        catalog=catalog,
        follow=follower.poll if follower else None,
    )


def thresholds_from(settings: Settings) -> Thresholds:
    """The routing thresholds of the settings: the one place they are read."""
    return Thresholds(
        escalation=settings.ESCALATION_THRESHOLD,
        kb_min_score=settings.KB_MIN_SCORE,
        kb_sure_score=settings.KB_SURE_SCORE,
        negative_sentiment=settings.NEGATIVE_SENTIMENT_THRESHOLD,
    )


def limit_threads(n: int) -> None:
    """At most n threads per model call, torch's and BLAS's alike, in this process.

    Turns run side by side in a thread pool; a model call that also spreads over every
    core makes them fight: with two BLAS threads on a busy 2-core machine a 1 x 384 by
    384 x 4,000 product took 15 ms against 0.6 ms with one (bench.turn, docs/performance.md)."""
    import torch
    from threadpoolctl import threadpool_limits

    torch.set_num_threads(n)
    threadpool_limits(limits=n)
    few_malloc_arenas()


def few_malloc_arenas(arenas: int = 2) -> None:
    """At most `arenas` glibc malloc arenas for the threads made from now on (glibc gives
    each busy thread its own, up to 8 per core, each holding freed memory); elsewhere a
    no-op. The turn's threads then share memory instead of each keeping some."""
    import ctypes
    import ctypes.util

    name = ctypes.util.find_library("c")
    try:
        libc = ctypes.CDLL(name) if name else None
        if libc is not None and hasattr(libc, "mallopt"):
            libc.mallopt(-8, arenas)  # M_ARENA_MAX
    except OSError:
        pass


def build_services(
    settings: Settings, *, encoder: Encoder | None = None, composer: Composer | None = None
) -> Services:
    """Store, NLU, retriever and composer, wired from settings. Loads models: call once."""
    from knowledge.embeddings import get_encoder

    settings.ensure_dirs()
    limit_threads(settings.MODEL_THREADS)
    encoder = encoder or get_encoder(settings.EMBEDDING_MODEL)
    store = build_store(settings)
    return Services(
        store=store,
        nlu=build_nlu(settings, encoder, catalog=build_catalog(store), store=store),
        retriever=build_retriever(settings, store),
        composer=composer or build_composer(settings, encoder),
        policy=load_policy(settings.POLICY_FILE),
        thresholds=thresholds_from(settings),
        limits=abuse_limits(settings),
        pause_after_write_s=settings.FAULT_PAUSE_AFTER_WRITE_SECONDS,
    )
