"""Conversations suite: scripted multi-turn sessions against the real graph, judged by
the store's end state and by what the replies say; pass^k over k runs of each script.

A script is a YAML file in evals/data/conversations/:

    name: refund_happy_path
    customer: C0001                 # the signed-in customer; null for anonymous
    turns:
      - say: "I want a refund for order {order:C0001:delivered:newest}"
        in_scope: true              # default; false for e.g. an explicit human request
        expect:
          escalated: false
          escalation_reason: explicit_request
          reply_contains: ["Shall I go ahead?", "5–10 business days|5-10 days"]
          reply_excludes: ["{tracking:C0002:shipped}"]
          actions: [{tool: request_refund, status: ok}]
          cited_from: [returns-and-refunds]    # at least one citation from these
    end_state:
      refunds: {"{order:C0001:delivered:newest}": 1}     # refunds on that order
      order_status: {"{order:C0001:pending}": pending}
      escalations: 0                                     # escalations opened
      escalation_reasons: [explicit_request]

`{order:...}` / `{tracking:...}` name seeded records (see harness.resolve_refs). Every run
gets a fresh copy of the seeded store and a new session.
"""

from __future__ import annotations

import asyncio
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import yaml

from evals.metrics import fact_present
from evals.suites.base import MetricResult, SuiteContext, SuiteResult
from evals.suites.harness import EvalEnv, resolve_refs

SCRIPTS_DIR = Path(__file__).resolve().parent.parent / "data" / "conversations"
TURN_CHECKS = frozenset(
    {"escalated", "escalation_reason", "reply_contains", "reply_excludes", "actions", "cited_from"}
)
END_CHECKS = frozenset({"refunds", "order_status", "escalations", "escalation_reasons"})


@dataclass(frozen=True)
class Turn:
    say: str
    expect: dict[str, Any] = field(default_factory=dict)
    in_scope: bool = True
    """Ordinary support traffic (counts toward the in-scope escalation rate)."""


@dataclass(frozen=True)
class Script:
    name: str
    customer: str | None
    turns: list[Turn]
    end_state: dict[str, Any]
    path: Path


def load_script(path: Path) -> Script:
    """One script; an unknown key or a malformed file is a ValueError naming the file."""
    try:
        data = yaml.safe_load(path.read_text(encoding="utf-8"))
        turns = [
            Turn(str(t["say"]), dict(t.get("expect") or {}), bool(t.get("in_scope", True)))
            for t in data["turns"]
        ]
        script = Script(
            str(data.get("name") or path.stem),
            data.get("customer"),
            turns,
            dict(data.get("end_state") or {}),
            path,
        )
    except (yaml.YAMLError, KeyError, TypeError, AttributeError) as exc:
        raise ValueError(f"{path}: not a conversation script ({exc!r})") from exc
    unknown = {k for t in turns for k in t.expect} - TURN_CHECKS
    unknown |= set(script.end_state) - END_CHECKS
    if unknown:
        raise ValueError(f"{path}: unknown checks {sorted(unknown)}")
    if not turns:
        raise ValueError(f"{path}: no turns")
    return script


def load_scripts(folder: Path = SCRIPTS_DIR) -> list[Script]:
    """Every *.yaml script in the folder, by file name."""
    scripts = [load_script(p) for p in sorted(folder.glob("*.yaml"))]
    if not scripts:
        raise ValueError(f"{folder}: no conversation scripts (*.yaml)")
    return scripts


# -- the judge --------------------------------------------------------------------------


def judge_turn(expect: dict[str, Any], response: dict[str, Any], resolve: Any) -> list[str]:
    """What the reply got wrong against the turn's expectations (empty: nothing)."""
    failures = []
    reply = response.get("reply") or ""
    escalation = response.get("escalation") or {}
    if "escalated" in expect and bool(response.get("escalated")) != bool(expect["escalated"]):
        got = f"escalated ({escalation.get('reason')})" if response.get("escalated") else "not"
        failures.append(f"expected escalated={expect['escalated']}, got {got}")
    if "escalation_reason" in expect and escalation.get("reason") != expect["escalation_reason"]:
        failures.append(
            f"expected escalation reason {expect['escalation_reason']}, "
            f"got {escalation.get('reason')}"
        )
    for fact in expect.get("reply_contains", []):
        if not fact_present(resolve(fact), reply):
            failures.append(f"reply lacks {resolve(fact)!r}")
    for text in expect.get("reply_excludes", []):
        if resolve(text).lower() in reply.lower():
            failures.append(f"reply must not contain {resolve(text)!r}")
    done = [(a.get("tool"), a.get("status")) for a in response.get("actions") or []]
    for wanted in expect.get("actions", []):
        if (wanted.get("tool"), wanted.get("status")) not in done:
            failures.append(f"no action {wanted.get('tool')}={wanted.get('status')} (got {done})")
    if "cited_from" in expect:
        cited = {c.get("doc_id") for c in response.get("citations") or []}
        if not cited & set(expect["cited_from"]):
            failures.append(f"no citation from {expect['cited_from']} (cited {sorted(cited)})")
    return failures


def judge_end_state(end_state: dict[str, Any], store: Any, resolve: Any) -> list[str]:
    """What the store's end state got wrong against the script's expectations."""
    failures = []
    for ref, wanted in (end_state.get("refunds") or {}).items():
        order = store.get_order(resolve(ref))
        found = len(order.refunds) if order else None
        if found != wanted:
            failures.append(f"expected {wanted} refund(s) on order {resolve(ref)}, found {found}")
    for ref, wanted in (end_state.get("order_status") or {}).items():
        order = store.get_order(resolve(ref))
        status = order.status if order else None
        if status != wanted:
            failures.append(f"expected order {resolve(ref)} {wanted}, found {status}")
    escalations = store.list_escalations()
    if "escalations" in end_state and len(escalations) != end_state["escalations"]:
        failures.append(
            f"expected {end_state['escalations']} escalation(s), found {len(escalations)}"
        )
    if "escalation_reasons" in end_state:
        reasons = sorted(e.reason for e in escalations)
        if reasons != sorted(end_state["escalation_reasons"]):
            failures.append(
                f"expected escalation reasons {sorted(end_state['escalation_reasons'])}, "
                f"found {reasons}"
            )
    return failures


async def run_script(env: EvalEnv, script: Script) -> dict[str, Any]:
    """One run of a script on a fresh store: its turns, failures and verdict."""
    turns, failures = [], []
    async with env.conversation(script.customer) as convo:

        def resolve(text: str) -> str:
            return resolve_refs(text, convo.store)

        for n, turn in enumerate(script.turns, start=1):
            message = resolve(turn.say)
            response = await convo.say(message)
            wrong = judge_turn(turn.expect, response, resolve)
            failures += [f"turn {n}: {w}" for w in wrong]
            turns.append(
                {
                    "say": message,
                    "reply": response.get("reply"),
                    "escalated": bool(response.get("escalated")),
                    "in_scope": turn.in_scope,
                    "failures": wrong,
                }
            )
        failures += [
            f"end state: {w}" for w in judge_end_state(script.end_state, convo.store, resolve)
        ]
    return {"passed": not failures, "failures": failures, "turns": turns}


async def run_scripts(env: EvalEnv, scripts: list[Script], k: int) -> list[dict[str, Any]]:
    """k runs of every script: [{name, runs: [run, ...]}]."""
    return [
        {"name": s.name, "file": s.path.name, "runs": [await run_script(env, s) for _ in range(k)]}
        for s in scripts
    ]


def run(ctx: SuiteContext) -> SuiteResult:
    """pass^k (every one of k runs passes) and pass^1 over the scripted conversations."""
    scripts = load_scripts(ctx.path("conversations", SCRIPTS_DIR))
    k = max(1, ctx.k)
    results = asyncio.run(run_scripts(ctx.env, scripts, k))
    all_runs = [run for r in results for run in r["runs"]]
    details = [
        {
            "name": r["name"],
            "file": r["file"],
            "passed_runs": sum(run["passed"] for run in r["runs"]),
            "runs": len(r["runs"]),
            "failures": next((run["failures"] for run in r["runs"] if not run["passed"]), []),
            "transcript": r["runs"][-1]["turns"],
        }
        for r in results
    ]
    composer = ctx.env.services.composer.name
    determinism = (
        "The extractive composer is deterministic, so repeated runs differ only where "
        "something else varies (e.g. an NLU A/B split)."
        if composer == "extractive"
        else f"The '{composer}' composer generates text, so runs can differ."
    )
    return SuiteResult(
        "conversations",
        {
            "pass_hat_k": MetricResult.of(
                sum(d["passed_runs"] == d["runs"] for d in details) / len(details),
                len(details),
                f"scripts that passed all {k} runs",
            ),
            "pass_at_1": MetricResult.of(
                sum(run["passed"] for run in all_runs) / len(all_runs),
                len(all_runs),
                "share of single runs that passed",
            ),
        },
        details={"k": k, "scripts": details},
        notes=[f"{len(scripts)} scripts x k={k} runs, composer '{composer}'. {determinism}"],
    )
