"""One row per answered customer turn: the data behind KPIs, drift checks and dashboards.

Written by the chat service after each turn (best effort: a failing write is logged and
never fails the customer's turn). Message text is stored with e-mails, card and phone
numbers redacted, like the logs.
"""

from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime
from typing import Any

from sqlalchemy import Index, String, select
from sqlalchemy.engine import Engine
from sqlalchemy.orm import Mapped, Session, mapped_column

from tools.store.models import CUSTOMER_ID, Base, utcnow


class TurnRecord(Base):
    __tablename__ = "turn_log"
    __table_args__ = (Index("ix_turn_log_at", "at"),)

    id: Mapped[int] = mapped_column(primary_key=True, autoincrement=True)
    session_id: Mapped[str] = mapped_column(String(64), index=True)
    customer_id: Mapped[str | None] = mapped_column(String(CUSTOMER_ID))
    at: Mapped[datetime] = mapped_column(default=utcnow)
    message: Mapped[str] = mapped_column(String(4000))
    intent: Mapped[str | None] = mapped_column(String(64))
    confidence: Mapped[float | None]
    model_version: Mapped[str | None] = mapped_column(String(32))
    sentiment_label: Mapped[str | None] = mapped_column(String(16))
    sentiment_score: Mapped[float | None]
    route: Mapped[str | None] = mapped_column(String(32))
    escalation_reason: Mapped[str | None] = mapped_column(String(32))
    latency_ms: Mapped[int | None]


def turn_row(
    session_id: str, customer_id: str | None, message: str, state: dict[str, Any], seconds: float
) -> TurnRecord:
    """The record of one finished turn, from the graph's final state."""
    from observability.logs import redact

    sentiment = state.get("sentiment") or {}
    escalation = state.get("escalation") or {}
    return TurnRecord(
        session_id=session_id,
        customer_id=customer_id,
        at=utcnow(),
        message=redact(message)[:4000],
        intent=state.get("intent"),
        confidence=state.get("confidence"),
        model_version=state.get("model_version"),
        sentiment_label=sentiment.get("label"),
        sentiment_score=sentiment.get("score"),
        route=state.get("route"),
        escalation_reason=escalation.get("reason") if escalation else None,
        latency_ms=round(seconds * 1000),
    )


def write_turn(engine: Engine, row: TurnRecord) -> None:
    with Session(engine) as s, s.begin():
        s.add(row)


def turns_since(engine: Engine, since: datetime | None) -> Sequence[TurnRecord]:
    """Turn records at or after `since` (all when None), oldest first."""
    query = select(TurnRecord).order_by(TurnRecord.at, TurnRecord.id)
    if since is not None:
        query = query.where(TurnRecord.at >= since)
    with Session(engine, expire_on_commit=False) as s:
        return list(s.scalars(query))
