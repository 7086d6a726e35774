"""Out-of-scope rejection: what the bot's routing would do with off-topic messages.

Every message gets one outcome from the classify node's routing decision
(graph.routing.decide_route) and the small-talk readings the node applies first:

- accepted: an in-scope intent the bot would act on, or the help-centre intents together
  reaching the threshold (the knowledge branch). It treats the message as a support question.
- smalltalk: a greeting, goodbye, thank-you or question about the bot: legitimate small
  talk, reported apart and not counted as accepted.
- declined: the out_of_scope fallback ("I can only help with ..."), confident, or for an
  unsure message that the scope gate or the head reads as off-topic
  (graph.routing.declines_unsure).
- unclear: no intent sure enough and not read as off-topic: the bot would ask which of its
  readings was meant, or hand the message to a person.

The messages and the outside data sets' scope mappings are read by evals/off_topic_data.py;
both sides of an outside set are scored.

This is the routing decision alone (fast, no session); `support evals off-topic-chat`
sends each message through the chat API and judges the reply.
"""

from __future__ import annotations

from collections import Counter, defaultdict
from collections.abc import Mapping, Sequence
from typing import Any

from evals.off_topic_data import (
    OFF_TOPIC,
    SMALLTALK,
    SMALLTALK_INTENTS,
    Message,
    as_messages,
)
from graph.dialogue import asks_about_bot, thanks
from graph.routing import FALLBACK_INTENTS, decide_route, declines_unsure, reads_off_topic
from nlu.parser import NLU

OUTCOMES = ("accepted", "smalltalk", "declined", "unclear")


def decision_outcome(parse: Any, threshold: float) -> tuple[str, str, float]:
    """(outcome, intent, confidence) of the classify node's routing for a first message."""
    if asks_about_bot(parse.text) or thanks(parse.text):
        return "smalltalk", parse.intent, float(parse.confidence)
    entities = [{"type": e.type} for e in parse.entities]
    off_topic = reads_off_topic(parse.off_topic, entities)
    decided = decide_route(
        parse.intent, parse.confidence, parse.probabilities, threshold, off_topic=off_topic
    )
    confidence = round(float(decided.confidence), 4)
    if decided.reason == "low_confidence":
        probabilities = parse.probabilities or {parse.intent: parse.confidence}
        top = max(probabilities, key=lambda intent: probabilities[intent])
        declined = declines_unsure(probabilities, parse.off_topic, entities)
        return ("declined" if declined else "unclear"), top, round(float(probabilities[top]), 4)
    if decided.intent in FALLBACK_INTENTS:
        return "declined", decided.intent, confidence
    if decided.intent in SMALLTALK_INTENTS:
        return "smalltalk", decided.intent, confidence
    return "accepted", decided.intent, confidence


def _rate(count: int, n: int) -> float:
    return round(count / n, 4) if n else 0.0


def summarise(
    rows: Sequence[Mapping[str, Any]],
    outcomes: Sequence[str],
    *,
    examples: int = 5,
    quiet: Sequence[str] = (),
) -> dict[str, Any]:
    """Counts and rates of each outcome, per domain too, with up to `examples` rows of
    every outcome not in `quiet` (most frequent intents first)."""
    counts = Counter(row["outcome"] for row in rows)
    by_domain: dict[str, list[Mapping[str, Any]]] = defaultdict(list)
    for row in rows:
        by_domain[row["domain"]].append(row)
    shown: dict[str, list[Mapping[str, Any]]] = {}
    for outcome in outcomes:
        if outcome in quiet or not counts[outcome]:
            continue
        picked = [row for row in rows if row["outcome"] == outcome]
        common = Counter(str(row.get("intent", "")) for row in picked)
        picked.sort(key=lambda row: -common[str(row.get("intent", ""))])
        shown[outcome] = list(picked[:examples])
    return {
        "n": len(rows),
        "counts": {o: counts[o] for o in outcomes},
        "rates": {o: _rate(counts[o], len(rows)) for o in outcomes},
        "by_domain": {
            domain: {
                "n": len(group),
                "counts": {o: sum(r["outcome"] == o for r in group) for o in outcomes},
                "rates": {
                    o: _rate(sum(r["outcome"] == o for r in group), len(group)) for o in outcomes
                },
            }
            for domain, group in sorted(by_domain.items())
        },
        "examples": shown,
    }


def summarise_in_scope(
    rows: Sequence[Mapping[str, Any]], outcomes: Sequence[str], acted: str
) -> dict[str, Any]:
    """The in-scope side: each outcome's share, the share read as the mapped intent, and
    per mapped intent (`acted`: the outcome that means the bot took it up)."""
    report = summarise(rows, outcomes, quiet=(acted,))
    mapped = [row for row in rows if row.get("intent") == row["expected"]]
    by_intent: dict[str, list[Mapping[str, Any]]] = defaultdict(list)
    for row in rows:
        by_intent[row["expected"]].append(row)
    report["mapped_intent"] = {"count": len(mapped), "rate": _rate(len(mapped), len(rows))}
    report["by_intent"] = {
        intent: {
            "n": len(group),
            acted: _rate(sum(r["outcome"] == acted for r in group), len(group)),
            "mapped_intent": _rate(sum(r.get("intent") == intent for r in group), len(group)),
            "intents": dict(Counter(str(r.get("intent", "")) for r in group).most_common(4)),
        }
        for intent, group in sorted(by_intent.items())
    }
    return report


def off_topic_acceptance(
    nlu: NLU, messages: Sequence[str | Message], threshold: float
) -> dict[str, Any]:
    """What the routing decision does with each message: the off-topic side's outcome
    rates (per domain), and, when some messages are in scope (Banking77, NLU++), that
    side's; NLU++ small talk (dialogue acts only) is reported apart, under `smalltalk`.

    `accepted_rate` and `accepted` are the off-topic messages the bot would act on.
    """
    items = as_messages(messages)
    rows: list[dict[str, Any]] = []
    for item, parse in zip(items, nlu.parse_many([m.text for m in items]), strict=True):
        outcome, intent, confidence = decision_outcome(parse, threshold)
        rows.append(
            {
                "text": item.text,
                "domain": item.domain,
                "expected": item.expected,
                **({"label": item.label} if item.label else {}),
                "outcome": outcome,
                "intent": intent,
                "confidence": confidence,
            }
        )
    off = [row for row in rows if row["expected"] == OFF_TOPIC]
    inside = [row for row in rows if row["expected"] not in (OFF_TOPIC, SMALLTALK)]
    small = [row for row in rows if row["expected"] == SMALLTALK]
    accepted = [
        {"text": r["text"], "intent": r["intent"], "confidence": r["confidence"]}
        for r in off
        if r["outcome"] == "accepted"
    ]
    report: dict[str, Any] = {
        "n": len(off),
        "threshold": threshold,
        "accepted_rate": _rate(len(accepted), len(off)),
        "accepted": accepted,
        "off_topic": summarise(off, OUTCOMES, examples=10, quiet=("declined",)),
    }
    if inside:
        report["in_scope"] = summarise_in_scope(inside, OUTCOMES, acted="accepted")
    if small:
        report["smalltalk"] = summarise(small, OUTCOMES)
    return report
