"""Which order a message means without its number (graph.picks), and how that reading
fits the rest of the conversation's readings (graph.dialogue)."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import UTC, datetime

import pytest

from graph import dialogue
from graph.picks import OrderPick, answers_which, choose, order_pick


@dataclass(frozen=True)
class Order:
    id: str
    status: str
    created_at: datetime


def _on(day: int) -> datetime:
    return datetime(2026, 12, day, 12, tzinfo=UTC)


# newest first, as the store lists them
ORDERS = [
    Order("W5", "processing", _on(5)),
    Order("W4", "pending", _on(4)),
    Order("W3", "shipped", _on(3)),
    Order("W2", "delivered", _on(2)),
    Order("W1", "delivered", _on(1)),
]


@pytest.mark.parametrize(
    ("text", "pick"),
    [
        ("where is my most recent order?", OrderPick(recency="newest")),
        ("my last order", OrderPick(recency="newest")),
        ("the newest one", OrderPick(recency="newest")),
        ("the older one", OrderPick(recency="oldest")),
        ("the pending one", OrderPick(status="pending")),
        ("the one that's pending", OrderPick(status="pending")),
        ("never mind, the shipped one", OrderPick(status="shipped")),
        ("no sorry, I meant my other order, the pending one",
         OrderPick(status="pending", other=True)),
        ("the first one", OrderPick(position=0)),
        ("the second one", OrderPick(position=1)),
        ("the last one", OrderPick(position=-1)),
        ("the one with the headphones", OrderPick(product=True)),
        ("is it the one that has shipped already?", OrderPick(status="shipped")),
    ],
)  # fmt: skip
def test_order_pick_reads_status_recency_position_and_product(text, pick):
    assert order_pick(text) == pick


@pytest.mark.parametrize(
    "text",
    ["can I cancel that order?", "where is my order?", "what are my recent orders?",
     "my pending orders", "I want a new one", "it was ordered by mistake", "W1234567"],
)  # fmt: skip
def test_order_pick_is_none_without_a_description(text):
    assert order_pick(text) is None


def test_answers_which_is_a_bare_description_not_a_new_request():
    assert answers_which("the pending one")
    assert answers_which("no sorry, I meant my other order, the pending one")
    assert not answers_which("cancel my most recent order")
    assert not answers_which("where is my latest order?")


def test_choose_by_recency_is_by_placed_date_not_by_listing():
    shuffled = [ORDERS[2], ORDERS[0], ORDERS[4]]
    assert choose(OrderPick(recency="newest"), shuffled) == ["W5"]
    assert choose(OrderPick(recency="oldest"), shuffled) == ["W1"]


def test_choose_by_status_position_and_product():
    assert choose(OrderPick(status="pending"), ORDERS) == ["W4"]
    assert choose(OrderPick(status="delivered"), ORDERS) == ["W2", "W1"]  # several: ask
    assert choose(OrderPick(status="cancelled"), ORDERS) == []  # none fits
    listed = ["W4", "W5", "W3"]
    assert choose(OrderPick(position=1), ORDERS, listed) == ["W5"]
    assert choose(OrderPick(position=-1), ORDERS, listed) == ["W3"]
    assert choose(OrderPick(position=1), ORDERS) is None  # nothing listed to count in
    assert choose(OrderPick(product=True), ORDERS, holding=["W2", "W1"]) == ["W2", "W1"]
    assert choose(OrderPick(product=True), ORDERS, ["W2"], holding=["W2", "W1"]) == ["W2"]


def test_choose_never_returns_an_order_that_is_not_the_customers():
    listed = ["W9", "W4"]  # W9 is not one of the customer's orders
    assert choose(OrderPick(position=0), ORDERS, listed) == ["W4"]
    assert choose(OrderPick(product=True), ORDERS, holding=["W9"]) == []


def test_choose_my_other_order_leaves_out_the_one_in_focus():
    pick = OrderPick(status="delivered", other=True)
    assert choose(pick, ORDERS, not_this="W2") == ["W1"]


def test_described_orders_are_corrections_and_not_references_to_memory():
    assert dialogue.confirmation("never mind, the shipped one") is None  # not a plain no
    assert dialogue.corrects("no, the pending one")
    assert dialogue.referenced_order("where is my most recent order?", ["W1"]) == (None, [])
    assert dialogue.referenced_order("cancel that order", ["W1"]) == ("W1", [])


def test_an_order_made_by_mistake_cues_a_cancellation_only_when_unsure():
    unsure = {"track_order": 0.25, "product_defect": 0.13, "complaint": 0.12}
    assert dialogue.cue_intent("it was ordered by mistake", unsure) == "cancel_order"
    assert dialogue.cue_intent("I was charged twice by mistake", unsure) is None
    assert dialogue.cue_intent("return the headphones I bought by mistake", {
        "get_refund": 0.4, "cancel_order": 0.3}) == "get_refund"  # fmt: skip


def test_which_order_is_answered_by_a_description_or_first_by_a_cancel_reason():
    from graph.nodes.classify import carry_over
    from tools.policy import load_policy

    policy = load_policy()
    tracking = {"kind": "slot", "intent": "track_order", "slot": "order_id"}
    cancelling = {"kind": "slot", "intent": "cancel_order", "slot": "order_id"}
    assert carry_over(tracking, "the pending one", [], policy)
    assert not carry_over(tracking, "cancel my most recent order", [], policy)  # a new request
    assert carry_over(cancelling, "it was ordered by mistake", [], policy)
    assert not carry_over(tracking, "it was ordered by mistake", [], policy)


def test_the_other_two_pending_ones_pick_the_pending_orders_but_not_a_plain_list_request():
    several = order_pick("can I still cancel the other two pending ones?")
    assert several is not None and several.status == "pending" and several.other
    assert order_pick("cancel both pending orders") is not None
    assert order_pick("where are my pending orders?") is None  # a list, not a pick
