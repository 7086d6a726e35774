"""Anonymous callers verify (email + order number, or name + ZIP) before seeing any order."""

from __future__ import annotations

from sqlalchemy import select

from tests.api.helpers import chat, order_of
from tools.store.db import session_factory
from tools.store.models import Customer


def test_anonymous_caller_verifies_with_email_and_order_then_gets_the_answer(client, services):
    order_id = order_of(services, "C0001", "shipped")
    tracking = services.store.get_order(order_id).tracking_number
    ask = chat(client, "where is my order?")
    assert ask["reply"].startswith("Before I look at any order, I need to check it's you.")
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
