"""Scripted conversations against the real graph, judged by the store's end state; the
whole runner over small data files."""

from __future__ import annotations

import asyncio
import json

import pytest

from evals.run import RunRequest, run_evals
from evals.suites.conversations import (
    judge_turn,
    load_script,
    run_script,
    run_scripts,
    script_details,
)
from evals.suites.harness import TAU_DUMP, EvalEnv, find_order

REFUND_DECLINED_BUT_EXPECTED = """
name: declined_but_refund_expected
customer: C0001
turns:
  - say: "please refund order {order:C0001:delivered:newest}"
    expect:
      reply_contains: ["Shall I go ahead?"]
  - say: "no"
end_state:
  refunds: {"{order:C0001:delivered:newest}": 1}
  escalations: 0
"""

WINDOW = "You have 30 days from the delivery date to ask for a return and refund."

REFUND_MADE = """
name: refund_made
customer: C0001
turns:
  - say: "I want a refund for order {order:C0001:delivered:newest}"
  - say: "yes please"
    expect:
      escalated: false
      actions: [{tool: request_refund, status: ok}]
end_state:
  refunds: {"{order:C0001:delivered:newest}": 1}
  escalations: 0
"""


@pytest.fixture(scope="module")
def env(built, tmp_path_factory):
    settings, services = built
    return EvalEnv.build(settings, tmp_path_factory.mktemp("evals-env"), services=services)


def script(tmp_path, text, name="s.yaml"):
    path = tmp_path / name
    path.write_text(text)
    return load_script(path)


def test_evals_run_conversation_judge_detects_a_wrong_end_state(env, tmp_path):
    run = asyncio.run(run_script(env, script(tmp_path, REFUND_DECLINED_BUT_EXPECTED)))
    order_id = find_order(env.fresh_store(), "C0001", "delivered", "newest")
    assert run["passed"] is False
    assert run["failures"] == [f"end state: expected 1 refund(s) on order {order_id}, found 0"]
    assert "haven't refunded anything" in run["turns"][1]["reply"]


def test_evals_run_every_run_of_a_script_gets_a_fresh_store(env, tmp_path):
    made = script(tmp_path, REFUND_MADE)
    runs = [asyncio.run(run_script(env, made)) for _ in range(2)]
    assert [r["failures"] for r in runs] == [[], []]


def test_evals_run_turn_judge_names_each_broken_expectation():
    response = {
        "reply": "Order W1000001 shipped with UPS, tracking 1Z999.",
        "escalated": True,
        "escalation": {"id": "E1", "reason": "low_confidence"},
        "actions": [{"tool": "get_order", "status": "ok", "detail": "W1000001: shipped"}],
        "citations": [],
    }
    expect = {
        "escalated": False,
        "reply_contains": ["delivered|arrived", "W1000001"],
        "reply_excludes": ["1Z999"],
        "actions": [{"tool": "get_order", "status": "ok"}],
        "cited_from": ["track-your-order"],
    }
    assert judge_turn(expect, response, lambda text: text) == [
        "expected escalated=False, got escalated (low_confidence)",
        "reply lacks 'delivered|arrived'",
        "reply must not contain '1Z999'",
        "no citation from ['track-your-order'] (cited [])",
    ]


def test_evals_run_script_with_an_unknown_check_is_rejected(tmp_path):
    with pytest.raises(ValueError, match="unknown checks \\['refund_count'\\]"):
        script(
            tmp_path, "name: x\ncustomer: null\nturns: [{say: hi}]\nend_state: {refund_count: 1}"
        )


def test_evals_run_graph_suites_on_small_files_list_skipped_judge_metrics(built, tmp_path):
    settings, services = built
    golden = tmp_path / "golden.jsonl"
    rows = [
        {
            "id": "a1",
            "question": "What is your refund policy? How many days do I have to return something?",
            "answerable": True,
            "reference": WINDOW,
            "reference_contexts": [{"doc_id": "returns-and-refunds", "text": WINDOW}],
            "facts": ["30 days"],
        },
        {
            "id": "u1",
            "question": "zxq blorf wimble",
            "answerable": False,
            "reference": "",
            "reference_contexts": [],
            "facts": [],
        },
    ]
    golden.write_text("".join(json.dumps(r) + "\n" for r in rows))
    turns = tmp_path / "turns.jsonl"
    turns.write_text(
        json.dumps({"id": "h1", "kind": "human_request", "text": "I want to talk to a human",
                    "customer": None, "escalate": True, "reason": "explicit_request"}) + "\n"
        + json.dumps({"id": "i1", "kind": "in_scope", "text": "hello", "customer": None,
                      "escalate": False, "reason": None}) + "\n"
    )  # fmt: skip
    scripts = tmp_path / "scripts"
    scripts.mkdir()
    (scripts / "refund.yaml").write_text(REFUND_MADE)
    report = run_evals(
        RunRequest(
            ["rag", "escalation", "conversations"],
            settings.model_copy(update={"EVAL_LLM_BASE_URL": "", "EVAL_LLM_MODEL": ""}),
            k=2,
            baseline_path=tmp_path / "no-baseline.json",
            data={"rag": golden, "escalation": turns, "conversations": scripts},
            services=services,
        )
    )
    rag = report["suites"]["rag"]
    assert rag["error"] is None
    faithfulness = rag["metrics"]["faithfulness"]
    assert faithfulness["status"] == "skipped" and faithfulness["value"] is None
    assert faithfulness["reason"].startswith("no judge endpoint: set EVAL_LLM_BASE_URL")
    assert rag["gates"]["faithfulness"]["status"] == "skipped"
    assert rag["metrics"]["abstention_rate"]["value"] == 1.0
    assert rag["details"]["questions"][0]["outcome"] == "answered"
    escalation = report["suites"]["escalation"]
    assert escalation["metrics"]["precision"]["value"] == 1.0
    assert escalation["metrics"]["recall"]["value"] == 1.0
    assert escalation["details"]["confusion"]["matrix"] == [[1, 0], [0, 1]]
    conversations = report["suites"]["conversations"]
    assert conversations["details"]["scripts"][0]["runs"] == 2
    assert conversations["metrics"]["pass_hat_k"]["value"] == 1.0
    assert report["baseline"] is None and report["k"] == 2


TAU_STATUS = """
name: tau_status
store: tau
bind:
  order: {status: processed}
customer: "{order.customer}"
turns:
  - say: "where is my order {order.id}?"
    expect:
      reply_contains: ["{order.id}", "{order.status}"]
end_state:
  writes: 0
"""

TAU_DELIVERED = """
name: tau_delivered
store: tau
bind:
  order: {status: delivered, min_items: 2}
customer: "{order.customer}"
turns:
  - say: "where is my order {order.id}?"
    expect:
      reply_contains: ["{order.id}", "delivered"]
end_state:
  order_status: {"{order.id}": delivered}
  writes: 0
  escalations: 0
"""


def test_evals_run_tau_scripts_on_an_outside_dump_skip_what_it_lacks(built, tmp_path):
    settings, services = built
    dump = json.loads(TAU_DUMP.read_text())
    dump["orders"] = {k: o for k, o in dump["orders"].items() if o["status"] != "processed"}
    outside = tmp_path / "db.json"
    outside.write_text(json.dumps(dump))
    scripts = tmp_path / "scripts"
    scripts.mkdir()
    for name, text in [("tau_status", TAU_STATUS), ("tau_delivered", TAU_DELIVERED),
                       ("refund", REFUND_MADE)]:  # fmt: skip
        (scripts / f"{name}.yaml").write_text(text)
    report = run_evals(
        RunRequest(
            ["conversations"],
            settings,
            k=1,
            baseline_path=tmp_path / "no-baseline.json",
            data={"conversations": scripts},
            services=services,
            tau_db=outside,
            script="tau_",
        )
    )
    suite = report["suites"]["conversations"]
    assert suite["error"] is None
    by_name = {s["name"]: s for s in suite["details"]["scripts"]}
    assert set(by_name) == {"tau_status", "tau_delivered"}  # --script left the demo one out
    assert by_name["tau_status"]["status"] == "skipped"
    assert by_name["tau_status"]["skipped"] == (
        "skipped: no order matches order: {status: processed}"
    )
    delivered = by_name["tau_delivered"]
    assert delivered["bindings"] == {"order": "W1529874"}
    assert (delivered["status"], delivered["failures"]) == ("passed", [])
    metrics = suite["metrics"]
    assert metrics["pass_hat_k"]["value"] == 1.0 and metrics["pass_hat_k"]["n"] == 1
    assert metrics["pass_at_1_tau"]["value"] == 1.0
    assert metrics["pass_at_1_demo"]["status"] == "skipped"
    assert "1 τ script(s) skipped, counted neither as passed nor as failed" in suite["notes"][1]


def test_evals_run_binding_without_a_match_fails_on_the_projects_own_stores(env, tmp_path):
    lacking = TAU_STATUS.replace("{status: processed}", "{status: processed, min_items: 9}")
    results = asyncio.run(run_scripts(env, [script(tmp_path, lacking)], 2))
    details = script_details(results[0])
    message = "bindings: no order matches order: {status: processed, min_items: 9}"
    assert (details["status"], details["runs"], details["failures"]) == ("failed", 2, [message])
    assert details["first_failure"]["where"] == "bindings"


def test_evals_run_first_failure_names_the_turn_said_and_replied(env, tmp_path):
    wrong_turn = REFUND_MADE.replace("status: ok}]", "status: ok}]\n      intent: cancel_order")
    run = asyncio.run(run_script(env, script(tmp_path, wrong_turn)))
    first = run["first_failure"]
    assert (first["where"], first["turn"], first["say"]) == ("turn 2", 2, "yes please")
    assert first["failures"] == [f"expected intent cancel_order, got {run['turns'][1]['intent']}"]
    assert first["reply"] == run["turns"][1]["reply"]
