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
    pending = first["pending"]
    assert {k: pending[k] for k in ("kind", "intent", "slot")} == {
        "kind": "slot",
        "intent": "track_order",
        "slot": "order_id",
    }
    assert pending["prompt"] == first["reply"]

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


async def test_postgres_checkpointer_keeps_an_approval_pause_across_reopen(
    postgres_url, built, app_settings
):
    """Ask for an above-limit refund, close everything, reopen, decide: the customer's
    transcript gets the outcome and exactly one refund exists."""
    from app.approvals import ApprovalDesk
    from app.chat import ChatService

    _, shared = built
    policy = dataclasses.replace(shared.policy, auto_approve_limit_cents=10000)
    services = dataclasses.replace(
        shared, store=SqlStore.from_url(app_settings.database_url), policy=policy
    )
    order_id = order_of(services, "C0001", "delivered", recent_days=10)
    services.store.create_session("pg-approval", "C0001")

    async with open_checkpointer(postgres_url) as saver:
        chat = ChatService(build_graph(saver), services, 2000)
        await chat.run_turn("pg-approval", "C0001", f"I want a refund for order {order_id}")
        asked = await chat.run_turn("pg-approval", "C0001", "yes")
    assert asked["escalation"]["reason"] == "approval_needed"
    [approval] = services.store.list_approvals("pending")

    async with open_checkpointer(postgres_url) as saver:
        chat = ChatService(build_graph(saver), services, 2000)
        assert (await chat.waiting_for("pg-approval"))["id"] == approval.id
        decided = await ApprovalDesk(chat, services).decide(approval.id, approve=True, agent="ann")
        session = await chat.session("pg-approval", "C0001")
        assert await chat.waiting_for("pg-approval") is None
    [refund] = services.store.get_order(order_id).refunds
    assert decided.refund_id == refund.id
    assert session.transcript[-1].content.startswith("Good news: an agent approved your refund.")
