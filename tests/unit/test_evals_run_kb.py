"""`support evals run` scores the bot on the pinned demo help centre, whatever was
published since; `--kb live` scores the help centre the service answers from."""

from __future__ import annotations

import dataclasses
import json

import pytest

from app.runtime import build_retriever
from evals.help_centre import DEMO_KB, LIVE
from evals.run import RunRequest, run_evals
from knowledge.ingest import ingest_paths
from knowledge.tokens import get_tokenizer
from knowledge.vectorstore import open_collection

STUDENT_DISCOUNT = """---
title: Student discount
---
# Student discount

Students get 10% off every order with a student discount code. Verify your student
status once under Account > Student discount and the code is emailed to you. The student
discount cannot be combined with other promo codes.
"""
WINDOW = "You have 30 days from the delivery date to ask for a return and refund."
GOLDEN = [
    {
        "id": "a1",
        "question": "How many days do I have to return something?",
        "answerable": True,
        "reference": WINDOW,
        "reference_contexts": [{"doc_id": "returns-and-refunds", "text": WINDOW}],
        "facts": ["30 days"],
    },
    {  # u01 of the committed golden set: the demo help centre has no such article
        "id": "u01",
        "question": "Do you offer a student discount?",
        "answerable": False,
        "reference": "",
        "reference_contexts": [],
        "facts": [],
    },
]


@pytest.fixture(scope="module")
def published(built, tmp_path_factory):
    """Settings and services whose live help centre is the demo one plus a newly
    published article that answers a question the golden set marks unanswerable."""
    settings, services = built
    root = tmp_path_factory.mktemp("published")
    extra = root / "new-articles"
    extra.mkdir()
    (extra / "student-discount.md").write_text(STUDENT_DISCOUNT)
    live = settings.model_copy(update={"DATA_DIR": root / "data"})
    summary = ingest_paths(
        [DEMO_KB, extra],
        open_collection(live.knowledge),
        get_tokenizer(str(settings.tiktoken_cache_dir)),
    )
    assert summary.added == 27
    return live, dataclasses.replace(services, retriever=build_retriever(live))


def run_rag(published, tmp_path, **request):
    settings, services = published
    golden = tmp_path / "golden.jsonl"
    golden.write_text("".join(json.dumps(row) + "\n" for row in GOLDEN))
    return run_evals(
        RunRequest(
            ["rag"],
            settings.model_copy(update={"EVAL_LLM_BASE_URL": "", "EVAL_LLM_MODEL": ""}),
            baseline_path=tmp_path / "no-baseline.json",
            data={"rag": golden},
            services=services,
            **request,
        )
    )


def question(report, id_):
    return next(q for q in report["suites"]["rag"]["details"]["questions"] if q["id"] == id_)


def test_evals_run_pinned_kb_ignores_an_article_published_since(published, tmp_path):
    report = run_rag(published, tmp_path)
    rag = report["suites"]["rag"]
    assert rag["error"] is None
    assert rag["metrics"]["abstention_rate"]["value"] == 1.0
    student = question(report, "u01")
    assert student["outcome"] != "answered"
    assert "student-discount" not in student["retrieved"] + student["cited"]
    assert question(report, "a1")["outcome"] == "answered"
    centre = report["help_centre"]
    assert (centre["kb"], centre["folder"], centre["documents"]) == (
        "pinned",
        "knowledge/demo_kb",
        26,
    )
    assert rag["notes"][-1].startswith(
        "Help centre: pinned demo help centre (knowledge/demo_kb): 26"
    )


def test_evals_run_live_kb_answers_from_the_published_article(published, tmp_path):
    report = run_rag(published, tmp_path, kb=LIVE)
    rag = report["suites"]["rag"]
    assert rag["error"] is None
    student = question(report, "u01")
    assert student["outcome"] == "answered"
    assert "student-discount" in student["cited"]
    assert rag["metrics"]["abstention_rate"]["value"] == 0.0
    assert report["help_centre"]["kb"] == "live"
    assert report["help_centre"]["documents"] is None
    assert "live help centre" in rag["notes"][-1]
