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
from tools.errors import BackendUnavailable
from tools.store.kpi import store_kpis

router = APIRouter()


@router.get("/metrics", include_in_schema=False)
def metrics() -> Response:
    """Prometheus text exposition of the service's metrics."""
    return Response(generate_latest(), media_type=CONTENT_TYPE_LATEST)


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
