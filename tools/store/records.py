"""The store's records of conversations: sessions and identity checks, escalations,
approvals of large refunds, and the audit log (the half of `SqlStore` that is not orders)."""

from __future__ import annotations

import logging
import re
import uuid
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from typing import Any, TypeVar

from sqlalchemy import Engine, func, select
from sqlalchemy.exc import IntegrityError, SQLAlchemyError
from sqlalchemy.orm import Session, sessionmaker

from tools.errors import BackendUnavailable, NotFound, ToolError
from tools.schemas import (
    ApprovalView,
    AuditEntry,
    EscalationView,
    SessionView,
    VerificationResult,
)
from tools.store import views
from tools.store.approval_tx import write_approval_decision, write_approval_request
from tools.store.models import Approval, AuditLog, ChatSession, Customer, Escalation, Order
from tools.store.refund_tx import OrderCheck

log = logging.getLogger("support.store")

T = TypeVar("T")


def _name_key(name: str) -> str:
    return " ".join(re.findall(r"[a-z]+", name.lower()))


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
            return SessionView(
                id=row.id,
                customer_id=row.customer_id,
                verified_customer_id=row.verified_customer_id,
                verify_failures=row.verify_failures or 0,
                verify_locked=bool(row.verify_locked),
            )

    def _match(
        self,
        s: Session,
        email: str | None,
        order_id: str | None,
        name: str | None,
        zip_code: str | None,
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

    def verify_identity(
        self,
        session_id: str,
        *,
        email: str | None = None,
        order_id: str | None = None,
        name: str | None = None,
        zip_code: str | None = None,
        max_attempts: int = 5,
    ) -> VerificationResult:
        """Check who an anonymous caller says they are and bind the session on a match.

        A match stores the customer id on the session row (server side); a miss counts a
        failed attempt, and the `max_attempts`-th miss locks the session's checks. The
        result never says which detail was wrong. Every outcome is audited.
        """
        with self._guard("verify_identity"), self._writer.begin() as s:
            row = s.get(ChatSession, session_id, with_for_update=True)
            if row is None:
                raise NotFound("This conversation is not on record.")
            if row.verify_locked:
                return VerificationResult(status="locked")
            before = {"verified_customer_id": row.verified_customer_id,
                      "verify_failures": row.verify_failures or 0}  # fmt: skip
            matched = self._match(s, email, order_id, name, zip_code)
            if matched:
                row.verified_customer_id = matched
                row.verify_failures = 0
                result = VerificationResult(status="verified", customer_id=matched)
            else:
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
                    },  # fmt: skip
                )
            )
            return result

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
