"""Per-message sentiment from VADER (a lexicon shipped inside the vaderSentiment package)."""

from __future__ import annotations

from dataclasses import dataclass

from vaderSentiment.vaderSentiment import SentimentIntensityAnalyzer

NEUTRAL_BAND = 0.05
"""|compound| below this is neutral (VADER's own convention)."""


@dataclass(frozen=True)
class Sentiment:
    """negative / neutral / positive, with VADER's compound score in [-1, 1]."""

    label: str
    score: float

    def to_dict(self) -> dict[str, float | str]:
        return {"label": self.label, "score": self.score}


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
        return Sentiment(label, score)
