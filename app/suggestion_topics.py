"""What the customer's last message is about: its concern (a late parcel, a refund, a
cancel request, ...), whether it means one of their orders and which, and what to ask the
help centre to add to the order's facts."""

from __future__ import annotations

import re
from collections.abc import Sequence

from tools.schemas import OrderView

ORDER_ID = re.compile(r"\bW\d{7}\b", re.I)
"""An order number as customers write it."""

CONCERNS: tuple[tuple[str, re.Pattern[str]], ...] = tuple(
    (name, re.compile(pattern, re.I))
    for name, pattern in (
        ("double_charge", r"charged (?:me )?twice|two charges|double(?:-| )?charge|duplicate"),
        ("not_received", r"(?:says|shows|marked)\b.*\bdelivered\b|never (?:got|received|came)"),
        (
            "refund_status",
            r"\brefund\b.*\b(?:yet|status|still|where|when|approved|arrive)|"
            r"(?:where|when)\b.*\brefund|money back yet|haven'?t (?:got|received)\b.*\bmoney|"
            r"still (?:see|seeing) the charge",
        ),
        ("missing_item", r"\bmissing\b|\bnot in the box\b"),
        ("wrong_item", r"\bwrong\b|\bsomething else\b|\bnot what I ordered\b"),
        (
            "damaged_item",
            r"damaged|broken|broke\b|crack|torn|\btear\b|dent|leak|defective|"
            r"faulty|(?:does ?n[o']t|won'?t|stopped) (?:work|charge|turn on|power)",
        ),
        ("cancel", r"\bcancel"),
        ("address_change", r"\baddress\b|\bmoved\b|\bsend it to\b"),
        ("invoice", r"\binvoice|\breceipt\b"),
        ("return_window", r"\breturn\b"),
        ("refund_request", r"\brefund|money back"),
        (
            "late_delivery",
            r"\blate\b|\bdelay|taking (?:so )?long|supposed to (?:be|arrive)|"
            r"still (?:hasn'?t|not|isn'?t) (?:arrived|here|come)|days ago",
        ),
        (
            "where_is_order",
            r"\bwhere\b|\bwhen\b.*\b(?:arrive|ship|get|come|deliver)|\btrack|"
            r"\barrive|\bship(?:ped)?\b",
        ),
        ("charge", r"\bcharge"),
    )
)
"""The last message's concern, first match wins (most specific first)."""

INTENT_CONCERNS = {
    "track_order": "where_is_order",
    "delivery_period": "where_is_order",
    "track_refund": "refund_status",
    "get_refund": "refund_request",
    "check_refund_policy": "return_window",
    "cancel_order": "cancel",
    "check_cancellation_fee": "cancel",
    "change_shipping_address": "address_change",
    "product_defect": "damaged_item",
    "payment_issue": "charge",
    "check_invoice": "invoice",
    "get_invoice": "invoice",
}
"""The NLU's intent, when no words of the message name a concern."""

PREFERRED_STATUS: dict[str, tuple[str, ...]] = {
    "late_delivery": ("shipped", "processing", "pending"),
    "where_is_order": ("shipped", "processing", "pending"),
    "not_received": ("delivered", "shipped"),
    "refund_status": ("delivered", "cancelled"),
    "refund_request": ("delivered",),
    "return_window": ("delivered",),
    "damaged_item": ("delivered",),
    "wrong_item": ("delivered",),
    "missing_item": ("delivered",),
    "cancel": ("pending", "processing", "shipped"),
    "address_change": ("pending", "processing", "shipped"),
}
"""When the customer names no order: the statuses an order the concern fits can have."""


def concern_of(text: str, intent: str | None = None) -> str | None:
    """What the message is about ("late_delivery", "cancel", ...), None when not an order's."""
    for name, pattern in CONCERNS:
        if pattern.search(text):
            return name
    return INTENT_CONCERNS.get(intent or "")


_REFERENCE = re.compile(
    r"\b(?:my|the|this|that|our|your)\s+(?:\w+\s+)?(?:order|package|parcel|delivery|shipment|"
    r"refund|money|item|box|charges?|invoice|purchase|stuff|bottle|lamp)s?\b|\bcharged\b",
    re.I,
)
_NOT_ITEM_WORDS = frozenset({"order", "package", "parcel", "item", "items", "with", "from", "that"})


def _words(text: str) -> set[str]:
    return set(re.findall(r"[a-z]{4,}", text.lower())) - _NOT_ITEM_WORDS


def names_item(question: str, order: OrderView) -> bool:
    """Whether the message names one of the order's products ("my speaker")."""
    asked = _words(question)
    return any(
        w.startswith(a) or a.startswith(w)
        for i in order.items
        for w in _words(i.name)
        for a in asked
    )


def means_an_order(question: str, orders: Sequence[OrderView]) -> bool:
    """Whether the message is about an order of the customer's, not a general question:
    it names one, says "my order / the package / my refund ...", or names a product of
    one ("Do you ship to Canada?" and "I can't reset my password" are not)."""
    if ORDER_ID.search(question) or _REFERENCE.search(question):
        return True
    return any(names_item(question, o) for o in orders)


def pick_order(
    concern: str, question: str, said: Sequence[str], orders: Sequence[OrderView]
) -> OrderView | None:
    """The order the message means: the one it names, else the latest one the customer
    named, else one whose product it names, else the first whose status fits the concern."""
    by_id = {o.id: o for o in orders}
    for text in [question, *reversed(said)]:
        for found in reversed(ORDER_ID.findall(text)):
            if found.upper() in by_id:
                return by_id[found.upper()]
    pool = [o for o in orders if names_item(question, o)] or list(orders)
    refunded = [o for o in pool if o.refunds]
    if concern == "refund_status" and refunded:
        return refunded[0]
    for status in PREFERRED_STATUS.get(concern, ()):
        for o in pool:
            if o.status == status:
                return o
    return pool[0] if pool else None


HELP_CENTRE_QUERIES = {
    "late_delivery": "my parcel has not arrived by the estimated date",
    "not_received": "tracking shows delivered but I do not have the parcel",
    "refund_status": "when will I see my refund on my statement",
    "double_charge": "one order but two amounts on my statement",
    "charge": "one order but two amounts on my statement",
    "invoice": "download the invoice of an order",
}
"""What the help centre is asked to add after an order's facts, per concern (the facts
answer the customer's own words; this adds the policy: what to do about a late parcel,
when a refund shows, how a hold drops off, where to download an invoice)."""


def help_centre_query(concern: str, order: OrderView) -> str | None:
    """What to ask the help centre after `order`'s facts (None: nothing): when a refund
    shows on a statement only once one was approved or the order cancelled."""
    if concern == "refund_status" and order.status != "cancelled":
        if not any(r.status in ("approved", "completed") for r in order.refunds):
            return None
    return HELP_CENTRE_QUERIES.get(concern)


_SENTENCE = re.compile(r"(?<=[.!?:\]])\s+(?=[A-Z0-9])")
_MARK = re.compile(r"\s*\[(\d+)\]")
_TO_SUPPORT = re.compile(r"contact support|our (?:chat )?assistant|human agent", re.I)


def best_source_only(text: str, most_words: int = 70) -> str:
    """The composer's answer cut to what its first source says: sentences marked [1] (a
    list with the marker at its end stays whole), each once, without the markers and
    without telling the customer to contact support (they are talking to it), at most
    `most_words` words."""
    kept: list[str] = []
    pending: list[str] = []
    for line in text.splitlines():
        for part in _SENTENCE.split(line.strip()) if not pending else [line.strip()]:
            marks = _MARK.findall(part)
            if not marks and (part.endswith(":") or pending):
                pending.append(part)
                continue
            piece = "\n".join([*pending, _MARK.sub("", part)]).strip()
            pending = []
            if marks[:1] == ["1"] and piece not in kept and not _TO_SUPPORT.search(piece):
                kept.append(piece)
    out: list[str] = []
    for piece in kept:
        if len(" ".join([*out, piece]).split()) > most_words:
            break
        out.append(piece)
    return " ".join(out).replace(" \n", "\n")
