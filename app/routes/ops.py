"""Operations: Prometheus metrics and the KPI report."""

from __future__ import annotations

import asyncio
from datetime import UTC, datetime, timedelta
from typing import Annotated, Any

from fastapi import APIRouter, Header, Query, Response
from prometheus_client import CONTENT_TYPE_LATEST, generate_latest
from sqlalchemy.exc import SQLAlchemyError

from app.auth import agent_from_header
from app.deps import ServicesDep, SettingsDep
from app.openapi import responses
from app.store_metrics import store_gauges
from tools.errors import BackendUnavailable
from tools.store.kpi import store_kpis

router = APIRouter()


@router.get("/metrics", include_in_schema=False)
async def metrics(services: ServicesDep) -> Response:
    """Prometheus text exposition of the service's metrics, then gauges read from the store
    now (open escalations by reason, agents' relabels)."""
    gauges = await asyncio.to_thread(store_gauges, services.store.engine)
    return Response(generate_latest() + gauges, media_type=CONTENT_TYPE_LATEST)


@router.get("/v1/admin/kpi", tags=["ops"], responses=responses(401, 403, 422, 503))
async def kpi(
    settings: SettingsDep,
    services: ServicesDep,
    authorization: Annotated[str | None, Header()] = None,
    days: Annotated[
        float | None, Query(gt=0, le=3650, description="Only the last N days; default: all.")
    ] = None,
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
