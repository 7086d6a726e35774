"""How an agent names an order's parts in a reply: its items ("2 x Aurora Earbuds"), what
it was paid with, the product the customer is talking about ("the mouse is missing, only
the headphones came" is about the mouse) and what happened to it."""

from __future__ import annotations

import re
from datetime import UTC, datetime

from tools.schemas import OrderView


def items(order: OrderView) -> str:
    names = [f"{i.quantity} x {i.name}" if i.quantity > 1 else i.name for i in order.items]
    return ", ".join(names)


def paid_with(order: OrderView) -> str:
    payment = order.current_payment
    return payment.label if payment else "the original payment method"


def days_since(moment: datetime | None, now: datetime) -> int | None:
    if moment is None:
        return None
    when = moment if moment.tzinfo else moment.replace(tzinfo=UTC)
    return (now - when).days


def what_happened(question: str) -> str:
    if re.search(r"work|defective|faulty|leak|charge|turn on|power", question, re.I):
        return "is faulty"
    return "arrived damaged"


_FINE = re.compile(
    r"\b(?:the |my )?[a-z]+ (?:is|was|are|were|arrived|came) (?:fine|ok|okay|good|perfect)\b"
)
"""What the customer says is fine ("the bottle is fine but the speaker box...")."""


def item_named(order: OrderView, question: str) -> str:
    """The order's product the question names first ("the mouse is missing, only the
    headphones came" is about the mouse), else its only product, else "item"."""
    said = _FINE.sub("", question.lower())
    at: dict[str, int] = {}
    for item in order.items:
        for word in re.findall(r"[a-z]{4,}", item.name.lower()):
            found = re.search(rf"\b{word}", said)
            if found:
                at[item.name] = min(at.get(item.name, len(said)), found.start())
    if at:
        return min(at, key=lambda name: at[name])
    return order.items[0].name if len(order.items) == 1 else "item"
