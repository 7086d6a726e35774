"""Knowledge branch: retrieve help-centre passages and compose a cited answer."""

from __future__ import annotations

import asyncio
import logging
from collections.abc import Sequence
from dataclasses import dataclass, replace
from typing import Any

from graph.context import Retriever
from graph.llm.attributes import unstated
from graph.llm.composer import Answer
from graph.llm.openai_composer import LLMUnavailable
from graph.nodes.common import Rt, action, emit, record, say
from graph.routing import ACCOUNT_ROUTES, INTENT_ROUTES, repeated_fallback
from graph.state import TurnState
from knowledge.retrieval import Passage
from knowledge.vectorstore import VectorStoreUnavailable
from observability.tracing import span

log = logging.getLogger("support.knowledge")


def needs_sign_in_hint(state: TurnState, runtime: Rt) -> bool:
    """An anonymous caller asked about their own records and got the general answer."""
    route = INTENT_ROUTES.get(state.get("intent") or "", "knowledge")
    return runtime.context.customer_id is None and route in ACCOUNT_ROUTES


def citation(passage: Passage) -> dict[str, Any]:
    """Public citation fields of a passage."""
    return {
        "doc_id": passage.doc_id,
        "title": passage.title,
        "source": passage.source,
        "chunk_id": passage.chunk_id,
        "section": passage.section,
        "url": passage.url,
    }


def previous_customer_line(state: TurnState) -> str:
    """What the customer said before this message ("" on the first turn): a follow-up such
    as "how much is it?" is searched with it as context."""
    lines = [
        e.get("content", "") for e in state.get("transcript") or [] if e.get("role") == "customer"
    ]
    # The classify node has already added this turn's message as the last customer line.
    if lines and lines[-1] == state["message"]:
        lines = lines[:-1]
    return lines[-1] if lines else ""


async def log_question(
    runtime: Rt, question: str, passages: Sequence[Passage], outcome: str
) -> None:
    """Record the question for `support kb gaps`; a failing log never fails the turn."""
    query_log = runtime.context.services.retriever.log
    if query_log is None:
        return
    best = max(passages, key=lambda p: p.score, default=None)
    try:
        await asyncio.to_thread(
            query_log.record,
            session_id=runtime.context.session_id,
            question=question,
            best_score=best.score if best else 0.0,
            best_doc=best.doc_id if best else "",
            outcome=outcome,
        )
    except Exception:  # the log is a report for the content team, not part of the answer
        log.warning("could not record the knowledge question", exc_info=True)


def words_needing_a_close_passage(
    retriever: Retriever, question: str, best: float, sure: float
) -> list[str]:
    """Words of the question the help centre never uses ("gift wrapping", "drone") when the
    best passage is under `sure`: such a question is answered only from a passage close to
    it, a loosely related one is a guess. (A word other articles use but the answering one
    doesn't is the composer's to judge: graph.llm.attributes.)"""
    return list(retriever.unknown_words(question)) if best < sure else []


@dataclass(frozen=True)
class Found:
    """What the help centre gave for a question: the composed answer, or why there is none."""

    outcome: str
    """'answered'; 'missing_knowledge' (no passage good enough); 'no_answer' (the passages
    did not answer it); 'composer_unavailable' (the LLM endpoint failed, no fall-back);
    'knowledge_unavailable' (the vector store failed)."""
    best: float
    """Cosine similarity of the best passage retrieved (0 when none)."""
    actions: list[dict[str, str]]
    """For the turn's record: the search, and the failed compose_answer if it failed."""
    answer: Answer | None = None
    unstated: list[str] | None = None
    """Product attributes asked about that the answering article never states."""


async def search_and_compose(
    state: TurnState, runtime: Rt, min_score: float, *, log_gaps: bool = True
) -> Found:
    """Retrieve passages for the turn's message (with the previous customer line as context)
    and compose a cited answer from those at least `min_score` similar. With `log_gaps`
    the question is recorded for `support kb gaps`."""
    svc = runtime.context.services
    question = state["message"]
    context = previous_customer_line(state)
    try:
        with span("retrieval", k=4, with_context=bool(context)):
            passages = await asyncio.to_thread(svc.retriever.search, question, 4, None, context)
        # Hybrid results are ordered by fused rank; "good context" means a passage whose
        # cosine similarity reaches the bar, wherever fusion ranked it.
        best = max((p.score for p in passages), default=0.0)
        unknown = words_needing_a_close_passage(
            svc.retriever, question, best, svc.thresholds.kb_sure_score
        )
    except VectorStoreUnavailable as exc:
        log.warning("help-centre search failed: %s", exc)
        failed = action("search_knowledge", "error", "the help centre is not answering")
        return Found("knowledge_unavailable", 0.0, [failed])
    detail = f"{len(passages)} passages, best {best:.2f}"
    if unknown:
        detail += f"; not in the help centre: {', '.join(unknown)}"
        min_score = max(min_score, svc.thresholds.kb_sure_score)
    searched = action("search_knowledge", "ok", detail)

    async def found(outcome: str, answer: Answer | None = None) -> Found:
        if log_gaps:
            await log_question(runtime, question, passages, outcome)
        return Found(outcome, best, [searched], answer)

    if best < min_score:
        # Of a product attribute asked about, say plainly that the closest article lacks it.
        top = [p for p in passages if p.doc_id == passages[0].doc_id]
        return replace(await found("missing_knowledge"), unstated=unstated(question, top) or None)
    good = [p for p in passages if p.score >= min_score]
    try:
        answer = await svc.composer.answer(
            question, good, on_delta=lambda text: emit(runtime, "delta", text), context=context
        )
    except LLMUnavailable as exc:
        failed = action("compose_answer", "error", str(exc))
        return Found("composer_unavailable", best, [searched, failed])
    if not answer.text:
        if answer.unanswered:  # the answer's article never states what was asked
            searched["detail"] += f"; the article doesn't say: {', '.join(answer.unanswered)}"
        return replace(await found("no_answer"), unstated=answer.unanswered or None)
    return await found("answered", answer)


def emit_citations(runtime: Rt, answer: Answer) -> list[dict[str, Any]]:
    """The answer's citations as public fields, each also sent as an SSE `citation` event."""
    citations = [citation(p) for p in answer.citations]
    for c in citations:
        emit(runtime, "citation", c)
    return citations


def append_to_reply(runtime: Rt, answer: Answer, text: str) -> str:
    """The answer followed by `text` (streamed after it when the answer was streamed)."""
    if answer.streamed:
        emit(runtime, "delta", " " + text)
    return f"{answer.text} {text}"


async def answer_from_knowledge(state: TurnState, runtime: Rt) -> dict[str, Any]:
    """Answer from the help centre with citations, or escalate when it has no good answer
    (decline politely instead when the message read as off-topic)."""
    svc = runtime.context.services
    # Unsure what was asked (only the help-centre intents together were sure): answer only
    # from a passage close to the question; else a person answers it.
    bars = svc.thresholds
    min_score = bars.kb_sure_score if state.get("help_centre_guess") else bars.kb_min_score
    declining = bool(state.get("declining"))  # off-topic unless a passage is close to it
    found = await search_and_compose(state, runtime, min_score, log_gaps=not declining)
    if found.answer is None and declining:
        said = state.get("transcript")
        if repeated_fallback(True, said, includes_this_message=True):
            return {
                "escalation_reason": "repeated_fallback",
                "retrieval_score": found.best,
                "actions": record(runtime, state, *found.actions),
            }
        return {
            "reply": say("out_of_scope"),
            "pending": None,
            "retrieval_score": found.best,
            "actions": record(runtime, state, *found.actions),
        }
    if found.answer is None:
        failed = found.outcome in ("composer_unavailable", "knowledge_unavailable")
        return {
            "escalation_reason": "tool_failure" if failed else "missing_knowledge",
            "unstated": found.unstated,
            "retrieval_score": found.best,
            "actions": record(runtime, state, *found.actions),
        }
    reply = found.answer.text
    if needs_sign_in_hint(state, runtime):
        reply = append_to_reply(runtime, found.answer, say("sign_in_hint"))
    return {
        "reply": reply,
        "streamed": found.answer.streamed,
        "citations": emit_citations(runtime, found.answer),
        "pending": None,
        "retrieval_score": found.best,
        "actions": record(runtime, state, *found.actions),
    }
