"""Small-talk branch: greetings, goodbyes, polite refusals, and the small repair moves
(a stray yes or no, "say that again")."""

from __future__ import annotations

from typing import Any

from graph.dialogue import confirmation
from graph.nodes.common import Rt, say
from graph.state import TurnState

TEMPLATES = frozenset({"greeting", "goodbye", "out_of_scope"})


def _reply(state: TurnState) -> str:
    repair = state.get("repair")
    if repair == "repeat":
        return (state.get("memory") or {}).get("last_reply") or say("nothing_to_repeat")
    if repair == "stray_confirmation":
        if state.get("held"):
            return ""  # the held question is asked again right after
        return say("stray_no" if confirmation(state["message"]) is False else "stray_yes")
    if repair == "dropped":
        return say("dropped")
    if repair == "about_bot":
        return say("about_bot")
    if repair == "thanks":
        return say("youre_welcome") if state.get("held") else say("thanks_reply")
    intent = state.get("intent") or ""
    if state.get("held") and intent == "goodbye":  # "thanks!" while an offer waits
        return say("youre_welcome")
    return say(intent if intent in TEMPLATES else "out_of_scope")


async def smalltalk(state: TurnState, runtime: Rt) -> dict[str, Any]:
    """Templated reply for greeting, goodbye, out_of_scope and the repair moves."""
    keep = state.get("repair") == "repeat"
    return {"reply": _reply(state), "pending": state.get("pending") if keep else None}
