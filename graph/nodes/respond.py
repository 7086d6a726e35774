"""Final node: stream the reply if not yet streamed, record it, and remember the turn.

A message with several requests passes here once per request: the replies are joined
into one, and the transcript gets one assistant line for the whole message.
"""

from __future__ import annotations

import re
from typing import Any

from graph.nodes.common import Rt, emit, now_iso, say
from graph.routing import ACCOUNT_ROUTES
from graph.state import Memory, TurnState


def _remembered(state: TurnState, reply: str) -> Memory:
    """The orders this turn was about (those found), the items an offer names, the reply."""
    missing = {
        a.get("detail") for a in state.get("actions") or [] if a.get("status") == "not_found"
    }
    pending = state.get("pending") or {}
    orders = [str(e["value"]) for e in state.get("entities") or [] if e.get("type") == "order_id"]
    orders += [o for o in (state.get("order_id"), pending.get("order_id")) if o]
    orders = [o for o in dict.fromkeys(o.upper().lstrip("#") for o in orders) if o not in missing]
    memory: Memory = {"last_reply": reply}
    if state.get("route") in ACCOUNT_ROUTES:
        memory["last_route"] = state["route"]
        memory["last_intent"] = state.get("intent") or ""
    if escalation := state.get("escalation"):
        memory["ticket"] = escalation["id"]
    if orders:
        # The order the bot is now working on is the most recent one.
        current = pending.get("order_id")
        memory["orders"] = [o for o in orders if o != current] + ([current] if current else [])
    if pending.get("skus") and pending.get("order_id"):
        memory["items"] = [{"order_id": pending["order_id"], "sku": s} for s in pending["skus"]]
    return memory


_CITED = re.compile(r"^.*\[\d+\]", re.S)


def _own_question(reply: str) -> str:
    """What to say again after a side question: the reply without the help-centre answer
    that came before the bot's own question (everything up to the last citation)."""
    return _CITED.sub("", reply).strip() or reply


async def respond(state: TurnState, runtime: Rt) -> dict[str, Any]:
    """Deliver the turn's reply and record it in the transcript."""
    reply = state.get("reply") or ""
    if reply and not state.get("streamed"):
        emit(runtime, "delta", reply)
    update: dict[str, Any] = {}
    pending = state.get("pending")
    if pending and pending.get("kind") in ("confirm", "slot") and not pending.get("prompt"):
        asked_in = state.get("route") or ""
        if asked_in == "verify" and pending.get("slot") != "verification":
            asked_in = ""  # verified this turn: the account branch asked, not verify
        update["pending"] = {**pending, "prompt": _own_question(reply), "route": asked_in}
    earlier = state.get("earlier_replies") or []
    if state.get("queue") and not state.get("escalation"):  # another request follows
        remembered = _remembered(state, reply)
        orders = {"orders": remembered["orders"]} if "orders" in remembered else {}
        return update | {"earlier_replies": [*earlier, reply], "memory": orders}
    full = " ".join(r for r in [*earlier, reply] if r)
    declined = reply.startswith(say("out_of_scope"))  # the polite off-topic fallback
    return update | {
        "reply": full,
        "transcript": [
            {"role": "assistant", "content": full, "at": now_iso(), "declined": declined}
        ],
        "memory": _remembered(state, full),
    }
