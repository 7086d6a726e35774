"""What a customer's sentence is about, as an agent hears it: its concern (a late parcel, a
refund, a cancel request, ...) from its words, else from the NLU's intent, and the order
statuses each concern fits (app/suggest/orders.py picks the order)."""

from __future__ import annotations

import re

ORDER_ID = re.compile(r"\bW\d{7}\b", re.I)
"""An order number as customers write it."""

CONCERNS: tuple[tuple[str, re.Pattern[str]], ...] = tuple(
    (name, re.compile(pattern, re.I))
    for name, pattern in (
        (
            "double_charge",
            r"charged (?:me )?(?:twice|two times|2 times)|"
            r"\b(?:two|2)(?: \w+)? (?:charges|payments)|double(?:-| )?charge|duplicate|same amount",
        ),
        (
            "not_received",
            r"(?:says|shows|marked|tracking)\b.*\bdelivered\b|never (?:got|received|came)|"
            r"delivered\b.*\b(?:not here|nothing|never|can'?t find|isn'?t here)",
        ),
        (
            "refund_status",
            r"\brefund\b.*\b(?:yet|status|still|where|when|approved|arrive|see|show|went "
            r"through|turned down|rejected|denied|declined|refused|issued|processed|nothing)|"
            r"(?:did|have|has) (?:you|it|they) (?:\w+ )?refund|how much\b.*\brefund|"
            r"(?:where|when)\b.*\b(?:refund|money)|money back yet|"
            r"haven'?t (?:got|received)\b.*\bmoney|"
            r"still (?:see|seeing|shows?|has|have)\b.*\bcharge|\brefunded\b|"
            r"\b(?:sent|mailed|shipped) (?:\w+ )?(?:\w+ )?back\b|\bI (?:have |'ve )?returned\b",
        ),
        (
            "address_change",
            r"\baddress\b|\badress\b|\bmoved\b|\bsend it to\b|\bsent to\b|zip ?code|\bstreet\b|"
            r"post(?:al)? ?code|apartment|\bapt\b|change where|where (?:it|my \w+) is going|"
            r"redirect|re-?route|deliver (?:it )?to (?:my|a|another)",
        ),
        (
            "missing_item",
            r"\bmissing\b|\bnot in the box\b|(?:isn'?t|wasn'?t|not) (?:there|in the box|included)|"
            r"(?:came|arrived) without|didn'?t come with",
        ),
        (
            "wrong_item",
            r"\bwrong\b|\bsomething else\b|\bnot what I ordered\b|\binstead of\b|"
            r"\bbut I (?:paid for|ordered|bought)\b",
        ),
        (
            "damaged_item",
            r"damaged|broken|broke\b|crack|torn|\btear\b|\bdent(?:ed|s)?\b|leak|defective|snapped|"
            r"smashed|shattered|faulty|hold a charge|warranty claim|"
            r"claim (?:on|under) (?:the |my )?warranty|covered (?:by|under) (?:the )?warranty|"
            r"(?:does ?n[o']?t|won'?t|stopped|"
            r"not) (?:work|charg|turn on|power|registering)",
        ),
        ("cancel", r"\bcancel|\bcancle|\bcansel"),
        ("invoice", r"\binvoice|\breceipt\b"),
        ("return_window", r"\breturn\b|send (?:\w+ ){0,3}back\b"),
        ("refund_request", r"\brefund|money back"),
        (
            "late_delivery",
            r"\blate\b|\bdelay|taking (?:so )?long|supposed to (?:be|arrive|come)|"
            r"still (?:hasn'?t|not|isn'?t) (?:arrived|here|come)|days ago|hasn'?t moved|"
            r"\blost\b|\bstuck\b|(?:no|nothing about) (?:shipping|tracking) (?:email|update)|"
            r"estimated (?:delivery|date)|(?:nothing|hasn'?t|didn'?t) (?:came|come|arrived|"
            r"turned up|shown up)",
        ),
        (
            "where_is_order",
            r"\bwhere\b|\bwhen\b.*\b(?:arrive|ship|get|come|deliver)|\btrack|"
            r"\barrive|\bship(?:ped)?\b|\bpending\b|\bprocessing\b|left the warehouse|turn up|"
            r"show up|get here|be here|"
            r"\bstatus\b",
        ),
        ("charge", r"\bcharge[ds]?\b"),
    )
)
"""A sentence's concern, first match wins (most specific first)."""
WEAK_CONCERNS = frozenset({"where_is_order", "charge"})
"""Concerns that words like "where" or "charge" name loosely: a stronger one in the
customer's recent messages wins over them."""

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
    "double_charge": ("delivered", "shipped", "processing", "pending"),
    "invoice": ("delivered", "shipped", "processing", "pending"),
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
