"""Anonymous callers verify (email + order number, or name + ZIP) before seeing any order."""

from __future__ import annotations

import uuid

from langgraph.runtime import Runtime
from sqlalchemy import select

from graph.context import TurnContext
from graph.nodes.verify import verify
from tests.api.helpers import chat, order_of, sse_events
from tools.store.db import session_factory
from tools.store.models import Customer

IDENTITY_CHECK = "I first need to check it's you"


def test_anonymous_caller_verifies_with_email_and_order_then_gets_the_answer(client, services):
    order_id = order_of(services, "C0001", "shipped")
    tracking = services.store.get_order(order_id).tracking_number
    ask = chat(client, "where is my order?")
    assert IDENTITY_CHECK in ask["reply"] and tracking not in ask["reply"]
    out = chat(client, f"jordan.rivera@example.com {order_id}", session_id=ask["session_id"])
    assert out["intent"] == "track_order"
    assert tracking in out["reply"]
    assert [a["tool"] for a in out["actions"]] == ["verify_identity", "get_order"]
    identity = services.store.session_identity(ask["session_id"])
    assert (identity.customer_id, identity.verified_customer_id) == (None, "C0001")
    pending = order_of(services, "C0001", "pending")
    later = chat(client, f"and where is order {pending}?", session_id=ask["session_id"])
    assert pending in later["reply"] and "pending" in later["reply"]


def test_anonymous_caller_verifies_with_name_and_zip(client, services):
    with session_factory(services.store.engine)() as s:
        name, zip_code = s.execute(
            select(Customer.name, Customer.zip_code).where(Customer.id == "C0001")
        ).one()
    ask = chat(client, "I want a refund")
    out = chat(client, f"{name}, ZIP {zip_code}", session_id=ask["session_id"])
    assert out["intent"] == "get_refund"
    assert out["reply"].startswith("Which order do you mean?")
    assert services.store.session_identity(ask["session_id"]).verified_customer_id == "C0001"


def test_wrong_details_are_limited_then_a_person_takes_over(client, services):
    order_id = order_of(services, "C0001", "shipped")
    tracking = services.store.get_order(order_id).tracking_number
    ask = chat(client, f"where is my order {order_id}?")
    sid = ask["session_id"]
    for left in (4, 3, 2, 1):
        out = chat(client, f"someone@example.com {order_id}", session_id=sid)
        assert out["reply"].startswith("Sorry, those details don't match an account.")
        assert f"({left} attempt(s) left)" in out["reply"]
    locked = chat(client, f"someone@example.com {order_id}", session_id=sid)
    assert locked["escalation"]["reason"] == "verification_failed"
    assert services.store.get_escalation(locked["escalation"]["id"]).customer_id is None
    right = chat(client, f"jordan.rivera@example.com {order_id}", session_id=sid)
    assert tracking not in right["reply"]
    assert services.store.session_identity(sid).verified_customer_id is None


def test_email_with_someone_elses_order_does_not_verify(client, services):
    theirs = order_of(services, "C0002", "shipped")
    ask = chat(client, "where is my order?")
    out = chat(client, f"jordan.rivera@example.com {theirs}", session_id=ask["session_id"])
    assert out["reply"].startswith("Sorry, those details don't match an account.")
    assert services.store.get_order(theirs).tracking_number not in out["reply"]
    assert services.store.session_identity(ask["session_id"]).verified_customer_id is None


def test_anonymous_policy_question_gets_the_policy_then_the_offer_to_do_it(client, services):
    pending = order_of(services, "C0001", "pending")
    ask = chat(client, "Can I change the delivery address on my order?")
    assert ask["escalated"] is False
    answer, offer = ask["reply"].split(IDENTITY_CHECK)
    assert "pending" in answer and "address" in answer
    assert "email address on your account" in offer
    assert [c["doc_id"] for c in ask["citations"]][:1] == ["change-or-cancel-an-order"]
    assert [a["tool"] for a in ask["actions"]] == ["search_knowledge", "verify_identity"]
    out = chat(client, f"jordan.rivera@example.com {pending}", session_id=ask["session_id"])
    assert out["intent"] == "change_shipping_address"
    assert services.store.session_identity(ask["session_id"]).verified_customer_id == "C0001"
    assert "address" in out["reply"] and IDENTITY_CHECK not in out["reply"]


def test_streamed_policy_answer_and_offer_arrive_as_one_reply(client):
    with client.stream(
        "POST", "/v1/chat/stream", json={"message": "Can I change the delivery address?"}
    ) as response:
        events = sse_events(response)
    done = events[-1][1]
    assert IDENTITY_CHECK in done["reply"]
    assert done["reply"] == "".join(data for name, data in events if name == "delta")
    assert [data for name, data in events if name == "citation"] == done["citations"] != []


async def test_account_request_the_help_centre_cannot_answer_gets_only_the_identity_check(
    services,
):
    session_id = f"verify-test-{uuid.uuid4().hex}"
    runtime = Runtime(context=TurnContext(services=services, session_id=session_id))
    state = {"message": "where is your head office?", "intent": "track_order", "actions": []}
    update = await verify(state, runtime)
    assert update["reply"].startswith("Before I look at any order, I need to check it's you.")
    assert not update.get("citations")
    assert update["pending"] == {
        "kind": "slot",
        "intent": "track_order",
        "slot": "verification",
        "request": "where is your head office?",
    }
    assert not [r for r in services.retriever.log.records() if r.session_id == session_id]


def test_the_item_named_while_verifying_is_the_one_offered_after(client, services):
    ask = chat(client, "hi there, I want to return something")
    sid = ask["session_id"]
    chat(client, "it's the charger from my order W4520484", session_id=sid)

    offer = chat(client, "jordan.rivera@example.com", session_id=sid)

    assert "VoltGo 65W USB-C Charger" in offer["reply"], offer["reply"]
    assert "Aurora Wireless Headphones" not in offer["reply"]  # not the whole order
    assert "Shall I go ahead?" in offer["reply"]
