"""Repair nodes: ask which reading was meant, come back to a held offer, take the next request.

They sit beside the business branches (refund, cancel, orders ...) so that those stay
about their own steps; see graph.dialogue for how a message is read against the
conversation.
"""

from __future__ import annotations

from typing import Any

from graph.llm.attributes import describe
from graph.nodes.common import Rt, action, emit, record, say
from graph.state import TurnState


async def clarify(state: TurnState, runtime: Rt) -> dict[str, Any]:
    """Offer the likeliest readings of an unclear message as quick replies."""
    suggestions = state.get("suggestions") or []
    options = (state.get("pending") or {}).get("options") or []
    emit(runtime, "suggestions", suggestions)
    return {
        "reply": say("clarify_ask", options=", ".join(f'"{s}"' for s in suggestions)),
        "actions": record(runtime, state, action("clarify", "asked", ", ".join(options))),
    }


def asked_again(prompt: str) -> str:
    """ "Which order do you mean? …" asked a second time in a row: the longer version, which
    says how else to answer and how to reach a person."""
    first = say("ask_order_id", recent="")
    if prompt.startswith(first):
        return say("ask_order_id_again", recent=prompt[len(first) :])
    return prompt


async def resume_offer(state: TurnState, runtime: Rt) -> dict[str, Any]:
    """After a side question, restate the offer (or question) that was put on hold.

    A turn that asked something new or made a new offer replaces the held one. A side
    question the help centre can't answer gets an honest "no answer" rather than a ticket:
    the customer is in the middle of something the bot can finish.
    """
    held = state.get("held") or {}
    if state.get("pending"):
        return {"held": None}
    reply = state.get("reply") or ""
    if not reply and state.get("escalation_reason"):
        unstated = state.get("unstated")
        reply = say("side_unstated", what=describe(unstated)) if unstated else say("side_no_answer")
    prompt = held.get("prompt") or ""
    if not reply:  # the same question again, word for word, would loop: say more
        prompt = asked_again(prompt)
    restated = say("offer_restated", prompt=prompt) if reply and prompt else prompt
    if state.get("queue"):
        restated = ""  # more requests of this message follow: restate once, after the last
    streamed = bool(state.get("streamed")) and bool(state.get("reply"))
    if streamed and restated:
        emit(runtime, "delta", " " + restated)
    return {
        "reply": f"{reply} {restated}".strip(),
        "streamed": streamed,
        "pending": held,
        "held": None,
        "escalation_reason": None,
    }


async def next_request(state: TurnState, runtime: Rt) -> dict[str, Any]:
    """Take the next request of a message that held several ("cancel W1 and where is W2")."""
    queue = list(state.get("queue") or [])
    emit(runtime, "delta", " ")
    return {
        "message": queue[0],
        "queue": queue[1:],
        "entities": [],
        "route": "",
        "escalation_reason": None,
        "reply": "",
        "streamed": False,
        "order_id": None,
        "held": None,
        "repair": None,
    }
