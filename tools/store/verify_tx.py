"""The identity-check transaction of an anonymous conversation (`SqlStore.verify_identity`).

Failed checks count three ways: per conversation (the policy's `max_attempts`, after which
the conversation's checks lock and a person takes over), per claimed identity and per
client address (across conversations, `AbuseLimits`; over those, nothing is checked until
the wait is over). A verified identity lasts `AbuseLimits.verified_seconds`.
"""

from __future__ import annotations

import re
from datetime import timedelta

from sqlalchemy import func, select
from sqlalchemy.orm import Session

from tools.errors import NotFound
from tools.schemas import VerificationResult
from tools.store import limits
from tools.store.limits import AbuseLimits
from tools.store.models import AuditLog, ChatSession, Customer, Order, utcnow


def _name_key(name: str) -> str:
    return " ".join(re.findall(r"[a-z]+", name.lower()))


def claimed(email: str | None, order_id: str | None, name: str | None) -> list[str]:
    """Whom a check claims to be, by the parts a guesser would know: the e-mail and the order
    number, or the name (keying name + ZIP would give each guessed ZIP a count of its own)."""
    if email and order_id:
        return [f"email:{email.strip().lower()}", f"order:{order_id.strip().upper().lstrip('#')}"]
    return [f"name:{_name_key(name)}"] if name else []


def expired(row: ChatSession) -> bool:
    """The session verified as someone, and that proof has outlived its lifetime."""
    until = row.verified_until
    return bool(row.verified_customer_id and until and until <= utcnow())


def match(
    s: Session, email: str | None, order_id: str | None, name: str | None, zip_code: str | None
) -> str | None:
    """The one customer the details name: email + one of their orders, or name + ZIP."""
    if email and order_id:
        found = s.scalars(
            select(Customer.id)
            .join(Order, Order.customer_id == Customer.id)
            .where(func.lower(Customer.email) == email.strip().lower())
            .where(Order.id == order_id.strip().upper().lstrip("#"))
        ).all()
        return found[0] if len(found) == 1 else None
    if name and zip_code:
        wanted = _name_key(name)
        rows = s.execute(
            select(Customer.id, Customer.name).where(Customer.zip_code == zip_code.strip())
        ).all()
        ids = [cid for cid, full in rows if _name_key(full) == wanted and wanted]
        return ids[0] if len(ids) == 1 else None
    return None


def write_verification(
    s: Session,
    session_id: str,
    *,
    email: str | None,
    order_id: str | None,
    name: str | None,
    zip_code: str | None,
    max_attempts: int,
    client: str | None,
    abuse: AbuseLimits,
) -> VerificationResult:
    """One identity check, its counts and its audit line, in the caller's transaction."""
    guards = limits.checks(
        *(("verify_identity", key, abuse.verify_per_identity)
          for key in claimed(email, order_id, name)),
        ("verify_client", client, abuse.verify_per_client),
    )  # fmt: skip
    row = s.get(ChatSession, session_id, with_for_update=True)
    if row is None:
        raise NotFound("This conversation is not on record.")
    if row.verify_locked:
        return VerificationResult(status="locked")
    if expired(row):
        row.verified_customer_id = None
    before = {"verified_customer_id": row.verified_customer_id,
              "verify_failures": row.verify_failures or 0}  # fmt: skip
    wait = limits.wait_for(s, guards)
    matched = None if wait else match(s, email, order_id, name, zip_code)
    if wait:  # a right answer is not accepted either: otherwise the guessing goes on
        result = VerificationResult(status="paused", retry_after=wait)
    elif matched:
        row.verified_customer_id = matched
        row.verify_failures = 0
        seconds = abuse.verified_seconds
        row.verified_until = utcnow() + timedelta(seconds=seconds) if seconds else None
        limits.forget(s, [g for g in guards if g.kind == "verify_identity"])
        result = VerificationResult(status="verified", customer_id=matched)
    else:
        limits.spend(s, guards)
        row.verify_failures = (row.verify_failures or 0) + 1
        row.verify_locked = row.verify_failures >= max_attempts
        left = max(0, max_attempts - row.verify_failures)
        status = "locked" if row.verify_locked else "failed"
        result = VerificationResult(status=status, attempts_left=left)
    s.add(
        AuditLog(
            actor="anonymous",
            action=f"session.verify.{result.status}",
            entity="session",
            entity_id=session_id,
            before=before,
            after={
                "verified_customer_id": row.verified_customer_id,
                "verify_failures": row.verify_failures,
            },
        )
    )
    return result
