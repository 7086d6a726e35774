"""The store's records of conversations (`ConversationStore`): sessions and identity checks,
abuse limits, out-of-bot messages and the turn log; and `SqlRecords`, the engine, sessions
and error handling every part of `SqlStore` shares."""

from __future__ import annotations

import logging
import random
import time
from collections.abc import Callable, Iterator, Sequence
from contextlib import contextmanager
from typing import Any, TypeVar

from sqlalchemy import Engine, select
from sqlalchemy.exc import IntegrityError, SQLAlchemyError
from sqlalchemy.orm import Session, sessionmaker

from tools.errors import BackendUnavailable, ToolError
from tools.schemas import SessionView, VerificationResult
from tools.store import limits
from tools.store.desk_log import emit, mark_agent_reply, mark_customer_line, notify
from tools.store.limits import AbuseLimits, Check
from tools.store.models import AuditLog, ChatSession, ConversationMessage, utcnow
from tools.store.turnlog import TurnRecord, write_turn
from tools.store.verify_tx import expired, write_verification

log = logging.getLogger("support.store")

T = TypeVar("T")


class SqlRecords:
    """The engine and its sessions; store failures raised as `BackendUnavailable`."""

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


class ConversationRecords(SqlRecords):
    """Sessions, identity checks, abuse limits, out-of-bot messages and the turn log."""

    # -- sessions and identity -------------------------------------------------
    def create_session(
        self, session_id: str, customer_id: str | None, channel: str = "api"
    ) -> None:
        """A new conversation of `customer_id` (None: anonymous) on `channel`."""
        with self._guard("create_session"), self._writer.begin() as s:
            s.add(ChatSession(id=session_id, customer_id=customer_id, channel=channel))

    def get_session(self, session_id: str) -> tuple[str, str | None] | None:
        with self._guard("get_session"), self._reader() as s:
            row = s.get(ChatSession, session_id)
            return (row.id, row.customer_id) if row else None

    def session_owner(self, session_id: str) -> tuple[str | None, str] | None:
        """(customer id, channel) of a session, or None when there is no such session."""
        with self._guard("session_owner"), self._reader() as s:
            row = s.get(ChatSession, session_id)
            return (row.customer_id, row.channel or "api") if row else None

    def session_channels(self, session_ids: Sequence[str]) -> dict[str, str]:
        """The channel (api, widget, email) of each of `session_ids` that exists."""
        ids = sorted(set(session_ids))
        if not ids:
            return {}
        query = select(ChatSession.id, ChatSession.channel).where(ChatSession.id.in_(ids))
        with self._guard("session_channels"), self._reader() as s:
            return {sid: channel or "api" for sid, channel in s.execute(query)}

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

    # -- out-of-bot messages ---------------------------------------------------------
    def add_message(
        self,
        session_id: str,
        role: str,
        content: str,
        *,
        escalation_id: str | None = None,
        author: str | None = None,
    ) -> dict[str, Any]:
        row = ConversationMessage(
            session_id=session_id,
            escalation_id=escalation_id,
            role=role,
            author=author,
            content=content,
            at=utcnow(),
        )
        with self._guard("add_message"), self._writer.begin() as s:
            s.add(row)
            notify(s, f"s:{session_id}")
            if escalation_id and role in ("agent", "customer"):
                if role == "agent":
                    mark_agent_reply(s, escalation_id)
                else:
                    mark_customer_line(s, escalation_id)
                emit(s, f"message.{role}", escalation_id=escalation_id, session_id=session_id,
                     actor=f"agent:{author}" if role == "agent" else "customer",
                     data={"text": content[:200]})  # fmt: skip
            if role == "agent":
                s.add(
                    AuditLog(
                        actor=f"agent:{author}",
                        action="escalation.reply",
                        entity="session",
                        entity_id=session_id,
                        before=None,
                        after={"escalation_id": escalation_id, "chars": len(content)},
                    )
                )
            s.flush()
            return message_row(row)

    def list_messages(
        self, session_id: str, *, after_id: int = 0, role: str | None = None
    ) -> list[dict[str, Any]]:
        """Out-of-bot lines of a session with id > after_id, oldest first."""
        with self._guard("list_messages"), self._reader() as s:
            query = (
                select(ConversationMessage)
                .where(ConversationMessage.session_id == session_id)
                .where(ConversationMessage.id > after_id)
                .order_by(ConversationMessage.id)
            )
            if role:
                query = query.where(ConversationMessage.role == role)
            return [message_row(m) for m in s.scalars(query)]

    # -- turn log ----------------------------------------------------------------------
    def write_turn_log(self, row: TurnRecord) -> None:
        """Record one answered turn (`tools.store.turnlog`)."""
        write_turn(self.engine, row)


def message_row(row: ConversationMessage) -> dict[str, Any]:
    """An out-of-bot line as the desk and the customer's client show it."""
    return {
        "id": row.id,
        "session_id": row.session_id,
        "escalation_id": row.escalation_id,
        "role": row.role,
        "author": row.author,
        "content": row.content,
        "at": row.at.isoformat() if row.at else None,
    }
