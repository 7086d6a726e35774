"""Support KPIs from stored conversations (the turn log, escalations and CSAT ratings).

- conversations: sessions with at least one turn in the window.
- average handle time (AHT): mean time from a conversation's first customer message to
  its last answer (the last turn's own latency included).
- escalation rate: share of conversations handed to a human; containment = 1 - that.
- first-contact resolution (FCR): share of conversations not escalated whose customer did
  not come back with another conversation within FCR_WINDOW (anonymous ones: not
  escalated).
- CSAT: mean rating (1-5) and the share of 4s and 5s, from end-of-conversation feedback.
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Sequence
from dataclasses import asdict, dataclass
from datetime import datetime, timedelta
from typing import Any

from sqlalchemy import inspect, text
from sqlalchemy.engine import Engine

from tools.store.turnlog import TurnRecord, turns_since

FCR_WINDOW = timedelta(hours=24)


@dataclass(frozen=True)
class Kpis:
    since: str | None
    conversations: int
    turns: int
    aht_seconds: float | None
    escalation_rate: float | None
    containment_rate: float | None
    first_contact_resolution: float | None
    csat_mean: float | None
    csat_satisfied_share: float | None
    ratings: int
    escalations_by_reason: dict[str, int]

    def to_dict(self) -> dict[str, Any]:
        return asdict(self)


def _ratio(part: float, whole: float) -> float | None:
    return round(part / whole, 4) if whole else None


def compute_kpis(
    turns: Sequence[TurnRecord],
    escalated_sessions: dict[str, str],
    ratings: Sequence[int],
    since: datetime | None = None,
) -> Kpis:
    """KPIs of the given turns; `escalated_sessions` maps session id -> first reason."""
    by_session: dict[str, list[TurnRecord]] = defaultdict(list)
    for turn in turns:
        by_session[turn.session_id].append(turn)
        if turn.escalation_reason and turn.session_id not in escalated_sessions:
            escalated_sessions = {**escalated_sessions, turn.session_id: turn.escalation_reason}
    handle: list[float] = []
    starts: dict[str, list[datetime]] = defaultdict(list)
    for rows in by_session.values():
        rows.sort(key=lambda r: r.at)
        last = rows[-1]
        handle.append((last.at - rows[0].at).total_seconds() + (last.latency_ms or 0) / 1000)
        if rows[0].customer_id:
            starts[rows[0].customer_id].append(rows[0].at)
    escalated = {s for s in by_session if s in escalated_sessions}
    resolved = 0
    for session, rows in by_session.items():
        if session in escalated:
            continue
        customer, end = rows[0].customer_id, rows[-1].at
        came_back = customer and any(
            end < start <= end + FCR_WINDOW for start in starts.get(customer, [])
        )
        resolved += not came_back
    reasons: dict[str, int] = defaultdict(int)
    for session in escalated:
        reasons[escalated_sessions[session]] += 1
    n = len(by_session)
    escalation_rate = _ratio(len(escalated), n)
    return Kpis(
        since=since.isoformat(timespec="seconds") if since else None,
        conversations=n,
        turns=len(turns),
        aht_seconds=round(sum(handle) / len(handle), 2) if handle else None,
        escalation_rate=escalation_rate,
        containment_rate=round(1 - escalation_rate, 4) if escalation_rate is not None else None,
        first_contact_resolution=_ratio(resolved, n),
        csat_mean=round(sum(ratings) / len(ratings), 3) if ratings else None,
        csat_satisfied_share=_ratio(sum(r >= 4 for r in ratings), len(ratings)),
        ratings=len(ratings),
        escalations_by_reason=dict(sorted(reasons.items())),
    )


def _escalations(engine: Engine, since: datetime | None) -> dict[str, str]:
    query = "SELECT session_id, reason FROM escalations"
    params: dict[str, Any] = {}
    if since is not None:
        query += " WHERE created_at >= :since"
        params["since"] = since.replace(tzinfo=None) if engine.dialect.name == "sqlite" else since
    found: dict[str, str] = {}
    with engine.connect() as conn:
        for session_id, reason in conn.execute(text(query + " ORDER BY created_at"), params):
            found.setdefault(session_id, reason)
    return found


def _ratings(engine: Engine, since: datetime | None) -> list[int]:
    """CSAT ratings from the feedback table, if this store has one."""
    tables = set(inspect(engine).get_table_names())
    if "feedback" not in tables:
        return []
    query = "SELECT rating FROM feedback"
    params: dict[str, Any] = {}
    if since is not None:
        query += " WHERE created_at >= :since"
        params["since"] = since.replace(tzinfo=None) if engine.dialect.name == "sqlite" else since
    with engine.connect() as conn:
        return [int(r) for (r,) in conn.execute(text(query), params)]


def store_kpis(engine: Engine, since: datetime | None = None) -> Kpis:
    """KPIs of the conversations stored in the store at `engine` since a moment."""
    return compute_kpis(
        turns_since(engine, since), _escalations(engine, since), _ratings(engine, since), since
    )
