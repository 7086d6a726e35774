"""ASGI middleware counting every HTTP request by route template and status, with its
latency (observability.http_metrics holds the metric objects)."""

from __future__ import annotations

import time

from starlette.routing import Match
from starlette.types import ASGIApp, Message, Receive, Scope, Send

from observability.http_metrics import record_request


def route_template(scope: Scope) -> str | None:
    """The path template of the route that served (or would serve) this request."""
    route = scope.get("route")
    if route is None:  # answered before routing (a middleware) or no route matched
        app = scope.get("app")
        for candidate in getattr(getattr(app, "router", None), "routes", ()):
            match, _ = candidate.matches(scope)
            if match != Match.NONE:
                route = candidate
                break
    return getattr(route, "path", None)


class HttpMetrics:
    """Times each HTTP request to the end of its response and records its status (500
    when the app raised before answering)."""

    def __init__(self, app: ASGIApp) -> None:
        self.app = app

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        started = time.perf_counter()
        status = 500

        async def send_and_note(message: Message) -> None:
            nonlocal status
            if message["type"] == "http.response.start":
                status = int(message["status"])
            await send(message)

        try:
            await self.app(scope, receive, send_and_note)
        finally:
            record_request(
                scope["method"], route_template(scope), status, time.perf_counter() - started
            )
