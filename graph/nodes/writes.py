"""Shared steps of the confirmed writes (refund, cancel, address change, dispute)."""

from __future__ import annotations

from graph.nodes.common import Rt, action, record, say
from graph.state import TurnState


def declined(state: TurnState, runtime: Rt, tool: str, order_id: str, reply: str) -> dict:
    """The customer did not say yes: nothing is written, the offer is dropped."""
    return {
        "reply": say(reply),
        "pending": None,
        "actions": record(runtime, state, action(tool, "declined", order_id)),
    }
