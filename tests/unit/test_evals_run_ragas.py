"""Ragas metrics of the RAG suite: non-LLM scores, the LLM judge over HTTP, NaN as an error."""

from __future__ import annotations

import asyncio
import json

import httpx

from evals.suites.ragas_metrics import (
    EncoderEmbeddings,
    JudgeConfig,
    Row,
    build_judge,
    score_rows,
    strip_citations,
)
from tests.fakes import ScriptedChatEndpoint

CONTEXT = (
    "## Returns and refunds policy > Our return policy\n\n"
    "- You have **30 days from the delivery date** to ask for a return and refund. "
    "The delivery date is shown on the order page under Account > Orders.\n"
    "- Refunds always go back to the **original payment method**."
)
OTHER = "## Gift cards\n\nGift cards are delivered by email only, so they arrive within minutes."


def row(**changes) -> Row:
    base = dict(
        id="q1",
        question="How long do I have to return something?",
        reference="You have 30 days from the delivery date to return an item.",
        reference_contexts=[
            "You have 30 days from the delivery date to ask for a return and refund."
        ],
        retrieved=[CONTEXT, OTHER],
        response="You have 30 days from the delivery date to ask for a return and refund.",
        answered=True,
        used=[CONTEXT],
    )
    return Row(**{**base, **changes})


def score(rows, judge=None, embeddings=None, only=None):
    return asyncio.run(
        score_rows(
            rows, judge=judge, embeddings=embeddings, skip_reason="no judge endpoint", only=only
        )
    )


def test_evals_run_non_llm_context_metrics_find_the_golden_sentence_in_a_section():
    results, per_row = score([row(), row(id="q2", retrieved=[OTHER])])
    assert per_row["non_llm_context_recall"] == {"q1": 1.0, "q2": 0.0}
    assert per_row["non_llm_context_precision"]["q1"] == 1.0
    assert per_row["non_llm_context_precision"]["q2"] == 0.0
    assert results["non_llm_context_recall"].value == 0.5
    assert results["rouge_l"].status == "ran" and results["rouge_l"].n == 2


def test_evals_run_llm_metrics_are_listed_as_skipped_with_the_reason():
    results, _ = score([row()])
    for name in ("faithfulness", "answer_relevancy", "llm_context_precision"):
        assert results[name].status == "skipped"
        assert results[name].value is None
        assert results[name].reason == "no judge endpoint"


def judge_over(endpoint: ScriptedChatEndpoint):
    client = httpx.AsyncClient(transport=endpoint.transport)
    return build_judge(JudgeConfig("http://judge.test/v1", "judge-model", "k", 10.0), client)


def test_evals_run_faithfulness_calls_the_judge_and_scores(encoder):
    endpoint = ScriptedChatEndpoint(
        json.dumps({"statements": ["Items can be returned within 30 days of delivery."]}),
        json.dumps(
            {
                "statements": [
                    {
                        "statement": "Items can be returned within 30 days of delivery.",
                        "reason": "The context states the 30-day window.",
                        "verdict": 1,
                    }
                ]
            }
        ),
    )
    results, per_row = score(
        [row()], judge_over(endpoint), EncoderEmbeddings(encoder), only=["faithfulness"]
    )
    endpoint.assert_done()
    assert results["faithfulness"].status == "ran"
    assert results["faithfulness"].value == 1.0
    assert per_row["faithfulness"] == {"q1": 1.0}
    assert endpoint.requests[0]["model"] == "judge-model"
    assert "30 days" in json.dumps(endpoint.requests[1]["messages"])


def test_evals_run_judge_nan_is_an_error_not_a_score(encoder):
    endpoint = ScriptedChatEndpoint(json.dumps({"statements": []}))  # ragas: NaN
    results, per_row = score(
        [row()], judge_over(endpoint), EncoderEmbeddings(encoder), only=["faithfulness"]
    )
    endpoint.assert_done()
    metric = results["faithfulness"]
    assert metric.status == "error" and metric.value is None
    assert metric.errors == ["q1: no score (nan)"]
    assert per_row["faithfulness"] == {"q1": None}


def test_evals_run_unreachable_judge_is_an_error_with_the_cause(encoder):
    endpoint = ScriptedChatEndpoint(*[RuntimeError("judge overloaded")] * 12)
    rows = [row(id=f"q{n}") for n in range(4)]
    results, _ = score(
        rows, judge_over(endpoint), EncoderEmbeddings(encoder), only=["faithfulness"]
    )
    metric = results["faithfulness"]
    assert metric.status == "error" and metric.value is None
    assert metric.reason == "4 of 4 samples gave no score"
    assert "503" in metric.errors[0] and "judge overloaded" in metric.errors[0]
    assert metric.errors[-1] == "q3: RuntimeError: not tried: the first 3 samples failed"


def test_evals_run_citation_markers_are_not_wording():
    assert strip_citations("Returns take 30 days [1]. Refunds [2] go back.") == (
        "Returns take 30 days. Refunds go back."
    )
