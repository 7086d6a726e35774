"""Knowledge branch: retrieve help-centre passages and compose a cited answer."""

from __future__ import annotations

import asyncio

from graph.llm.openai_composer import LLMUnavailable
from graph.nodes.common import Rt, action, emit, record, say
from graph.routing import ACCOUNT_ROUTES, INTENT_ROUTES
from graph.state import TurnState


def needs_sign_in_hint(state: TurnState, runtime: Rt) -> bool:
    """An anonymous caller asked about their own records and got the general answer."""
    route = INTENT_ROUTES.get(state.get("intent") or "", "knowledge")
    return runtime.context.customer_id is None and route in ACCOUNT_ROUTES


def citation(passage) -> dict:
    """Public citation fields of a passage."""
    return {
        "doc_id": passage.doc_id,
        "title": passage.title,
        "source": passage.source,
        "chunk_id": passage.chunk_id,
        "section": passage.section,
        "url": passage.url,
    }


async def answer_from_knowledge(state: TurnState, runtime: Rt) -> dict:
    """Answer from the help centre with citations, or escalate when it has no good answer."""
    svc = runtime.context.services
    question = state["message"]
    passages = await asyncio.to_thread(svc.retriever.search, question, 4)
    best = passages[0].score if passages else 0.0
    searched = action("search_knowledge", "ok", f"{len(passages)} passages, best {best:.2f}")
    if best < svc.kb_min_score:
        return {
            "escalation_reason": "missing_knowledge",
            "actions": record(runtime, state, searched),
        }
    good = [p for p in passages if p.score >= svc.kb_min_score]
    try:
        answer = await svc.composer.answer(
            question, good, on_delta=lambda text: emit(runtime, "delta", text)
        )
    except LLMUnavailable as exc:
        failed = action("compose_answer", "error", str(exc))
        return {
            "escalation_reason": "tool_failure",
            "actions": record(runtime, state, searched, failed),
        }
    if not answer.text:
        return {
            "escalation_reason": "missing_knowledge",
            "actions": record(runtime, state, searched),
        }
    reply = answer.text
    if needs_sign_in_hint(state, runtime):
        hint = " " + say("sign_in_hint")
        if answer.streamed:
            emit(runtime, "delta", hint)
        reply += hint
    citations = [citation(p) for p in answer.citations]
    for c in citations:
        emit(runtime, "citation", c)
    return {
        "reply": reply,
        "streamed": answer.streamed,
        "citations": citations,
        "pending": None,
        "actions": record(runtime, state, searched),
    }
