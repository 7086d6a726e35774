"""Reading yes / no answers to the bot's own questions."""

import pytest

from graph.nodes.classify import carry_over, confirmation


@pytest.mark.parametrize(
    "text", ["yes", "Yes please", "yep, go ahead", "ok", "sure thing", "Confirm"]
)
def test_confirmation_yes(text):
    assert confirmation(text) is True


@pytest.mark.parametrize("text", ["no", "No thanks", "nope", "don't", "cancel that", "not now"])
def test_confirmation_no(text):
    assert confirmation(text) is False


@pytest.mark.parametrize("text", ["what is the refund policy", "maybe later?", "W1234567"])
def test_confirmation_neither(text):
    assert confirmation(text) is None


def test_carry_over_slot_needs_the_asked_entity():
    pending = {"kind": "slot", "intent": "track_order", "slot": "order_id"}
    assert carry_over(pending, "W1234567", [{"type": "order_id", "value": "W1234567"}])
    assert not carry_over(pending, "what's your return policy", [])
    assert not carry_over(None, "yes", [])
