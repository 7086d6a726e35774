"""Reading a message against the conversation: yes/no forms, corrections, references,
repeats, several requests, clarification picks (graph.dialogue) and the memory reducer."""

from __future__ import annotations

import pytest

from graph import dialogue
from graph.state import remember


@pytest.mark.parametrize(
    "text",
    ["yes", "ok go ahead", "sure", "yep do it", "Yes please!", "ok yes go ahead", "sure thing",
     "sounds good", "please do", "alright then", "Yes, go ahead and refund it"],
)  # fmt: skip
def test_confirmation_reads_every_common_yes(text):
    assert dialogue.confirmation(text) is True


@pytest.mark.parametrize(
    "text",
    ["no", "no wait", "not now", "nope", "actually forget it", "never mind", "I changed my mind",
     "hold on", "no thanks"],
)  # fmt: skip
def test_confirmation_reads_every_common_no(text):
    assert dialogue.confirmation(text) is False


@pytest.mark.parametrize(
    "text",
    ["ok, but how long does it take?", "hmm, how long until I see the money?", "thanks!",
     "no, the other order", "yes W1234567 and also cancel my other order please"],
)  # fmt: skip
def test_confirmation_is_neither_for_questions_and_new_requests(text):
    assert dialogue.confirmation(text) is None


@pytest.mark.parametrize(
    "text", ["no forget it, just cancel", "no wait, go ahead and cancel", "nope, just do it then"]
)
def test_a_no_to_an_aside_then_the_offer_itself_is_a_yes(text):
    assert dialogue.confirmation(text) is True


@pytest.mark.parametrize("text", ["no, cancel", "no, I will keep it", "no, just the headphones"])
def test_a_no_that_goes_on_about_something_else_is_not_a_yes(text):
    assert dialogue.confirmation(text) is not True


def test_corrections_are_told_from_a_plain_no():
    assert dialogue.corrects("no, the other order")
    assert dialogue.corrects("I meant the blue one")
    assert not dialogue.corrects("no wait")


def test_referenced_order_uses_the_one_order_in_context():
    assert dialogue.referenced_order("can I change the address on that order?", ["W1"]) == (
        "W1",
        [],
    )
    assert dialogue.referenced_order("when will I see the money?", ["W1"]) == ("W1", [])


def test_referenced_order_asks_which_of_several_for_my_order():
    assert dialogue.referenced_order("where is my order?", ["W1", "W2"]) == (None, ["W2", "W1"])


def test_referenced_order_that_means_the_latest_and_the_other_switches():
    assert dialogue.referenced_order("cancel that order", ["W1", "W2"]) == ("W2", [])
    assert dialogue.referenced_order("no, the other order", ["W1", "W2"]) == ("W1", [])


def test_referenced_order_ignores_an_indefinite_order_and_an_empty_memory():
    assert dialogue.referenced_order("I want to cancel another order", ["W1"]) == (None, [])
    assert dialogue.referenced_order("cancel that order", []) == (None, [])


def test_repeat_requests():
    assert dialogue.asks_to_repeat("can you say that again?")
    assert dialogue.asks_to_repeat("sorry, come again?")
    assert not dialogue.asks_to_repeat("can you repeat my last order?")


def test_request_parts_split_at_conjunctions():
    assert dialogue.request_parts("cancel W1234567 and tell me where W7654321 is") == [
        "cancel W1234567",
        "tell me where W7654321 is",
    ]
    assert dialogue.request_parts("where is my order?") == ["where is my order?"]


def test_picked_option_by_text_ordinal_or_person():
    options = ["get_refund", "track_order"]
    assert dialogue.picked_option("Where is my order?", options) == "track_order"
    assert dialogue.picked_option("the second one", options) == "track_order"
    assert dialogue.picked_option("1", options) == "get_refund"
    assert dialogue.picked_option("a person", options) == "contact_human_agent"
    assert dialogue.picked_option("something else entirely", options) is None


def test_clarify_options_one_per_label_and_never_small_talk():
    probs = {"get_refund": 0.4, "track_refund": 0.3, "greeting": 0.2, "get_invoice": 0.05,
             "check_invoice": 0.05}  # fmt: skip
    assert dialogue.clarify_options(probs) == ["get_refund", "track_refund", "get_invoice"]
    assert dialogue.suggestions_for(["get_refund"]) == [
        "Return or refund an item",
        "Talk to a person",
    ]


def test_memory_keeps_the_latest_order_last_and_replaces_the_last_reply():
    memory = remember({}, {"orders": ["W1"], "last_reply": "a"})
    memory = remember(memory, {"orders": ["W2"]})
    memory = remember(memory, {"orders": ["W1"], "last_reply": "b"})
    assert memory == {"orders": ["W2", "W1"], "last_reply": "b"}


@pytest.mark.parametrize(
    "text",
    ["it's barely over a month old. can I talk to an actual person about this please",
     "let me speak to a real human", "I want a live agent"],
)  # fmt: skip
def test_asking_for_a_person_in_other_words(text):
    assert dialogue.asks_for_a_person(text)


@pytest.mark.parametrize(
    "text", ["is this a real person?", "the actual person who packed it broke it"]
)
def test_mentioning_a_person_is_not_asking_for_one(text):
    assert not dialogue.asks_for_a_person(text)


def test_return_shipping_is_a_question_about_returns_not_a_cue_to_refund():
    readings = {"check_refund_policy": 0.58, "get_refund": 0.12, "delivery_options": 0.09}
    assert dialogue.cue_intent("does the return shipping cost me anything?", readings) is None
    assert dialogue.cue_intent("can I return the charger?", readings) == "get_refund"
