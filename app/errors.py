"""API errors: one hierarchy, each mapped to a status code and a message a client can act on."""

from __future__ import annotations

import logging

from fastapi import FastAPI, Request
from fastapi.exceptions import RequestValidationError
from fastapi.responses import JSONResponse
from starlette.exceptions import HTTPException as StarletteHTTPException

from tools.errors import BackendUnavailable

log = logging.getLogger("support.api")


class ApiError(Exception):
    """Base of errors the API reports to clients."""

    status_code = 400
    code = "bad_request"
    retry_after: int | None = None
    """Seconds a client should wait before retrying (sent as `Retry-After`), if any."""

    def __init__(self, message: str, *, retry_after: int | None = None) -> None:
        super().__init__(message)
        self.message = message
        if retry_after is not None:
            self.retry_after = retry_after

    def headers(self) -> dict[str, str] | None:
        headers = {"WWW-Authenticate": "Bearer"} if self.status_code == 401 else {}
        if self.retry_after is not None:
            headers["Retry-After"] = str(self.retry_after)
        return headers or None


class InvalidMessage(ApiError):
    status_code = 422
    code = "invalid_message"


class MessageTooLong(ApiError):
    status_code = 413
    code = "message_too_long"


class UnknownSession(ApiError):
    status_code = 404
    code = "unknown_session"


class AuthenticationFailed(ApiError):
    status_code = 401
    code = "invalid_token"


class NotReady(ApiError):
    status_code = 503
    code = "not_ready"
    retry_after = 5


class RateLimited(ApiError):
    """Too many requests of one kind from one client or for one identity."""

    status_code = 429
    code = "rate_limited"
    retry_after = 60


STORE_RETRY_SECONDS = 30
"""`Retry-After` of every 503 caused by the store being down."""


def error_body(code: str, message: str) -> dict:
    return {"error": {"code": code, "message": message}}


def _unreadable_body(cause: BaseException | None) -> str:
    """Why a request body that is not JSON we can read was refused, for the client."""
    if isinstance(cause, UnicodeDecodeError):
        return "request body is not valid UTF-8 JSON"
    if isinstance(cause, RecursionError):
        return "request body nests JSON arrays or objects too deeply"
    if isinstance(cause, ValueError) and "digits" in str(cause):
        return "request body has a number with too many digits"
    return "request body is not valid JSON"


def _describe(exc: RequestValidationError) -> str:
    parts = []
    for err in exc.errors():
        where = ".".join(str(p) for p in err.get("loc", ()) if p != "body") or "body"
        if err.get("type") == "json_invalid":
            return "request body is not valid JSON"
        parts.append(f"{where}: {err.get('msg')}")
    return "; ".join(parts) or "invalid request"


def install_error_handlers(app: FastAPI) -> None:
    """Register the handlers that turn exceptions into JSON error bodies."""

    @app.exception_handler(ApiError)
    async def _api_error(_: Request, exc: ApiError) -> JSONResponse:
        return JSONResponse(
            error_body(exc.code, exc.message), exc.status_code, headers=exc.headers()
        )

    @app.exception_handler(RequestValidationError)
    async def _invalid(_: Request, exc: RequestValidationError) -> JSONResponse:
        return JSONResponse(error_body("invalid_request", _describe(exc)), 422)

    @app.exception_handler(StarletteHTTPException)
    async def _http(_: Request, exc: StarletteHTTPException) -> JSONResponse:
        # Starlette's own refusals (an unknown path, a wrong method) get the same envelope as
        # ours; a body it could not parse (not UTF-8, nested too deep, a 5,000-digit number)
        # is a 422 like any other JSON we cannot read.
        detail = exc.detail if isinstance(exc.detail, str) else "invalid request"
        if exc.status_code == 400 and "parsing the body" in detail:
            return JSONResponse(error_body("invalid_request", _unreadable_body(exc.__cause__)), 422)
        code = {400: "bad_request", 404: "not_found", 405: "method_not_allowed"}.get(
            exc.status_code, "http_error"
        )
        return JSONResponse(error_body(code, detail), exc.status_code, headers=exc.headers)

    @app.exception_handler(BackendUnavailable)
    async def _store_down(_: Request, exc: BackendUnavailable) -> JSONResponse:
        # e.g. checking a signed-in caller's token against the store while it is down
        return JSONResponse(
            error_body(
                "store_unavailable",
                "our conversation store is not answering right now; nothing was changed, "
                "please retry in a minute",
            ),
            503,
            headers={"Retry-After": str(STORE_RETRY_SECONDS)},
        )

    @app.exception_handler(Exception)
    async def _unexpected(request: Request, exc: Exception) -> JSONResponse:
        log.exception("unhandled error on %s %s", request.method, request.url.path)
        return JSONResponse(
            error_body("internal_error", "something went wrong on our side; nothing was changed"),
            500,
        )
