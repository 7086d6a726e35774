"""A composer that falls back to another when its LLM endpoint is down or slow."""

from __future__ import annotations

import logging
from collections.abc import Sequence
from typing import TYPE_CHECKING

from graph.llm.composer import Answer, Composer, DeltaSink
from graph.llm.openai_composer import LLMUnavailable
from observability.metrics import record_llm_fallback

if TYPE_CHECKING:
    from knowledge.retrieval import Passage

log = logging.getLogger("support.llm")


class FallbackComposer:
    """`primary` (an LLM endpoint), and for any turn it fails, `fallback` (offline).

    A dead, refusing or slow endpoint costs the customer nothing but the wait for the
    timeout: the offline composer answers the same question from the same passages, and
    `support_llm_fallbacks_total{reason}` counts it. When the endpoint failed after
    streaming part of its answer, the streamed part stays with the client; the `done`
    event's reply is the fallback's whole answer.
    """

    def __init__(self, primary: Composer, fallback: Composer) -> None:
        self.primary = primary
        self.fallback = fallback
        self.name = primary.name

    async def answer(
        self,
        question: str,
        passages: Sequence[Passage],
        on_delta: DeltaSink | None = None,
        context: str = "",
    ) -> Answer:
        try:
            return await self.primary.answer(question, passages, on_delta, context)
        except LLMUnavailable as exc:
            log.warning("%s composer failed (%s); answering with %s", self.name, exc,
                        self.fallback.name)  # fmt: skip
            record_llm_fallback(exc.reason)
            return await self.fallback.answer(question, passages, on_delta, context)
