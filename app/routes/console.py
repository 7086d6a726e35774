"""The agent console: one static page (plus its script and style files) over the agent API."""

from __future__ import annotations

from pathlib import Path

from fastapi import APIRouter, HTTPException
from fastapi.responses import HTMLResponse, Response

router = APIRouter(tags=["console"])

FOLDER = Path(__file__).resolve().parent.parent / "console"
PAGE = FOLDER / "index.html"
ASSETS = {
    "desk.css": "text/css",
    "desk-core.js": "text/javascript",
    "desk-queue.js": "text/javascript",
    "desk-live.js": "text/javascript",
    "desk-conversation.js": "text/javascript",
    "desk-context.js": "text/javascript",
}
"""The files the page loads, by name; nothing else in the folder is served."""
NO_CACHE = {"Cache-Control": "no-cache"}


@router.get("/console", response_class=HTMLResponse, include_in_schema=False)
async def console() -> HTMLResponse:
    """The console page (it asks for an agent token and calls /v1/agent/...)."""
    return HTMLResponse(PAGE.read_text(encoding="utf-8"), headers=NO_CACHE)


@router.get("/console/{name}", include_in_schema=False)
async def console_asset(name: str) -> Response:
    """One of the console's script or style files; any other name is a 404."""
    media_type = ASSETS.get(name)
    if media_type is None:
        raise HTTPException(404, f"the console has no file {name!r}")
    text = (FOLDER / name).read_text(encoding="utf-8")
    return Response(text, media_type=f"{media_type}; charset=utf-8", headers=NO_CACHE)
