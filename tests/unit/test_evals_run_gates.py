"""Gates of `support evals run`: bounds, regressions against the baseline, NaN as an error."""

from __future__ import annotations

import math

from evals.gates import Bound, Gates, baseline_payload, check_metric, judge_suite, load_gates
from evals.suites.base import MetricResult, SuiteResult, aggregate


def gates(**bounds: Bound) -> Gates:
    return Gates({"rag": bounds}, {"rag": 0.02}, {})


def test_evals_run_metric_under_its_minimum_fails_with_the_shortfall():
    gate = check_metric("rag", "rouge_l", MetricResult(0.41), Bound(min=0.5), None, 0.02)
    assert gate == {
        "status": "fail",
        "message": "rag.rouge_l = 0.41 is under the minimum 0.5 (short by 0.09)",
    }


def test_evals_run_lower_is_better_metric_over_its_maximum_fails():
    rate = MetricResult(0.08, higher_is_better=False)
    gate = check_metric("escalation", "rate", rate, Bound(max=0.05), None, 0.0)
    assert gate["status"] == "fail"
    assert gate["message"] == "escalation.rate = 0.08 is over the maximum 0.05 (over by 0.03)"


def test_evals_run_regression_beyond_the_allowance_fails_even_inside_bounds():
    metric = MetricResult(0.70)
    assert check_metric("rag", "m", metric, Bound(min=0.5), 0.71, 0.02)["status"] == "pass"
    gate = check_metric("rag", "m", metric, Bound(min=0.5), 0.75, 0.02)
    assert gate["status"] == "fail"
    assert gate["message"] == "rag.m = 0.7 is 0.05 worse than the baseline 0.75 (allowed: 0.02)"
    lower = MetricResult(0.09, higher_is_better=False)
    assert check_metric("e", "rate", lower, Bound(max=0.5), 0.05, 0.02)["status"] == "fail"


def test_evals_run_skipped_metric_skips_its_gate_and_error_fails_it():
    skipped = MetricResult.skipped("no judge endpoint: set EVAL_LLM_BASE_URL")
    gate = check_metric("rag", "faithfulness", skipped, Bound(min=0.8), None, 0.0)
    assert gate == {
        "status": "skipped",
        "message": "rag.faithfulness: skipped (no judge endpoint: set EVAL_LLM_BASE_URL)",
    }
    broken = aggregate([("q1", 1.0), ("q2", float("nan"))])
    gate = check_metric("rag", "faithfulness", broken, Bound(min=0.5), None, 0.0)
    assert gate["status"] == "fail"
    assert "1 of 2 samples gave no score" in gate["message"]
    missing = check_metric("rag", "typo", None, Bound(min=0.5), None, 0.0)
    assert missing["status"] == "fail" and "no such metric" in missing["message"]


def test_evals_run_nan_never_enters_a_mean():
    result = aggregate([("a", 0.5), ("b", math.nan), ("c", ValueError("bad json")), ("d", 1.0)])
    assert result.status == "error"
    assert result.value == 0.75
    assert result.errors == ["b: no score (nan)", "c: ValueError: bad json"]
    assert result.reason == "2 of 4 samples gave no score; the value is the mean of the other 2"
    assert MetricResult.of(math.nan, 3).status == "error"


def test_evals_run_suite_report_has_deltas_against_the_baseline_and_a_verdict():
    result = SuiteResult(
        "rag",
        {"rouge_l": MetricResult(0.45, n=10), "string_similarity": MetricResult(0.3, n=10)},
    )
    baseline = {"rag": {"rouge_l": 0.40, "string_similarity": 0.35}}
    suite = judge_suite(result, gates(rouge_l=Bound(min=0.3)), baseline)
    assert suite["status"] == "pass"
    assert suite["metrics"]["rouge_l"]["baseline"] == 0.40
    assert suite["metrics"]["rouge_l"]["delta"] == 0.05
    assert suite["metrics"]["string_similarity"]["delta"] == -0.05
    assert suite["metrics"]["rouge_l"]["gate"]["status"] == "pass"
    assert "gate" not in suite["metrics"]["string_similarity"]
    failing = judge_suite(result, gates(rouge_l=Bound(min=0.5)), None)
    assert failing["status"] == "fail" and failing["metrics"]["rouge_l"]["delta"] is None


def test_evals_run_baseline_keeps_other_suites_and_drops_unscored_metrics():
    report = {
        "commit": "abc1234",
        "composer": "extractive",
        "suites": {
            "rag": {
                "status": "pass",
                "metrics": {
                    "rouge_l": {"status": "ran", "value": 0.5},
                    "faithfulness": {"status": "skipped", "value": None},
                },
            }
        },
    }
    payload = baseline_payload(report, {"intent": {"accuracy": 0.97}, "rag": {"old": 1.0}})
    assert payload["suites"] == {"intent": {"accuracy": 0.97}, "rag": {"rouge_l": 0.5}}
    assert payload["commit"] == "abc1234"


def test_evals_run_committed_gates_name_metrics_the_suites_produce():
    known = {
        "rag": {"answered_rate", "abstention_rate", "retrieval_hit_rate", "fact_recall",
                "non_llm_context_recall", "non_llm_context_precision", "rouge_l",
                "string_similarity", "citation_precision", "faithfulness", "answer_relevancy",
                "llm_context_precision"},
        "intent": {"accuracy", "macro_f1", "ece", "confident_fraction"},
        "entities": {f"{s}_{k}_f1" for s in ("corpus", "golden") for k in ("span", "value")},
        "escalation": {"precision", "recall", "reason_accuracy", "in_scope_escalation_rate"},
        "conversations": {f"{m}{store}" for m in ("pass_hat_k", "pass_at_1")
                          for store in ("", "_demo", "_tau")},
        "security": {"leaks", "unauthorised_writes", "poisoned_quotes", "false_verifications",
                     "unexpected_access"},
        "desk": {f"{m}{s}" for m in ("fact_recall", "addressed_rate")
                 for s in ("", "_dev", "_test", "_heldout")} | {"length_ok_rate", "fallback_rate"},
    }  # fmt: skip
    committed = load_gates()
    for suite, bounds in committed.bounds.items():
        assert set(bounds) <= known[suite], suite
    assert committed.options["conversations"]["k"] >= 1


def test_evals_run_per_metric_regression_allowance_overrides_the_suite_default(tmp_path):
    path = tmp_path / "gates.toml"
    path.write_text(
        "max_regression = 0.01\n[rag.gates]\n"
        "abstention_rate = { min = 0.5, max_regression = 0.1 }\nrouge_l = { min = 0.1 }\n"
    )
    loaded = load_gates(path)
    result = SuiteResult(
        "rag", {"abstention_rate": MetricResult(0.85), "rouge_l": MetricResult(0.28)}
    )
    suite = judge_suite(result, loaded, {"rag": {"abstention_rate": 0.9, "rouge_l": 0.3}})
    assert suite["gates"]["abstention_rate"]["status"] == "pass"
    assert suite["gates"]["rouge_l"]["status"] == "fail"
    assert suite["status"] == "fail"
