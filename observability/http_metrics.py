"""Prometheus metrics of the HTTP API: requests and their latency, by route template.

Labels are bounded: `route` is the template a request matched ("/v1/sessions/{session_id}",
never the raw path), "<unmatched>" for paths no route knows; `method` is one of the
standard methods or "other"; `status` is the response code. /metrics itself is not
counted (scrapes would drown the traffic they measure).
"""

from __future__ import annotations

from prometheus_client import Counter, Histogram

from observability.metrics import LATENCY_BUCKETS

METHODS = frozenset({"GET", "HEAD", "POST", "PUT", "PATCH", "DELETE", "OPTIONS"})
UNMATCHED = "<unmatched>"
NOT_COUNTED = frozenset({"/metrics"})

HTTP_REQUESTS = Counter(
    "support_http_requests_total",
    "HTTP requests answered, by method, route template and status code.",
    ["method", "route", "status"],
)
HTTP_SECONDS = Histogram(
    "support_http_request_seconds",
    "Time from a request's arrival to the end of its response (a stream's whole length), "
    "by method and route template.",
    ["method", "route"],
    buckets=LATENCY_BUCKETS,
)


def record_request(method: str, route: str | None, status: int, seconds: float) -> None:
    """Count one answered request (nothing for /metrics)."""
    route = route or UNMATCHED
    if route in NOT_COUNTED:
        return
    method = method.upper() if method.upper() in METHODS else "other"
    HTTP_REQUESTS.labels(method=method, route=route, status=str(status)).inc()
    HTTP_SECONDS.labels(method=method, route=route).observe(seconds)


HTTP_METRICS = (HTTP_REQUESTS, HTTP_SECONDS)
