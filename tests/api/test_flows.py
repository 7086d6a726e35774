"""Conversations that change orders: cancel and change address, each stated then confirmed.

Every flow: the happy path, a missing slot the bot asks for, a request the policy refuses,
and a declined confirmation that changes nothing.
"""

from __future__ import annotations

import threading

from tests.api.helpers import chat, order_of


def test_cancel_pending_order_asks_reason_states_refund_and_cancels_on_yes(
    client, services, token_for
):
    headers = token_for("C0001")
    order_id = order_of(services, "C0001", "pending")
    paid = services.store.get_order(order_id).payments[0]

    ask = chat(client, f"I want to cancel order {order_id}", headers)
    assert ask["intent"] == "cancel_order"
    assert ask["reply"].startswith(f"I can help cancel order {order_id}. Why would you like")
    offer = chat(client, "I ordered it by mistake", headers, ask["session_id"])
    assert offer["reply"] == (
        f"I can cancel order {order_id} (1 item(s)) because it was ordered by mistake. "
        f"$89.00 goes back to {paid.label}. Shall I go ahead? (yes / no)"
    )
    assert services.store.get_order(order_id).status == "pending"

    done = chat(client, "yes", headers, ask["session_id"])
    order = services.store.get_order(order_id)
    assert order.status == "cancelled" and order.cancel_reason == "ordered by mistake"
    [refund] = order.refunds
    assert done["reply"].startswith(f"Done: order {order_id} is cancelled. Refund {refund.id}")
    assert done["actions"] == [
        {"tool": "cancel_order", "status": "ok", "detail": f"{order_id}: ordered by mistake"}
    ]
    [audit] = services.store.list_audit(entity_id=order_id)
    assert (audit.actor, audit.action) == ("customer:C0001", "order.cancel")


def test_cancel_without_order_number_asks_for_it_pending_orders_first(client, services, token_for):
    headers = token_for("C0001")
    ask = chat(client, "cancel my order", headers)
    assert ask["reply"].startswith("Which order do you mean?")
    listed = ask["reply"].split("Your recent orders: ", 1)[1]
    assert listed.split(", ")[0].endswith("(pending)")
    order_id = order_of(services, "C0001", "pending")
    reason = chat(client, order_id, headers, ask["session_id"])
    assert reason["intent"] == "cancel_order"
    assert "Why would you like to cancel it?" in reason["reply"]


def test_cancel_processing_order_states_the_fee(client, services, token_for):
    headers = token_for("C0001")
    order_id = order_of(services, "C0001", "processing")
    offer = chat(client, f"please cancel my order {order_id}, I ordered it by mistake", headers)
    assert "$54.00 goes back to" in offer["reply"]
    assert offer["reply"].endswith(
        ", after the $5.00 cancellation fee. Shall I go ahead? (yes / no)"
    )


def test_cancel_shipped_order_is_refused_with_the_rule(client, services, token_for):
    order_id = order_of(services, "C0001", "shipped")
    out = chat(client, f"please cancel my order {order_id}, I ordered it by mistake",
               token_for("C0001"))  # fmt: skip
    assert out["reply"] == (
        f"I can't cancel order {order_id}: Order {order_id} has already shipped, so it can't "
        "be cancelled; once it arrives you can return it instead."
    )
    assert services.store.get_order(order_id).status == "shipped"


def test_cancel_declined_changes_nothing(client, services, token_for):
    headers = token_for("C0001")
    order_id = order_of(services, "C0001", "pending")
    offer = chat(client, f"please cancel my order {order_id}, I ordered it by mistake", headers)
    assert "Shall I go ahead?" in offer["reply"]
    out = chat(client, "no", headers, offer["session_id"])
    assert out["reply"].startswith("OK, I haven't cancelled anything")
    order = services.store.get_order(order_id)
    assert order.status == "pending" and order.refunds == []
    assert services.store.list_audit(entity_id=order_id) == []


def test_change_address_asks_for_it_then_changes_on_yes(client, services, token_for):
    headers = token_for("C0001")
    order_id = order_of(services, "C0001", "pending")
    before = services.store.get_order(order_id).shipping_address
    ask = chat(client, f"please change the shipping address of order {order_id}", headers)
    assert ask["intent"] == "change_shipping_address"
    assert ask["reply"].startswith(f"Order {order_id} currently ships to: {before}.")
    offer = chat(client, "12 Oak Lane, Apt 3, Portland, OR 97205", headers, ask["session_id"])
    new = "Jordan Rivera, 12 Oak Lane, Apt 3, Portland, OR 97205"
    assert offer["reply"] == (
        f'I\'ll change the shipping address of order {order_id} from "{before}" to "{new}". '
        "Shall I go ahead? (yes / no)"
    )
    assert services.store.get_order(order_id).shipping_address == before
    done = chat(client, "yes please", headers, ask["session_id"])
    assert done["reply"] == f"Done: order {order_id} will ship to {new}."
    assert services.store.get_order(order_id).shipping_address == new
    [audit] = services.store.list_audit(entity_id=order_id)
    assert audit.before == {"shipping_address": before}


def test_change_address_of_shipped_order_is_refused(client, services, token_for):
    order_id = order_of(services, "C0001", "shipped")
    before = services.store.get_order(order_id).shipping_address
    out = chat(
        client,
        f"change the delivery address for {order_id} to 12 Oak Lane, Portland, OR 97205",
        token_for("C0001"),
    )
    assert out["reply"] == (
        f"I can't change that address: Order {order_id} is shipped; the shipping address can "
        "only be changed while an order is pending."
    )
    assert services.store.get_order(order_id).shipping_address == before


def test_change_address_declined_changes_nothing(client, services, token_for):
    headers = token_for("C0001")
    order_id = order_of(services, "C0001", "pending")
    before = services.store.get_order(order_id).shipping_address
    offer = chat(client, f"change the delivery address for {order_id} to 12 Oak Lane, "
                 "Portland, OR 97205", headers)  # fmt: skip
    assert "Shall I go ahead?" in offer["reply"]
    out = chat(client, "no", headers, offer["session_id"])
    assert out["reply"].startswith("OK, I haven't changed anything")
    assert services.store.get_order(order_id).shipping_address == before


def test_adding_items_to_an_order_goes_to_a_person(client, services, token_for):
    order_id = order_of(services, "C0001", "pending")
    out = chat(client, f"I want to add an item to my order {order_id}", token_for("C0001"))
    assert out["intent"] == "change_order"
    assert out["escalation"]["reason"] == "policy"
    assert services.store.get_escalation(out["escalation"]["id"]).customer_id == "C0001"


def test_changing_an_item_of_a_pending_order_offers_its_other_options(client, services, token_for):
    order_id = order_of(services, "C0001", "pending")
    out = chat(client, f"I want to change the items in my order {order_id}", token_for("C0001"))
    assert out["escalated"] is False
    assert order_id in out["reply"] or "option" in out["reply"]


def test_refund_for_item_dropped_after_delivery_is_refused_by_the_written_policy(
    client, services, token_for
):
    order_id = order_of(services, "C0001", "delivered", recent_days=10)
    out = chat(client, f"I want a refund for order {order_id}, I dropped it in the pool",
               token_for("C0001"))  # fmt: skip
    assert out["reply"].startswith(
        f"I can't refund order {order_id}: our policy doesn't accept returns of items "
        "damaged after delivery"
    )
    assert out["actions"][-1] == {
        "tool": "check_refund_eligibility",
        "status": "refused",
        "detail": "item_condition",
    }
    assert services.store.get_order(order_id).refunds == []


def test_parallel_yes_in_several_conversations_refunds_once(client, services, token_for):
    """Duplicate refund requests fired at once (two chats, a double-click in each) make
    exactly one refund; the others are told the order already has it."""
    headers = token_for("C0001")
    order_id = order_of(services, "C0001", "delivered", recent_days=10)
    sessions = [
        chat(client, f"I want a refund for order {order_id}", headers)["session_id"]
        for _ in range(2)
    ]
    barrier = threading.Barrier(4)
    replies: list[str] = []

    def say_yes(session_id: str) -> None:
        barrier.wait()
        replies.append(chat(client, "yes", headers, session_id)["reply"])

    threads = [threading.Thread(target=say_yes, args=(sid,)) for sid in sessions * 2]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    [refund] = services.store.get_order(order_id).refunds
    assert sum(reply.startswith(f"Done: refund {refund.id}") for reply in replies) == 1
    assert any(f"already has refund {refund.id}" in reply for reply in replies)
    assert len(services.store.list_audit(entity_id=refund.id)) == 1


def test_an_order_named_by_its_product_is_looked_up_without_asking_for_its_number(
    client, services, token_for
):
    headers = token_for("C0001")
    orders = [services.store.get_order(o.id) for o in services.store.list_orders("C0001")]
    names = [i.name for o in orders for i in o.items]
    # a product in exactly one of C0001's orders, named by its last word ("Headphones")
    word, order = next(
        (i.name.split()[-1], o)
        for o in orders
        for i in o.items
        if sum(n.split()[-1] == i.name.split()[-1] for n in names) == 1
    )
    out = chat(client, f"hi, my {word.lower()} still havent arrived, whats going on?", headers)
    assert out["intent"] == "track_order"
    assert order.id in out["reply"] and "Which order" not in out["reply"]
