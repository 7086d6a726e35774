"""Small-talk branch: greetings, goodbyes and polite refusals of off-topic requests."""

from __future__ import annotations

from graph.nodes.common import Rt, say
from graph.state import TurnState


async def smalltalk(state: TurnState, runtime: Rt) -> dict:
    """Templated reply for greeting, goodbye and out_of_scope."""
    return {"reply": say(state["intent"]), "pending": None}
