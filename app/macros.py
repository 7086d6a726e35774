"""Saved replies: text with placeholders filled from the conversation at hand."""

from __future__ import annotations

import re
from typing import Any

PLACEHOLDERS = {
    "customer_name": "the customer's full name",
    "customer_first_name": "the customer's first name",
    "agent_name": "the agent's name",
    "order_id": "the order the conversation is about",
    "order_status": "that order's status",
    "tracking_number": "that order's tracking number",
    "carrier": "that order's carrier",
}
_FIELD = re.compile(r"\{([A-Za-z_]+)\}")


def unknown_placeholders(text: str) -> list[str]:
    """Placeholders in `text` that no conversation can fill (a typo the agent should fix)."""
    return sorted({m for m in _FIELD.findall(text) if m not in PLACEHOLDERS})


def values(
    customer: dict[str, Any] | None, agent: str, order: dict[str, Any] | None
) -> dict[str, str | None]:
    name = (customer or {}).get("name")
    order = order or {}
    return {
        "customer_name": name,
        "customer_first_name": name.split()[0] if name else None,
        "agent_name": agent,
        "order_id": order.get("id"),
        "order_status": order.get("status"),
        "tracking_number": order.get("tracking_number"),
        "carrier": order.get("carrier"),
    }


def render(text: str, filled: dict[str, str | None]) -> tuple[str, list[str]]:
    """`text` with every placeholder that has a value filled in; the ones without stay as
    `{name}` and are listed, so nothing half-true reaches the customer unseen."""
    missing: list[str] = []

    def fill(m: re.Match[str]) -> str:
        value = filled.get(m.group(1))
        if value:
            return value
        if m.group(1) not in missing:
            missing.append(m.group(1))
        return m.group(0)

    return _FIELD.sub(fill, text), missing
