"""Abuse limits kept in the store, so every worker and every restart sees the same counts.

Each limit is "at most `count` events per `seconds`" for one key (a client address, a
claimed identity, a customer), enforced as a generic cell rate (GCRA): one row per key
holds the time at which its allowance is fully used up; each event moves that time on by
`seconds / count`, and an event that would move it more than `seconds` past now is
refused, with the seconds to wait. A burst of `count` is allowed at once, then one event
per `seconds / count`. Keys are stored hashed: the table never holds an e-mail or an
address. Rows are locked in key order for the transaction (SQLite: BEGIN IMMEDIATE), so
two workers cannot both spend the last allowance.
"""

from __future__ import annotations

import hashlib
import math
import time
from collections.abc import Sequence
from dataclasses import dataclass, field

from sqlalchemy import Float, String, delete
from sqlalchemy.dialects.postgresql import insert as pg_insert
from sqlalchemy.dialects.sqlite import insert as sqlite_insert
from sqlalchemy.orm import Mapped, Session, mapped_column

from tools.store.models import Base


class RateLimitRow(Base):
    __tablename__ = "rate_limits"

    kind: Mapped[str] = mapped_column(String(32), primary_key=True)
    key: Mapped[str] = mapped_column(String(64), primary_key=True)  # sha256 of the key
    spent_until: Mapped[float] = mapped_column(Float, index=True)  # epoch seconds


@dataclass(frozen=True)
class Limit:
    """At most `count` events per `seconds`; 0 in either turns the limit off."""

    count: int
    seconds: float

    @property
    def on(self) -> bool:
        return self.count > 0 and self.seconds > 0


@dataclass(frozen=True)
class Check:
    """One limit on one key: `kind` names what is counted ('verify_identity')."""

    kind: str
    key: str
    limit: Limit

    @property
    def digest(self) -> str:
        return hashlib.sha256(f"{self.kind}\0{self.key}".encode()).hexdigest()


@dataclass(frozen=True)
class AbuseLimits:
    """The limits the turn graph enforces (the HTTP layer keeps its own flood limits)."""

    verify_per_identity: Limit = field(default_factory=lambda: Limit(5, 900))
    """Failed identity checks per claimed identity (e-mail, order number, or name)."""
    verify_per_client: Limit = field(default_factory=lambda: Limit(20, 3600))
    """Failed identity checks per client address, across conversations."""
    tickets_per_client: Limit = field(default_factory=lambda: Limit(5, 3600))
    """New tickets an anonymous caller's address may open."""
    tickets_per_customer: Limit = field(default_factory=lambda: Limit(5, 3600))
    """New tickets one identified customer may open."""
    verified_seconds: float = 7200
    """How long an anonymous conversation's verified identity lasts; 0: until it ends."""


def checks(*wanted: tuple[str, str | None, Limit]) -> list[Check]:
    """The checks among (kind, key, limit) that apply: a key is known and the limit is on."""
    return [Check(kind, key, limit) for kind, key, limit in wanted if key and limit.on]


def _locked(s: Session, found: Sequence[Check]) -> dict[str, RateLimitRow]:
    """The rows of `found` (limits that are on), created when new and locked for this
    transaction."""
    rows: dict[str, RateLimitRow] = {}
    insert = pg_insert if s.get_bind().dialect.name == "postgresql" else sqlite_insert
    for check in sorted(_on(found), key=lambda c: c.digest):  # one order: no deadlocks
        row = s.get(RateLimitRow, (check.kind, check.digest), with_for_update=True)
        if row is None:
            fresh = {"kind": check.kind, "key": check.digest, "spent_until": 0.0}
            s.execute(insert(RateLimitRow).values(**fresh).on_conflict_do_nothing())
            row = s.get(
                RateLimitRow,
                (check.kind, check.digest),
                with_for_update=True,
                populate_existing=True,
            )
        assert row is not None
        rows[check.digest] = row
    return rows


def _on(found: Sequence[Check]) -> list[Check]:
    return [c for c in found if c.limit.on]


def _step(limit: Limit) -> float:
    return limit.seconds / limit.count


def wait_for(s: Session, found: Sequence[Check], now: float | None = None) -> int | None:
    """Seconds until one more event is allowed under every check, or None when it is now.

    Locks the rows: call `spend` in the same transaction to count the event."""
    rows = _locked(s, found)
    now = time.time() if now is None else now  # read after the locks are held
    worst = 0.0
    for check in _on(found):
        after = max(rows[check.digest].spent_until, now) + _step(check.limit)
        worst = max(worst, after - check.limit.seconds - now)
    return max(1, math.ceil(worst)) if worst > 1e-6 else None


def spend(s: Session, found: Sequence[Check], now: float | None = None) -> None:
    """Count one event under every check (whether or not it was allowed)."""
    rows = _locked(s, found)
    now = time.time() if now is None else now
    for check in _on(found):
        row = rows[check.digest]
        row.spent_until = max(row.spent_until, now) + _step(check.limit)


def take(s: Session, found: Sequence[Check], now: float | None = None) -> int | None:
    """Count one event when every check allows it; else the seconds to wait (nothing counted)."""
    waiting = wait_for(s, found, now)
    if waiting is None:
        spend(s, found, now)
    return waiting


def forget(s: Session, found: Sequence[Check]) -> None:
    """Drop the counts of these keys (a customer who proved who they are)."""
    for check in found:
        s.execute(
            delete(RateLimitRow).where(
                RateLimitRow.kind == check.kind, RateLimitRow.key == check.digest
            )
        )


def prune(s: Session, now: float | None = None) -> int:
    """Delete rows whose allowance is whole again (they mean the same as no row)."""
    now = time.time() if now is None else now
    gone = s.execute(delete(RateLimitRow).where(RateLimitRow.spent_until < now))
    return int(getattr(gone, "rowcount", 0) or 0)
