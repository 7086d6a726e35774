"""How the desk's actions refuse: each a 4xx with a message the agent can act on."""

from __future__ import annotations

from app.errors import ApiError


class OrderNotFound(ApiError):
    """Not an order of the escalation's customer (another customer's reads the same)."""

    status_code = 404
    code = "not_found"


class NoVerifiedCustomer(ApiError):
    status_code = 409
    code = "no_customer"


class ActionRefused(ApiError):
    """The written policy forbids it (or the order's state does); nothing was written."""

    status_code = 409
    code = "policy"


class ApprovalPending(ApiError):
    """The same refund waits for a human decision: decide it instead of refunding twice."""

    status_code = 409
    code = "approval_pending"


class IdempotencyConflict(ApiError):
    status_code = 409
    code = "idempotency_conflict"


class InvalidAddress(ApiError):
    status_code = 422
    code = "invalid_address"
