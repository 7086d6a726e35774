"""The evals report files: JSON, Markdown and HTML with the charts as images."""

from __future__ import annotations

import json

from evals.gates import Bound, Gates, judge_suite
from evals.report import summary_text, write_report
from evals.suites.base import MetricResult, SuiteResult


def sample_report() -> dict:
    gates = Gates(
        {"intent": {"accuracy": Bound(min=0.99)}, "rag": {"rouge_l": Bound(min=0.2)}},
        {"intent": 0.0, "rag": 0.0},
        {},
    )
    intent = SuiteResult(
        "intent",
        {
            "accuracy": MetricResult(0.9, n=20),
            "ece": MetricResult(0.1, n=20, higher_is_better=False),
        },
        details={
            "model_version": "1.0.0",
            "per_intent": {
                "track_order": {"precision": 0.9, "recall": 1.0, "f1": 0.947, "support": 9},
                "get_refund": {"precision": 1.0, "recall": 0.8, "f1": 0.889, "support": 11},
            },
            "confusion": {"labels": ["track_order", "get_refund"], "matrix": [[9, 0], [2, 9]]},
            "top_confusions": [{"true": "get_refund", "predicted": "track_order", "count": 2}],
        },
    )
    rag = SuiteResult(
        "rag",
        {
            "rouge_l": MetricResult(0.31, n=5),
            "faithfulness": MetricResult.skipped("no judge endpoint: set EVAL_LLM_BASE_URL"),
        },
        details={"outcomes": {"answerable": {"answered": 5}}, "questions": []},
        notes=["5 answerable questions"],
    )
    suites = {
        "intent": judge_suite(intent, gates, {"intent": {"accuracy": 0.95}}),
        "rag": judge_suite(rag, gates, None),
    }
    failures = [g["message"] for s in suites.values() for g in s["gates"].values()]
    failures = [m for m in failures if "under" in m]
    return {
        "created": "2026-11-27T06:00:00+00:00",
        "commit": "abc1234",
        "composer": "extractive",
        "judge": None,
        "k": 3,
        "baseline": "evals/baseline.json",
        "seconds": 12.5,
        "passed": not failures,
        "failures": failures,
        "suites": suites,
    }


def test_evals_run_report_files_hold_tables_charts_and_the_verdict(tmp_path):
    report = sample_report()
    paths = write_report(report, tmp_path / "out")

    saved = json.loads(paths["json"].read_text())
    assert saved["passed"] is False
    assert saved["failures"] == ["intent.accuracy = 0.9 is under the minimum 0.99 (short by 0.09)"]
    assert saved["suites"]["intent"]["metrics"]["accuracy"]["delta"] == -0.05
    assert set(saved["charts"]) == {"intent-scores", "rag-scores", "intent-confusion"}
    for relative in saved["charts"].values():
        assert (tmp_path / "out" / relative).read_bytes()[:8] == b"\x89PNG\r\n\x1a\n"

    md = paths["md"].read_text()
    assert md.startswith("# Evaluation report: FAIL")
    assert "| accuracy | 0.900 | 0.950 | -0.050 | FAIL (≥ 0.99) | 20 | higher |" in md
    assert "faithfulness: skipped — no judge endpoint: set EVAL_LLM_BASE_URL" in md
    assert "![intent confusion matrix](charts/intent-confusion.png)" in md
    assert "- get_refund → track_order: 2" in md

    page = paths["html"].read_text()
    assert page.count('src="data:image/png;base64,') == 3
    assert '<span class="FAIL">FAIL</span>' in page
    assert "no judge endpoint: set EVAL_LLM_BASE_URL" in page


def test_evals_run_console_summary_names_the_failed_gate():
    text = summary_text(sample_report())
    assert "intent        FAIL" in text
    assert "skipped" in text
    assert text.splitlines()[-1] == (
        "  intent.accuracy = 0.9 is under the minimum 0.99 (short by 0.09)"
    )
