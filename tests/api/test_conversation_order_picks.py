"""Conversations that say which order without its number: by recency ("my most recent
order"), by status ("the pending one"), by position in the list the bot showed ("the
second one"), by product, as a correction ("no sorry, I meant my other order, the pending
one"), and a cancellation reason said before the order ("it was ordered by mistake")."""

from __future__ import annotations

import re

from tests.api.helpers import chat, order_of


def _newest(services, customer_id: str) -> str:
    orders = services.store.list_orders(customer_id)
    return max(orders, key=lambda o: o.created_at).id


def test_most_recent_order_answers_the_newest_and_that_order_is_then_cancelled(
    client, services, token_for
):
    headers = token_for("C0002")
    newest = _newest(services, "C0002")
    status = chat(client, "where is my most recent order?", headers)
    assert "Which order" not in status["reply"]
    assert status["reply"].startswith(f"Your most recent order is {newest}")
    sid = status["session_id"]
    asked = chat(client, "can I cancel that order?", headers, sid)
    assert newest in asked["reply"] and "Which order" not in asked["reply"]
    offer = chat(client, "it was ordered by mistake", headers, sid)
    assert offer["intent"] == "cancel_order"
    assert "because it was ordered by mistake" in offer["reply"] and newest in offer["reply"]
    assert services.store.get_order(newest).status != "cancelled"  # nothing before the yes
    chat(client, "yes", headers, sid)
    assert services.store.get_order(newest).status == "cancelled"


def test_that_order_after_a_list_asks_once_offering_the_listed_orders(client, services, token_for):
    headers = token_for("C0002")
    pending = order_of(services, "C0002", "pending")
    listed = chat(client, "where is my order?", headers)
    sid = listed["session_id"]
    assert pending in listed["suggestions"]
    asked = chat(client, "can I cancel that order?", headers, sid)
    assert asked["reply"].startswith("Which order do you mean?")
    assert asked["suggestions"][0] == pending  # pending orders first for a cancellation
    assert "Back to your request" not in asked["reply"]  # one question, not two
    picked = chat(client, "the pending one", headers, sid)
    assert picked["intent"] == "cancel_order"
    assert f"cancel order {pending}" in picked["reply"] and "ordered by mistake" in picked["reply"]


def test_a_cancel_reason_before_the_order_is_kept_and_never_read_as_a_defect(
    client, services, token_for
):
    headers = token_for("C0002")
    pending = order_of(services, "C0002", "pending")
    asked = chat(client, "I want to cancel my order", headers)
    sid = asked["session_id"]
    noted = chat(client, "it was ordered by mistake", headers, sid)
    assert noted["intent"] == "cancel_order"
    assert noted["reply"].startswith("Noted: ordered by mistake. Which order do you mean?")
    offer = chat(client, "the one that's pending", headers, sid)
    assert f"I can cancel order {pending}" in offer["reply"]
    assert "because it was ordered by mistake" in offer["reply"]
    chat(client, "yes", headers, sid)
    assert services.store.get_order(pending).status == "cancelled"
    assert services.store.list_escalations() == []


def test_ordered_by_mistake_as_an_opening_line_leads_to_cancel(client, services, token_for):
    headers = token_for("C0002")
    pending = order_of(services, "C0002", "pending")
    out = chat(client, "it was ordered by mistake", headers)
    assert out["intent"] == "cancel_order" and out["escalated"] is False
    assert out["reply"].startswith("Noted: ordered by mistake. Which order do you mean?")
    assert out["suggestions"][0] == pending
    offer = chat(client, pending, headers, out["session_id"])
    assert "because it was ordered by mistake" in offer["reply"]
    assert "Shall I go ahead?" in offer["reply"]
    order = services.store.get_order(pending)
    assert order.status == "pending" and order.refunds == []  # nothing before the yes


def test_correction_by_status_switches_the_order_of_the_flow_in_progress(
    client, services, token_for
):
    headers = token_for("C0002")
    pending = order_of(services, "C0002", "pending")
    processing = order_of(services, "C0002", "processing")
    asked = chat(client, "I'd like to cancel an order", headers)
    sid = asked["session_id"]
    first = chat(client, processing, headers, sid)
    assert processing in first["reply"]
    switched = chat(client, "no sorry, I meant my other order, the pending one", headers, sid)
    assert switched["intent"] == "cancel_order"
    assert f"cancel order {pending}" in switched["reply"]
    assert "reliable answer" not in switched["reply"]
    offer = chat(client, "no longer needed", headers, sid)
    assert pending in offer["reply"] and "Shall I go ahead?" in offer["reply"]
    chat(client, "yes", headers, sid)
    assert services.store.get_order(pending).status == "cancelled"
    assert services.store.get_order(processing).status == "processing"


def test_position_status_and_recency_picks_answer_the_status_question(client, services, token_for):
    headers = token_for("C0002")
    listed = chat(client, "where is my package?", headers)
    sid = listed["session_id"]
    second = listed["suggestions"][1]
    out = chat(client, "the second one", headers, sid)
    assert out["reply"].startswith(f"Order {second} ")
    shipped = order_of(services, "C0002", "shipped")
    tracking = services.store.get_order(shipped).tracking_number
    out = chat(client, "never mind, the shipped one", headers, sid)
    assert out["reply"].startswith(f"Your shipped order is {shipped}") and tracking in out["reply"]
    out = chat(client, "my last order", headers, sid)
    assert out["reply"].startswith(f"Your most recent order is {_newest(services, 'C0002')}")


def test_a_status_no_order_has_is_said_and_the_orders_offered(client, services, token_for):
    headers = token_for("C0003")  # no delivered order
    assert all(o.status != "delivered" for o in services.store.list_orders("C0003"))
    out = chat(client, "where is my delivered order?", headers)
    assert out["reply"].startswith("I can't find a delivered order on your account.")
    assert "Which order do you mean?" in out["reply"] and out["suggestions"]


def test_a_described_order_is_only_ever_one_of_the_callers_own(client, services, token_for):
    mine = {o.id for o in services.store.list_orders("C0002")}
    out = chat(client, "what's the status of my most recent order?", token_for("C0002"))
    said = set(re.findall(r"\bW\d{7}\b", out["reply"]))
    assert said and said <= mine
    anonymous = chat(client, "where is my latest order?")
    assert "check it's you" in anonymous["reply"]
    assert not any(o in anonymous["reply"] for o in mine)


def test_the_other_pending_ones_after_a_shipped_order_are_the_pending_orders(
    client, services, token_for
):
    headers = token_for("C0003")
    pending = sorted(o.id for o in services.store.list_orders("C0003") if o.status == "pending")
    shipped = order_of(services, "C0003", "shipped")
    assert len(pending) == 2
    sid = chat(client, f"where is order {shipped}?", headers)["session_id"]

    asked = chat(client, "ok thanks. can I still cancel the other two pending ones?", headers, sid)

    assert shipped not in asked["reply"]  # not the shipped order the talk was about
    assert all(o in asked["reply"] for o in pending), asked["reply"]
    assert sorted(asked["suggestions"][:2]) == pending


def test_them_after_naming_a_product_lists_its_orders_first_and_a_second_ask_says_more(
    client, services, token_for
):
    headers = token_for("C0004")
    holding = [
        o.id
        for o in services.store.list_orders("C0004")
        if any("Headphones" in line.name for line in services.store.get_order(o.id).items)
    ]
    assert len(holding) >= 2  # several orders hold headphones: the bot must ask
    sid = chat(client, "my headphones stopped working after a week", headers)["session_id"]

    asked = chat(client, "ok. so can I get a refund for them?", headers, sid)
    again = chat(client, "fine, refund then", headers, sid)

    assert asked["reply"].startswith("Which order do you mean?")
    assert set(asked["suggestions"][: len(holding)]) <= set(holding) | set(asked["suggestions"])
    assert asked["suggestions"][0] in holding  # the orders holding headphones first
    assert again["reply"].startswith("I still need to know which order")
    assert "talk to a person" in again["reply"]
    picked = chat(client, "the one with the headphones, the latest", headers, sid)
    assert "Aurora Wireless Headphones" in picked["reply"]
    assert "Shall I go ahead?" in picked["reply"]
