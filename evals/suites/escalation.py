"""Escalation suite: are the right turns handed to a person?

Labelled single turns (in-scope questions, explicit human requests, angry, gibberish,
unanswerable, off-topic) each run in a new session; an escalation is the positive class.
A first gibberish or off-topic message is answered (quick replies, or what the bot can help
with), not escalated: only a repeat goes to a person, which the conversation scripts check.
Precision: share of escalations that were called for; recall: share of turns that called
for one and got it. Then the escalation rate on the in-scope turns of the golden
conversations (one run of each script), whose target is at most 5 %.
"""

from __future__ import annotations

import asyncio
import json
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from evals.suites.base import MetricResult, SuiteContext, SuiteResult
from evals.suites.conversations import SCRIPTS_DIR, load_scripts, run_scripts
from evals.suites.harness import EvalEnv, resolve_refs

TURNS_PATH = Path(__file__).resolve().parent.parent / "data" / "escalation_turns.jsonl"
KINDS = ("in_scope", "human_request", "angry", "gibberish", "unanswerable", "off_topic")


@dataclass(frozen=True)
class LabelledTurn:
    id: str
    kind: str
    text: str
    customer: str | None
    escalate: bool
    """Whether a person should take this turn."""
    reason: str | None
    """The escalation reason expected, when it should escalate."""


def load_turns(path: Path = TURNS_PATH) -> list[LabelledTurn]:
    """Labelled turns of a JSON-lines file; a malformed row is a ValueError."""
    turns = []
    for n, line in enumerate(path.read_text(encoding="utf-8").splitlines(), start=1):
        if not line.strip():
            continue
        try:
            row = json.loads(line)
            turn = LabelledTurn(
                str(row["id"]),
                str(row["kind"]),
                str(row["text"]),
                row.get("customer"),
                bool(row["escalate"]),
                row.get("reason"),
            )
        except (json.JSONDecodeError, KeyError, TypeError) as exc:
            raise ValueError(f"{path}:{n}: not a labelled turn ({exc!r})") from exc
        if turn.kind not in KINDS:
            raise ValueError(f"{path}:{n}: kind {turn.kind!r} is not one of {', '.join(KINDS)}")
        turns.append(turn)
    return turns


async def _decide(env: EvalEnv, turns: list[LabelledTurn]) -> list[dict[str, Any]]:
    store = env.fresh_store()
    out = []
    try:
        for turn in turns:
            text = resolve_refs(turn.text, store)
            async with env.conversation(turn.customer, store=store) as convo:
                response = await convo.say(text)
            escalation = response.get("escalation") or {}
            out.append(
                {
                    "id": turn.id,
                    "kind": turn.kind,
                    "text": text,
                    "expected": turn.escalate,
                    "expected_reason": turn.reason,
                    "escalated": bool(response.get("escalated")),
                    "reason": escalation.get("reason"),
                    "intent": response.get("intent"),
                    "confidence": round(float(response.get("confidence") or 0.0), 4),
                }
            )
    finally:
        store.engine.dispose()
    return out


def run(ctx: SuiteContext) -> SuiteResult:
    """Precision / recall of escalation decisions, and the in-scope escalation rate."""
    turns = load_turns(ctx.path("escalation", TURNS_PATH))
    decided = asyncio.run(_decide(ctx.env, turns))
    tp = sum(d["expected"] and d["escalated"] for d in decided)
    fp = sum(not d["expected"] and d["escalated"] for d in decided)
    fn = sum(d["expected"] and not d["escalated"] for d in decided)
    tn = len(decided) - tp - fp - fn
    metrics = {
        "precision": MetricResult.of(
            tp / (tp + fp) if tp + fp else 0.0, tp + fp, "escalations that were called for"
        ),
        "recall": MetricResult.of(
            tp / (tp + fn) if tp + fn else 0.0, tp + fn, "turns needing a person that got one"
        ),
    }
    with_reason = [d for d in decided if d["expected"] and d["escalated"] and d["expected_reason"]]
    if with_reason:
        metrics["reason_accuracy"] = MetricResult.of(
            sum(d["reason"] == d["expected_reason"] for d in with_reason) / len(with_reason),
            len(with_reason),
            "escalations called for that gave the expected reason",
        )
    scripts = load_scripts(ctx.path("conversations", SCRIPTS_DIR))
    runs = asyncio.run(run_scripts(ctx.env, scripts, 1))
    in_scope = [t for r in runs for t in r["runs"][0]["turns"] if t["in_scope"]]
    escalated = [t for t in in_scope if t["escalated"]]
    metrics["in_scope_escalation_rate"] = MetricResult.of(
        len(escalated) / len(in_scope) if in_scope else 0.0,
        len(in_scope),
        "in-scope turns of the golden conversations handed to a person (target <= 5 %)",
        higher_is_better=False,
    )
    by_kind = {
        kind: {
            "n": sum(d["kind"] == kind for d in decided),
            "escalated": sum(d["kind"] == kind and d["escalated"] for d in decided),
        }
        for kind in KINDS
    }
    return SuiteResult(
        "escalation",
        metrics,
        details={
            "confusion": {
                "labels": ["escalate", "answer"],
                "matrix": [[tp, fn], [fp, tn]],
            },
            "by_kind": by_kind,
            "wrong": [d for d in decided if d["expected"] != d["escalated"]],
            "in_scope_escalations": [t["say"] for t in escalated],
        },
        notes=[
            f"{len(decided)} labelled turns (rows: expected, columns: decided); "
            f"in-scope rate over {len(in_scope)} turns of {len(scripts)} golden conversations."
        ],
    )
