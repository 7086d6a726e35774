"""Which of the customer's orders they mean, as an agent works it out: the number they
wrote, else the products they name ("the one with the bottle and the charger"), a status
or month they name ("still says pending", "the one from october"), and the statuses their
concern fits; and whether their words are about an order at all."""

from __future__ import annotations

import re
from collections.abc import Sequence
from difflib import SequenceMatcher

from app.suggest.topics import ORDER_ID, PREFERRED_STATUS
from tools.schemas import OrderView

_REFERENCE = re.compile(
    r"\b(?:my|the|this|that|our|your)\s+(?:\w+\s+)?(?:order|package|parcel|delivery|shipment|"
    r"refund|money|item|box|charges?|invoice|purchase|stuff|bottle|lamp|return)s?\b|\bcharged\b|"
    r"\bI (?:have |'ve |just )?(?:ordered|bought|purchased|returned|sent|got|received|paid|"
    r"cancell?ed|placed)\b|\bordred\b",
    re.I,
)
_NOT_ITEM_WORDS = frozenset(
    {"order", "package", "parcel", "item", "items", "with", "from", "that", "this", "what"}
)
STATUSES = ("pending", "processing", "shipped", "delivered", "cancelled")


def _words(text: str) -> set[str]:
    return set(re.findall(r"[a-z]{4,}", text.lower())) - _NOT_ITEM_WORDS


def _same_word(name_word: str, said: str) -> bool:
    """ "watch" is "watches", "speaker" is "speakers"; "back" is not "backpack"."""
    if name_word == said:
        return True
    short, long_ = sorted((name_word, said), key=len)
    if len(short) < 5:
        return False
    return long_.startswith(short) or SequenceMatcher(None, short, long_).ratio() >= 0.9


def items_named(text: str, order: OrderView) -> int:
    """How many of the order's products the text names ("my speaker" names one)."""
    asked = _words(text)
    return sum(any(_same_word(w, a) for w in _words(i.name) for a in asked) for i in order.items)


def names_item(question: str, order: OrderView) -> bool:
    """Whether the message names one of the order's products ("my speaker")."""
    return items_named(question, order) > 0


def means_an_order(text: str, orders: Sequence[OrderView]) -> bool:
    """Whether the customer's words are about an order of theirs, not a general question:
    they name one, say "my order / the package / I ordered ...", or name a product of one
    ("Do you ship to Canada?" and "I can't reset my password" are not)."""
    if ORDER_ID.search(text) or _REFERENCE.search(text):
        return True
    return any(names_item(text, o) for o in orders)


ONLY_AN_ORDERS = frozenset(
    {"cancel", "address_change", "refund_status", "late_delivery", "not_received"}
    | {"missing_item", "wrong_item", "double_charge", "invoice"}
)
"""Concerns a customer has only about an order (unlike "what is your return policy?")."""


ANY_STATUS = frozenset({"double_charge", "invoice"})
"""Concerns any order may have whatever its status: the latest one first."""


def fits_an_order(concern: str, orders: Sequence[OrderView]) -> bool:
    """Whether a concern that only an order has ("can I change the address?", "cancel
    it") fits one of the customer's orders by its status: then it is about that order even
    when the customer says no "my order"."""
    fits = PREFERRED_STATUS.get(concern, ()) if concern in ONLY_AN_ORDERS else ()
    return any(o.status in fits for o in orders)


_MONTHS = ("january", "february", "march", "april", "may", "june", "july", "august",
           "september", "october", "november", "december")  # fmt: skip


def in_month_named(said: str, order: OrderView) -> bool:
    """Whether the order was placed or delivered in a month the customer names ("the one
    from october")."""
    months = {m for n, m in enumerate(_MONTHS, start=1) if re.search(rf"\b{m}\b", said)}
    if not months:
        return False
    when = [d for d in (order.created_at, order.delivered_at) if d is not None]
    return any(_MONTHS[d.month - 1] in months for d in when)


def pick_order(
    concern: str, text: str, named: Sequence[str], orders: Sequence[OrderView]
) -> OrderView | None:
    """The order the customer means: the latest one they named by number, else the one whose
    products and status their words fit best (the products they name first, then a status
    they name, then a status the concern fits: a refund asked after goes to an order with
    one), the first listed (mentioned, then latest) on a tie."""
    by_id = {o.id: o for o in orders}
    for order_id in named:
        if order_id in by_id:
            return by_id[order_id]
    said = text.lower()
    fits = PREFERRED_STATUS.get(concern, ())

    def score(o: OrderView) -> int:
        points = 10 * items_named(text, o) + 5 * in_month_named(said, o)
        points += 5 * (o.status in said and o.status in STATUSES)
        if o.status in fits:
            points += 1 if concern in ANY_STATUS else len(fits) - fits.index(o.status)
        if concern == "invoice":
            points += 3 * bool(o.invoices)
        if concern == "refund_status":
            points += 4 * bool(o.refunds) + 2 * (o.status == "cancelled")
        return points

    ranked = sorted(orders, key=lambda o: -score(o))  # stable: listed order on a tie
    return ranked[0] if ranked else None
