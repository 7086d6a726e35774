"""Run-scoped context: the services a turn uses and who is asking."""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import UTC, datetime
from typing import TYPE_CHECKING

from tools.store.limits import AbuseLimits

if TYPE_CHECKING:
    from graph.llm.composer import Composer
    from knowledge.retrieval import Retriever
    from nlu.parser import NLU
    from tools.policy import SupportPolicy
    from tools.store.backend import StoreBackend


@dataclass(frozen=True)
class Services:
    """Heavy, long-lived objects owned by the app lifespan (or a test)."""

    store: StoreBackend
    nlu: NLU
    retriever: Retriever
    composer: Composer
    policy: SupportPolicy
    """The written support policy every write is checked against."""
    escalation_threshold: float = 0.6
    kb_min_score: float = 0.36
    kb_sure_score: float = 0.5
    """kb_min_score for turns that reached the knowledge branch on the help-centre intents'
    summed probability, no single intent being sure (TurnState.help_centre_guess)."""
    negative_sentiment_threshold: float = -0.7
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
