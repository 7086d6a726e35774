"""Build the long-lived services from settings (used by the lifespan, the CLI and tests)."""

from __future__ import annotations

from typing import TYPE_CHECKING

from app.settings import Settings
from graph.context import Services
from tools.policy import load_policy
from tools.store.catalog import SHOP_NAME

if TYPE_CHECKING:
    from graph.llm.composer import Composer
    from graph.nlu.parser import NLU
    from knowledge.embeddings import Encoder


def build_composer(settings: Settings, encoder: Encoder) -> Composer:
    """The OpenAI-compatible composer when an endpoint is configured, else the extractive one."""
    if settings.llm_configured:
        from graph.llm.openai_composer import build_openai_composer

        return build_openai_composer(
            base_url=settings.OPENAI_BASE_URL,
            api_key=settings.OPENAI_API_KEY,
            model=settings.LLM_MODEL,
            timeout=settings.LLM_TIMEOUT_SECONDS,
            shop=SHOP_NAME,
            max_tokens=settings.LLM_MAX_TOKENS,
        )
    from graph.llm.extractive import ExtractiveComposer

    return ExtractiveComposer(encoder)


def build_nlu(settings: Settings, encoder: Encoder) -> NLU:
    """The serving intent model, plus the A/B candidate when NLU_CANDIDATE_VERSION is set."""
    from graph.nlu.entities import warm_up
    from graph.nlu.parser import NLU
    from graph.nlu.registry import ModelRegistry, require_model

    warm_up()  # load the name and place lists now, not on the first customer turn
    registry = ModelRegistry(settings.models_dir)
    serving = require_model(settings.models_dir).name
    candidate = None
    if settings.NLU_CANDIDATE_VERSION:
        candidate = registry.load(settings.NLU_CANDIDATE_VERSION, encoder)
    return NLU(
        registry.load(serving, encoder),
        version=serving,
        candidate=candidate,
        candidate_version=settings.NLU_CANDIDATE_VERSION,
        candidate_share=settings.NLU_CANDIDATE_SHARE,
    )


def build_services(
    settings: Settings, *, encoder: Encoder | None = None, composer: Composer | None = None
) -> Services:
    """Store, NLU, retriever and composer, wired from settings. Loads models: call once."""
    from knowledge.embeddings import get_encoder
    from knowledge.retrieval import build_retriever
    from tools.store.backend import SqlStore

    settings.ensure_dirs()
    encoder = encoder or get_encoder(settings.EMBEDDING_MODEL)
    return Services(
        store=SqlStore.from_url(settings.database_url),
        nlu=build_nlu(settings, encoder),
        retriever=build_retriever(settings),
        composer=composer or build_composer(settings, encoder),
        policy=load_policy(settings.POLICY_FILE),
        escalation_threshold=settings.ESCALATION_THRESHOLD,
        kb_min_score=settings.KB_MIN_SCORE,
        kb_sure_score=settings.KB_SURE_SCORE,
        negative_sentiment_threshold=settings.NEGATIVE_SENTIMENT_THRESHOLD,
    )
