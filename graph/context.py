"""Run-scoped context: the services a turn uses, the thresholds it routes on, who is asking.

The graph reaches its services through the Protocols below (what it calls, nothing
more); the concrete classes (nlu.parser.NLU, knowledge.retrieval.Retriever, the composers
of graph/llm, tools.store.backend.SqlStore) are wired in app/runtime.py.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field
from datetime import UTC, date, datetime
from typing import TYPE_CHECKING, Protocol

from graph.llm.composer import Composer
from tools.store.limits import AbuseLimits

if TYPE_CHECKING:
    from knowledge.retrieval import Mode, Passage
    from nlu.parser import Parse
    from tools.policy import SupportPolicy
    from tools.store.protocol import StoreBackend

__all__ = [
    "Composer",
    "IntentReader",
    "QuestionLog",
    "Retriever",
    "Services",
    "Thresholds",
    "TurnContext",
]


class IntentReader(Protocol):
    """Reads one customer message: intent, confidence, entities, sentiment."""

    def parse(
        self, text: str, *, today: date | None = None, session_id: str | None = None
    ) -> Parse:
        """Understand one message; relative dates resolve against `today`, and
        `session_id` picks the model that serves the conversation (A/B tests)."""
        ...


class QuestionLog(Protocol):
    """Where knowledge questions are recorded for `support kb gaps`."""

    def record(
        self, *, session_id: str, question: str, best_score: float, best_doc: str, outcome: str
    ) -> None: ...


class Retriever(Protocol):
    """Searches the help centre."""

    @property
    def log(self) -> QuestionLog | None:
        """Where the knowledge node records questions (None: nowhere)."""
        ...

    def count(self) -> int:
        """Number of chunks in the collection."""
        ...

    def search(
        self, query: str, k: int = 5, mode: Mode | None = None, context: str = ""
    ) -> list[Passage]:
        """The k best passages for the query, best first; `context` is what it may lean on."""
        ...

    def unknown_words(self, text: str) -> Sequence[str]:
        """Words of `text` the help centre never uses."""
        ...


@dataclass(frozen=True)
class Thresholds:
    """The numbers a turn is routed on. Built from Settings only (app.runtime.thresholds_from):
    nothing else holds a default for them."""

    escalation: float
    """Confidence an intent (or the help-centre intents together) needs before the bot acts
    on it; below it the turn is clarified or escalated (ESCALATION_THRESHOLD)."""
    kb_min_score: float
    """Retrieval score a passage needs to answer from (KB_MIN_SCORE)."""
    kb_sure_score: float
    """kb_min_score for turns that reached the knowledge branch on the help-centre intents'
    summed probability, no single intent being sure (TurnState.help_centre_guess)."""
    negative_sentiment: float
    """Sentiment score at or below which a message goes to a person
    (NEGATIVE_SENTIMENT_THRESHOLD)."""


@dataclass(frozen=True)
class Services:
    """Heavy, long-lived objects owned by the app lifespan (or a test)."""

    store: StoreBackend
    nlu: IntentReader
    retriever: Retriever
    composer: Composer
    policy: SupportPolicy
    """The written support policy every write is checked against."""
    thresholds: Thresholds
    """Confidence and score thresholds the graph routes on."""
    limits: AbuseLimits = field(default_factory=AbuseLimits)
    """Limits on guessing identities and opening tickets, and how long a proof lasts."""
    pause_after_write_s: float = 0.0
    """Test hook: seconds a confirmed write holds its turn after the commit (crash tests)."""


@dataclass(frozen=True)
class TurnContext:
    """Per-turn context. `customer_id` comes from the request's credentials only."""

    services: Services
    session_id: str
    customer_id: str | None = None
    client: str | None = None
    """The caller's network address (from the HTTP request), keyed by the abuse limits."""
    now: datetime = field(default_factory=lambda: datetime.now(UTC))
