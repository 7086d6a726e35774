"""The chat widget's script (`/widget.js`, for shops to include) and a demo shop page (`/demo`).

The demo is served with a strict Content-Security-Policy (scripts only from this origin, no
eval, the page's one style block by hash), so it shows the widget needs nothing more.
"""

from __future__ import annotations

import base64
import hashlib
import re
from pathlib import Path

from fastapi import APIRouter
from fastapi.responses import HTMLResponse, Response

router = APIRouter(tags=["widget"])

FOLDER = Path(__file__).resolve().parent.parent / "widget"
SCRIPT = FOLDER / "widget.js"
DEMO = FOLDER / "demo.html"
SCRIPT_HEADERS = {"Cache-Control": "public, max-age=300", "X-Content-Type-Options": "nosniff"}


def demo_policy(html: str) -> str:
    """The demo page's Content-Security-Policy: its own inline style block by hash."""
    styles = re.findall(r"<style>(.*?)</style>", html, re.S)
    hashes = " ".join(
        "'sha256-" + base64.b64encode(hashlib.sha256(s.encode()).digest()).decode() + "'"
        for s in styles
    )
    return (
        "default-src 'self'; script-src 'self'; connect-src 'self'; img-src 'self' data:; "
        f"style-src 'self' {hashes}; base-uri 'none'; form-action 'self'; frame-ancestors 'none'"
    )


@router.get("/widget.js", include_in_schema=False)
async def widget_script() -> Response:
    """The chat widget: `<script src=".../widget.js" data-api="..." async></script>`."""
    text = SCRIPT.read_text(encoding="utf-8")
    return Response(text, media_type="text/javascript; charset=utf-8", headers=SCRIPT_HEADERS)


@router.get("/demo", response_class=HTMLResponse, include_in_schema=False)
async def demo() -> HTMLResponse:
    """A fake shop page with the widget on it."""
    html = DEMO.read_text(encoding="utf-8")
    headers = {"Cache-Control": "no-cache", "Content-Security-Policy": demo_policy(html)}
    return HTMLResponse(html, headers=headers)
