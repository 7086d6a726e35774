"""Dead letters of the escalation webhook: notices it never took, kept with their body so an
operator can list them and send them again (`support ops webhooks`).

Synchronous, one transaction per call, database failures raised as `BackendUnavailable`.
"""

from __future__ import annotations

from datetime import datetime
from typing import Any

from sqlalchemy import or_, select

from tools.errors import NotFound
from tools.store.models import WebhookDeadLetter, utcnow
from tools.store.records import SqlRecords

DEAD_LETTER_REASONS = ("exhausted", "refused", "shutdown")
"""exhausted: every attempt failed; refused: the webhook answered a 4xx that a retry would
not change; shutdown: the service stopped while the notice waited for its next attempt."""


def _iso(at: datetime | None) -> str | None:
    return at.isoformat() if at else None


def dead_letter_row(row: WebhookDeadLetter) -> dict[str, Any]:
    """A dead letter as `support ops webhooks` shows it."""
    return {
        "id": row.id,
        "escalation_id": row.escalation_id,
        "url": row.url,
        "body": row.body,
        "attempts": row.attempts,
        "reason": row.reason,
        "last_error": row.last_error,
        "created_at": _iso(row.created_at),
        "replayed_at": _iso(row.replayed_at),
        "replay_status": row.replay_status,
    }


class WebhookRecords(SqlRecords):
    """Notices the escalation webhook never took, and their replays."""

    def add_webhook_dead_letter(
        self,
        *,
        escalation_id: str,
        url: str,
        body: dict[str, Any],
        attempts: int,
        reason: str,
        last_error: str,
    ) -> dict[str, Any]:
        """Keep a notice the webhook did not take after `attempts` tries."""
        if reason not in DEAD_LETTER_REASONS:
            raise ValueError(f"unknown dead-letter reason {reason!r}")
        with self._guard("add_webhook_dead_letter"), self._writer.begin() as s:
            row = WebhookDeadLetter(
                escalation_id=escalation_id,
                url=url,
                body=body,
                attempts=attempts,
                reason=reason,
                last_error=last_error,
                created_at=utcnow(),
            )
            s.add(row)
            s.flush()
            return dead_letter_row(row)

    def list_webhook_dead_letters(self, include_delivered: bool = False) -> list[dict[str, Any]]:
        """Dead letters oldest first: those not yet delivered by a replay, or all of them."""
        with self._guard("list_webhook_dead_letters"), self._reader() as s:
            query = select(WebhookDeadLetter).order_by(WebhookDeadLetter.id)
            if not include_delivered:
                query = query.where(
                    or_(
                        WebhookDeadLetter.replay_status.is_(None),
                        WebhookDeadLetter.replay_status != "delivered",
                    )
                )
            return [dead_letter_row(row) for row in s.scalars(query)]

    def get_webhook_dead_letter(self, dead_letter_id: int) -> dict[str, Any] | None:
        with self._guard("get_webhook_dead_letter"), self._reader() as s:
            row = s.get(WebhookDeadLetter, dead_letter_id)
            return dead_letter_row(row) if row else None

    def mark_webhook_replay(
        self, dead_letter_id: int, *, url: str, error: str | None
    ) -> dict[str, Any]:
        """Record one replay to `url`: delivered when `error` is None, else failed with it
        (the attempt counts, and the dead letter stays on the list)."""
        with self._guard("mark_webhook_replay"), self._writer.begin() as s:
            row = s.get(WebhookDeadLetter, dead_letter_id, with_for_update=True)
            if row is None:
                raise NotFound(f"no webhook dead letter {dead_letter_id}")
            row.url = url
            row.attempts += 1
            row.replayed_at = utcnow()
            row.replay_status = "delivered" if error is None else "failed"
            if error is not None:
                row.last_error = error
            s.flush()
            return dead_letter_row(row)
