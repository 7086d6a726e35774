"""Which order a message means when it gives no order number: by status ("the pending
one"), by recency ("my most recent order", "the older one"), by position in the list the
bot showed ("the second one") or by product ("the one with the headphones").

Pure functions over the customer's own order list; the slot-filling node applies them
(graph.nodes.slots), and only ever to orders the store returned for the acting customer.
"""

from __future__ import annotations

import re
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime
from typing import Literal, Protocol

Recency = Literal["newest", "oldest"]

STATUS_WORDS = {
    "pending": "pending",
    "processing": "processing",
    "shipped": "shipped",
    "delivered": "delivered",
    "cancelled": "cancelled",
    "canceled": "cancelled",
}
_STATUS = r"(pending|processing|shipped|delivered|cancell?ed)"
_THING = r"(?:one|order|purchase|package|parcel)\b(?!')"
_SEVERAL = r"(?:ones|orders|purchases|packages)\b"
_BY_STATUS = re.compile(
    rf"\b(?:the|my|that|this)\s+(?:other\s+|only\s+)?{_STATUS}\s+{_THING}|"
    # "the other two pending ones", "both pending orders"; not "my pending orders" (a list)
    rf"\b(?:the|my|those|these)\s+(?:other\s+(?:two\s+|three\s+)?|two\s+|three\s+|both\s+)"
    rf"{_STATUS}\s+{_SEVERAL}|\bboth\s+(?:of\s+)?(?:the\s+|my\s+)?{_STATUS}\s+{_SEVERAL}|"
    rf"\bone\s+(?:that'?s|that\s+is|which\s+is|that\s+was|which\s+was|that\s+got|"
    rf"that\s+has|which\s+has|still)\s+(?:still\s+|already\s+|been\s+)*{_STATUS}\b|"
    rf"^\W*(?:(?:no|sorry|never ?mind|oh|actually|wait|ok|i meant)\W+)*{_STATUS}\W*$",
    re.I,
)
_NEWEST = re.compile(
    r"\b(?:most\s+recent|latest|newest|newer|last|recent)\s+(?:order|purchase|package|parcel)"
    r"\b(?!s)|\b(?:the|my)\s+(?:most\s+recent|latest|newest|newer|recent)\s+one\b|"
    r"\bthe\s+(?:latest|newest|most\s+recent)\b|\bone\s+i\s+(?:just\s+)?(?:placed|made|ordered)"
    r"(?:\s+(?:most\s+recently|last))?\b|\bmost\s+recently\b",
    re.I,
)
_OLDEST = re.compile(
    r"\b(?:oldest|older|earliest)\s+(?:one|order|purchase)\b|\bmy\s+first\s+order\b", re.I
)
_ORDINALS = {"first": 0, "1st": 0, "second": 1, "2nd": 1, "third": 2, "3rd": 2, "last": -1}
_POSITION = re.compile(
    r"\b(?:the\s+)?(first|second|third|1st|2nd|3rd|last)\s+(?:one|order)\b|"
    r"^\W*(?:(?:no|sorry|ok|oh)\W+)*(?:the\s+)?(first|second|third|1st|2nd|3rd|last)\W*$",
    re.I,
)
_PRODUCT = re.compile(
    r"\b(?:the\s+)?(?:one|order)\s+(?:with|containing|that\s+(?:has|had|contains)|"
    r"where\s+i\s+(?:bought|got|ordered)|for)\s+(?:the\s+|my\s+|a\s+|an\s+)?"
    r"(?!(?:been\s+|already\s+)*(?:pending|processing|shipped|delivered|cancell?ed|arrived)\b)\w",
    re.I,
)
_OTHER = re.compile(
    r"\b(?:my|the)\s+other\s+(?:one|order)\b|\b(?:my|the)\s+other\s+(?:two\s+|three\s+)?"
    r"(?:\w+\s+)?(?:ones|orders)\b",
    re.I,
)


@dataclass(frozen=True)
class OrderPick:
    """How a message picks an order without its number (each part optional)."""

    status: str | None = None
    """'pending', 'shipped', ...: "the pending one"."""
    recency: Recency | None = None
    """'newest' ("my last order") or 'oldest' ("the older one")."""
    position: int | None = None
    """Index into the orders the bot listed ("the second one": 1, "the last one": -1)."""
    product: bool = False
    """Names a product the order holds ("the one with the headphones")."""
    other: bool = False
    """"My other order": not the one the bot was working on."""

    def describe(self) -> str:
        """How the customer named the order, for the reply: "most recent order"."""
        if self.status:
            return f"{self.status} order"
        if self.recency == "newest":
            return "most recent order"
        if self.recency == "oldest":
            return "oldest order"
        return "order like that"


def order_pick(message: str) -> OrderPick | None:
    """The description of an order in a message without an order number, or None."""
    status = next((m for m in _BY_STATUS.finditer(message)), None)
    status_word = next((g for g in (status.groups() if status else ()) if g), None)
    position = _POSITION.search(message)
    position_word = next((g for g in (position.groups() if position else ()) if g), None)
    recency: Recency | None = None
    if _NEWEST.search(message):
        recency = "newest"
    elif _OLDEST.search(message):
        recency = "oldest"
    index = _ORDINALS[position_word.lower()] if position_word else None
    if recency and index == -1:
        index = None  # "my last order": the latest, wherever the bot listed it
    pick = OrderPick(
        status=STATUS_WORDS[status_word.lower()] if status_word else None,
        recency=recency,
        position=index,
        product=bool(_PRODUCT.search(message)),
        other=bool(_OTHER.search(message)),
    )
    if pick.status or pick.recency or pick.position is not None or pick.product:
        return pick
    return None


_REQUEST = re.compile(
    r"\b(cancel|refund|return|exchange|swap|change|where|track|status|invoice|receipt|"
    r"address|pay|when|how)\b",
    re.I,
)


def answers_which(message: str) -> bool:
    """The message only says which order ("the pending one", "no, I meant my other order,
    the latest"): an answer to "which order?", not a new request that describes one
    ("cancel my most recent order")."""
    return order_pick(message) is not None and not _REQUEST.search(message)


class Dated(Protocol):
    """What choosing needs of an order: its number, status and when it was placed."""

    @property
    def id(self) -> str: ...
    @property
    def status(self) -> str: ...
    @property
    def created_at(self) -> datetime: ...


def choose(
    pick: OrderPick,
    orders: Sequence[Dated],
    listed: Sequence[str] = (),
    holding: Sequence[str] | None = None,
    not_this: str | None = None,
) -> list[str] | None:
    """The customer's orders that fit the pick, newest first (one: that one; several: ask
    which; none: no order fits), or None when the pick can't apply ("the second one" with
    nothing listed).

    `orders` are the acting customer's own orders; `listed` the ones the bot just offered
    as choices, in the order shown (a position counts in it; status and product are
    looked for there first); `holding` the orders with a line the message names, when it
    names a product; `not_this` the order the bot was working on ("my other order").
    """
    mine = {o.id: o for o in orders}
    shown = [mine[i] for i in listed if i in mine]
    if pick.position is not None and shown:
        index = pick.position
        return [shown[index].id] if -len(shown) <= index < len(shown) else []
    pool = list(orders)
    if pick.other and not_this and any(o.id != not_this for o in pool):
        pool = [o for o in pool if o.id != not_this]
    if pick.status:
        pool = [o for o in pool if o.status == pick.status]
    if pick.product and holding is not None:
        pool = [o for o in pool if o.id in holding]
    if (pick.status or pick.product) and len(pool) > 1 and shown:
        among_shown = [o for o in pool if o.id in {s.id for s in shown}]
        pool = among_shown or pool  # "the pending one" of those the bot listed
    ranked = sorted(pool, key=lambda o: o.created_at, reverse=True)
    if pick.recency == "newest" and ranked:
        return [ranked[0].id]
    if pick.recency == "oldest" and ranked:
        return [ranked[-1].id]
    if pick.position == -1 and ranked and not shown:
        return [ranked[0].id]  # "the last one" with nothing listed: the latest
    if pick.position is not None and not (pick.status or pick.product):
        return None  # "the second one" of nothing the bot listed
    return [o.id for o in ranked]
