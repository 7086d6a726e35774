"""Bearer tokens: HS256 JWTs whose `sub` is the customer id. The only source of identity."""

from __future__ import annotations

import time

import jwt

from app.errors import ApiError, AuthenticationFailed

ALGORITHM = "HS256"


class Forbidden(ApiError):
    """A valid token whose role may not use this endpoint."""

    status_code = 403
    code = "forbidden"


def mint_token(customer_id: str, secret: str, ttl_seconds: int, role: str = "customer") -> str:
    """A signed token for a customer, valid for ttl_seconds."""
    now = int(time.time())
    claims = {"sub": customer_id, "role": role, "iat": now, "exp": now + ttl_seconds}
    return jwt.encode(claims, secret, algorithm=ALGORITHM)


def _claims(authorization: str, secret: str) -> dict:
    """The verified claims of a `Bearer` header; 401 on a bad, expired or unsigned one."""
    scheme, _, token = authorization.partition(" ")
    if scheme.lower() != "bearer" or not token.strip():
        raise AuthenticationFailed("Authorization header must be 'Bearer <token>'")
    try:
        claims = jwt.decode(
            token.strip(), secret, algorithms=[ALGORITHM], options={"require": ["sub", "exp"]}
        )
    except jwt.ExpiredSignatureError as exc:
        raise AuthenticationFailed("token has expired; ask for a new one") from exc
    except jwt.PyJWTError as exc:
        raise AuthenticationFailed(f"token is not valid: {exc}") from exc
    return claims


def customer_from_header(authorization: str | None, secret: str) -> str | None:
    """Customer id of a valid `Bearer` header; None without a header; 401 on a bad one."""
    if not authorization:
        return None
    claims = _claims(authorization, secret)
    if claims.get("role", "customer") != "customer":
        raise AuthenticationFailed("this token is not a customer token")
    return str(claims["sub"])


def role_of(authorization: str | None, secret: str) -> str | None:
    """The `role` claim of a valid token (customer when absent); None without a header."""
    if not authorization:
        return None
    return str(_claims(authorization, secret).get("role", "customer"))


def agent_from_header(authorization: str | None, secret: str) -> str:
    """The agent name of a valid agent token: 401 without or with a bad token, 403
    (`Forbidden`) for a valid token of another role, e.g. a customer's."""
    if not authorization:
        raise AuthenticationFailed("the agent API needs a token from `support token --agent NAME`")
    claims = _claims(authorization, secret)
    if claims.get("role", "customer") != "agent":
        raise Forbidden("this token is not an agent token; the agent API is for support agents")
    return str(claims["sub"])
