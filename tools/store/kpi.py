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
- by channel: the same figures for the conversations of each channel (api, widget, email)
  the conversation started on; a customer coming back on another channel still counts
  against first-contact resolution.
"""

from __future__ import annotations

import statistics
from collections import defaultdict
from collections.abc import Iterable, Sequence
from dataclasses import asdict, dataclass, field
from datetime import datetime, timedelta
from typing import Any

from sqlalchemy import func, inspect, or_, select, text
from sqlalchemy.engine import Engine
from sqlalchemy.orm import Session

from tools.store.models import CHANNELS, ChatSession, ConversationMessage, Escalation
from tools.store.turnlog import TurnRecord, turns_since

FCR_WINDOW = timedelta(hours=24)
CHANNEL_FIGURES = (
    "conversations", "turns", "escalation_rate", "containment_rate",
    "first_contact_resolution", "aht_seconds", "handled_escalations",
    "first_response_seconds", "csat_mean", "ratings",
)  # fmt: skip
"""What `Kpis.by_channel` gives for each channel."""


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
    by_channel: dict[str, dict[str, Any]] = field(default_factory=dict)

    def to_dict(self) -> dict[str, Any]:
        return asdict(self)


def _ratio(part: float, whole: float) -> float | None:
    return round(part / whole, 4) if whole else None


def _mean(values: Sequence[float], digits: int = 2) -> float | None:
    return round(sum(values) / len(values), digits) if values else None


def period(since: datetime | None) -> str:
    """'all time' or 'since 2026-12-01 00:00 UTC'."""
    return f"since {since:%Y-%m-%d %H:%M} UTC" if since else "all time"


def _starts(turns: Iterable[TurnRecord]) -> dict[str, list[datetime]]:
    """When each customer's conversations began (their first turn)."""
    first: dict[str, TurnRecord] = {}
    for turn in turns:
        if turn.session_id not in first or turn.at < first[turn.session_id].at:
            first[turn.session_id] = turn
    starts: dict[str, list[datetime]] = defaultdict(list)
    for turn in first.values():
        if turn.customer_id:
            starts[turn.customer_id].append(turn.at)
    return starts


def kpis_by_channel(
    turns: Sequence[TurnRecord],
    escalations: Sequence[EscalationRow],
    ratings: Sequence[tuple[str, int]],
    channel_of: dict[str, str],
    since: datetime | None = None,
    customer_messages: dict[str, int] | None = None,
) -> Kpis:
    """`compute_kpis` of everything, with `by_channel` filled from each session's channel
    (`channel_of`; 'api' for a session it does not name). `ratings`: (session, rating)."""

    def channel(session_id: str) -> str:
        return channel_of.get(session_id, "api")

    split: dict[str, dict[str, Any]] = {}
    for name in CHANNELS:
        part = compute_kpis(
            [t for t in turns if channel(t.session_id) == name],
            [e for e in escalations if channel(e.session_id) == name],
            [r for s, r in ratings if channel(s) == name],
            since,
            customer_messages,
            came_back_from=turns,
        ).to_dict()
        split[name] = {key: part[key] for key in CHANNEL_FIGURES}
    whole = compute_kpis(turns, escalations, [r for _, r in ratings], since, customer_messages)
    return Kpis(**{**whole.to_dict(), "by_channel": split})


def compute_kpis(
    turns: Sequence[TurnRecord],
    escalations: Sequence[EscalationRow],
    ratings: Sequence[int],
    since: datetime | None = None,
    customer_messages: dict[str, int] | None = None,
    came_back_from: Sequence[TurnRecord] | None = None,
) -> Kpis:
    """KPIs of the given turns. `escalations` are those created (or, for handle times,
    resolved) in the window; `customer_messages` counts per session what customers told an
    agent; `came_back_from` (default: `turns`) are the turns whose conversations count as a
    customer coming back."""
    by_session: dict[str, list[TurnRecord]] = defaultdict(list)
    first_reason: dict[str, str] = {}
    for esc in escalations:
        first_reason.setdefault(esc.session_id, esc.reason)
    for turn in turns:
        by_session[turn.session_id].append(turn)
        if turn.escalation_reason:
            first_reason.setdefault(turn.session_id, turn.escalation_reason)
    for rows in by_session.values():
        rows.sort(key=lambda r: r.at)
    starts = _starts(turns if came_back_from is None else came_back_from)
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


def _ratings(engine: Engine, since: datetime | None) -> list[tuple[str, int]]:
    """CSAT ratings (session, rating) from the feedback table, if this store has one."""
    if "feedback" not in set(inspect(engine).get_table_names()):
        return []
    query = "SELECT session_id, rating FROM feedback"
    params: dict[str, Any] = {}
    if since is not None:
        query += " WHERE created_at >= :since"
        params["since"] = _since_param(engine, since)
    with engine.connect() as conn:
        return [(str(session), int(r)) for session, r in conn.execute(text(query), params)]


def _channels(engine: Engine, sessions: set[str]) -> dict[str, str]:
    """The channel of each of `sessions` that has a session row."""
    found: dict[str, str] = {}
    ids = sorted(sessions)
    with Session(engine) as s:
        for i in range(0, len(ids), 500):
            query = select(ChatSession.id, ChatSession.channel).where(
                ChatSession.id.in_(ids[i : i + 500])
            )
            found.update({sid: channel or "api" for sid, channel in s.execute(query)})
    return found


def store_kpis(engine: Engine, since: datetime | None = None) -> Kpis:
    """KPIs of the conversations stored in the store at `engine` since a moment, overall
    and by channel."""
    turns = turns_since(engine, since)
    escalations = _escalations(engine, since)
    ratings = _ratings(engine, since)
    sessions = {t.session_id for t in turns} | {e.session_id for e in escalations}
    sessions |= {session for session, _ in ratings}
    return kpis_by_channel(
        turns,
        escalations,
        ratings,
        _channels(engine, sessions),
        since,
        _customer_messages(engine, since),
    )
