"""Asked why they want to cancel, a customer asks something else first ("wait, how long do
refunds take?"): the question is answered from the help centre and the reason is asked
again, instead of the question being refused as a reason. The cancellation goes on. Beside
a cancellation offer, a question is not a correction of it, and "no forget it, just
cancel" is a yes to the offer."""

from __future__ import annotations

from tests.api.helpers import chat, order_of


def test_a_question_asked_for_a_reason_is_answered_then_the_reason_asked_again(
    client, services, token_for
):
    headers = token_for("C0002")
    pending = order_of(services, "C0002", "pending")
    asked = chat(client, f"can I cancel order {pending}?", headers)
    sid = asked["session_id"]
    assert "Why would you like to cancel" in asked["reply"]

    side = chat(client, "wait, how long do refunds take to show up on my card?", headers, sid)

    assert side["citations"], side["reply"]  # answered from the help centre
    assert "only cancel" not in side["reply"]  # not refused as a reason
    assert "Why would you like to cancel" in side["reply"]  # and the reason asked again
    offer = chat(client, "I no longer need it", headers, sid)
    assert "Shall I go ahead?" in offer["reply"] and pending in offer["reply"]


def test_a_reason_phrased_as_a_question_is_still_the_reason(client, services, token_for):
    headers = token_for("C0002")
    pending = order_of(services, "C0002", "pending")
    sid = chat(client, f"please cancel order {pending}", headers)["session_id"]

    offer = chat(client, "can you just cancel it, I ordered it by mistake?", headers, sid)

    assert "Shall I go ahead?" in offer["reply"] and "ordered by mistake" in offer["reply"]


def test_an_aside_during_the_offer_is_not_a_correction_and_just_cancel_is_a_yes(
    client, services, token_for
):
    headers = token_for("C0002")
    pending = order_of(services, "C0002", "pending")
    sid = chat(client, f"please cancel order {pending}", headers)["session_id"]
    offer = chat(client, "I ordered it by mistake", headers, sid)
    assert "Shall I go ahead?" in offer["reply"]

    aside = chat(client, "hmm, actually can I get it sent to my office instead?", headers, sid)
    assert aside["reply"] != offer["reply"]  # not the same offer again as if corrected
    assert services.store.get_order(pending).status != "cancelled"
    done = chat(client, "no forget it, just cancel", headers, sid)

    assert done["reply"].startswith(f"Done: order {pending} is cancelled")
    assert services.store.get_order(pending).status == "cancelled"


def test_what_about_another_item_after_a_refused_refund_offers_that_item(
    client, services, token_for
):
    headers = token_for("C0002")
    order = services.store.get_order("W2515034")
    assert order is not None and {line.name for line in order.items} >= {
        "Glide Mechanical Keyboard"
    }
    sid = chat(
        client, "so i dropped the desk lamp from W2515034 and it broke, can I get a refund", headers
    )["session_id"]

    offer = chat(
        client,
        "ok fine, fair enough. what about the keyboard from that same order? never opened it",
        headers,
        sid,
    )

    assert "Glide Mechanical Keyboard" in offer["reply"] and "Shall I go ahead?" in offer["reply"]


def test_a_question_beside_a_refund_offer_is_answered_and_the_offer_kept(
    client, services, token_for
):
    headers = token_for("C0001")
    sid = chat(client, "I want to return the charger from W4520484", headers)["session_id"]

    side = chat(client, "oh wait does the return shipping cost me anything?", headers, sid)

    assert side["citations"], side["reply"]  # answered from the help centre
    assert side["reply"].count("Shall I go ahead?") == 1  # the offer restated once, after
    assert services.store.get_order("W4520484").status == "delivered"  # nothing done yet


def test_asked_which_item_a_question_is_answered_and_thats_all_ends_it(client, token_for):
    headers = token_for("C0004")
    asked = chat(client, "I want to return the charger from order W5364912", headers)
    sid = asked["session_id"]
    assert "Which item" in asked["reply"], asked["reply"]  # that order has no charger

    side = chat(client, "oh wait does the return shipping cost me anything?", headers, sid)
    done = chat(client, "thanks, that's all", headers, sid)

    assert side["citations"] and "Which item" in side["reply"], side["reply"]
    assert "Which item" not in done["reply"] and done["intent"] == "goodbye", done["reply"]
    kept = client.get(f"/v1/sessions/{sid}", headers=headers).json()
    assert kept["pending"] is None  # nothing left waiting


def test_after_a_refused_refund_a_question_about_returns_gets_the_policy(client, token_for):
    headers = token_for("C0001")
    refused = chat(client, "I'd like to return the keyboard from order W4535107", headers)
    assert refused["reply"].startswith("I can't refund order W4535107"), refused["reply"]

    asked = chat(
        client, "ok. does the return shipping cost me anything?", headers, refused["session_id"]
    )

    assert asked["citations"], asked["reply"]
    assert "I can't refund" not in asked["reply"]  # not the refusal again
