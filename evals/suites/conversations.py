"""Conversations suite: scripted multi-turn sessions against the real graph, judged by
the store's end state and by what the replies say; pass^k over k runs of each script.

A script is a YAML file in evals/data/conversations/:

    name: refund_happy_path
    customer: C0001                 # the signed-in customer; null for anonymous
    store: demo                     # demo (default) or tau: an imported τ-format dump
    bind:                           # orders picked by query (evals.suites.bindings)
      order: {status: delivered, min_items: 2, distinct_products: true}
      other: {status: delivered, customer: order, not: order}
    turns:
      - say: "I want a refund for order {order:C0001:delivered:newest}"
        in_scope: true              # default; false for e.g. an explicit human request
        expect:
          escalated: false
          escalation_reason: explicit_request
          intent: get_refund                   # or a list: any of them
          reply_contains: ["Shall I go ahead?", "5–10 business days|5-10 days"]
          reply_excludes: ["{tracking:C0002:shipped}"]
          reply_matches: "refund of \\$\\d+\\.\\d\\d"  # regex, case-insensitive
          actions: [{tool: request_refund, status: ok}]
          cited_from: [returns-and-refunds]    # at least one citation from these
          suggestions: true                    # the reply offers suggestions (or none)
          suggestions_include: ["Track an order"]
    end_state:
      refunds: {"{order:C0001:delivered:newest}": 1}     # refunds on that order
      refund_amounts: {"{order.id}": "{order.item1.price}"}  # sum refunded on it
      refund_items: {"{order.id}": ["{order.item1.product}"]}  # SKUs or product names
      exchanges: {"{order.id}": 1}
      order_status: {"{order:C0001:pending}": pending}
      order_address_contains: {"{order.id}": "12 Elm Street"}
      default_address_contains: {"{order.customer}": "12 Elm Street"}
      writes: 1                     # audit rows by a customer in this conversation
      audit_actions: {refund.create: 1}   # audit rows of each action in it
      escalations: 0                # escalations this conversation opened
      escalation_reasons: [explicit_request]

`{order:...}` / `{tracking:...}` name seeded demo records (see harness.resolve_refs);
`{name.field}` / `{name.itemN.field}` name a bound order's facts. Pick criteria are listed
in evals.suites.bindings.PICKS, fields in evals.suites.placeholders (ORDER_FIELDS,
ITEM_FIELDS); an unknown key, criterion, binding or field rejects the script at load time.
Every run gets a fresh copy of its store and a new session. A binding no order matches
fails the script, except on an outside τ dump (`--tau-db`), where the script is skipped:
counted neither as passed nor as failed, and listed in the notes.
"""

from __future__ import annotations

import asyncio
import re
from pathlib import Path
from typing import Any

from evals.suites.base import MetricResult, SuiteContext, SuiteResult
from evals.suites.bindings import NoMatch, resolve_bindings
from evals.suites.conversation_judge import Resolve, Since, judge_end_state, judge_turn
from evals.suites.conversation_script import (
    END_CHECKS,
    SCRIPTS_DIR,
    TURN_CHECKS,
    Script,
    Turn,
    load_script,
    load_scripts,
    select_scripts,
)
from evals.suites.harness import EvalEnv, resolve_refs
from evals.suites.placeholders import Bound, render

__all__ = [
    "END_CHECKS",
    "SCRIPTS_DIR",
    "TURN_CHECKS",
    "Script",
    "Turn",
    "judge_end_state",
    "judge_turn",
    "load_script",
    "load_scripts",
    "run",
    "run_script",
]


def bind(env: EvalEnv, script: Script) -> dict[str, Bound]:
    """The script's bindings on its store; NoMatch when one matches no order."""
    if not script.bind:
        return {}
    return resolve_bindings(script.bind, env.facts_of(script.store))


def _first_failure(turns: list[dict[str, Any]], end: list[str]) -> dict[str, Any] | None:
    """Where a run first went wrong: the turn (number, message, reply, failures), else the
    end state (with the last turn's exchange)."""
    for turn in turns:
        if turn["failures"]:
            return {"where": f"turn {turn['turn']}", **turn}
    if end:
        last = turns[-1] if turns else {"say": "", "reply": None}
        return {
            "where": "end state",
            "turn": None,
            "say": last["say"],
            "reply": last["reply"],
            "failures": end,
        }
    return None


async def _turn(
    convo: Any, turn: Turn, resolve: Resolve, resolve_pattern: Resolve
) -> tuple[str, dict[str, Any] | None, list[str]]:
    """One turn said and judged: (message, response or None when there is none, failures)."""
    try:
        message = resolve(turn.say)
    except ValueError as exc:  # a reference the store cannot fill
        return turn.say, None, [f"cannot resolve: {exc}"]
    try:
        response = await convo.say(message)
    except Exception as exc:  # a crashed turn fails its run; the other scripts still run
        return message, None, [f"the turn raised {type(exc).__name__}: {exc}"]
    try:
        return message, response, judge_turn(turn.expect, response, resolve, resolve_pattern)
    except ValueError as exc:
        return message, response, [f"cannot resolve: {exc}"]


async def run_script(
    env: EvalEnv, script: Script, bound: dict[str, Bound] | None = None
) -> dict[str, Any]:
    """One run of a script on a fresh store: its turns, failures, first failure and verdict.

    `bound` are its resolved bindings (resolved here when None; NoMatch propagates)."""
    bound = bind(env, script) if bound is None else bound
    turns: list[dict[str, Any]] = []
    failures: list[str] = []
    end: list[str] = []
    customer = render(script.customer, bound) if script.customer else None
    async with env.conversation(customer, kind=script.store) as convo:

        def resolve(text: str) -> str:
            return resolve_refs(render(text, bound), convo.store)

        def resolve_pattern(text: str) -> str:
            return resolve_refs(render(text, bound, re.escape), convo.store)

        audit = convo.store.list_audit()
        since_audit = max((a.id for a in audit), default=0)
        for n, turn in enumerate(script.turns, start=1):
            message, response, wrong = await _turn(convo, turn, resolve, resolve_pattern)
            failures += [f"turn {n}: {w}" for w in wrong]
            turns.append(
                {
                    "turn": n,
                    "say": message,
                    "reply": response.get("reply") if response else None,
                    "intent": response.get("intent") if response else None,
                    "escalated": bool(response and response.get("escalated")),
                    "in_scope": turn.in_scope,
                    "failures": wrong,
                }
            )
            if response is None:
                break
        else:
            since = Since(convo.session_id, since_audit)
            try:
                end = judge_end_state(script.end_state, convo.store, resolve, since)
            except ValueError as exc:
                end = [f"cannot resolve: {exc}"]
            failures += [f"end state: {w}" for w in end]
    return {
        "passed": not failures,
        "failures": failures,
        "turns": turns,
        "first_failure": _first_failure(turns, end),
    }


async def run_scripts(env: EvalEnv, scripts: list[Script], k: int) -> list[dict[str, Any]]:
    """k runs of every script: [{name, file, store, bindings, skipped, runs: [run, ...]}].

    A binding that matches nothing fails every run, or skips the script (no runs) when
    its store is an outside τ dump."""
    results = []
    for s in scripts:
        entry: dict[str, Any] = {
            "name": s.name,
            "file": s.path.name,
            "store": s.store,
            "bindings": {},
            "skipped": None,
            "runs": [],
        }
        try:
            bound = bind(env, s)
        except NoMatch as exc:
            if s.store == "tau" and env.tau_dump_is_outside:
                entry["skipped"] = f"skipped: {exc}"
            else:
                failed = [f"bindings: {exc}"]
                where = {"where": "bindings", "turn": None, "say": "", "reply": None}
                run = {"passed": False, "failures": failed, "turns": [],
                       "first_failure": {**where, "failures": failed}}  # fmt: skip
                entry["runs"] = [run] * k
            results.append(entry)
            continue
        entry["bindings"] = {name: b.order.id for name, b in bound.items()}
        entry["runs"] = [await run_script(env, s, bound) for _ in range(k)]
        results.append(entry)
    return results


def script_details(result: dict[str, Any]) -> dict[str, Any]:
    """A script's line in the report: verdict, where its first failing run went wrong, and
    that run's transcript (else the last run's)."""
    runs = result["runs"]
    failing = [(i, run) for i, run in enumerate(runs, start=1) if not run["passed"]]
    first = None
    if failing:
        i, run = failing[0]
        first = {"run": i, **run["first_failure"]}
    shown = failing[0][1] if failing else (runs[-1] if runs else {"turns": []})
    passed = sum(run["passed"] for run in runs)
    status = "skipped" if result["skipped"] else ("passed" if passed == len(runs) else "failed")
    return {
        "name": result["name"],
        "file": result["file"],
        "store": result["store"],
        "status": status,
        "skipped": result["skipped"],
        "bindings": result["bindings"],
        "passed_runs": passed,
        "runs": len(runs),
        "failures": failing[0][1]["failures"] if failing else [],
        "first_failure": first,
        "transcript": shown["turns"],
    }


def _rates(details: list[dict[str, Any]], k: int, label: str) -> dict[str, MetricResult]:
    """pass^k (scripts that passed all k runs) and pass^1 (single runs that passed)."""
    ran = [d for d in details if d["status"] != "skipped"]
    if not ran:
        why = f"no {label}scripts ran"
        return {"hat": MetricResult.skipped(why), "at1": MetricResult.skipped(why)}
    runs = sum(d["runs"] for d in ran)
    return {
        "hat": MetricResult.of(
            sum(d["status"] == "passed" for d in ran) / len(ran),
            len(ran),
            f"{label}scripts that passed all {k} runs",
        ),
        "at1": MetricResult.of(
            sum(d["passed_runs"] for d in ran) / runs, runs, f"share of single {label}runs passed"
        ),
    }


def run(ctx: SuiteContext) -> SuiteResult:
    """pass^k (every one of k runs passes) and pass^1 over the scripted conversations,
    overall and on each store."""
    folder = ctx.path("conversations", SCRIPTS_DIR)
    scripts = select_scripts(load_scripts(folder), ctx.script)
    k = max(1, ctx.k)
    env = ctx.env
    details = [script_details(r) for r in asyncio.run(run_scripts(env, scripts, k))]
    everything = _rates(details, k, "")
    demo = _rates([d for d in details if d["store"] == "demo"], k, "demo ")
    tau = _rates([d for d in details if d["store"] == "tau"], k, "τ ")
    composer = env.services.composer.name
    determinism = (
        "The extractive composer is deterministic, so repeated runs differ only where "
        "something else varies (e.g. an NLU A/B split)."
        if composer == "extractive"
        else f"The '{composer}' composer generates text, so runs can differ."
    )
    n_tau = sum(s.store == "tau" for s in scripts)
    notes = [
        f"{len(scripts)} scripts ({len(scripts) - n_tau} on the demo store, {n_tau} on the "
        f"τ store from {env.tau_dump.name}) x k={k} runs, composer '{composer}'. {determinism}"
    ]
    skipped = [d for d in details if d["status"] == "skipped"]
    if skipped:
        notes.append(
            f"{len(skipped)} τ script(s) skipped, counted neither as passed nor as failed: "
            f"no order in {env.tau_dump} matches their bindings ("
            + "; ".join(f"{d['name']}: {d['skipped'].removeprefix('skipped: ')}" for d in skipped)
            + ")."
        )
    if Path(folder).resolve() != SCRIPTS_DIR.resolve():
        notes.append(f"Scripts from {folder}, not the project's set in {SCRIPTS_DIR.name}/.")
    return SuiteResult(
        "conversations",
        {
            "pass_hat_k": everything["hat"],
            "pass_at_1": everything["at1"],
            "pass_hat_k_demo": demo["hat"],
            "pass_at_1_demo": demo["at1"],
            "pass_hat_k_tau": tau["hat"],
            "pass_at_1_tau": tau["at1"],
        },
        details={
            "k": k,
            "tau_dump": str(env.tau_dump),
            "scripts_dir": str(folder),
            "scripts": details,
        },
        notes=notes,
    )
