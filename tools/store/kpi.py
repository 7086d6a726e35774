"""Support KPIs from stored conversations (the turn log, escalations, the agent desk's
messages and CSAT ratings).

- conversations: sessions with at least one turn in the window.
- average handle time (AHT): mean time an agent held an escalation, from its (last) claim
  to its resolution, over escalations resolved in the window; None until the desk has
  resolved one. First response time: from the escalation to an agent's first reply, mean
  and median over escalations first answered in the window. The bot's own speed is
  `bot_response_seconds` (mean time to answer one customer turn), never called AHT.
- escalation rate: share of conversations handed to a human; containment = 1 - that
  (resolved without a person).
- first-contact resolution (FCR): share of conversations not escalated whose customer did
  not come back with another conversation within FCR_WINDOW (anonymous ones: not
  escalated).
- customer effort (CES-style): customer turns to resolution, median and mean, over
  resolved conversations (not escalated, or escalated and resolved by an agent; the
  customer's messages to the agent count too).
- CSAT: mean rating (1-5) and the share of 4s and 5s, from end-of-conversation feedback.
"""

from __future__ import annotations

import statistics
from collections import defaultdict
from collections.abc import Sequence
from dataclasses import asdict, dataclass, field
from datetime import datetime, timedelta
from typing import Any

from sqlalchemy import func, inspect, or_, select, text
from sqlalchemy.engine import Engine
from sqlalchemy.orm import Session

from tools.store.models import ConversationMessage, Escalation
from tools.store.turnlog import TurnRecord, turns_since

FCR_WINDOW = timedelta(hours=24)


@dataclass(frozen=True)
class EscalationRow:
    session_id: str
    reason: str
    status: str
    claimed_at: datetime | None = None
    resolved_at: datetime | None = None
    created_at: datetime | None = None
    first_response_at: datetime | None = None


@dataclass(frozen=True)
class Kpis:
    since: str | None
    period: str
    conversations: int
    turns: int
    aht_seconds: float | None
    handled_escalations: int
    first_response_seconds: float | None
    first_response_median_seconds: float | None
    responded_escalations: int
    bot_response_seconds: float | None
    escalation_rate: float | None
    containment_rate: float | None
    first_contact_resolution: float | None
    effort_turns_median: float | None
    effort_turns_mean: float | None
    resolved_conversations: int
    csat_mean: float | None
    csat_satisfied_share: float | None
    ratings: int
    escalations_by_reason: dict[str, int] = field(default_factory=dict)

    def to_dict(self) -> dict[str, Any]:
        return asdict(self)


def _ratio(part: float, whole: float) -> float | None:
    return round(part / whole, 4) if whole else None


def _mean(values: Sequence[float], digits: int = 2) -> float | None:
    return round(sum(values) / len(values), digits) if values else None


def period(since: datetime | None) -> str:
    """'all time' or 'since 2026-12-01 00:00 UTC'."""
    return f"since {since:%Y-%m-%d %H:%M} UTC" if since else "all time"


def compute_kpis(
    turns: Sequence[TurnRecord],
    escalations: Sequence[EscalationRow],
    ratings: Sequence[int],
    since: datetime | None = None,
    customer_messages: dict[str, int] | None = None,
) -> Kpis:
    """KPIs of the given turns. `escalations` are those created (or, for handle times,
    resolved) in the window; `customer_messages` counts per session what customers told an
    agent."""
    by_session: dict[str, list[TurnRecord]] = defaultdict(list)
    first_reason: dict[str, str] = {}
    for esc in escalations:
        first_reason.setdefault(esc.session_id, esc.reason)
    for turn in turns:
        by_session[turn.session_id].append(turn)
        if turn.escalation_reason:
            first_reason.setdefault(turn.session_id, turn.escalation_reason)
    starts: dict[str, list[datetime]] = defaultdict(list)
    for rows in by_session.values():
        rows.sort(key=lambda r: r.at)
        if rows[0].customer_id:
            starts[rows[0].customer_id].append(rows[0].at)
    escalated = {s for s in by_session if s in first_reason}
    resolved_by_agent = {e.session_id for e in escalations if e.status == "resolved"}
    contained_resolved, effort = 0, []
    for session, rows in by_session.items():
        if session in escalated:
            if session in resolved_by_agent:
                effort.append(len(rows) + (customer_messages or {}).get(session, 0))
            continue
        effort.append(len(rows))
        customer, end = rows[0].customer_id, rows[-1].at
        came_back = customer and any(
            end < start <= end + FCR_WINDOW for start in starts.get(customer, [])
        )
        contained_resolved += not came_back
    reasons: dict[str, int] = defaultdict(int)
    for session in escalated:
        reasons[first_reason[session]] += 1
    handle = [
        (e.resolved_at - e.claimed_at).total_seconds()
        for e in escalations
        if e.status == "resolved" and e.claimed_at and e.resolved_at
        and (since is None or e.resolved_at >= since)
    ]  # fmt: skip
    first = [
        (e.first_response_at - e.created_at).total_seconds()
        for e in escalations
        if e.first_response_at and e.created_at
        and (since is None or e.first_response_at >= since)
    ]  # fmt: skip
    latencies = [t.latency_ms / 1000 for t in turns if t.latency_ms is not None]
    n = len(by_session)
    escalation_rate = _ratio(len(escalated), n)
    return Kpis(
        since=since.isoformat(timespec="seconds") if since else None,
        period=period(since),
        conversations=n,
        turns=len(turns),
        aht_seconds=_mean(handle, 1),
        handled_escalations=len(handle),
        first_response_seconds=_mean(first, 1),
        first_response_median_seconds=round(statistics.median(first), 1) if first else None,
        responded_escalations=len(first),
        bot_response_seconds=_mean(latencies, 3),
        escalation_rate=escalation_rate,
        containment_rate=round(1 - escalation_rate, 4) if escalation_rate is not None else None,
        first_contact_resolution=_ratio(contained_resolved, n),
        effort_turns_median=float(statistics.median(effort)) if effort else None,
        effort_turns_mean=_mean(effort),
        resolved_conversations=len(effort),
        csat_mean=round(sum(ratings) / len(ratings), 3) if ratings else None,
        csat_satisfied_share=_ratio(sum(r >= 4 for r in ratings), len(ratings)),
        ratings=len(ratings),
        escalations_by_reason=dict(sorted(reasons.items())),
    )


def _since_param(engine: Engine, since: datetime) -> datetime:
    return since.replace(tzinfo=None) if engine.dialect.name == "sqlite" else since


def _escalations(engine: Engine, since: datetime | None) -> list[EscalationRow]:
    """Escalations created in the window, and those resolved in it (for handle times)."""
    query = select(
        Escalation.session_id, Escalation.reason, Escalation.status,
        Escalation.claimed_at, Escalation.resolved_at, Escalation.created_at,
        Escalation.first_response_at,
    ).order_by(Escalation.created_at)  # fmt: skip
    if since is not None:
        query = query.where(
            or_(
                Escalation.created_at >= since,
                Escalation.resolved_at >= since,
                Escalation.first_response_at >= since,
            )
        )
    with Session(engine) as s:
        return [EscalationRow(*row) for row in s.execute(query)]


def _customer_messages(engine: Engine, since: datetime | None) -> dict[str, int]:
    """Messages customers sent to an agent, per session."""
    query = (
        select(ConversationMessage.session_id, func.count())
        .where(ConversationMessage.role == "customer")
        .group_by(ConversationMessage.session_id)
    )
    if since is not None:
        query = query.where(ConversationMessage.at >= since)
    with Session(engine) as s:
        return {session: int(n) for session, n in s.execute(query)}


def _ratings(engine: Engine, since: datetime | None) -> list[int]:
    """CSAT ratings from the feedback table, if this store has one."""
    if "feedback" not in set(inspect(engine).get_table_names()):
        return []
    query = "SELECT rating FROM feedback"
    params: dict[str, Any] = {}
    if since is not None:
        query += " WHERE created_at >= :since"
        params["since"] = _since_param(engine, since)
    with engine.connect() as conn:
        return [int(r) for (r,) in conn.execute(text(query), params)]


def store_kpis(engine: Engine, since: datetime | None = None) -> Kpis:
    """KPIs of the conversations stored in the store at `engine` since a moment."""
    return compute_kpis(
        turns_since(engine, since),
        _escalations(engine, since),
        _ratings(engine, since),
        since,
        _customer_messages(engine, since),
    )
