"""Ragas 0.3.1 metrics for the RAG suite: the non-LLM ones always, LLM-judged ones on demand.

Non-LLM: context recall and precision against the golden reference passages, ROUGE-L and
string similarity against the reference answers. ragas compares contexts with a string
distance; a golden passage is a sentence or two while a retrieved context is a whole
help-centre section, and a plain Levenshtein ratio between the two is near zero however
good the retrieval is. The context metrics therefore get `SentenceWindowSimilarity` as
their distance measure: the best Levenshtein similarity between the passage and any run
of as many consecutive sentences of the context (ragas' default threshold 0.5 applies).

LLM-judged (only with a judge endpoint): faithfulness, response relevancy and LLM context
precision with reference, through any OpenAI-compatible endpoint wrapped for ragas.
"""

from __future__ import annotations

import asyncio
import os
import re
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any

os.environ.setdefault("RAGAS_DO_NOT_TRACK", "true")

from langchain_core.callbacks import Callbacks  # noqa: E402
from ragas.dataset_schema import SingleTurnSample  # noqa: E402
from ragas.embeddings.base import BaseRagasEmbeddings  # noqa: E402
from ragas.metrics.base import MetricType, SingleTurnMetric  # noqa: E402
from ragas.run_config import RunConfig  # noqa: E402
from rapidfuzz.distance import Levenshtein  # noqa: E402

from evals.suites.base import MetricResult, aggregate, is_score  # noqa: E402

if TYPE_CHECKING:
    from ragas.llms import BaseRagasLLM

    from knowledge.embeddings import Encoder

LLM_CONCURRENCY = 4
PROBE_FAILURES = 3
"""An LLM metric whose first this-many samples all fail is not tried on the rest."""

_MARKUP = re.compile(r"\*\*|`|^#+\s*|^\s*(?:[-*]|\d+\.)\s+", re.MULTILINE)
_LINK = re.compile(r"\[([^\]]+)\]\([^)]*\)")
_SENTENCE = re.compile(r"(?<=[.!?:;])\s+|\n+")
_CITATION = re.compile(r"\s*\[\d+\]")


def plain(text: str) -> str:
    """Markdown emphasis, links, headings and list markers removed."""
    return _MARKUP.sub("", _LINK.sub(r"\1", text))


def sentences(text: str) -> list[str]:
    """Sentences (and list items, lines) of a text, markup removed."""
    return [s.strip() for s in _SENTENCE.split(plain(text)) if s.strip()]


def strip_citations(text: str) -> str:
    """A reply without its [n] citation markers (they are rendering, not wording)."""
    return " ".join(_CITATION.sub("", text).split())


@dataclass
class SentenceWindowSimilarity(SingleTurnMetric):
    """Best Levenshtein similarity of `response` (a golden passage) to any window of
    consecutive sentences of `reference` (a retrieved context) of the passage's length."""

    name: str = "sentence_window_similarity"
    _required_columns: dict[MetricType, set[str]] = field(
        default_factory=lambda: {MetricType.SINGLE_TURN: {"reference", "response"}}
    )

    def init(self, run_config: RunConfig) -> None:
        pass

    async def _single_turn_ascore(self, sample: SingleTurnSample, callbacks: Callbacks) -> float:
        passage = " ".join(sentences(sample.response or ""))
        context = sentences(sample.reference or "")
        width = max(1, len(sentences(sample.response or "")))
        if not passage or not context:
            return 0.0
        windows = [
            " ".join(context[i : i + width]) for i in range(max(1, len(context) - width + 1))
        ]
        return max(Levenshtein.normalized_similarity(passage, w) for w in windows)

    async def _ascore(self, row: dict, callbacks: Callbacks) -> float:
        return await self._single_turn_ascore(SingleTurnSample(**row), callbacks)


class EncoderEmbeddings(BaseRagasEmbeddings):
    """The packaged MiniLM encoder as ragas embeddings (for response relevancy)."""

    def __init__(self, encoder: Encoder) -> None:
        super().__init__()
        self._encoder = encoder
        self.run_config = RunConfig()

    def embed_query(self, text: str) -> list[float]:
        return self._encoder.encode([text])[0].tolist()

    def embed_documents(self, texts: list[str]) -> list[list[float]]:
        return self._encoder.encode(list(texts)).tolist()

    async def aembed_query(self, text: str) -> list[float]:
        return self.embed_query(text)

    async def aembed_documents(self, texts: list[str]) -> list[list[float]]:
        return self.embed_documents(texts)


@dataclass(frozen=True)
class JudgeConfig:
    """An OpenAI-compatible endpoint used as the ragas judge."""

    base_url: str
    model: str
    api_key: str = ""
    timeout: float = 60.0


def build_judge(config: JudgeConfig, http_async_client: Any = None) -> BaseRagasLLM:
    """The endpoint wrapped for ragas (LangChain's ChatOpenAI under ragas' wrapper)."""
    from langchain_openai import ChatOpenAI
    from ragas.llms import LangchainLLMWrapper

    chat = ChatOpenAI(
        model=config.model,
        base_url=config.base_url,
        api_key=config.api_key or "not-needed",  # type: ignore[arg-type]
        timeout=config.timeout,
        max_retries=1,
        temperature=0,
        http_async_client=http_async_client,
    )
    return LangchainLLMWrapper(
        chat, run_config=RunConfig(timeout=int(config.timeout), max_retries=1)
    )


@dataclass(frozen=True)
class Row:
    """One golden question as the metrics see it."""

    id: str
    question: str
    reference: str
    reference_contexts: list[str]
    retrieved: list[str]
    """Contexts the retrieval step returned for the question (top k)."""
    response: str
    """The bot's reply, citation markers removed."""
    answered: bool
    """The bot answered from the help centre (cited passages, no escalation)."""
    used: list[str]
    """The contexts the graph retrieved while answering (for faithfulness)."""


@dataclass(frozen=True)
class MetricSpec:
    name: str
    make: Callable[[], SingleTurnMetric]
    sample: Callable[[Row], SingleTurnSample | None]
    """The sample a row gives this metric, or None when the metric does not apply to it."""
    about: str


def _retrieval(row: Row) -> SingleTurnSample | None:
    if not row.reference_contexts:
        return None
    return SingleTurnSample(
        retrieved_contexts=row.retrieved or [""], reference_contexts=row.reference_contexts
    )


def _answer(row: Row) -> SingleTurnSample:
    return SingleTurnSample(response=row.response, reference=row.reference)


def non_llm_specs() -> list[MetricSpec]:
    from ragas.metrics import (
        NonLLMContextPrecisionWithReference,
        NonLLMContextRecall,
        NonLLMStringSimilarity,
        RougeScore,
    )

    return [
        MetricSpec(
            "non_llm_context_recall",
            lambda: NonLLMContextRecall(_distance_measure=SentenceWindowSimilarity()),
            _retrieval,
            "share of golden passages found in the top-k contexts (ragas NonLLMContextRecall)",
        ),
        MetricSpec(
            "non_llm_context_precision",
            lambda: NonLLMContextPrecisionWithReference(
                distance_measure=SentenceWindowSimilarity()
            ),
            _retrieval,
            "rank-weighted share of top-k contexts holding a golden passage "
            "(ragas NonLLMContextPrecisionWithReference)",
        ),
        MetricSpec(
            "rouge_l",
            lambda: RougeScore(rouge_type="rougeL", mode="fmeasure"),
            _answer,
            "ROUGE-L F1 of the reply against the reference answer (ragas RougeScore)",
        ),
        MetricSpec(
            "string_similarity",
            lambda: NonLLMStringSimilarity(),
            _answer,
            "1 - normalised Levenshtein distance of reply and reference answer "
            "(ragas NonLLMStringSimilarity)",
        ),
    ]


def llm_specs(judge: BaseRagasLLM, embeddings: BaseRagasEmbeddings) -> list[MetricSpec]:
    from ragas.metrics import Faithfulness, LLMContextPrecisionWithReference, ResponseRelevancy

    def answered(row: Row) -> SingleTurnSample | None:
        if not row.answered:
            return None
        return SingleTurnSample(
            user_input=row.question, response=row.response, retrieved_contexts=row.used
        )

    def relevancy(row: Row) -> SingleTurnSample | None:
        if not row.answered:
            return None
        return SingleTurnSample(user_input=row.question, response=row.response)

    def precision(row: Row) -> SingleTurnSample | None:
        if not row.reference_contexts:
            return None
        return SingleTurnSample(
            user_input=row.question, reference=row.reference, retrieved_contexts=row.retrieved
        )

    return [
        MetricSpec(
            "faithfulness",
            lambda: Faithfulness(llm=judge),
            answered,
            "share of the reply's statements the used passages support (ragas Faithfulness; "
            "answered questions only)",
        ),
        MetricSpec(
            "answer_relevancy",
            lambda: ResponseRelevancy(llm=judge, embeddings=embeddings),
            relevancy,
            "how well questions generated from the reply match the question "
            "(ragas ResponseRelevancy, MiniLM embeddings; answered questions only)",
        ),
        MetricSpec(
            "llm_context_precision",
            lambda: LLMContextPrecisionWithReference(llm=judge),
            precision,
            "judge-rated rank-weighted precision of the top-k contexts "
            "(ragas LLMContextPrecisionWithReference)",
        ),
    ]


async def _score_all(
    metric: SingleTurnMetric,
    samples: Sequence[tuple[str, SingleTurnSample]],
    *,
    concurrency: int,
    timeout: float | None,
    probe: int,
) -> list[tuple[str, Any]]:
    gate = asyncio.Semaphore(concurrency)

    async def one(sample_id: str, sample: SingleTurnSample) -> tuple[str, Any]:
        async with gate:
            try:
                return sample_id, await metric.single_turn_ascore(sample, timeout=timeout)
            except Exception as exc:  # every failure is reported per sample, never hidden
                return sample_id, exc

    head = [await one(*s) for s in samples[:probe]]
    if probe and len(head) == probe and all(isinstance(s, Exception) for _, s in head):
        skipped = RuntimeError(f"not tried: the first {probe} samples failed")
        return head + [(sample_id, skipped) for sample_id, _ in samples[probe:]]
    return head + list(await asyncio.gather(*(one(*s) for s in samples[probe:])))


async def score_metric(
    spec: MetricSpec,
    rows: Sequence[Row],
    *,
    concurrency: int = 1,
    timeout: float | None = None,
    probe: int = 0,
) -> tuple[MetricResult, dict[str, float | None]]:
    """The metric over every row it applies to, and each row's score (None: no score).

    NaN or a raised error is that sample's error, listed in the result, never a score.
    """
    try:
        metric = spec.make()
        metric.init(RunConfig())
    except Exception as exc:
        return MetricResult(None, "error", f"{spec.name} could not start: {exc}"), {}
    samples = [(row.id, s) for row in rows if (s := spec.sample(row)) is not None]
    scores = await _score_all(
        metric, samples, concurrency=concurrency, timeout=timeout, probe=probe
    )
    per_row = {sid: round(float(v), 4) if is_score(v) else None for sid, v in scores}
    return aggregate(scores, spec.about), per_row


LLM_METRICS = ("faithfulness", "answer_relevancy", "llm_context_precision")


async def score_rows(
    rows: Sequence[Row],
    *,
    judge: BaseRagasLLM | None,
    embeddings: BaseRagasEmbeddings | None,
    skip_reason: str,
    timeout: float = 60.0,
    only: Sequence[str] | None = None,
) -> tuple[dict[str, MetricResult], dict[str, dict[str, float | None]]]:
    """Every ragas metric: non-LLM always, LLM-judged with a judge, else skipped with reason.

    Returns the metric results and, per metric, each row's score.
    """
    results: dict[str, MetricResult] = {}
    per_row: dict[str, dict[str, float | None]] = {}
    judged = judge is not None and embeddings is not None
    specs = non_llm_specs() + (llm_specs(judge, embeddings) if judged else [])  # type: ignore[arg-type]
    for spec in specs:
        if only is not None and spec.name not in only:
            continue
        llm = spec.name in LLM_METRICS
        results[spec.name], per_row[spec.name] = await score_metric(
            spec,
            rows,
            concurrency=LLM_CONCURRENCY if llm else 1,
            timeout=timeout if llm else None,
            probe=PROBE_FAILURES if llm else 0,
        )
    if not judged:
        for name in LLM_METRICS:
            if only is None or name in only:
                results[name] = MetricResult.skipped(skip_reason)
    return results, per_row
