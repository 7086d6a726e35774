"""Per-message sentiment from VADER (a lexicon shipped inside the vaderSentiment package)."""

from __future__ import annotations

import re
from dataclasses import dataclass

from vaderSentiment.vaderSentiment import SentimentIntensityAnalyzer

NEUTRAL_BAND = 0.05
"""|compound| below this is neutral (VADER's own convention)."""


ANGER_WORDS = (
    "angry", "furious", "livid", "fuming", "outraged", "enraged", "irate", "pissed",
    "infuriated", "infuriating", "fed up", "sick of", "sick and tired", "had enough",
    "unacceptable", "disgusted", "disgusting",
)  # fmt: skip
"""Words a customer uses to say they are angry. VADER scores some of these sentences only
mildly ("I am furious": -0.57; "I'm so angry, my package is lost AGAIN and nobody cares":
-0.44, since it reads "nobody cares" as positive), yet a support lead hands such a customer
to a person."""
_ANGER = re.compile(r"\b(" + "|".join(re.escape(w) for w in ANGER_WORDS) + r")\b", re.I)
_NEGATION = re.compile(r"\b(not|never|no|isn't|wasn't|aren't|ain't|\w+n't)\W+(\w+\W+){0,2}$", re.I)


@dataclass(frozen=True)
class Sentiment:
    """negative / neutral / positive, with VADER's compound score in [-1, 1]."""

    label: str
    score: float
    angry: bool = False
    """The customer says they are angry (an ANGER_WORDS phrase, not negated) in a message
    that is not positive overall: an escalation reason whatever the score."""

    def to_dict(self) -> dict[str, float | str | bool]:
        return {"label": self.label, "score": self.score, "angry": self.angry}


def says_angry(text: str) -> bool:
    """An anger phrase not negated by the three words before it ("I'm not angry")."""
    return any(not _NEGATION.search(text[: m.start()]) for m in _ANGER.finditer(text))


class SentimentAnalyzer:
    """Rule- and lexicon-based sentiment; no model download, microseconds per message."""

    def __init__(self) -> None:
        self._vader = SentimentIntensityAnalyzer()

    def analyze(self, text: str) -> Sentiment:
        score = round(float(self._vader.polarity_scores(text)["compound"]), 4)
        if score <= -NEUTRAL_BAND:
            label = "negative"
        elif score >= NEUTRAL_BAND:
            label = "positive"
        else:
            label = "neutral"
        return Sentiment(label, score, label != "positive" and says_angry(text))
