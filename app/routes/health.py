"""Liveness and readiness probes."""

from __future__ import annotations

import asyncio

from fastapi import APIRouter, Request

from app.errors import NotReady

router = APIRouter(tags=["health"])


@router.get("/healthz")
async def healthz() -> dict:
    """The process is up."""
    return {"status": "ok"}


@router.get("/readyz")
async def readyz(request: Request) -> dict:
    """Store reachable, knowledge base non-empty, models loaded."""
    services = getattr(request.app.state, "services", None)
    if services is None:
        raise NotReady("service is starting")
    try:
        await asyncio.to_thread(services.store.customer_exists, "__readyz__")
        chunks = await asyncio.to_thread(services.retriever.count)
    except Exception as exc:  # readiness reports any dependency failure as 503
        raise NotReady(f"dependency unavailable: {exc.__class__.__name__}") from exc
    if chunks == 0:
        raise NotReady("knowledge base is empty; run `support ingest`")
    return {"status": "ready", "knowledge_chunks": chunks, "composer": services.composer.name}
