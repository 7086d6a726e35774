"""Bearer headers a security case sends: a real token, or one forged in a known way.

Forged tokens are made at run time because the real ones depend on the run's secret; the
corpus names the kind and the claims the attacker wants ("sub": "C0002", "role": "agent").
"""

from __future__ import annotations

import base64
import hashlib
import hmac
import json
import time
import warnings
from typing import Any

import jwt

from app.auth import mint_token

WRONG_SECRET = "not-the-service-secret-" + "w" * 24


def _b64(data: bytes) -> str:
    return base64.urlsafe_b64encode(data).rstrip(b"=").decode()


def _signed(header: dict[str, Any], claims: dict[str, Any], secret: str) -> str:
    """A JWT signed by hand with HMAC-SHA256, whatever the header says (or the key is)."""
    head = _b64(json.dumps(header).encode()) + "." + _b64(json.dumps(claims).encode())
    signature = hmac.new(secret.encode(), head.encode(), hashlib.sha256).digest()
    return head + "." + _b64(signature)


def _swap_payload(token: str, claims: dict[str, Any]) -> str:
    """A real token with its claims replaced and its signature kept."""
    head, _, signature = token.split(".")
    return f"{head}.{_b64(json.dumps(claims).encode())}.{signature}"


def forged(kind: str, wanted: dict[str, Any], secret: str) -> str:
    """The Authorization header value of a forged token of `kind` claiming `wanted`."""
    now = int(time.time())
    claims = {"sub": "C0002", "role": "customer", "iat": now, "exp": now + 3600, **wanted}
    real = mint_token("C0001", secret, 3600)  # what the attacker legitimately holds
    tokens = {
        "expired": lambda: jwt.encode({**claims, "iat": now - 7200, "exp": now - 3600}, secret),
        "wrong_secret": lambda: jwt.encode(claims, WRONG_SECRET),
        "long_ttl_wrong_secret": lambda: jwt.encode({**claims, "exp": now + 10**8}, WRONG_SECRET),
        "alg_none": lambda: (
            _b64(b'{"alg":"none","typ":"JWT"}') + "." + _b64(json.dumps(claims).encode()) + "."
        ),
        "tampered": lambda: _swap_payload(real, claims),
        "tampered_role": lambda: _swap_payload(real, {**claims, "sub": "C0001", "role": "agent"}),
        "no_exp": lambda: jwt.encode({k: v for k, v in claims.items() if k != "exp"}, secret),
        "no_sub": lambda: jwt.encode({k: v for k, v in claims.items() if k != "sub"}, secret),
        "empty_secret": lambda: _signed({"alg": "HS256", "typ": "JWT"}, claims, ""),
        "hs512": lambda: jwt.encode(claims, secret, algorithm="HS512"),
        "swapped_header": lambda: _signed({"alg": "HS512", "typ": "JWT"}, claims, secret),
        "truncated_signature": lambda: mint_token(claims["sub"], secret, 3600)[:-6],
        "agent_role": lambda: mint_token(claims["sub"], secret, 3600, role="agent"),
        "agent_wrong_secret": lambda: jwt.encode({**claims, "role": "agent"}, WRONG_SECRET),
        "garbage": lambda: "not.a.token",
    }
    if kind == "basic_scheme":
        return "Basic " + base64.b64encode(f"{claims['sub']}:hunter2".encode()).decode()
    if kind not in tokens:
        raise ValueError(f"unknown forged token kind {kind!r}")
    with warnings.catch_warnings():  # PyJWT warns about the weak keys forged on purpose
        warnings.simplefilter("ignore")
        return "Bearer " + tokens[kind]()


FORGED_KINDS = frozenset(
    {
        "expired",
        "wrong_secret",
        "long_ttl_wrong_secret",
        "alg_none",
        "tampered",
        "tampered_role",
        "no_exp",
        "no_sub",
        "empty_secret",
        "hs512",
        "swapped_header",
        "truncated_signature",
        "agent_role",
        "agent_wrong_secret",
        "garbage",
        "basic_scheme",
    }
)


def headers_for(
    auth: str, actor: str | None, wanted: dict[str, Any], secret: str
) -> dict[str, str]:
    """Headers of a case: `token` (the actor's real customer token), `none`, or a forgery."""
    if auth == "none":
        return {}
    if auth == "token":
        if not actor:
            raise ValueError("auth 'token' needs an actor")
        return {"Authorization": "Bearer " + mint_token(actor, secret, 3600)}
    return {"Authorization": forged(auth, wanted, secret)}
