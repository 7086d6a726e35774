"""Abuse limits from settings: the turn graph's (`AbuseLimits`) and the chat endpoints'
flood limits (messages per client address and per customer, new conversations per address).

Counts live in the store (`tools.store.limits`), so they hold across workers and restarts.
"""

from __future__ import annotations

import logging
from collections.abc import Sequence

from app.errors import RateLimited
from app.settings import Settings
from tools.errors import BackendUnavailable
from tools.store.backend import StoreBackend
from tools.store.limits import AbuseLimits, Check, Limit, checks

log = logging.getLogger("support.limits")


def abuse_limits(settings: Settings) -> AbuseLimits:
    """The limits the turn graph enforces, as configured."""
    tickets = settings.TICKET_WINDOW_SECONDS
    return AbuseLimits(
        verify_per_identity=Limit(
            settings.VERIFY_FAILURES_PER_IDENTITY, settings.VERIFY_IDENTITY_WINDOW_SECONDS
        ),
        verify_per_client=Limit(
            settings.VERIFY_FAILURES_PER_CLIENT, settings.VERIFY_CLIENT_WINDOW_SECONDS
        ),
        tickets_per_client=Limit(settings.TICKETS_PER_CLIENT, tickets),
        tickets_per_customer=Limit(settings.TICKETS_PER_CUSTOMER, tickets),
        verified_seconds=settings.VERIFIED_SESSION_SECONDS,
    )


def _hit(store: StoreBackend, found: Sequence[Check]) -> int | None:
    """`store.hit_limits`, open when the store fails: the turn's own store calls then
    report the outage honestly (a 503, or a ticket for a person), not the limiter."""
    try:
        return store.hit_limits(found)
    except BackendUnavailable:
        log.warning("flood limits not checked: the store is not answering")
        return None


def check_turn(
    store: StoreBackend,
    settings: Settings,
    *,
    customer_id: str | None,
    client: str | None,
    new_session: bool,
) -> None:
    """Count one chat message (and a new conversation when `new_session`); `RateLimited`
    (429 with Retry-After) when the client address or the customer is over a limit."""
    turns = checks(
        ("turn_client", client, Limit(settings.TURNS_PER_CLIENT_PER_MINUTE, 60)),
        ("turn_customer", customer_id, Limit(settings.TURNS_PER_CUSTOMER_PER_MINUTE, 60)),
    )
    opened = checks(
        ("session_client", client if new_session else None,
         Limit(settings.SESSIONS_PER_CLIENT_PER_MINUTE, 60)),
    )  # fmt: skip
    # a refused new conversation costs no message: its limit is checked first
    wait = _hit(store, opened)
    if wait is not None:
        raise RateLimited(
            f"too many new conversations from this address; start another in {wait} s, "
            "or go on with an existing one (its session_id)",
            retry_after=wait,
        )
    wait = _hit(store, turns)
    if wait is not None:
        raise RateLimited(
            f"too many messages in the last minute; send the next one in {wait} s",
            retry_after=wait,
        )
