"""Identity checks for anonymous conversations: email + order number, or name + ZIP code.

A match binds the verified customer to the conversation on the server (the session row),
so later turns act for that customer; the message itself never names who is asking.
"""

from __future__ import annotations

from tools.policy import SupportPolicy
from tools.schemas import VerificationResult
from tools.store.backend import StoreBackend
from tools.store.limits import AbuseLimits


def verify_customer(
    store: StoreBackend,
    session_id: str,
    policy: SupportPolicy,
    *,
    email: str | None = None,
    order_id: str | None = None,
    name: str | None = None,
    zip_code: str | None = None,
    client: str | None = None,
    abuse: AbuseLimits | None = None,
) -> VerificationResult:
    """Check an anonymous caller's details: `email` + `order_id`, or `name` + `zip_code`.

    Returns status 'verified' (with the customer id, now bound to the session), 'failed'
    (with attempts left; which detail was wrong is never said) or 'locked' after the
    policy's `max_verification_attempts` failures in this conversation. Failures also
    count per claimed identity and per `client` address across conversations (`abuse`):
    over those limits nothing is checked and the status is 'paused', with `retry_after`
    seconds.
    """
    if not ((email and order_id) or (name and zip_code)):
        raise ValueError("give email and order_id, or name and zip_code")
    return store.verify_identity(
        session_id,
        email=email,
        order_id=order_id,
        name=name,
        zip_code=zip_code,
        max_attempts=policy.max_verification_attempts,
        client=client,
        abuse=abuse,
    )
