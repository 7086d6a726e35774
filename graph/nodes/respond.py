"""Final node: stream the reply if not yet streamed and append it to the transcript."""

from __future__ import annotations

from graph.nodes.common import Rt, emit, now_iso
from graph.state import TurnState


async def respond(state: TurnState, runtime: Rt) -> dict:
    """Deliver the turn's reply and record it in the transcript."""
    reply = state.get("reply") or ""
    if reply and not state.get("streamed"):
        emit(runtime, "delta", reply)
    return {"transcript": [{"role": "assistant", "content": reply, "at": now_iso()}]}
