"""Small store queries behind operators' signals: the escalation queue and agents' relabels.

Read at scrape time by /metrics (so every worker reports the same, true numbers) and by
`support drift check`.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

from sqlalchemy import case, func, select
from sqlalchemy.engine import Engine
from sqlalchemy.orm import Session

from tools.store.models import Correction, Escalation

UNCLAIMED = ("open", "handed_back")
"""Statuses of an escalation waiting for a person (claimed: a person has it)."""


def unresolved_escalations(engine: Engine) -> dict[tuple[str, str], int]:
    """(reason, status) -> count of escalations not resolved yet."""
    query = (
        select(Escalation.reason, Escalation.status, func.count())
        .where(Escalation.status != "resolved")
        .group_by(Escalation.reason, Escalation.status)
    )
    with Session(engine) as s:
        return {(reason, status): int(n) for reason, status, n in s.execute(query)}


@dataclass(frozen=True)
class Relabel:
    text: str
    intent: str
    predicted: str


def relabels(engine: Engine, since: datetime | None = None) -> list[Relabel]:
    """Customer turns an agent gave an intent label (kind 'relabel'), oldest first.

    Edited replies and rejected suggestions are not labels of a customer turn: the text
    of those corrections is the agent's or the bot's, not the customer's."""
    query = (
        select(Correction.text, Correction.intent, Correction.predicted_intent)
        .where(Correction.kind == "relabel", Correction.intent.is_not(None))
        .order_by(Correction.id)
    )
    if since is not None:
        query = query.where(Correction.created_at >= since)
    with Session(engine) as s:
        return [Relabel(t, i, p or "") for t, i, p in s.execute(query) if t and i]


def relabel_counts(engine: Engine, since: datetime) -> tuple[int, int]:
    """(agent-labelled turns, those whose label differs from the model's) since a moment."""
    differs = func.coalesce(Correction.predicted_intent, "") != Correction.intent
    changed = func.sum(case((differs, 1), else_=0))
    query = select(func.count(), changed).where(
        Correction.kind == "relabel",
        Correction.intent.is_not(None),
        Correction.created_at >= since,
    )
    with Session(engine) as s:
        total, different = s.execute(query).one()
    return int(total or 0), int(different or 0)
