"""Refunds above the auto-approve limit: the graph pauses until a human decides.

The policy's limit is lowered to $100 here so C0001's $168.00 delivery needs approval.
"""

from __future__ import annotations

import functools

from tests.api.helpers import chat, order_of, transcript


def decide(client, approval_id, approve, note=""):
    desk = client.app.state.approvals
    call = functools.partial(desk.decide, approval_id, approve=approve, agent="ann", note=note)
    return client.portal.call(call)


def ask_for_approval(client, services, headers):
    order_id = order_of(services, "C0001", "delivered", recent_days=10)
    offer = chat(client, f"I want a refund for order {order_id}", headers)
    assert "need an agent's approval" in offer["reply"]
    assert offer["reply"].startswith(f"Order {order_id} qualifies for a refund of $168.00")
    asked = chat(client, "yes", headers, offer["session_id"])
    return order_id, asked


def test_above_limit_refund_pauses_for_approval_then_refunds_once(low_limit, token_for):
    client, services = low_limit
    headers = token_for("C0001")
    order_id, asked = ask_for_approval(client, services, headers)
    session_id = asked["session_id"]

    [approval] = services.store.list_approvals("pending")
    assert (approval.order_id, approval.amount_cents, approval.session_id) == (
        order_id,
        16800,
        session_id,
    )
    assert asked["escalation"] == {"id": approval.escalation_id, "reason": "approval_needed"}
    assert asked["reply"].startswith("Thanks. A refund of $168.00 to ")
    assert "needs an agent's approval" in asked["reply"]
    assert services.store.get_escalation(approval.escalation_id).reason == "approval_needed"
    assert services.store.get_order(order_id).refunds == []
    waiting = client.portal.call(client.app.state.chat.waiting_for, session_id)
    assert waiting["type"] == "refund_approval" and waiting["id"] == approval.id
    public = client.get(f"/v1/sessions/{session_id}", headers=headers).json()["approval"]
    assert public == {
        "id": approval.id,
        "order_id": order_id,
        "amount_cents": 16800,
        "status": "pending",
    }

    still = chat(client, "yes!! any news? please refund now", headers, session_id)
    assert still["reply"].startswith(
        f"Your refund of $168.00 for order {order_id} is still waiting for an agent's approval"
    )
    assert services.store.get_order(order_id).refunds == []

    decided = decide(client, approval.id, approve=True)
    [refund] = services.store.get_order(order_id).refunds
    assert decided.refund_id == refund.id and refund.amount_cents == 16800
    lines = transcript(client, session_id, headers)
    assert lines[-1]["role"] == "assistant"
    assert lines[-1]["content"].startswith(
        f"Good news: an agent approved your refund. Refund {refund.id}"
    )
    assert [line["content"] for line in lines if line["role"] == "customer"][-1] == (
        "yes!! any news? please refund now"
    )

    assert decide(client, approval.id, approve=True) == decided  # again: nothing new
    assert len(services.store.get_order(order_id).refunds) == 1
    after = chat(client, f"where is my order {order_id}?", headers, session_id)
    assert after["intent"] == "track_order" and order_id in after["reply"]
    assert client.get(f"/v1/sessions/{session_id}", headers=headers).json()["approval"] is None


def test_declined_approval_tells_the_customer_and_refunds_nothing(low_limit, token_for):
    client, services = low_limit
    headers = token_for("C0001")
    order_id, asked = ask_for_approval(client, services, headers)
    [approval] = services.store.list_approvals("pending")
    decide(client, approval.id, approve=False, note="the item was used")
    last = transcript(client, asked["session_id"], headers)[-1]["content"]
    assert last == (
        f"An agent reviewed your refund request for order {order_id} and declined it: the item "
        "was used. Nothing was refunded. Reply here if you'd like to talk it through with a person."
    )
    assert services.store.get_order(order_id).refunds == []
    again = chat(client, "yes", headers, asked["session_id"])
    assert services.store.get_order(order_id).refunds == []
    assert again["escalated"] is False or again["escalation"]["reason"] != "approval_needed"


def test_customer_saying_no_to_the_approval_offer_asks_nobody(low_limit, token_for):
    client, services = low_limit
    headers = token_for("C0001")
    order_id = order_of(services, "C0001", "delivered", recent_days=10)
    offer = chat(client, f"I want a refund for order {order_id}", headers)
    out = chat(client, "no", headers, offer["session_id"])
    assert "haven't refunded anything" in out["reply"]
    assert services.store.list_approvals(None) == []


def test_an_approval_asked_while_a_ticket_is_open_joins_that_ticket(low_limit, token_for):
    client, services = low_limit
    headers = token_for("C0001")
    first = chat(client, "I want to talk to a person", headers)
    ticket = first["escalation"]["id"]
    order_id = order_of(services, "C0001", "delivered", recent_days=10)
    offer = chat(client, f"I want a refund for order {order_id}", headers, first["session_id"])
    assert "need an agent's approval" in offer["reply"]
    asked = chat(client, "yes", headers, first["session_id"])
    assert asked["escalation"]["id"] == ticket and ticket in asked["reply"]
    assert [e.id for e in services.store.list_escalations()] == [ticket]
    [approval] = services.store.list_approvals("pending")
    assert approval.escalation_id == ticket
