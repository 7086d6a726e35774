"""`support kpi`: how the support operation is doing, as a table (or JSON)."""

from __future__ import annotations

import re
from datetime import UTC, datetime, timedelta
from typing import Annotated, Any

import typer

from cli.common import fail, load_settings, print_json

_SPAN = re.compile(r"^(\d+)([hdw])$")


def parse_since(value: str | None) -> datetime | None:
    """'7d', '24h', '2w' (that long ago) or an ISO date/time (UTC); None for all time."""
    if not value:
        return None
    span = _SPAN.match(value.strip())
    if span:
        n, unit = int(span[1]), span[2]
        hours = {"h": 1, "d": 24, "w": 24 * 7}[unit] * n
        return datetime.now(UTC) - timedelta(hours=hours)
    try:
        moment = datetime.fromisoformat(value.strip())
    except ValueError as exc:
        raise typer.BadParameter(
            f"{value!r} is neither a span like 7d / 24h / 2w nor an ISO date"
        ) from exc
    return moment if moment.tzinfo else moment.replace(tzinfo=UTC)


def _share(value: float | None) -> str:
    return "n/a" if value is None else f"{value * 100:.1f} %"


def _duration(seconds: float | None) -> str:
    if seconds is None:
        return "n/a"
    if seconds < 60:
        return f"{seconds:.1f} s"
    minutes, rest = divmod(round(seconds), 60)
    hours, minutes = divmod(minutes, 60)
    return f"{hours} h {minutes:02d} min" if hours else f"{minutes} min {rest:02d} s"


def kpi_rows(k: dict[str, Any]) -> list[tuple[str, str, str]]:
    """(metric, value, what it means) for each KPI of `store_kpis(...).to_dict()`."""
    aht_meaning = (
        f"agent handle time: claim to resolve, mean of {k['handled_escalations']} hand-offs"
        if k["aht_seconds"] is not None
        else "agent handle time: no hand-off claimed and resolved on the desk yet"
    )
    effort = (
        f"median {k['effort_turns_median']:g}, mean {k['effort_turns_mean']:g}"
        if k["effort_turns_median"] is not None
        else "n/a"
    )
    csat = (
        f"{k['csat_mean']:.2f} / 5, {_share(k['csat_satisfied_share'])} rated 4-5"
        if k["csat_mean"] is not None
        else "n/a"
    )
    reasons = ", ".join(f"{r} {n}" for r, n in k["escalations_by_reason"].items()) or "none"
    return [
        ("period", k["period"], "the window the figures below cover"),
        ("conversations", str(k["conversations"]), "sessions with at least one customer turn"),
        ("turns", str(k["turns"]), "customer messages the bot answered"),
        ("AHT", _duration(k["aht_seconds"]), aht_meaning),
        ("first response time", _duration(k["first_response_seconds"]),
         f"escalation to an agent's first reply: mean of {k['responded_escalations']} "
         f"(median {_duration(k['first_response_median_seconds'])})"
         if k["first_response_seconds"] is not None
         else "escalation to an agent's first reply: no agent reply yet"),
        ("bot response time", _duration(k["bot_response_seconds"]),
         "mean time the bot took to answer one message (not AHT)"),
        ("escalation rate", _share(k["escalation_rate"]),
         "conversations handed to a person"),
        ("containment", _share(k["containment_rate"]),
         "conversations resolved without a person"),
        ("first-contact resolution", _share(k["first_contact_resolution"]),
         "not escalated, and the customer did not come back within 24 h"),
        ("customer effort (turns)", effort,
         f"customer turns to resolution over {k['resolved_conversations']} resolved "
         "conversations (CES-style: fewer is easier)"),
        ("CSAT", csat, f"end-of-conversation ratings ({k['ratings']})"),
        ("escalations by reason", reasons, "why conversations reached a person"),
    ]  # fmt: skip


def channel_rows(k: dict[str, Any]) -> list[tuple[str, ...]]:
    """(channel, conversations, escalation rate, FCR, CSAT, AHT) for each channel."""
    rows: list[tuple[str, ...]] = [("channel", "conversations", "escalation rate", "FCR",
                                    "CSAT", "AHT")]  # fmt: skip
    for name, c in (k.get("by_channel") or {}).items():
        csat = f"{c['csat_mean']:.2f} ({c['ratings']})" if c["csat_mean"] is not None else "n/a"
        rows.append((name, str(c["conversations"]), _share(c["escalation_rate"]),
                     _share(c["first_contact_resolution"]), csat,
                     _duration(c["aht_seconds"])))  # fmt: skip
    return rows


def render_columns(rows: list[tuple[str, ...]]) -> str:
    widths = [max(len(r[i]) for r in rows) for i in range(len(rows[0]))]
    lines = ["  ".join(f"{v:<{w}}" for v, w in zip(r, widths, strict=True)).rstrip() for r in rows]
    lines.insert(1, "  ".join("-" * w for w in widths))
    return "\n".join(lines)


def render_table(rows: list[tuple[str, str, str]]) -> str:
    header = ("metric", "value", "what it means")
    widths = [max(len(r[i]) for r in [header, *rows]) for i in (0, 1)]
    lines = [f"{m:<{widths[0]}}  {v:<{widths[1]}}  {w}" for m, v, w in [header, *rows]]
    lines.insert(1, f"{'-' * widths[0]}  {'-' * widths[1]}  {'-' * len(header[2])}")
    return "\n".join(lines)


def kpi(
    since: Annotated[
        str | None, typer.Option("--since", help="7d, 24h, 2w or an ISO date; default: all.")
    ] = None,
    as_json: Annotated[bool, typer.Option("--json", help="Print JSON.")] = False,
) -> None:
    """Support KPIs from stored conversations: AHT, containment, FCR, customer effort, CSAT,
    escalation rate.

    Example: support kpi --since 7d --json
    """
    from sqlalchemy.exc import SQLAlchemyError

    from tools.store.db import create_schema, make_engine
    from tools.store.kpi import store_kpis

    moment = parse_since(since)
    settings = load_settings()
    try:
        engine = make_engine(settings.database_url)
        create_schema(engine)
        result = store_kpis(engine, moment).to_dict()
    except SQLAlchemyError as exc:
        fail(f"the store at DATABASE_URL cannot be read: {type(exc).__name__}")
    if as_json:
        print_json(result)
        return
    typer.echo(render_table(kpi_rows(result)))
    if result.get("by_channel"):
        typer.echo("\nby channel\n" + render_columns(channel_rows(result)))
