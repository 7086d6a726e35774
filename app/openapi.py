"""OpenAPI declarations the routes share: every error status an operation can answer (with
the `{"error": {"code", "message"}}` body) and the media type of the event streams, so the
published schema lists each status and content type a client can see.

Example: `@router.get("/x", responses=responses(401, 404, 422, 503))`.
"""

from __future__ import annotations

from typing import Any

from app.schemas import ErrorBody

WHY: dict[int, str] = {
    401: "Missing, malformed or expired bearer token, or one naming no customer.",
    403: "A valid token whose role may not use this endpoint.",
    404: "Nothing with this id for these credentials.",
    409: "The resource's state does not allow this (e.g. already resolved).",
    413: "The message is longer than the configured limit.",
    422: "A malformed request: a body that is not JSON, a missing or invalid field, "
    "header or parameter.",
    429: "Too many requests from this client or for this customer.",
    503: "The store or another dependency is not answering; nothing was changed.",
}
RETRY_AFTER = {
    "Retry-After": {
        "description": "Seconds to wait before trying again.",
        "schema": {"type": "integer"},
    }
}


def _error(status: int) -> dict[str, Any]:
    entry: dict[str, Any] = {"description": WHY[status], "model": ErrorBody}
    if status in (429, 503):
        entry["headers"] = RETRY_AFTER
    return entry


def responses(*statuses: int) -> dict[int | str, dict[str, Any]]:
    """The error answers of an operation (JSON, whatever its 200 is)."""
    return {status: _error(status) for status in statuses}


def event_stream(
    description: str, *statuses: int, payloads: dict[str, str] | None = None
) -> dict[int | str, dict[str, Any]]:
    """A `text/event-stream` 200 and the operation's error answers, which are JSON sent
    before any event. Use with `response_class=Response`: a class without a media type, so
    FastAPI adds no JSON 200 of its own. `payloads` names the component schema of some
    events' data, e.g. `{"done": "ChatResponse"}`."""
    stream = {"itemSchema": _event_schema({"error": "ErrorBody", **(payloads or {})})}
    ok = {"description": description, "content": {"text/event-stream": stream}}
    return {200: ok} | responses(*statuses)


def _event_schema(payloads: dict[str, str]) -> dict[str, Any]:
    """One server-sent event (as FastAPI describes them): a name and JSON data."""
    data = {"type": "string", "contentMediaType": "application/json"}
    typed = [
        {
            "if": {"properties": {"event": {"const": event}}, "required": ["event"]},
            "then": {
                "properties": {
                    "data": {**data, "contentSchema": {"$ref": f"#/components/schemas/{model}"}}
                }
            },
        }
        for event, model in payloads.items()
    ]
    return {
        "type": "object",
        "required": ["event", "data"],
        "properties": {
            "event": {"type": "string"},
            "data": data,
            "id": {"type": "string"},
            "retry": {"type": "integer", "minimum": 0},
        },
        "allOf": typed,
    }
