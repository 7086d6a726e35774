"""The conversations suite in the report (where a failing script first went wrong) and its
CLI options, --tau-db and --script."""

from __future__ import annotations

import json

from typer.testing import CliRunner

import evals.run
from cli import cli
from evals.gates import Gates, judge_suite
from evals.report import write_report
from evals.suites.base import MetricResult, SuiteResult
from evals.suites.conversations import script_details

TURNS_OK = [
    {"turn": 1, "say": "refund W1234567", "reply": "Shall I go ahead?", "intent": "get_refund",
     "escalated": False, "in_scope": True, "failures": []},
]  # fmt: skip
TURNS_WRONG = [
    TURNS_OK[0],
    {"turn": 2, "say": "no thanks", "reply": "Done: $42.60 is on its way back.",
     "intent": "get_refund", "escalated": False, "in_scope": True,
     "failures": ["no action request_refund=ok (got [])"]},
]  # fmt: skip


def run(turns, end=()):
    failures = [f"turn {t['turn']}: {f}" for t in turns for f in t["failures"]]
    failures += [f"end state: {f}" for f in end]
    first = next(({"where": f"turn {t['turn']}", **t} for t in turns if t["failures"]), None)
    if first is None and end:
        first = {"where": "end state", "turn": None, "say": turns[-1]["say"],
                 "reply": turns[-1]["reply"], "failures": list(end)}  # fmt: skip
    return {"passed": not failures, "failures": failures, "turns": turns, "first_failure": first}


def report_of(details):
    result = SuiteResult(
        "conversations",
        {"pass_hat_k": MetricResult(0.5, n=2), "pass_at_1_tau": MetricResult(1.0, n=3)},
        details={"k": 3, "scripts": details},
    )
    suite = judge_suite(result, Gates({}, {}, {}), None)
    return {
        "created": "2026-11-27T06:00:00+00:00", "commit": "abc1234", "composer": "extractive",
        "judge": None, "k": 3, "baseline": None, "seconds": 9.0, "passed": False,
        "failures": [], "suites": {"conversations": suite},
    }  # fmt: skip


def test_evals_conversation_report_shows_where_a_failing_script_first_went_wrong(tmp_path):
    failing = script_details(
        {"name": "refund_declined", "file": "refund_declined.yaml", "store": "demo",
         "bindings": {}, "skipped": None,
         "runs": [run(TURNS_OK), run(TURNS_WRONG), run(TURNS_OK, ["expected 0 refund(s)"])]}
    )  # fmt: skip
    skipped = script_details(
        {"name": "tau_swap", "file": "tau_swap.yaml", "store": "tau", "bindings": {},
         "skipped": "skipped: no order matches order: {same_product_twice: true}", "runs": []}
    )  # fmt: skip
    assert (failing["status"], failing["passed_runs"], failing["runs"]) == ("failed", 1, 3)
    assert failing["first_failure"] == {"run": 2, "where": "turn 2", **TURNS_WRONG[1]}
    assert skipped["status"] == "skipped"

    paths = write_report(report_of([failing, skipped]), tmp_path)
    md = paths["md"].read_text()
    assert "| refund_declined | demo | 1/3 | turn 2: no action request_refund=ok (got []) |" in md
    skip = "skipped: no order matches order: {same_product_twice: true}"
    assert f"| tau_swap | tau | – | {skip} |" in md
    assert "### refund_declined: first went wrong at turn 2 (run 2 of 3)" in md
    assert (
        "- turn 2: customer said: no thanks\n"
        "- bot replied: Done: $42.60 is on its way back.\n"
        "- wrong: no action request_refund=ok (got [])"
    ) in md
    assert "customer: no thanks\nbot: Done: $42.60 is on its way back." in md
    assert "tau_swap: first went wrong" not in md
    html = paths["html"].read_text()
    assert "<h3>refund_declined: first went wrong at turn 2 (run 2 of 3)</h3>" in html
    saved = json.loads(paths["json"].read_text())["suites"]["conversations"]["details"]
    assert saved["scripts"][0]["first_failure"]["turn"] == 2


def test_evals_conversation_report_end_state_failure_shows_the_last_exchange(tmp_path):
    details = script_details(
        {"name": "refund", "file": "refund.yaml", "store": "tau", "bindings": {"order": "W1"},
         "skipped": None, "runs": [run(TURNS_OK, ["expected 1 refund(s) on order W1, found 0"])]}
    )  # fmt: skip
    md = write_report(report_of([details]), tmp_path)["md"].read_text()
    assert "### refund: first went wrong at end state (run 1 of 1)" in md
    assert "- bot replied: Shall I go ahead?\n- wrong: expected 1 refund(s) on order W1" in md


def invoke(tmp_path, *args):
    return CliRunner().invoke(
        cli,
        ["evals", "run", "--report", str(tmp_path / "report"), *args],
        env={"DATA_DIR": str(tmp_path / "data"), "EVAL_LLM_BASE_URL": ""},
    )


def test_evals_conversation_cli_passes_tau_db_and_script_to_the_run(tmp_path, monkeypatch):
    asked = []

    def fake_run(request):
        asked.append(request)
        return {**report_of([]), "passed": True, "suites": {}}

    monkeypatch.setattr(evals.run, "run_evals", fake_run)
    dump = tmp_path / "db.json"
    dump.write_text("{}")
    result = invoke(
        tmp_path, "--suite", "conversations", "--tau-db", str(dump), "--script", "refund_"
    )
    assert result.exit_code == 0, result.output
    [request] = asked
    assert (request.suites, request.tau_db, request.script) == (
        ["conversations"], dump, "refund_"
    )  # fmt: skip


def test_evals_conversation_cli_rejects_bad_tau_db_and_script(tmp_path):
    missing = invoke(tmp_path, "--suite", "conversations", "--tau-db", str(tmp_path / "x.json"))
    assert missing.exit_code == 2
    assert "does not exist" in " ".join(missing.output.replace("│", " ").split())
    nothing = invoke(tmp_path, "--suite", "conversations", "--script", "no-such-script")
    assert nothing.exit_code == 2
    assert "error: no conversation script matches 'no-such-script'" in nothing.output
    wrong_suite = invoke(tmp_path, "--suite", "intent", "--script", "refund")
    assert wrong_suite.exit_code == 2
    assert "--tau-db, --script and --scripts-dir apply to the conversations suite" in (
        wrong_suite.output
    )
