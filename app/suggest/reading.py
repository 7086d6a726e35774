"""Reading an escalated customer's recent messages the way an agent does: past "ok", "yes
please" and "can I talk to someone" to the last messages that say something, sentence by
sentence, for what they are about (app/suggest/topics.py keywords first, the NLU's
intent where no words name it) and what they give (order numbers, a new address)."""

from __future__ import annotations

import re
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field

from app.suggest.topics import ORDER_ID, WEAK_CONCERNS, concern_of

_ANSWERING = re.compile(
    r"^\W*(?:(?:yes|yeah|yep|yup|ya|ok(?:ay)?|k|kk|sure|no|nope|thanks?|thx|ty|thank you|"
    r"please|pls|plz|go ahead|do it|fine|correct|right|great|cool|perfect|alright|"
    r"sounds good|got it|a lot|so much|very much|hm+|oh)\b\W*)+$",
    re.I,
)
"""A message that only answers ("yes please", "ok, thanks!"), asking nothing itself."""
_PERSON = re.compile(
    r"\b(?:human|agent|person|someone|somebody|representative|operator|staff|manager|"
    r"supervisor|real people)\b",
    re.I,
)
_SENTENCE = re.compile(r"(?<=[.!?])\s+|\n+")
_STREET = re.compile(
    r"\b\d{1,5}\s+(?:[A-Z][a-z]+\s+){1,3}(?:St(?:reet)?|Ave(?:nue)?|R(?:oa)?d|Lane|Ln|"
    r"Blvd|Boulevard|Dr(?:ive)?|Way|Court|Ct|Place|Pl)\b[^.!?\n]*",
    re.I,
)
_UNSAID = re.compile(r"\s*,?\s+(?:not|instead|please|pls|thanks?|thx)\b.*$", re.I)
"""What follows an address the customer gives ("18 Oak Street not 81")."""
_ZIP = re.compile(r"\b\d{5}(?:-\d{4})?\b")
FOLLOW_UPS = frozenset({"refund_request", "return_window"})
"""Concerns a short follow-up names ("can I get a refund?") about what came before."""
WINDOW = 3
"""Messages that say something, latest first, an agent reads back for the concern."""
MIN_INTENT_CONFIDENCE = 0.6
"""The NLU's intent counts only this sure (a side remark's guess does not)."""


def says_nothing(message: str) -> bool:
    """Whether a message only answers or asks for a person ("ok", "yes please", "can I talk
    to someone"): it asks the help centre nothing."""
    if _ANSWERING.match(message):
        return True
    return len(message.split()) <= 8 and _PERSON.search(message) is not None


def sentences(message: str) -> list[str]:
    """A message's sentences, each as written."""
    return [s.strip() for s in _SENTENCE.split(message) if s.strip()]


def asked(said: list[str]) -> tuple[str, str]:
    """(the customer's last message that asks something, the one before it): "yes", "ok
    thanks" and "get me a human" ask the help centre nothing, so the suggestion answers
    what came before them ("my package is a week late"); ("", "") when nothing did."""
    for n in range(len(said) - 1, -1, -1):
        if not says_nothing(said[n]):
            return said[n], said[n - 1] if n else ""
    return "", ""  # nothing asked: the agent gets the neutral holding reply


@dataclass
class Reading:
    """What the customer's recent messages are about."""

    recent: list[str] = field(default_factory=list)
    """The last WINDOW messages that say something, latest first."""
    concern: str | None = None
    """What they are about ("late_delivery", "cancel", ...), None when no order concern."""
    sentence: str = ""
    """The sentence that names the concern."""
    queries: list[tuple[str, str]] = field(default_factory=list)
    """What the help centre may be asked, each with its context: the last message that
    says something (with the one before), and each of its sentences that asks (with the
    message)."""
    order_ids: list[str] = field(default_factory=list)
    """Order numbers the customer wrote, latest first."""
    new_address: str = ""
    """A street address or zip code the customer gave, as written."""

    @property
    def text(self) -> str:
        """The recent messages together, latest first."""
        return " ".join(self.recent)


def read(said: Sequence[str], intent_of: Callable[[str], tuple[str, float]]) -> Reading:
    """Read `said` (the customer's messages, in order); `intent_of` gives the NLU's (intent,
    confidence) of a sentence. The concern is the latest a sentence's words name, unless
    it is only a weak one ("where is it?") and a sentence names a stronger one ("I need my
    order sent to my work address"); the NLU's intent counts where no words name any."""
    recent = [m for m in reversed(said) if not says_nothing(m)][:WINDOW]
    out = Reading(recent=recent)
    out.order_ids = list(dict.fromkeys(m.upper() for t in recent for m in ORDER_ID.findall(t)))
    for text in recent:
        if not out.new_address:
            street = _STREET.search(text)
            out.new_address = _UNSAID.sub("", street[0]).strip(" ,") if street else ""
            if not out.new_address and re.search(r"zip|post(?:al)? ?code", text, re.I):
                out.new_address = next(iter(_ZIP.findall(text)), "")
    found: list[tuple[str, str, str]] = []  # (concern, sentence, its message)
    for text in recent:  # within a message, what it asks before what it tells
        parts = sentences(text)[::-1]
        for sentence in [s for s in parts if "?" in s] + [s for s in parts if "?" not in s]:
            concern = concern_of(sentence)
            if concern:
                found.append((concern, sentence, text))
    strong = [f for f in found if f[0] not in WEAK_CONCERNS]
    pick = strong[0] if strong else found[0] if found else None
    if pick and pick[0] in FOLLOW_UPS and len(pick[1].split()) <= 8:
        # "can you refund one of them?" follows what it is about: two charges, a damaged lamp
        pick = next((f for f in strong if f[0] not in FOLLOW_UPS), pick)
    if pick is None:
        for text in recent:
            for sentence in sentences(text):
                intent, confidence = intent_of(sentence)
                concern = concern_of("", intent)
                if concern and confidence >= MIN_INTENT_CONFIDENCE:
                    pick = (concern, sentence, text)
                    break
            if pick:
                break
    if pick:
        out.concern, out.sentence = pick[0], pick[1]
    message = recent[0] if recent else ""
    at = list(said).index(message) if message in said else -1
    out.queries = [(message, said[at - 1] if at > 0 else "")]
    if len(sentences(message)) > 1:  # each sentence that asks, the message as context
        out.queries += [(s, message) for s in sentences(message) if "?" in s]
    return out
