"""Liveness and readiness probes."""

from __future__ import annotations

from fastapi import APIRouter, Request

from app.errors import NotReady
from app.openapi import responses

router = APIRouter(tags=["health"])


@router.get("/healthz")
async def healthz() -> dict:
    """The process is up."""
    return {"status": "ok"}


@router.get("/readyz", responses=responses(503))
async def readyz(request: Request) -> dict:
    """Store, knowledge base and conversation memory answer; 503 naming each one that
    does not (the service keeps running and recovers when they return)."""
    readiness = getattr(request.app.state, "readiness", None)
    if readiness is None:
        raise NotReady("service is starting")
    report = await readiness.check()
    if report.missing:
        raise NotReady("not ready: " + "; ".join(report.missing))
    composer = request.app.state.services.composer.name
    return {"status": "ready", "knowledge_chunks": report.knowledge_chunks, "composer": composer}
