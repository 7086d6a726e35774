"""Conversation memory on a real PostgreSQL: a pending slot survives a reopened checkpointer."""

from __future__ import annotations

import dataclasses

import pytest

from graph.builder import build_graph
from graph.checkpoint import open_checkpointer
from graph.context import TurnContext
from graph.state import new_turn
from tests.api.helpers import order_of
from tools.store.backend import SqlStore

pytestmark = pytest.mark.postgres


async def test_postgres_checkpointer_keeps_pending_slot_across_reopen(
    postgres_url, built, app_settings
):
    _, shared = built
    services = dataclasses.replace(shared, store=SqlStore.from_url(app_settings.database_url))
    order_id = order_of(services, "C0001", "shipped")
    context = TurnContext(services=services, session_id="pg-session", customer_id="C0001")
    config = {"configurable": {"thread_id": "pg-session"}}

    async with open_checkpointer(postgres_url) as saver:
        first = await build_graph(saver).ainvoke(
            new_turn("where is my order?"), config, context=context
        )
    assert first["pending"] == {"kind": "slot", "intent": "track_order", "slot": "order_id"}

    async with open_checkpointer(postgres_url) as saver:
        graph = build_graph(saver)
        second = await graph.ainvoke(new_turn(order_id), config, context=context)
        state = await graph.aget_state(config)
    assert second["intent"] == "track_order"
    assert order_id in second["reply"]
    assert [line["role"] for line in state.values["transcript"]] == [
        "customer",
        "assistant",
        "customer",
        "assistant",
    ]
