"""Item-level actions through the chat: returns of named lines, exchanges and item changes
for another option, a pending order's payment method, the account's default address."""

from __future__ import annotations

from tests.api.helpers import order_of
from tests.api.test_chat import chat


def _delivered_with(services, customer_id: str, sku: str) -> str:
    for summary in services.store.list_orders(customer_id):
        order = services.store.get_order(summary.id)
        if summary.status == "delivered" and any(i.sku == sku for i in order.items):
            return summary.id
    raise AssertionError(f"{customer_id} has no delivered order with {sku}")


def test_return_of_one_named_line_refunds_only_that_line_then_another(client, services, token_for):
    headers = token_for("C0001")
    order_id = order_of(services, "C0001", "delivered", recent_days=10)
    order = services.store.get_order(order_id)
    assert len(order.items) >= 2
    charger = next(i for i in order.items if "Charger" in i.name)
    offer = chat(client, f"return the charger from {order_id}", headers)
    assert f"{charger.name}, $39.00" in offer["reply"] and "$39.00" in offer["reply"]
    assert "Headphones" not in offer["reply"]
    sid = offer["session_id"]
    chat(client, "yes", headers, sid)
    [refund] = services.store.get_order(order_id).refunds
    assert (refund.amount_cents, refund.skus) == (3900, [charger.sku])
    second = chat(client, "and the headphones from that order too please", headers, sid)
    assert "$129.00" in second["reply"] and "Shall I go ahead?" in second["reply"]
    chat(client, "ok go ahead", headers, sid)
    amounts = sorted(r.amount_cents for r in services.store.get_order(order_id).refunds)
    assert amounts == [3900, 12900]


def test_an_item_the_order_does_not_have_lists_its_items_and_writes_nothing(
    client, services, token_for
):
    headers = token_for("C0001")
    order_id = order_of(services, "C0001", "delivered", recent_days=10)
    out = chat(client, f"I want to return the snorkel mask from order {order_id}", headers)
    assert "doesn't have snorkel mask" in out["reply"]
    assert "VoltGo 65W USB-C Charger" in out["reply"]
    assert "Shall I go ahead?" not in out["reply"]
    assert services.store.get_order(order_id).refunds == []


def test_exchange_for_another_colour_is_stated_then_requested_on_yes(client, services, token_for):
    headers = token_for("C0001")
    order_id = _delivered_with(services, "C0001", "NW-HP-100")
    offer = chat(client, f"can I exchange the headphones from {order_id} for blue ones?", headers)
    assert "(blue)" in offer["reply"] and "Shall I go ahead?" in offer["reply"]
    done = chat(client, "yep do it", headers, offer["session_id"])
    assert "exchange" in done["reply"] and "requested" in done["reply"]
    [exchange] = services.store.get_order(order_id).exchanges
    assert exchange.kind == "exchange"
    assert services.store.get_order(order_id).refunds == []


def test_pending_item_changes_to_another_option(client, services, token_for):
    headers = token_for("C0001")
    order_id = order_of(services, "C0001", "pending")
    offer = chat(client, f"please change the earbuds in {order_id} to white", headers)
    assert "(white)" in offer["reply"] and "Shall I go ahead?" in offer["reply"]
    chat(client, "sure", headers, offer["session_id"])
    [line] = services.store.get_order(order_id).items
    assert "white" in line.name.lower()


def test_pending_order_moves_to_another_saved_payment_method(client, services, token_for):
    headers = token_for("C0002")
    order_id = order_of(services, "C0002", "pending")
    paid_with = services.store.get_order(order_id).current_payment.label
    offer = chat(
        client, f"can I pay for {order_id} with my Mastercard instead of {paid_with}?", headers
    )
    assert "Mastercard" in offer["reply"] and "Shall I go ahead?" in offer["reply"]
    done = chat(client, "yes please", headers, offer["session_id"])
    assert "now paid with Mastercard" in done["reply"]
    assert services.store.get_order(order_id).current_payment.label.startswith("Mastercard")


def test_default_address_changes_on_yes_and_orders_keep_theirs(client, services, token_for):
    headers = token_for("C0001")
    pending = order_of(services, "C0001", "pending")
    before = services.store.get_order(pending).shipping_address
    offer = chat(client, "update my default address to 9 Elm St, Austin, TX 78704, USA", headers)
    assert "9 Elm St, Austin, TX 78704, USA" in offer["reply"]
    chat(client, "ok", headers, offer["session_id"])
    assert "9 Elm St" in services.store.get_customer("C0001").address
    assert services.store.get_order(pending).shipping_address == before
