"""OpenTelemetry tracing of turns: a span per turn, per graph node, tool, retrieval, LLM call.

Off by default (TRACING_EXPORTER empty): spans then go to OpenTelemetry's no-op tracer
and cost next to nothing. `console` prints finished spans as JSON on stderr; `otlp` sends
them to an OTLP/gRPC collector at TRACING_OTLP_ENDPOINT (Jaeger, Tempo, an OTel
collector). `memory` keeps them in process (tests, debugging).
"""

from __future__ import annotations

import functools
import inspect
import time
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from typing import Any, TypeVar

from opentelemetry import trace
from opentelemetry.sdk.resources import Resource
from opentelemetry.sdk.trace import TracerProvider
from opentelemetry.sdk.trace.export import (
    BatchSpanProcessor,
    ConsoleSpanExporter,
    SimpleSpanProcessor,
    SpanExporter,
)
from opentelemetry.sdk.trace.export.in_memory_span_exporter import InMemorySpanExporter

from observability.metrics import NODE_SECONDS

F = TypeVar("F", bound=Callable[..., Any])
EXPORTERS = ("", "console", "otlp", "memory")

_provider: TracerProvider | None = None
memory_exporter: InMemorySpanExporter | None = None


def configure_tracing(exporter: str, *, endpoint: str = "", service: str = "support-agent"):
    """Install the tracer provider for `exporter` (see module docstring); '' leaves it off."""
    global _provider, memory_exporter
    if exporter not in EXPORTERS:
        raise ValueError(f"TRACING_EXPORTER must be one of {EXPORTERS}, not {exporter!r}")
    if not exporter:
        return None
    provider = TracerProvider(resource=Resource.create({"service.name": service}))
    span_exporter: SpanExporter
    if exporter == "console":
        span_exporter = ConsoleSpanExporter()
        provider.add_span_processor(SimpleSpanProcessor(span_exporter))
    elif exporter == "memory":
        memory_exporter = InMemorySpanExporter()
        provider.add_span_processor(SimpleSpanProcessor(memory_exporter))
    else:
        from opentelemetry.exporter.otlp.proto.grpc.trace_exporter import OTLPSpanExporter

        span_exporter = OTLPSpanExporter(endpoint=endpoint or None, insecure=True)
        provider.add_span_processor(BatchSpanProcessor(span_exporter))
    _provider = provider
    return provider


def tracer() -> trace.Tracer:
    """The service's tracer: the configured provider's, or the global (no-op) one."""
    if _provider is not None:
        return _provider.get_tracer("support")
    return trace.get_tracer("support")


@contextmanager
def span(name: str, **attributes: Any) -> Iterator[trace.Span]:
    """A span around a block; attributes with None values are left out."""
    with tracer().start_as_current_span(name) as current:
        for key, value in attributes.items():
            if value is not None:
                current.set_attribute(key, value)
        yield current


def traced_node(name: str, fn: F) -> F:
    """A graph node wrapped in a `node.<name>` span and timed into support_node_seconds."""

    if inspect.iscoroutinefunction(fn):

        @functools.wraps(fn)
        async def run_async(*args: Any, **kwargs: Any) -> Any:
            began = time.perf_counter()
            with span(f"node.{name}"):
                try:
                    return await fn(*args, **kwargs)
                finally:
                    NODE_SECONDS.labels(node=name).observe(time.perf_counter() - began)

        return run_async  # type: ignore[return-value]

    @functools.wraps(fn)
    def run(*args: Any, **kwargs: Any) -> Any:
        began = time.perf_counter()
        with span(f"node.{name}"):
            try:
                return fn(*args, **kwargs)
            finally:
                NODE_SECONDS.labels(node=name).observe(time.perf_counter() - began)

    return run  # type: ignore[return-value]
