"""Out-of-scope rejection: how many off-topic messages the bot would act on.

A message is *accepted* when the classify node's routing decision (graph.routing.decide_route)
would act on it: an in-scope intent (anything but out_of_scope) with confidence at or above
the escalation threshold, or the help-centre intents together reaching the threshold (the
knowledge branch). The bot would then treat it as a support question. Target: at most 10 %.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

from graph.routing import FALLBACK_INTENTS, decide_route
from nlu.parser import NLU

OFF_TOPIC_PATH = Path(__file__).resolve().parent / "data" / "off_topic.txt"


def read_messages(path: Path = OFF_TOPIC_PATH) -> list[str]:
    lines = path.read_text(encoding="utf-8").splitlines()
    return [ln.strip() for ln in lines if ln.strip() and not ln.lstrip().startswith("#")]


def off_topic_acceptance(nlu: NLU, messages: list[str], threshold: float) -> dict[str, Any]:
    """Share of off-topic messages accepted, with the accepted ones listed."""
    accepted = []
    for p in nlu.parse_many(messages):
        decided = decide_route(p.intent, p.confidence, p.probabilities, threshold)
        if decided.reason != "low_confidence" and decided.intent not in FALLBACK_INTENTS:
            accepted.append(
                {
                    "text": p.text,
                    "intent": decided.intent,
                    "confidence": round(decided.confidence, 4),
                }
            )
    return {
        "n": len(messages),
        "threshold": threshold,
        "accepted_rate": round(len(accepted) / len(messages), 4) if messages else 0.0,
        "accepted": accepted,
    }
