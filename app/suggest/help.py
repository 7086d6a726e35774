"""What the help centre adds to a suggested reply: the policy that goes with an order's
facts (what to do about a late parcel, when a refund shows, how a hold drops off, where to
download an invoice), cut to its first source so the agent reads one short paragraph."""

from __future__ import annotations

import re

from tools.schemas import OrderView

HELP_CENTRE_QUERIES = {
    "late_delivery": "my parcel has not arrived by the estimated date",
    "not_received": "tracking shows delivered but I do not have the parcel",
    "refund_status": "when will I see my refund on my statement",
    "double_charge": "how many business days until an authorization hold drops off",
    "charge": "how many business days until an authorization hold drops off",
    "invoice": "download the invoice of an order",
}
"""What the help centre is asked to add after an order's facts, per concern (the facts
answer the customer's own words; this adds the policy: what to do about a late parcel,
when a refund shows, how a hold drops off, where to download an invoice)."""


def help_centre_query(concern: str, order: OrderView) -> str | None:
    """What to ask the help centre after `order`'s facts (None: nothing): when a refund
    shows on a statement only once one was approved or the order cancelled."""
    if concern in ("refund_request", "return_window") and order.refunds:
        concern = "refund_status"  # said as the refund it already has
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
