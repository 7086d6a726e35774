"""Composer backed by any OpenAI-compatible chat endpoint, streamed, cited."""

from __future__ import annotations

import time
from collections.abc import Sequence
from typing import TYPE_CHECKING

from graph.llm.composer import Answer, DeltaSink, cited_passages, number_passages
from observability.metrics import record_llm_call
from observability.tracing import span
from prompts import render

if TYPE_CHECKING:
    from openai import AsyncOpenAI
    from openai.types.chat import ChatCompletionMessageParam

    from knowledge.retrieval import Passage


class LLMUnavailable(RuntimeError):
    """The endpoint failed or timed out. `reason` is one of a few words (timeout,
    connection, server_error, refused, other) for the metrics; the composer wrapping this
    one answers offline instead (graph/llm/fallback.py), or the turn escalates."""

    def __init__(self, message: str, reason: str = "other") -> None:
        super().__init__(message)
        self.reason = reason


def failure_reason(exc: Exception) -> str:
    """A bounded label for why an OpenAI-compatible call failed."""
    import openai

    if isinstance(exc, openai.APITimeoutError):  # a subclass of APIConnectionError
        return "timeout"
    if isinstance(exc, openai.APIConnectionError):
        return "connection"
    if isinstance(exc, openai.APIStatusError):
        return "server_error" if exc.status_code >= 500 else "refused"
    return "other"


class OpenAIComposer:
    """Grounded answers from an OpenAI-compatible endpoint, citing passages as [n]."""

    name = "openai"

    def __init__(self, client: AsyncOpenAI, *, model: str, shop: str, max_tokens: int = 300):
        self._client = client
        self._model = model
        self._shop = shop
        self._max_tokens = max_tokens

    def messages(
        self, question: str, passages: Sequence[Passage], context: str = ""
    ) -> list[ChatCompletionMessageParam]:
        """The chat messages: the answer rules, then the numbered passages and the question
        (after the customer's previous message, when the question may lean on it)."""
        earlier = f"The customer's previous message: {context}\n" if context.strip() else ""
        return [
            {"role": "system", "content": render("answer_system", shop=self._shop)},
            {
                "role": "user",
                "content": render(
                    "answer_user",
                    passages=number_passages(passages),
                    question=question,
                    earlier=earlier,
                ),
            },
        ]

    async def answer(
        self,
        question: str,
        passages: Sequence[Passage],
        on_delta: DeltaSink | None = None,
        context: str = "",
    ) -> Answer:
        import openai

        parts: list[str] = []
        usage = None
        chunks = 0
        began = time.perf_counter()
        try:
            with span("llm.chat", model=self._model, passages=len(passages)):
                stream = await self._client.chat.completions.create(
                    model=self._model,
                    messages=self.messages(question, passages, context),
                    temperature=0,
                    max_tokens=self._max_tokens,
                    stream=True,
                )
                async for chunk in stream:
                    usage = getattr(chunk, "usage", None) or usage
                    if not chunk.choices:
                        continue
                    delta = chunk.choices[0].delta.content or ""
                    if delta:
                        chunks += 1
                        parts.append(delta)
                        if on_delta:
                            on_delta(delta)
        except openai.OpenAIError as exc:
            raise LLMUnavailable(
                f"LLM endpoint failed: {exc.__class__.__name__}", failure_reason(exc)
            ) from exc
        # Token counts as the endpoint reports them; without a usage block, streamed chunks
        # (about one token each) stand in for completion tokens.
        record_llm_call(
            time.perf_counter() - began,
            getattr(usage, "prompt_tokens", 0) or 0,
            getattr(usage, "completion_tokens", 0) or chunks,
        )
        text = "".join(parts).strip()
        return Answer(text=text, citations=cited_passages(text, passages), streamed=bool(on_delta))


def build_openai_composer(
    *, base_url: str, api_key: str, model: str, timeout: float, shop: str, max_tokens: int
) -> OpenAIComposer:
    """An OpenAIComposer with its own AsyncOpenAI client. No retries: a failed call fails
    fast and the offline composer answers instead. `timeout` bounds connecting and each
    wait for the next piece of the streamed answer."""
    from openai import AsyncOpenAI

    client = AsyncOpenAI(
        base_url=base_url, api_key=api_key or "not-needed", timeout=timeout, max_retries=0
    )
    return OpenAIComposer(client, model=model, shop=shop, max_tokens=max_tokens)
