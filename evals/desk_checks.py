"""Rules that score a suggested reply against a desk conversation's reference.

- fact recall: the share of the required facts (an order number, a tracking number, a
  carrier, an amount, "30 days") the reply states, compared after normalising case,
  dashes, spacing inside ids and ".00" amounts;
- addresses the last message: it is not the holding reply, it names the order the last
  message is about (or, with no order, states one of the facts), it answers that kind of
  question (a late parcel gets tracking or status words, a cancel request says whether it
  can be cancelled, ...), and it never states what must be absent (another order's number);
- length: between MIN_WORDS and MAX_WORDS words, something an agent can send as it is.
"""

from __future__ import annotations

import re
from collections.abc import Sequence
from dataclasses import dataclass, field

MIN_WORDS = 8
MAX_WORDS = 130

ANSWERS: dict[str, tuple[str, ...]] = {
    "late_delivery": ("tracking", "shipped", "pending", "processing", "trace"),
    "where_is_order": ("tracking", "shipped", "pending", "processing", "delivered"),
    "not_received": ("delivered", "claim", "trace", "tracking"),
    "refund_status": (
        "issued",
        "approved",
        "requested",
        "refunded",
        "waiting",
        "see a refund",
        "rejected",
    ),
    "refund_request": ("refund", "return window", "return"),
    "return_window": ("return window", "return", "refund"),
    "damaged_item": ("replacement", "refund", "warranty"),
    "wrong_item": ("replacement", "refund"),
    "missing_item": ("replacement", "refund"),
    "cancel": ("cancel",),
    "address_change": ("address",),
    "double_charge": ("payment", "charge", "hold"),
    "invoice": ("invoice",),
    "shipping_time": ("business days",),
    "product_question": (),
    "account": ("password", "email", "link"),
}
"""Per concern of the last message: words of which a reply answering it uses at least one
(none: the required facts alone show it)."""
CONCERNS = frozenset(ANSWERS)

_DASHES = re.compile(r"[\u2010-\u2015\u2212]")
_CENTS = re.compile(r"(\d)\.00\b")


def normalise(text: str) -> str:
    """Lower case, ASCII dashes, one space, `$5.00` as `$5`, `1,234` as `1234`, `30-day`
    as `30 days`."""
    text = _DASHES.sub("-", text.lower())
    text = re.sub(r"(\d),(\d{3})\b", r"\1\2", text)
    text = re.sub(r"\b(\d+)-(day|week|month|year)\b", r"\1 \2s", text)
    text = _CENTS.sub(r"\1", text)
    return re.sub(r"\s+", " ", text).strip()


def _compact(text: str) -> str:
    return re.sub(r"[\s\-]", "", text)


def states(reply: str, fact: str) -> bool:
    """Whether the reply states the fact: normalised text, and an id or number also with
    its spaces and dashes ignored ('1Z 999 AA1' is '1Z999AA1', '5 - 10 days' is '5-10 days')."""
    said, wanted = normalise(reply), normalise(fact)
    if not wanted:
        return True
    if re.search(rf"(?<![a-z0-9]){re.escape(wanted)}(?![a-z0-9]|\.\d)", said):
        return True
    if not any(c.isdigit() for c in wanted):
        return False
    return (
        re.search(rf"(?<!\d){re.escape(_compact(wanted))}(?!\d|\.\d)", _compact(said)) is not None
    )


def fact_recall(reply: str, facts: Sequence[str]) -> float:
    """Share of the required facts the reply states (1.0 when none are required)."""
    if not facts:
        return 1.0
    return sum(states(reply, f) for f in facts) / len(facts)


@dataclass
class Verdict:
    """How one suggestion did: its fact recall, whether it addresses the last message
    (and why not), and its length."""

    recall: float
    addressed: bool
    words: int
    missing: list[str] = field(default_factory=list)
    why_not: list[str] = field(default_factory=list)

    @property
    def length_ok(self) -> bool:
        return MIN_WORDS <= self.words <= MAX_WORDS


def judge(
    reply: str,
    *,
    concern: str,
    facts: Sequence[str],
    about: str | None,
    absent: Sequence[str] = (),
    fallback: str = "",
) -> Verdict:
    """Score one suggestion. `about` is the order number the last message is about (None
    for a question about no order); `absent`, what must not be in it (another order's
    number, an earlier topic's facts)."""
    if concern not in ANSWERS:
        raise ValueError(f"unknown concern {concern!r}; concerns: {', '.join(sorted(ANSWERS))}")
    why: list[str] = []
    if fallback and reply.strip() == fallback.strip():
        why.append("the holding reply although the facts exist")
    if about is not None and not states(reply, about):
        why.append(f"does not name order {about}")
    if about is None and facts and not any(states(reply, f) for f in facts):
        why.append("states none of the facts of the question")
    words = ANSWERS[concern]
    if words and not any(w in normalise(reply) for w in words):
        why.append(f"does not answer a {concern} question (none of {', '.join(words)})")
    why += [
        f"states {a!r}, which the last message is not about" for a in absent if states(reply, a)
    ]
    return Verdict(
        recall=fact_recall(reply, facts),
        addressed=not why,
        words=len(reply.split()),
        missing=[f for f in facts if not states(reply, f)],
        why_not=why,
    )
