"""The store's records of conversations: sessions and identity checks, escalations,
approvals of large refunds, and the audit log (the half of `SqlStore` that is not orders)."""

from __future__ import annotations

import logging
import random
import time
import uuid
from collections.abc import Callable, Iterator, Sequence
from contextlib import contextmanager
from typing import Any, TypeVar

from sqlalchemy import Engine, select
from sqlalchemy.exc import IntegrityError, SQLAlchemyError
from sqlalchemy.orm import Session, sessionmaker

from tools.errors import BackendUnavailable, ToolError
from tools.schemas import (
    ApprovalView,
    AuditEntry,
    EscalationView,
    SessionView,
    VerificationResult,
)
from tools.store import limits, views
from tools.store.approval_tx import write_approval_decision, write_approval_request
from tools.store.limits import AbuseLimits, Check
from tools.store.models import Approval, AuditLog, ChatSession, Escalation
from tools.store.refund_tx import OrderCheck
from tools.store.verify_tx import expired, write_verification

log = logging.getLogger("support.store")

T = TypeVar("T")


class ConversationRecords:
    """Sessions, identity checks, escalations, approvals and audit, on the store's engine."""

    engine: Engine
    _reader: sessionmaker[Session]
    _writer: sessionmaker[Session]

    @contextmanager
    def _guard(self, what: str) -> Iterator[None]:
        try:
            yield
        except ToolError:
            raise
        except SQLAlchemyError as exc:
            log.warning("store call %s failed: %s", what, exc.__class__.__name__, exc_info=True)
            raise BackendUnavailable() from exc

    def _write_once(self, what: str, write: Callable[..., T], fields: dict[str, Any]) -> T:
        """`write(session, **fields)` in a transaction of its own, idempotent under its key:
        when a concurrent twin with the same key commits first (IntegrityError), the one
        retry returns the twin's result."""
        with self._guard(what):
            try:
                with self._writer.begin() as s:
                    return write(s, **fields)
            except IntegrityError:
                with self._writer.begin() as s:
                    return write(s, **fields)

    # -- sessions and identity -------------------------------------------------
    def create_session(self, session_id: str, customer_id: str | None) -> None:
        with self._guard("create_session"), self._writer.begin() as s:
            s.add(ChatSession(id=session_id, customer_id=customer_id))

    def get_session(self, session_id: str) -> tuple[str, str | None] | None:
        with self._guard("get_session"), self._reader() as s:
            row = s.get(ChatSession, session_id)
            return (row.id, row.customer_id) if row else None

    def session_identity(self, session_id: str) -> SessionView | None:
        """The session's owner, whom an anonymous caller verified as, and failed checks."""
        with self._guard("session_identity"), self._reader() as s:
            row = s.get(ChatSession, session_id)
            if row is None:
                return None
            lapsed = expired(row)
            return SessionView(
                id=row.id,
                customer_id=row.customer_id,
                verified_customer_id=None if lapsed else row.verified_customer_id,
                verify_failures=row.verify_failures or 0,
                verify_locked=bool(row.verify_locked),
                verification_expired=lapsed,
            )

    def verify_identity(
        self,
        session_id: str,
        *,
        email: str | None = None,
        order_id: str | None = None,
        name: str | None = None,
        zip_code: str | None = None,
        max_attempts: int = 5,
        client: str | None = None,
        abuse: AbuseLimits | None = None,
    ) -> VerificationResult:
        """Check who an anonymous caller says they are and bind the session on a match.

        A match stores the customer id on the session row (server side), for
        `abuse.verified_seconds`; a miss counts a failed attempt, and the
        `max_attempts`-th miss locks the session's checks. Misses also count, across
        conversations, against the claimed identity and the `client` address: over
        `abuse`'s limits nothing is checked (a right answer included) and the result is
        'paused' with the seconds to wait. The result never says which detail was wrong,
        nor whether the identity exists. Every outcome is audited.
        """
        with self._guard("verify_identity"), self._writer.begin() as s:
            return write_verification(
                s,
                session_id,
                email=email,
                order_id=order_id,
                name=name,
                zip_code=zip_code,
                max_attempts=max_attempts,
                client=client,
                abuse=abuse or AbuseLimits(verified_seconds=0),
            )

    # -- abuse limits ------------------------------------------------------------
    def hit_limits(self, checks: Sequence[Check]) -> int | None:
        """Count one event under every check (see `tools.store.limits`), or, when one of
        them is used up, count nothing and return the seconds until it allows one more."""
        if not any(c.limit.on for c in checks):
            return None
        with self._guard("hit_limits"), self._writer.begin() as s:
            waiting = limits.take(s, checks)
        if random.random() < 0.01:  # now and then, drop rows that mean the same as none
            try:
                with self._writer.begin() as s:
                    limits.prune(s, time.time() - 3600)
            except SQLAlchemyError:
                log.debug("pruning rate limits failed", exc_info=True)
        return waiting

    # -- escalations -------------------------------------------------------------
    def create_escalation(
        self,
        *,
        session_id: str,
        customer_id: str | None,
        reason: str,
        intent: str | None,
        confidence: float | None,
        entities: list[Any] | dict[str, Any],
        transcript: list[dict[str, Any]],
    ) -> EscalationView:
        row = Escalation(
            id=f"E{uuid.uuid4().hex[:10].upper()}",
            session_id=session_id,
            customer_id=customer_id,
            reason=reason,
            intent=intent,
            confidence=confidence,
            entities=entities,
            transcript=transcript,
            status="open",
        )
        with self._guard("create_escalation"), self._writer.begin() as s:
            s.add(row)
            s.flush()
            return views.escalation(row)

    def list_escalations(self, status: str | None = None) -> list[EscalationView]:
        with self._guard("list_escalations"), self._reader() as s:
            query = select(Escalation).order_by(Escalation.created_at.desc(), Escalation.id)
            if status is not None:
                query = query.where(Escalation.status == status)
            return [views.escalation(e) for e in s.scalars(query)]

    def get_escalation(self, escalation_id: str) -> EscalationView | None:
        with self._guard("get_escalation"), self._reader() as s:
            row = s.get(Escalation, escalation_id)
            return views.escalation(row) if row else None

    # -- approvals -----------------------------------------------------------------
    def request_approval(self, **fields: Any) -> ApprovalView:
        """A pending approval plus its `approval_needed` escalation, once per key.

        Keyword arguments: those of `StoreBackend.request_approval`."""
        return self._write_once("request_approval", write_approval_request, fields)

    def decide_approval(
        self,
        approval_id: str,
        *,
        approve: bool,
        agent: str,
        note: str = "",
        check: OrderCheck | None = None,
    ) -> ApprovalView:
        """Record a human decision (and, on approval, the refund) in one transaction."""
        with self._guard("decide_approval"), self._writer.begin() as s:
            return write_approval_decision(
                s, approval_id=approval_id, approve=approve, agent=agent, note=note, check=check
            )

    def get_approval(self, approval_id: str) -> ApprovalView | None:
        with self._guard("get_approval"), self._reader() as s:
            row = s.get(Approval, approval_id)
            return views.approval(row) if row else None

    def list_approvals(self, status: str | None = None) -> list[ApprovalView]:
        """Approvals, oldest request first; `status` filters (pending, approved, declined)."""
        with self._guard("list_approvals"), self._reader() as s:
            query = select(Approval).order_by(Approval.requested_at, Approval.id)
            if status is not None:
                query = query.where(Approval.status == status)
            return [views.approval(a) for a in s.scalars(query)]

    # -- audit -----------------------------------------------------------------------
    def list_audit(self, entity_id: str | None = None) -> list[AuditEntry]:
        with self._guard("list_audit"), self._reader() as s:
            query = select(AuditLog).order_by(AuditLog.id)
            if entity_id is not None:
                query = query.where(AuditLog.entity_id == entity_id)
            return [views.audit(a) for a in s.scalars(query)]
