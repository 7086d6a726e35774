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


def test_carry_over_cancel_reason_takes_any_words_but_a_yes():
    # A reason the policy refuses is still an answer: the cancel branch lists the accepted
    # ones again. (A confident other request is a side question: the classify node decides.)
    from tools.policy import load_policy

    policy = load_policy()
    pending = {"kind": "slot", "intent": "cancel_order", "slot": "cancel_reason"}
    assert carry_over(pending, "I ordered it by mistake", [], policy)
    assert carry_over(pending, "no, keep it", [], policy)
    assert carry_over(pending, "because the price is lower elsewhere", [], policy)
    assert not carry_over(pending, "yes", [], policy)


def test_carry_over_address_needs_a_complete_address():
    pending = {"kind": "slot", "intent": "change_shipping_address", "slot": "address"}
    assert carry_over(pending, "12 Oak Lane, Apt 3, Portland, OR 97205", [])
    assert not carry_over(pending, "somewhere in Portland", [])


@pytest.mark.parametrize(
    ("message", "entities", "claims"),
    [
        (
            "jordan@example.com W1234567",
            [
                {"type": "email", "value": "jordan@example.com", "start": 0, "end": 18},
                {"type": "order_id", "value": "W1234567", "start": 19, "end": 27},
            ],
            ("jordan@example.com", "W1234567", None, None),
        ),
        ("my name is noah brown and my zip is 80279", [], (None, None, "noah brown", "80279")),
        (
            "Jordan Rivera, 97205",
            [{"type": "person_name", "value": "Jordan Rivera", "start": 0, "end": 13}],
            (None, None, "Jordan Rivera", "97205"),
        ),
        ("97205", [], (None, None, None, "97205")),
    ],
)
def test_identity_claims_reads_email_order_name_and_zip(message, entities, claims):
    from graph.nodes.verify import identity_claims

    got = identity_claims(message, entities)
    assert (got.email, got.order_id, got.name, got.zip_code) == claims
