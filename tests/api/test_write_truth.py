"""A write the store holds is never denied: answers to an offer whose write already went
through (its turn died between the commit and the reply), duplicate approvals decided
together, and "what can you do?" answered by the bot itself.

The lost turn is reproduced honestly: after the offer, the write the customer's yes makes
(the branch's own `Write.run`, under its idempotency key) is committed straight to the
store, and the conversation is left exactly as the crash leaves it, offer still pending.
The real kill -9 is in tests/reliability/test_crash_writes.py.
"""

from __future__ import annotations

import functools

import pytest

from graph.context import TurnContext
from graph.nodes.cancel import CANCEL
from graph.nodes.refund import REFUND
from prompts import render
from tests.api.helpers import chat, order_of, transcript
from tools import approvals as approval_tools
from tools.errors import ApprovalRequired
from tools.schemas import money
from tools.store.catalog import SHOP_NAME

INTERRUPTED = render("write_made_before_interruption")


def offer_state(client, session_id: str) -> dict:
    """The offer the conversation still waits on (as the checkpoint holds it)."""
    values = client.portal.call(client.app.state.chat.state_values, session_id)
    assert values["pending"]["kind"] == "confirm"
    return values["pending"]


def commit_lost_yes(client, services, session_id: str, customer_id: str, write) -> object:
    """What the crashed yes wrote: the branch's write, made under the offer's own key."""
    ctx = TurnContext(services=services, session_id=session_id, customer_id=customer_id)
    return write.run(ctx, customer_id, offer_state(client, session_id))


def test_no_after_a_refund_that_went_through_says_it_was_made(client, services, token_for):
    headers = token_for("C0001")
    order_id = order_of(services, "C0001", "delivered", recent_days=10)
    offer = chat(client, f"I want a refund for order {order_id}", headers)
    session_id = offer["session_id"]
    made = commit_lost_yes(client, services, session_id, "C0001", REFUND)

    out = chat(client, "no", headers, session_id)

    [refund] = services.store.get_order(order_id).refunds
    assert refund.id == made.id
    assert out["reply"].startswith(f"{INTERRUPTED} Done: refund {refund.id} of $")
    assert "haven't refunded" not in out["reply"]
    assert out["actions"] == [
        {
            "tool": "request_refund",
            "status": "ok",
            "detail": f"{refund.id} {money(refund.amount_cents)}",
        }
    ]
    lines = transcript(client, session_id, headers)
    assert [(line["role"], line["content"]) for line in lines[-2:]] == [
        ("customer", "no"),
        ("assistant", out["reply"]),
    ]
    assert client.get(f"/v1/sessions/{session_id}", headers=headers).json()["pending"] is None
    assert len(services.store.list_audit(entity_id=refund.id)) == 1

    again = chat(client, "yes", headers, session_id)  # nothing is pending any more
    assert len(services.store.get_order(order_id).refunds) == 1
    assert INTERRUPTED not in again["reply"]


def test_yes_after_a_cancellation_that_went_through_cancels_once(client, services, token_for):
    headers = token_for("C0001")
    order_id = order_of(services, "C0001", "pending")
    offer = chat(client, f"please cancel my order {order_id}, I ordered it by mistake", headers)
    assert "Shall I go ahead?" in offer["reply"]
    commit_lost_yes(client, services, offer["session_id"], "C0001", CANCEL)

    out = chat(client, "yes", headers, offer["session_id"])

    order = services.store.get_order(order_id)
    [refund] = order.refunds
    assert order.status == "cancelled"
    assert out["reply"].startswith(
        f"{INTERRUPTED} Done: order {order_id} is cancelled. Refund {refund.id}"
    )
    assert len(services.store.list_audit(entity_id=order_id)) == 1


@pytest.mark.parametrize(
    "message", ["hmm wait, is there a fee for cancelling?", "no dont cancel, where is it now?"]
)
def test_any_message_after_a_cancellation_that_went_through_tells_it(
    client, services, token_for, message
):
    """A side question or a change of mind after the lost yes: the customer learns the order
    is already cancelled instead of being offered the cancellation again."""
    headers = token_for("C0001")
    order_id = order_of(services, "C0001", "pending")
    offer = chat(client, f"please cancel my order {order_id}, I ordered it by mistake", headers)
    commit_lost_yes(client, services, offer["session_id"], "C0001", CANCEL)

    out = chat(client, message, headers, offer["session_id"])

    assert out["reply"].startswith(f"{INTERRUPTED} Done: order {order_id} is cancelled.")
    assert "Shall I go ahead?" not in out["reply"]
    assert "haven't cancelled" not in out["reply"]
    assert services.store.get_order(order_id).status == "cancelled"
    assert len(services.store.get_order(order_id).refunds) == 1
    again = chat(client, "yes", headers, offer["session_id"])
    assert INTERRUPTED not in again["reply"]


def test_no_without_a_write_still_changes_nothing(client, services, token_for):
    headers = token_for("C0001")
    order_id = order_of(services, "C0001", "pending")
    offer = chat(client, f"please cancel my order {order_id}, I ordered it by mistake", headers)
    out = chat(client, "no", headers, offer["session_id"])
    assert out["reply"].startswith("OK, I haven't cancelled anything")
    assert INTERRUPTED not in out["reply"]
    assert services.store.get_order(order_id).status == "pending"


def test_no_after_an_approval_request_that_went_through_says_it_waits(low_limit, token_for):
    client, services = low_limit
    headers = token_for("C0001")
    order_id = order_of(services, "C0001", "delivered", recent_days=10)
    offer = chat(client, f"I want a refund for order {order_id}", headers)
    session_id = offer["session_id"]
    ctx = TurnContext(services=services, session_id=session_id, customer_id="C0001")
    pending = offer_state(client, session_id)
    with pytest.raises(ApprovalRequired) as above:  # the yes asks a person instead of refunding
        REFUND.run(ctx, "C0001", pending)
    approval_tools.request_refund_approval(
        services.store,
        session_id=session_id,
        customer_id="C0001",
        eligibility=above.value.eligibility,
        idempotency_key=REFUND.keys(ctx, pending)[1],
        escalation={"intent": "get_refund", "confidence": 1.0, "entities": [], "transcript": []},
    )

    out = chat(client, "no", headers, session_id)

    [approval] = services.store.list_approvals(None)
    assert approval.status == "pending"
    assert out["reply"].startswith(f"{INTERRUPTED} Thanks. A refund of $168.00 to ")
    assert approval.escalation_id in out["reply"]
    waiting = client.portal.call(client.app.state.chat.waiting_for, session_id)
    assert waiting["id"] == approval.id
    assert services.store.get_order(order_id).refunds == []


def decide(client, approval_id, approve, note=""):
    desk = client.app.state.approvals
    call = functools.partial(desk.decide, approval_id, approve=approve, agent="ann", note=note)
    return client.portal.call(call)


def ask_twice(client, services, headers) -> tuple[str, list[str]]:
    """The same above-limit refund asked for (and confirmed) in two conversations."""
    order_id = order_of(services, "C0001", "delivered", recent_days=10)
    sessions = []
    for _ in range(2):
        offer = chat(client, f"I want a refund for order {order_id}", headers)
        asked = chat(client, "yes", headers, offer["session_id"])
        assert "needs an agent's approval" in asked["reply"]
        sessions.append(offer["session_id"])
    assert len(services.store.list_approvals("pending")) == 2
    return order_id, sessions


def test_duplicate_approval_is_closed_when_the_first_is_approved(low_limit, token_for):
    client, services = low_limit
    headers = token_for("C0001")
    order_id, (first, second) = ask_twice(client, services, headers)
    one, two = sorted(services.store.list_approvals("pending"), key=lambda a: a.requested_at)

    decide(client, one.id, approve=True)

    [refund] = services.store.get_order(order_id).refunds
    assert services.store.list_approvals("pending") == []
    twin = services.store.get_approval(two.id)
    assert (twin.status, twin.refund_id, twin.decided_by) == ("approved", refund.id, "ann")
    assert services.store.get_escalation(two.escalation_id).status == "resolved"
    heard = chat(client, "any news?", headers, second)
    assert heard["reply"].startswith(
        f"Good news: an agent approved your refund. Refund {refund.id}"
    )
    assert len(services.store.get_order(order_id).refunds) == 1


def test_duplicate_approval_is_closed_when_the_first_is_declined(low_limit, token_for):
    client, services = low_limit
    headers = token_for("C0001")
    order_id, (first, second) = ask_twice(client, services, headers)
    one, two = sorted(services.store.list_approvals("pending"), key=lambda a: a.requested_at)

    decide(client, one.id, approve=False, note="the item was used")

    assert services.store.list_approvals("pending") == []
    assert services.store.get_approval(two.id).status == "declined"
    heard = chat(client, "any news?", headers, second)
    assert heard["reply"].startswith(
        f"An agent reviewed your refund request for order {order_id} and declined it: the item "
        "was used."
    )
    assert services.store.get_order(order_id).refunds == []


CAPABILITY_QUESTIONS = (
    "who are you?",
    "what can you do?",
    "What can you help me with?",
    "how can you help me",
    "what can I ask you?",
    "what are your capabilities?",
    "hi, what kind of things can you help with?",
)


@pytest.mark.parametrize("signed_in", [False, True], ids=["anonymous", "signed_in"])
def test_capability_questions_get_the_bots_own_answer(client, services, token_for, signed_in):
    headers = token_for("C0001") if signed_in else {}
    about = render("about_bot", shop=SHOP_NAME)
    for question in CAPABILITY_QUESTIONS:
        out = chat(client, question, headers)
        assert (question, out["reply"], out["escalated"]) == (question, about, False)
    assert services.store.list_escalations() == []


def test_a_request_phrased_as_a_capability_question_is_still_acted_on(client, services, token_for):
    order_id = order_of(services, "C0001", "delivered", recent_days=10)
    out = chat(
        client, f"how can you help me with a refund for order {order_id}?", token_for("C0001")
    )
    assert out["intent"] == "get_refund" and "Shall I go ahead?" in out["reply"]
