"""`support kb search` and `support kb gaps` through the running service, which has the
models loaded already.

The CLI mints a short-lived agent token from this DATA_DIR's JWT secret and asks
GET /v1/admin/kb/search (or /v1/admin/kb/gaps) at HOST:PORT. The answer is used only when
the service searches the same help centre (same Chroma location and collection) and, for
gaps, reads the same store; otherwise the caller works locally. Connecting is given half a
second, so a missing service costs little.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from app.settings import Settings

CONNECT_SECONDS = 0.5
SEARCH_SECONDS = 20.0
_ANY_ADDRESS = {"0.0.0.0", "::", ""}


def service_url(settings: Settings) -> str:
    """http://host:port of `support serve` with these settings (a wildcard bind is asked
    on the loopback address)."""
    host = "127.0.0.1" if settings.HOST in _ANY_ADDRESS else settings.HOST
    host = f"[{host}]" if ":" in host else host
    return f"http://{host}:{settings.PORT}"


def help_centre(settings: Settings) -> str:
    """Where the help centre lives: the Chroma server's URL or the embedded folder."""
    return settings.CHROMA_URL or str(settings.chroma_path)


def ask_service(
    settings: Settings, query: str, k: int, mode: str
) -> tuple[list[dict[str, Any]] | None, str]:
    """(passages, '') from the service, or (None, why not) for a one-line note."""
    body, why = _ask(settings, "/v1/admin/kb/search", {"q": query, "k": k, "mode": mode})
    return (None, why) if body is None else (list(body.get("passages") or []), "")


def ask_gaps(
    settings: Settings, days: int | None, weak_below: float | None, limit: int
) -> tuple[dict[str, Any] | None, str]:
    """(`support kb gaps --json`'s report, '') from the service, which has the encoder
    loaded, or (None, why not). Used only when the service reads the same store."""
    params: dict[str, Any] = {"limit": limit}
    if days:
        params["days"] = days
    if weak_below is not None:
        params["weak_below"] = weak_below
    body, why = _ask(settings, "/v1/admin/kb/gaps", params)
    if body is None:
        return None, why
    if body.get("store") != _store(settings.database_url):
        return None, f"the service at {service_url(settings)} reads another store"
    return {key: body[key] for key in ("questions", "weak_below", "groups_total", "groups")}, ""


def _store(url: str) -> str:
    from sqlalchemy.engine import make_url

    return make_url(url).render_as_string(hide_password=True)


def _ask(settings: Settings, path: str, params: dict[str, Any]) -> tuple[dict | None, str]:
    """The service's JSON answer to GET path (agent token), or (None, why not), when it
    searches the same help centre as these settings."""
    import httpx

    from app.auth import mint_token

    base = service_url(settings)
    token = mint_token("kb-cli", settings.jwt_secret(), 60, role="agent")
    try:
        response = httpx.get(
            f"{base}{path}",
            params=params,
            headers={"Authorization": f"Bearer {token}"},
            timeout=httpx.Timeout(SEARCH_SECONDS, connect=CONNECT_SECONDS),
        )
    except httpx.HTTPError as exc:
        return None, f"no service answered at {base} ({exc.__class__.__name__})"
    if response.status_code != 200:
        return None, f"the service at {base} answered {response.status_code}"
    body: dict[str, Any] = response.json()
    wanted = (settings.KB_COLLECTION, help_centre(settings))
    if (body.get("collection"), body.get("chroma")) != wanted:
        return None, f"the service at {base} searches another help centre ({body.get('chroma')})"
    return body, ""
