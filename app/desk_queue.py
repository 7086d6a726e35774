"""The desk's queue: one row per conversation waiting on (or held by) a human, with how long
the customer has waited, an SLA colour, filters and search."""

from __future__ import annotations

import re
from datetime import UTC, datetime
from typing import Any, Literal

ORDER_ID = re.compile(r"\bW\d{7}\b")
"""An order number as customers and the bot write it."""

View = Literal["all", "mine", "unassigned"]


def order_ids(row: dict[str, Any]) -> list[str]:
    """Order numbers the customer mentions, latest first, then the escalating turn's. The
    bot's lines don't count: a list of the customer's orders, or a help-centre example
    number, is not what the conversation is about."""
    said = " ".join(
        str(ln.get("content") or "")
        for ln in row.get("transcript") or []
        if ln.get("role") == "customer"
    )
    found = list(reversed(ORDER_ID.findall(said.upper())))
    for e in row.get("entities") or []:
        if isinstance(e, dict) and e.get("type") == "order_id" and e.get("value"):
            found.append(str(e["value"]).upper().lstrip("#"))
    return list(dict.fromkeys(found))


def last_customer_line(row: dict[str, Any]) -> str:
    return next(
        (ln["content"] for ln in reversed(row.get("transcript") or [])
         if ln.get("role") == "customer"),
        "",
    )  # fmt: skip


def sla(wait: float | None, warn: int, breach: int) -> str | None:
    if wait is None:
        return None
    return "breach" if wait >= breach else "warn" if wait >= warn else "ok"


def matches(row: dict[str, Any], name: str | None, ids: list[str], q: str) -> bool:
    """Search by customer (id, name), order id, ticket or session id, or any transcript text."""
    words = q.lower().split()
    hay = " ".join(
        [row["id"], row["session_id"], row.get("customer_id") or "", name or "", *ids]
        + [str(ln.get("content") or "") for ln in row.get("transcript") or []]
    ).lower()
    return all(w in hay for w in words)


def queue(
    rows: list[dict[str, Any]],
    names: dict[str, str],
    latest: dict[str, str],
    *,
    agent: str,
    view: View = "all",
    reason: str | None = None,
    q: str | None = None,
    warn: int,
    breach: int,
    now: datetime | None = None,
    channels: dict[str, str] | None = None,
) -> list[dict[str, Any]]:
    """Queue rows from the store's escalation rows: filtered by `view` (mine: held by
    `agent`; unassigned: held by nobody), `reason` and the search `q`; the customers who
    have waited longest first, then the rest newest first. `latest` holds a newer customer
    line per escalation than its snapshot (said to the bot or to an agent since); `channels`
    where each session's customer writes (api when unknown)."""
    now = now or datetime.now(UTC)
    out = []
    for row in rows:
        if view == "mine" and row["assignee"] != agent:
            continue
        if view == "unassigned" and row["assignee"] is not None:
            continue
        if reason and row["reason"] != reason:
            continue
        name = names.get(row["customer_id"] or "")
        ids = order_ids(row)
        if q and not matches(row, name, ids, q):
            continue
        since = row.get("waiting_since")
        wait = None
        if since and row["status"] != "resolved":
            wait = max(0.0, round((now - datetime.fromisoformat(since)).total_seconds(), 1))
        out.append(
            {
                **{k: row[k] for k in ("id", "session_id", "reason", "status", "customer_id",
                                       "assignee", "created_at", "waiting_since")},
                "customer_name": name,
                "last_message": (latest.get(row["id"]) or last_customer_line(row))[:200],
                "wait_seconds": wait,
                "sla": sla(wait, warn, breach),
                "order_ids": ids,
                "channel": (channels or {}).get(row["session_id"], "api"),
            }
        )  # fmt: skip
    waiting = sorted((r for r in out if r["wait_seconds"] is not None),
                     key=lambda r: -r["wait_seconds"])  # fmt: skip
    rest = sorted((r for r in out if r["wait_seconds"] is None),
                  key=lambda r: r["created_at"] or "", reverse=True)  # fmt: skip
    return waiting + rest
