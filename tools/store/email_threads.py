"""E-mail threads in the store: which conversation each e-mail (in or out) belongs to, so a
reply's In-Reply-To / References find the session, and only for the same sender.

Synchronous, one transaction per call, database failures raised as `BackendUnavailable`.
"""

from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime

from sqlalchemy import String, func, select
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Mapped, mapped_column

from tools.store.models import Base, Customer, utcnow
from tools.store.records import SqlRecords

MESSAGE_ID = 255
"""Longest Message-ID kept (RFC 5322 sets none; real ones are well under 100)."""


class EmailThread(Base):
    """One e-mail of a conversation: the customer's (in) or the reply sent (out)."""

    __tablename__ = "email_threads"

    message_id: Mapped[str] = mapped_column(String(MESSAGE_ID), primary_key=True)  # '<a@b>'
    session_id: Mapped[str] = mapped_column(String(64), index=True)
    sender: Mapped[str] = mapped_column(String(254))  # the customer's address, lower case
    direction: Mapped[str] = mapped_column(String(8))  # in | out
    subject: Mapped[str] = mapped_column(String(255), default="")
    at: Mapped[datetime] = mapped_column(default=utcnow)


class EmailThreadRecords(SqlRecords):
    """E-mails and their conversations (`app.email` reads and writes them)."""

    def record_email(
        self, message_id: str, session_id: str, sender: str, direction: str, subject: str = ""
    ) -> bool:
        """Remember that `message_id` belongs to `session_id`; False when it was already
        known (the same e-mail delivered twice), and then nothing changes."""
        row = EmailThread(
            message_id=message_id[:MESSAGE_ID],
            session_id=session_id,
            sender=sender.lower()[:254],
            direction=direction,
            subject=subject[:255],
            at=utcnow(),
        )
        with self._guard("record_email"):
            try:
                with self._writer.begin() as s:
                    s.add(row)
            except IntegrityError:
                return False
        return True

    def email_known(self, message_id: str) -> bool:
        with self._guard("email_known"), self._reader() as s:
            return s.get(EmailThread, message_id[:MESSAGE_ID]) is not None

    def email_session(self, message_ids: Sequence[str], sender: str) -> str | None:
        """The conversation the newest of `message_ids` belongs to, when its thread is
        `sender`'s; None otherwise (a stranger replying to someone's thread starts anew)."""
        ids = [m[:MESSAGE_ID] for m in message_ids if m]
        if not ids:
            return None
        query = (
            select(EmailThread.session_id)
            .where(EmailThread.message_id.in_(ids))
            .where(EmailThread.sender == sender.lower())
            .order_by(EmailThread.at.desc())
            .limit(1)
        )
        with self._guard("email_session"), self._reader() as s:
            return s.scalars(query).first()

    def email_thread_of(self, session_id: str) -> list[dict[str, str]]:
        """The e-mails of a conversation, oldest first: message_id, sender, direction,
        subject (an agent's reply is mailed into this thread)."""
        query = (
            select(EmailThread)
            .where(EmailThread.session_id == session_id)
            .order_by(EmailThread.at, EmailThread.message_id)
        )
        with self._guard("email_thread_of"), self._reader() as s:
            return [
                {
                    "message_id": r.message_id,
                    "sender": r.sender,
                    "direction": r.direction,
                    "subject": r.subject,
                }
                for r in s.scalars(query)
            ]

    def customer_by_email(self, email: str) -> str | None:
        """The id of the customer with this e-mail address (any case), or None."""
        query = select(Customer.id).where(func.lower(Customer.email) == email.lower())
        with self._guard("customer_by_email"), self._reader() as s:
            return s.scalars(query).first()
