"""Refuses JSON bodies that would fail deep inside a route instead of at its door.

- A lone UTF-16 surrogate (`"\\ud800"` with no partner): Python then holds a string that no
  UTF-8 encoder (SQLite, PostgreSQL) accepts, so the write carrying it would crash.
- Nesting deeper than MAX_DEPTH: no request of this API nests past a few levels, and a
  value hundreds of levels deep (in a free-form field such as `entities`) exhausts
  the recursion limit of whatever serialises it later.

This ASGI middleware answers 422 in the error envelope before any route runs. Bodies it
cannot parse, or larger than `max_bytes`, go on untouched: FastAPI (or a size limit)
reports those.
"""

from __future__ import annotations

import json
import re
from typing import Any

from starlette.responses import JSONResponse
from starlette.types import ASGIApp, Message, Receive, Scope, Send

from app.errors import error_body

SURROGATE = re.compile("[\ud800-\udfff]")
"""After json.loads, a surrogate left in a string is a lone one (pairs are joined)."""
MAX_DEPTH = 32
OWN_CODES = {"message": "invalid_message"}
"""Fields whose errors have their own code (the chat message's, as its other checks)."""


def problem(value: Any) -> tuple[str, str] | None:
    """(error code, message) for a parsed body this API refuses, or None."""
    stack: list[tuple[str, Any, int]] = [("", value, 0)]
    while stack:
        path, item, depth = stack.pop()
        if depth > MAX_DEPTH:
            return "invalid_request", _TOO_DEEP
        if isinstance(item, str):
            if SURROGATE.search(item):
                return _lone_surrogate(path or "body")
        elif isinstance(item, dict):
            for key, child in item.items():
                if SURROGATE.search(key):
                    return _lone_surrogate(path or "body")
                stack.append((f"{path}.{key}" if path else key, child, depth + 1))
        elif isinstance(item, list):
            for i, child in enumerate(item):
                stack.append((f"{path}.{i}" if path else str(i), child, depth + 1))
    return None


_TOO_DEEP = f"request body nests JSON arrays or objects more than {MAX_DEPTH} levels deep"


def _lone_surrogate(where: str) -> tuple[str, str]:
    message = f"{where} has a character that is not valid Unicode (a lone surrogate escape "
    message += "such as \\ud800); send UTF-8 text"
    return OWN_CODES.get(where, "invalid_request"), message


def _is_json(scope: Scope) -> bool:
    for name, value in scope.get("headers", ()):
        if name == b"content-type":
            kind = value.split(b";", 1)[0].strip().lower()
            return kind == b"application/json" or kind.endswith(b"+json")
    return False


class BodyGuard:
    """ASGI middleware: 422 for a JSON body with a lone surrogate or nested too deeply."""

    def __init__(self, app: ASGIApp, max_bytes: int = 1 << 20) -> None:
        self.app = app
        self.max_bytes = max_bytes

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http" or not _is_json(scope):
            await self.app(scope, receive, send)
            return
        received: list[Message] = []
        size, complete = 0, False
        while size <= self.max_bytes:
            message = await receive()
            received.append(message)
            if message["type"] != "http.request":
                break  # the client went away; the app hears it below
            size += len(message.get("body", b""))
            if not message.get("more_body", False):
                complete = True
                break
        if complete and size <= self.max_bytes:
            found = _check(b"".join(m.get("body", b"") for m in received))
            if found is not None:
                await JSONResponse(error_body(*found), 422)(scope, receive, send)
                return

        async def replay() -> Message:
            return received.pop(0) if received else await receive()

        await self.app(scope, replay, send)


def _check(body: bytes) -> tuple[str, str] | None:
    try:
        parsed = json.loads(body)
    except RecursionError:
        return "invalid_request", _TOO_DEEP
    except Exception:  # not JSON we can read: the route's own parsing says why
        return None
    return problem(parsed)
