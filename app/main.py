"""The FastAPI app factory; its lifespan owns every heavy object."""

from __future__ import annotations

import logging
import os
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager

from fastapi import FastAPI
from fastapi.middleware.cors import CORSMiddleware
from starlette.types import ASGIApp, Message, Receive, Scope, Send

from app.agent_desk import AgentDesk
from app.approvals import ApprovalDesk
from app.body_guard import BodyGuard
from app.chat import ChatService
from app.email.server import start_email
from app.errors import install_error_handlers
from app.http_metrics import HttpMetrics
from app.notifications import StoreListener, listen_conninfo
from app.notify import EscalationNotifier, RetryPolicy
from app.routes import (
    agent,
    billing,
    chat,
    chat_ws,
    console,
    desk_actions,
    desk_events,
    feedback,
    health,
    ops,
    session_events,
    sessions,
    widget,
)
from app.settings import Settings
from graph.context import Services

log = logging.getLogger("support.app")


class WorkerHeader:
    """Names the process that answered in an `X-Worker` header (its pid): which of
    `support serve --workers N` took a request."""

    def __init__(self, app: ASGIApp) -> None:
        self.app = app
        self.pid = str(os.getpid()).encode()

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return

        async def named(message: Message) -> None:
            if message["type"] == "http.response.start":
                message["headers"] = [*message.get("headers", []), (b"x-worker", self.pid)]
            await send(message)

        await self.app(scope, receive, named)


def create_app(
    settings: Settings | None = None,
    *,
    services: Services | None = None,
    worker_header: bool = False,
) -> FastAPI:
    """Build the API. Tests pass their own settings (and may pass pre-built services);
    `worker_header` adds `X-Worker: <pid>` to every answer (one of several workers)."""
    settings = settings or Settings()

    @asynccontextmanager
    async def lifespan(app: FastAPI) -> AsyncIterator[None]:
        from app.readiness import Readiness
        from app.runtime import build_services
        from graph.builder import build_graph
        from graph.checkpoint import open_checkpointer
        from observability.tracing import configure_tracing

        configure_tracing(settings.TRACING_EXPORTER, endpoint=settings.TRACING_OTLP_ENDPOINT)
        svc = services or build_services(settings)
        async with open_checkpointer(settings.checkpoint_url) as checkpointer:
            graph = build_graph(checkpointer)
            app.state.services = svc
            app.state.readiness = Readiness(svc, checkpointer, settings.checkpoint_url)
            notifier = EscalationNotifier(
                settings.ESCALATION_WEBHOOK_URL,
                console_url=settings.PUBLIC_BASE_URL,
                retry=RetryPolicy(
                    settings.WEBHOOK_MAX_ATTEMPTS,
                    settings.WEBHOOK_BACKOFF_SECONDS,
                    settings.WEBHOOK_BACKOFF_MAX_SECONDS,
                ),
                dead_letters=svc.store,
            )
            app.state.notifier = notifier
            app.state.chat = ChatService(graph, svc, settings.MAX_MESSAGE_CHARS, notifier)
            app.state.approvals = ApprovalDesk(app.state.chat, svc)
            app.state.desk = AgentDesk(
                app.state.chat, svc, app.state.approvals,
                sla=(settings.DESK_SLA_WARN_SECONDS, settings.DESK_SLA_BREACH_SECONDS),
            )  # fmt: skip
            engine = getattr(svc.store, "engine", None)
            conninfo = listen_conninfo(engine.url) if engine is not None else None
            app.state.listener = StoreListener(conninfo) if conninfo else None
            if app.state.listener:
                app.state.listener.start()  # Postgres: streams wake on NOTIFY
            app.state.email = await start_email(settings, app.state.chat, svc.store,
                                                app.state.desk)  # fmt: skip
            log.info("ready: composer=%s", svc.composer.name)
            yield
            if app.state.email:
                await app.state.email.stop()
            if app.state.listener:
                await app.state.listener.stop()
            await app.state.chat.drain()  # turns left by clients that hung up
            await notifier.drain()

    app = FastAPI(
        title="Support agent",
        version="0.1.0",
        description="Customer-support agent: chat (REST + SSE) over orders, refunds, billing "
        "and the help centre, with escalation to humans.",
        lifespan=lifespan,
    )
    app.state.settings = settings
    install_error_handlers(app)
    app.add_middleware(BodyGuard)  # 422 for JSON text no store can hold
    app.add_middleware(HttpMetrics)  # outermost: counts every answer, BodyGuard's 422s too
    if worker_header:
        app.add_middleware(WorkerHeader)
    if settings.widget_origins:  # a shop's pages on another address: the widget's fetches
        app.add_middleware(
            CORSMiddleware,
            allow_origins=settings.widget_origins,
            allow_methods=["GET", "POST"],
            allow_headers=["Authorization", "Content-Type", "Last-Event-ID"],
            expose_headers=["Retry-After"],
            max_age=600,
        )
    app.include_router(health.router)
    app.include_router(chat.router)
    app.include_router(chat_ws.router)
    app.include_router(sessions.router)
    app.include_router(billing.router)
    app.include_router(ops.router)
    app.include_router(agent.router)
    app.include_router(desk_events.router)
    app.include_router(desk_actions.router)
    app.include_router(feedback.router)
    app.include_router(session_events.router)
    app.include_router(console.router)
    app.include_router(widget.router)
    return app
