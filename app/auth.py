"""Bearer tokens: HS256 JWTs whose `sub` is the customer id. The only source of identity."""

from __future__ import annotations

import time

import jwt

from app.errors import AuthenticationFailed

ALGORITHM = "HS256"


def mint_token(customer_id: str, secret: str, ttl_seconds: int, role: str = "customer") -> str:
    """A signed token for a customer, valid for ttl_seconds."""
    now = int(time.time())
    claims = {"sub": customer_id, "role": role, "iat": now, "exp": now + ttl_seconds}
    return jwt.encode(claims, secret, algorithm=ALGORITHM)


def customer_from_header(authorization: str | None, secret: str) -> str | None:
    """Customer id of a valid `Bearer` header; None without a header; 401 on a bad one."""
    if not authorization:
        return None
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
    if claims.get("role", "customer") != "customer":
        raise AuthenticationFailed("this token is not a customer token")
    return str(claims["sub"])
