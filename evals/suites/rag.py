"""RAG suite: the golden questions through the real graph, scored with ragas.

Every question is asked by an anonymous customer in a new session. Retrieval metrics
use the top-k passages the retriever returns for the question (k as the knowledge node
asks); answer metrics use the reply the customer would read, citation markers removed.
A question the bot escalated or declined scores what its reply scores. Questions the
help centre cannot answer are scored only on whether the bot refrained from answering.
"""

from __future__ import annotations

import asyncio
import dataclasses
import json
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from evals.metrics import citation_precision, fact_recall
from evals.suites.base import MetricResult, SuiteContext, SuiteResult
from evals.suites.harness import RecordingRetriever
from evals.suites.ragas_metrics import (
    EncoderEmbeddings,
    Row,
    build_judge,
    score_rows,
    strip_citations,
)

GOLDEN_PATH = Path(__file__).resolve().parent.parent / "data" / "rag_golden.jsonl"
RETRIEVAL_K = 4
"""Passages the knowledge node retrieves per question (graph/nodes/knowledge.py)."""


@dataclass(frozen=True)
class GoldenQuestion:
    """A golden question: reference answer, reference passages, facts a reply must state."""

    id: str
    question: str
    answerable: bool
    reference: str
    reference_contexts: list[dict[str, str]]
    """[{doc_id, text}]: the help-centre sentences that answer it (empty if unanswerable)."""
    facts: list[str]
    """Facts a good reply states; 'a|b' accepts either wording."""

    @property
    def relevant_ids(self) -> list[str]:
        return sorted({c["doc_id"] for c in self.reference_contexts})


def load_golden(path: Path = GOLDEN_PATH) -> list[GoldenQuestion]:
    """The golden questions of a JSON-lines file; a malformed row is a ValueError."""
    items: list[GoldenQuestion] = []
    for n, line in enumerate(path.read_text(encoding="utf-8").splitlines(), start=1):
        if not line.strip():
            continue
        try:
            row = json.loads(line)
            item = GoldenQuestion(
                id=str(row["id"]),
                question=str(row["question"]),
                answerable=bool(row["answerable"]),
                reference=str(row["reference"]),
                reference_contexts=[
                    {"doc_id": str(c["doc_id"]), "text": str(c["text"])}
                    for c in row["reference_contexts"]
                ],
                facts=[str(f) for f in row["facts"]],
            )
        except (json.JSONDecodeError, KeyError, TypeError) as exc:
            raise ValueError(f"{path}:{n}: not a golden question ({exc!r})") from exc
        if item.answerable and not item.reference_contexts:
            raise ValueError(f"{path}:{n}: an answerable question needs reference_contexts")
        items.append(item)
    ids = [i.id for i in items]
    if len(set(ids)) != len(ids):
        raise ValueError(f"{path}: duplicate question ids")
    return items


def outcome(response: dict[str, Any]) -> str:
    """'answered' (from the help centre, with citations), 'escalated:<reason>' or 'declined'."""
    if response.get("escalated"):
        reason = (response.get("escalation") or {}).get("reason", "")
        return f"escalated:{reason}"
    return "answered" if response.get("citations") else "declined"


async def _ask(ctx: SuiteContext, items: list[GoldenQuestion]) -> list[dict[str, Any]]:
    env = ctx.env
    store = env.fresh_store()
    asked = []
    try:
        for item in items:
            recorder = RecordingRetriever(env.services.retriever)

            def wrap(services: Any, recorder: RecordingRetriever = recorder) -> Any:
                return dataclasses.replace(services, retriever=recorder)

            async with env.conversation(None, store=store, wrap=wrap) as convo:
                response = await convo.say(item.question)
            top_k = await asyncio.to_thread(
                env.services.retriever.search, item.question, RETRIEVAL_K
            )
            used = [p for search in recorder.searches for p in search]
            asked.append({"response": response, "top_k": top_k, "used": used})
    finally:
        store.engine.dispose()
    return asked


def _count(values: list[str]) -> dict[str, int]:
    counts: dict[str, int] = {}
    for value in values:
        counts[value] = counts.get(value, 0) + 1
    return dict(sorted(counts.items()))


def run(ctx: SuiteContext) -> SuiteResult:
    """Ask every golden question, then score retrieval, answers and abstentions."""
    items = load_golden(ctx.path("rag", GOLDEN_PATH))
    asked = asyncio.run(_ask(ctx, items))
    rows, details = [], []
    for item, got in zip(items, asked, strict=True):
        response = got["response"]
        result = outcome(response)
        cited = [c["doc_id"] for c in response.get("citations") or []]
        row = Row(
            id=item.id,
            question=item.question,
            reference=item.reference,
            reference_contexts=[c["text"] for c in item.reference_contexts],
            retrieved=[p.text for p in got["top_k"]],
            response=strip_citations(response.get("reply") or ""),
            answered=result == "answered",
            used=[p.text for p in got["used"]],
        )
        if item.answerable:
            rows.append(row)
        details.append(
            {
                "id": item.id,
                "question": item.question,
                "answerable": item.answerable,
                "outcome": result,
                "intent": response.get("intent"),
                "confidence": round(float(response.get("confidence") or 0.0), 4),
                "reply": row.response,
                "cited": cited,
                "relevant": item.relevant_ids,
                "retrieved": [p.doc_id for p in got["top_k"]],
                "hit": any(p.doc_id in item.relevant_ids for p in got["top_k"]),
                "fact_recall": fact_recall(row.response, item.facts) if item.answerable else None,
            }
        )
    judge = embeddings = None
    if ctx.judge is not None:
        judge = build_judge(ctx.judge, ctx.judge_http_client)
        embeddings = EncoderEmbeddings(_encoder(ctx))
    scored, per_row = asyncio.run(
        score_rows(
            rows,
            judge=judge,
            embeddings=embeddings,
            skip_reason=ctx.judge_skip_reason,
            timeout=ctx.judge.timeout if ctx.judge else 60.0,
        )
    )
    by_id = {d["id"]: d for d in details}
    for metric, scores in per_row.items():
        for sample_id, score in scores.items():
            by_id[sample_id][metric] = score

    answerable = [d for d in details if d["answerable"]]
    unanswerable = [d for d in details if not d["answerable"]]
    answered = [d for d in answerable if d["outcome"] == "answered"]
    metrics: dict[str, MetricResult] = {}
    if answerable:
        metrics["answered_rate"] = MetricResult.of(
            len(answered) / len(answerable),
            len(answerable),
            "answerable questions answered from the help centre with citations",
        )
        metrics["retrieval_hit_rate"] = MetricResult.of(
            sum(d["hit"] for d in answerable) / len(answerable),
            len(answerable),
            f"a golden document among the top {RETRIEVAL_K} passages",
        )
    metrics.update(scored)
    if answerable:
        metrics["fact_recall"] = MetricResult.of(
            sum(d["fact_recall"] for d in answerable) / len(answerable),
            len(answerable),
            "share of required facts the reply states (evals.metrics.fact_recall)",
        )
    precisions = [
        p for d in answered if (p := citation_precision(d["cited"], d["relevant"])) is not None
    ]
    if precisions:
        metrics["citation_precision"] = MetricResult.of(
            sum(precisions) / len(precisions),
            len(precisions),
            "share of cited passages from a golden document (answered questions)",
        )
    if unanswerable:
        refrained = [d for d in unanswerable if d["outcome"] != "answered"]
        metrics["abstention_rate"] = MetricResult.of(
            len(refrained) / len(unanswerable),
            len(unanswerable),
            "questions the help centre cannot answer that the bot did not answer from it",
        )
    notes = [
        f"{len(answerable)} answerable and {len(unanswerable)} unanswerable golden questions, "
        f"composer '{ctx.env.services.composer.name}'.",
        "Answer metrics cover every answerable question: an escalated or declined one scores "
        "what its reply scores.",
    ]
    return SuiteResult(
        "rag",
        metrics,
        details={
            "outcomes": {
                "answerable": _count([d["outcome"] for d in answerable]),
                "unanswerable": _count([d["outcome"] for d in unanswerable]),
            },
            "questions": details,
        },
        notes=notes,
    )


def _encoder(ctx: SuiteContext) -> Any:
    from knowledge.embeddings import get_encoder

    return get_encoder(ctx.settings.EMBEDDING_MODEL)
