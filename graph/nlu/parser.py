"""The NLU front door: one message in, intent + confidence + entities out."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field
from datetime import date
from typing import Any

from graph.nlu.classifier import IntentClassifier
from graph.nlu.entities import Entity, extract_entities


@dataclass(frozen=True)
class Parse:
    """What the NLU understood of one message."""

    text: str
    intent: str
    category: str
    confidence: float
    entities: list[Entity] = field(default_factory=list)

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


class NLU:
    """Intent classifier plus rule-based entities; safe to share across threads."""

    def __init__(self, classifier: IntentClassifier) -> None:
        self.classifier = classifier

    def parse(self, text: str, *, today: date | None = None) -> Parse:
        """Understand one message; relative dates resolve against `today`."""
        return self.parse_many([text], today=today)[0]

    def parse_many(self, texts: Sequence[str], *, today: date | None = None) -> list[Parse]:
        """Understand many messages, encoding them in one batch."""
        predictions = self.classifier.predict(list(texts))
        return [
            Parse(
                text=text,
                intent=p.intent,
                category=p.category,
                confidence=p.confidence,
                entities=extract_entities(text, today=today),
            )
            for text, p in zip(texts, predictions, strict=True)
        ]
