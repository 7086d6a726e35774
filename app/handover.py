"""A customer's message while an agent owns the chat: kept for the agent, the bot silent."""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator
from typing import Any

from app.schemas import response_from_state
from tools.errors import BackendUnavailable
from tools.store.protocol import StoreBackend

HUMAN_ACTIVE_NOTICE = "An agent is with you now and will answer here."
"""Said once, to the first message a customer sends after an agent claimed the chat (if the
agent has not written yet); the bot is silent (empty reply, `human_active` event) for the
rest of the agent's time."""


async def human_owner(store: StoreBackend, session_id: str) -> dict[str, Any] | None:
    """The escalation an agent claimed in this session, or None (also when the store is
    down: the turn's own store calls then report the failure honestly)."""
    try:
        return await asyncio.to_thread(store.human_owner, session_id)
    except BackendUnavailable:
        return None


async def human_turn(
    store: StoreBackend, session_id: str, owner: dict[str, Any], message: str
) -> AsyncIterator[tuple[str, Any]]:
    """Record the message for the agent; the first one hears that an agent is with them,
    unless the agent has already written (then the customer knows)."""
    said = await asyncio.to_thread(store.list_messages, session_id)
    first = not any(
        m["escalation_id"] == owner["id"] and m["role"] in ("customer", "agent") for m in said
    )
    await asyncio.to_thread(
        store.add_message, session_id, "customer", message, escalation_id=owner["id"]
    )
    yield "human_active", {"escalation_id": owner["id"], "assignee": owner["assignee"]}
    reply = HUMAN_ACTIVE_NOTICE if first else ""
    if reply:
        await asyncio.to_thread(
            store.add_message, session_id, "assistant", reply, escalation_id=owner["id"]
        )
    yield "done", response_from_state(session_id, {"reply": reply}).model_dump()
