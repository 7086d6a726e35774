"""The agent console: one static page over the agent API."""

from __future__ import annotations

from pathlib import Path

from fastapi import APIRouter
from fastapi.responses import HTMLResponse

router = APIRouter(tags=["console"])

PAGE = Path(__file__).resolve().parent.parent / "console" / "index.html"


@router.get("/console", response_class=HTMLResponse, include_in_schema=False)
async def console() -> HTMLResponse:
    """The console page (it asks for an agent token and calls /v1/agent/...)."""
    return HTMLResponse(PAGE.read_text(encoding="utf-8"))
