"""Operations: Prometheus metrics and the KPI report."""

from __future__ import annotations

import asyncio
import os
from datetime import UTC, datetime, timedelta
from typing import Annotated, Any

from fastapi import APIRouter, Header, Query, Response
from prometheus_client import CONTENT_TYPE_LATEST, CollectorRegistry, generate_latest
from prometheus_client.multiprocess import MultiProcessCollector
from sqlalchemy.exc import SQLAlchemyError

from app.auth import agent_from_header
from app.deps import ServicesDep, SettingsDep
from app.openapi import responses
from app.store_metrics import store_gauges
from graph.context import Services
from tools.errors import BackendUnavailable
from tools.store.kpi import store_kpis

router = APIRouter()


@router.get("/metrics", include_in_schema=False)
async def metrics(services: ServicesDep) -> Response:
    """Prometheus text exposition of the service's metrics, then gauges read from the store
    now (open escalations by reason, agents' relabels)."""
    gauges = await asyncio.to_thread(store_gauges, services.store.engine)
    return Response(_own_metrics() + gauges, media_type=CONTENT_TYPE_LATEST)


def _own_metrics() -> bytes:
    """This process's metrics; under `support serve --workers N` (PROMETHEUS_MULTIPROC_DIR
    set) every worker's, added up."""
    if not os.environ.get("PROMETHEUS_MULTIPROC_DIR"):
        return generate_latest()
    registry = CollectorRegistry()
    MultiProcessCollector(registry)
    return generate_latest(registry)


LastDays = Annotated[
    float | None, Query(gt=0, le=3650, description="Only the last N days; default: all.")
]


@router.get("/v1/admin/kpi", tags=["ops"], responses=responses(401, 403, 422, 503))
async def kpi(
    settings: SettingsDep,
    services: ServicesDep,
    authorization: Annotated[str | None, Header()] = None,
    days: LastDays = None,
) -> dict[str, Any]:
    """AHT, first-contact resolution, CSAT, escalation rate and containment (agent token)."""
    agent_from_header(authorization, settings.jwt_secret())
    since = datetime.now(UTC) - timedelta(days=days) if days else None
    try:
        result = await asyncio.to_thread(store_kpis, services.store.engine, since)
    except SQLAlchemyError as exc:  # the store is down: a 503 with Retry-After, like every route
        raise BackendUnavailable() from exc
    return result.to_dict()


@router.get("/v1/admin/kb/search", tags=["ops"], responses=responses(401, 403, 422, 503))
async def kb_search(
    settings: SettingsDep,
    services: ServicesDep,
    q: Annotated[str, Query(min_length=1, max_length=2000, description="A customer question.")],
    authorization: Annotated[str | None, Header()] = None,
    k: Annotated[int, Query(ge=1, le=50, description="How many passages.")] = 5,
    mode: Annotated[str, Query(pattern="^(hybrid|dense|bm25)$")] = "hybrid",
) -> dict[str, Any]:
    """The help-centre passages closest to a question, as the bot retrieves them now (agent
    token). Retrieval only: nothing is answered or logged. `support kb search` asks here."""
    from knowledge.vectorstore import VectorStoreUnavailable

    agent_from_header(authorization, settings.jwt_secret())
    try:
        passages = await asyncio.to_thread(services.retriever.search, q, k, mode)  # type: ignore[arg-type]
    except VectorStoreUnavailable as exc:
        raise BackendUnavailable() from exc
    return {
        "collection": settings.KB_COLLECTION,
        "chroma": settings.CHROMA_URL or str(settings.chroma_path),
        "passages": [p.public() for p in passages],
    }


@router.get("/v1/admin/kb/gaps", tags=["ops"], responses=responses(401, 403, 422, 503))
async def kb_gaps(
    settings: SettingsDep,
    services: ServicesDep,
    authorization: Annotated[str | None, Header()] = None,
    days: LastDays = None,
    weak_below: Annotated[
        float | None,
        Query(ge=0, le=1, description="Weak retrieval under this; default KB_MIN_SCORE + 0.05."),
    ] = None,
    limit: Annotated[int, Query(ge=1, le=500, description="Groups to return.")] = 20,
) -> dict[str, Any]:
    """Questions the help centre could not answer well, grouped by meaning (agent token):
    what `support kb gaps` prints, with this service's models already loaded."""
    agent_from_header(authorization, settings.jwt_secret())
    since = datetime.now(UTC) - timedelta(days=days) if days else None
    threshold = weak_below if weak_below is not None else settings.KB_MIN_SCORE + 0.05
    try:
        found, groups = await asyncio.to_thread(
            _gaps, services, settings.EMBEDDING_MODEL, since, threshold
        )
    except SQLAlchemyError as exc:
        raise BackendUnavailable() from exc
    return {
        "collection": settings.KB_COLLECTION,
        "chroma": settings.CHROMA_URL or str(settings.chroma_path),
        "store": services.store.engine.url.render_as_string(hide_password=True),
        "questions": found,
        "weak_below": threshold,
        "groups_total": len(groups),
        "groups": [g.public() for g in groups[:limit]],
    }


def _gaps(
    services: Services, model: str, since: datetime | None, weak_below: float
) -> tuple[int, list[Any]]:
    from knowledge.embeddings import get_encoder
    from knowledge.gaps import gap_questions, group_gaps
    from knowledge.querylog import QueryLog

    store = services.store
    logged = QueryLog(store).records(since)  # type: ignore[arg-type]
    questions = gap_questions(store.list_escalations(), logged, weak_below=weak_below, since=since)
    if not questions:
        return 0, []
    retriever = services.retriever
    return len(questions), group_gaps(
        questions,
        get_encoder(model),
        unknown_words=lambda text: list(retriever.unknown_words(text)),
    )
