"""Saved replies: text with placeholders filled from the conversation at hand."""

from __future__ import annotations

import re
from typing import Any

from tools.store.protocol import StoreBackend

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

STARTER = {
    "Greeting": "Hi {customer_first_name}, this is {agent_name} from the support team. I've "
    "read our conversation and I'm looking into it now.",
    "Tracking": "Hi {customer_first_name}, order {order_id} is {order_status}; it travels with "
    "{carrier}, tracking number {tracking_number}.",
    "Refund issued": "I've refunded order {order_id}. The money reaches your original payment "
    "method within 5-10 business days, depending on your bank.",
    "Closing": "Is there anything else I can help you with, {customer_first_name}? If not, "
    "I'll close this conversation; you can always write again here.",
}
"""Saved replies `support setup` adds to a desk that has none (agents edit or delete them)."""


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


def add_starter_macros(store: StoreBackend) -> int:
    """Add the STARTER saved replies to a desk that has none; how many were added."""
    if store.list_macros():
        return 0
    for name, text in STARTER.items():
        store.add_macro(name, text, "setup")
    return len(STARTER)
