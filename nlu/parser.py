"""The NLU front door: one message in, intent + confidence + entities out."""

from __future__ import annotations

import hashlib
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, field
from datetime import date
from typing import Any

from nlu.catalog_match import CatalogMatcher
from nlu.classifier import IntentClassifier
from nlu.entities import Entity, extract_entities
from nlu.sentiment import Sentiment, SentimentAnalyzer


@dataclass(frozen=True)
class Parse:
    """What the NLU understood of one message."""

    text: str
    intent: str
    category: str
    confidence: float
    entities: list[Entity] = field(default_factory=list)
    model_version: str = ""
    sentiment: Sentiment = Sentiment("neutral", 0.0)
    probabilities: Mapping[str, float] = field(default_factory=dict)
    """Every intent's probability, for the router (see IntentPrediction)."""
    off_topic: bool = False
    """The scope gate reads the message as off-topic (see IntentPrediction.off_topic)."""

    def to_dict(self) -> dict[str, Any]:
        """Plain JSON-ready form: {text, intent, category, confidence, entities}."""
        return {
            "text": self.text,
            "intent": self.intent,
            "category": self.category,
            "confidence": round(float(self.confidence), 4),
            "entities": [
                {"type": e.type, "value": e.value, "start": e.start, "end": e.end}
                for e in self.entities
            ],
        }


def ab_bucket(session_id: str) -> float:
    """A stable number in [0, 1) per session: the same session always gets the same model."""
    digest = hashlib.sha256(session_id.encode()).digest()
    return int.from_bytes(digest[:8], "big") / 2**64


class NLU:
    """Intent classifier plus rule-based entities; safe to share across threads.

    With a candidate model, a `candidate_share` of sessions (chosen by a hash of the
    session id, so a conversation never switches model) is served by the candidate:
    an A/B test. Every parse says which version answered. Product names are matched
    against `catalog`, the store's own catalogue (the demo shop's when None).
    """

    def __init__(
        self,
        classifier: IntentClassifier,
        *,
        version: str = "",
        candidate: IntentClassifier | None = None,
        candidate_version: str = "",
        candidate_share: float = 0.0,
        catalog: CatalogMatcher | None = None,
        follow: Callable[[NLU], None] | None = None,
    ) -> None:
        self._serving = (classifier, version)
        self.follow = follow
        """Called before each parse (e.g. `nlu.serving.ServingFollower.poll`): may switch
        the serving model with `serve`."""
        self.candidate = candidate
        self.candidate_version = candidate_version
        self.candidate_share = candidate_share if candidate is not None else 0.0
        self.sentiment = SentimentAnalyzer()
        self.catalog = catalog

    @property
    def classifier(self) -> IntentClassifier:
        """The serving model."""
        return self._serving[0]

    @property
    def version(self) -> str:
        """The serving model's version."""
        return self._serving[1]

    def serve(self, classifier: IntentClassifier, version: str) -> None:
        """Serve another model from the next parse on (a parse under way keeps the one it
        started with)."""
        self._serving = (classifier, version)

    def pick(self, session_id: str | None) -> tuple[IntentClassifier, str]:
        """The classifier (and its version) that serves this session."""
        if self.candidate is not None and session_id is not None:
            if ab_bucket(session_id) < self.candidate_share:
                return self.candidate, self.candidate_version
        return self._serving

    def parse(
        self, text: str, *, today: date | None = None, session_id: str | None = None
    ) -> Parse:
        """Understand one message; relative dates resolve against `today`."""
        return self.parse_many([text], today=today, session_id=session_id)[0]

    def parse_many(
        self, texts: Sequence[str], *, today: date | None = None, session_id: str | None = None
    ) -> list[Parse]:
        """Understand many messages, encoding them in one batch."""
        if self.follow is not None:
            self.follow(self)
        classifier, version = self.pick(session_id)
        predictions = classifier.predict(list(texts))
        return [
            Parse(
                text=text,
                intent=p.intent,
                category=p.category,
                confidence=p.confidence,
                entities=extract_entities(text, today=today, catalog=self.catalog),
                model_version=version,
                sentiment=self.sentiment.analyze(text),
                probabilities=p.probabilities,
                off_topic=p.off_topic,
            )
            for text, p in zip(texts, predictions, strict=True)
        ]
