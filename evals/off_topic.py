"""Out-of-scope rejection: how many off-topic messages the bot would act on.

A message is *accepted* when the model gives it an in-scope intent (anything but
out_of_scope) with confidence at or above the escalation threshold, or when the
help-centre intents together reach the threshold (the router then sends it to the
knowledge base, see graph.routing.help_centre_reading): the bot would then treat it as
a support question. Target: at most 10 %.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

from graph.routing import help_centre_reading
from nlu.parser import NLU

OFF_TOPIC_PATH = Path(__file__).resolve().parent / "data" / "off_topic.txt"


def read_messages(path: Path = OFF_TOPIC_PATH) -> list[str]:
    lines = path.read_text(encoding="utf-8").splitlines()
    return [ln.strip() for ln in lines if ln.strip() and not ln.lstrip().startswith("#")]


def off_topic_acceptance(nlu: NLU, messages: list[str], threshold: float) -> dict[str, Any]:
    """Share of off-topic messages accepted, with the accepted ones listed."""
    accepted = []
    for p in nlu.parse_many(messages):
        intent, confidence = p.intent, p.confidence
        if confidence < threshold:
            intent, confidence = help_centre_reading(p.probabilities) or (intent, confidence)
        if intent != "out_of_scope" and confidence >= threshold:
            accepted.append({"text": p.text, "intent": intent, "confidence": round(confidence, 4)})
    return {
        "n": len(messages),
        "threshold": threshold,
        "accepted_rate": round(len(accepted) / len(messages), 4) if messages else 0.0,
        "accepted": accepted,
    }
