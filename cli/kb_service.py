"""`support kb search` through the running service, which has the models loaded already.

The CLI mints a short-lived agent token from this DATA_DIR's JWT secret and asks
GET /v1/admin/kb/search at HOST:PORT. The answer is used only when the service searches
the same help centre (same Chroma location and collection); otherwise the caller searches
locally. Connecting is given half a second, so a missing service costs little.
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
    import httpx

    from app.auth import mint_token

    base = service_url(settings)
    token = mint_token("kb-search-cli", settings.jwt_secret(), 60, role="agent")
    try:
        response = httpx.get(
            f"{base}/v1/admin/kb/search",
            params={"q": query, "k": k, "mode": mode},
            headers={"Authorization": f"Bearer {token}"},
            timeout=httpx.Timeout(SEARCH_SECONDS, connect=CONNECT_SECONDS),
        )
    except httpx.HTTPError as exc:
        return None, f"no service answered at {base} ({exc.__class__.__name__})"
    if response.status_code != 200:
        return None, f"the service at {base} answered {response.status_code}"
    body = response.json()
    wanted = (settings.KB_COLLECTION, help_centre(settings))
    if (body.get("collection"), body.get("chroma")) != wanted:
        return None, f"the service at {base} searches another help centre ({body.get('chroma')})"
    return list(body.get("passages") or []), ""
