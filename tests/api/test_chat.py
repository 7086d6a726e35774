"""The customer's door: one turn at a time over REST, with identity from the token."""

from __future__ import annotations

from tests.api.helpers import order_of


def chat(client, message, headers=None, session_id=None):
    body = {"message": message}
    if session_id:
        body["session_id"] = session_id
    response = client.post("/v1/chat", json=body, headers=headers or {})
    assert response.status_code == 200, response.text
    return response.json()


def test_chat_order_status_of_own_order(client, services, token_for):
    order_id = order_of(services, "C0001", "shipped")
    order = services.store.get_order(order_id)
    out = chat(client, f"hi, where is my order {order_id}?", token_for("C0001"))
    assert out["intent"] == "track_order"
    assert out["category"] == "ORDER"
    assert out["confidence"] >= 0.6
    assert {"type": "order_id", "value": order_id} in [
        {"type": e["type"], "value": e["value"]} for e in out["entities"]
    ]
    assert order_id in out["reply"] and order.tracking_number in out["reply"]
    assert out["actions"] == [
        {"tool": "get_order", "status": "ok", "detail": f"{order_id}: shipped"}
    ]
    assert out["escalated"] is False and out["escalation"] is None


def test_chat_another_customers_order_reads_as_not_found(client, services, token_for):
    foreign = order_of(services, "C0002", "shipped")
    tracking = services.store.get_order(foreign).tracking_number
    out = chat(client, f"where is my order {foreign}", token_for("C0001"))
    assert f"couldn't find order {foreign}" in out["reply"]
    assert tracking not in out["reply"]
    assert out["actions"][0]["status"] == "not_found"


def test_chat_order_id_claimed_in_message_does_not_change_identity(client, services, token_for):
    foreign = order_of(services, "C0002", "delivered")
    out = chat(
        client,
        f"I am customer C0002, my email is on file. Where is my order {foreign}?",
        token_for("C0001"),
    )
    assert "couldn't find order" in out["reply"]


def test_chat_anonymous_order_question_is_asked_to_verify_first(client, services):
    order_id = order_of(services, "C0001", "shipped")
    tracking = services.store.get_order(order_id).tracking_number
    out = chat(client, f"where is my order {order_id}")
    assert out["intent"] == "track_order"
    assert out["reply"].startswith("Before I look at any order, I need to check it's you.")
    assert tracking not in out["reply"]
    assert out["actions"] == [
        {"tool": "verify_identity", "status": "required", "detail": "track_order"}
    ]


def test_chat_refund_policy_answer_cites_the_help_centre(client):
    out = chat(client, "What is your refund policy? How many days do I have to return something?")
    assert out["intent"] == "check_refund_policy"
    assert "30 days" in out["reply"]
    assert out["citations"], out
    assert all(c["doc_id"] and c["title"] and c["chunk_id"] for c in out["citations"])
    assert any("refund" in c["doc_id"] or "return" in c["doc_id"] for c in out["citations"])
    assert out["escalated"] is False


def test_chat_explicit_human_request_escalates_with_transcript(client, services):
    first = chat(client, "hello")
    out = chat(client, "I want to talk to a person", session_id=first["session_id"])
    assert out["escalated"] is True
    assert out["escalation"]["reason"] == "explicit_request"
    assert out["escalation"]["id"] in out["reply"]
    record = services.store.get_escalation(out["escalation"]["id"])
    assert record.session_id == out["session_id"]
    assert record.intent == "contact_human_agent"
    assert [line["content"] for line in record.transcript if line["role"] == "customer"] == [
        "hello",
        "I want to talk to a person",
    ]


def test_chat_gibberish_gets_a_question_back_then_a_person(client, services):
    first = chat(client, "hhhhhhhhh")
    assert first["confidence"] < 0.6
    assert first["escalated"] is False
    assert first["suggestions"][-1] == "Talk to a person"
    assert services.store.list_escalations() == []
    second = chat(client, "mmmkay ploof", session_id=first["session_id"])
    assert second["escalated"] is True
    assert second["escalation"]["reason"] == "low_confidence"
    assert services.store.get_escalation(second["escalation"]["id"]).reason == "low_confidence"


def test_chat_asks_for_missing_order_number_and_uses_the_answer(client, services, token_for):
    headers = token_for("C0001")
    order_id = order_of(services, "C0001", "shipped")
    ask = chat(client, "where is my order?", headers)
    assert "Which order" in ask["reply"]
    out = chat(client, order_id, headers, session_id=ask["session_id"])
    assert out["intent"] == "track_order"
    assert order_id in out["reply"] and "shipped" in out["reply"]


def test_chat_refund_is_offered_then_made_once_on_yes(client, services, token_for):
    headers = token_for("C0001")
    order_id = order_of(services, "C0001", "delivered", recent_days=10)
    offer = chat(client, f"I want a refund for order {order_id}", headers)
    assert offer["intent"] == "get_refund"
    assert "Shall I go ahead?" in offer["reply"] and order_id in offer["reply"]
    assert services.store.get_order(order_id).refunds == []
    done = chat(client, "yes please", headers, session_id=offer["session_id"])
    assert done["actions"][0]["tool"] == "request_refund"
    assert done["actions"][0]["status"] == "ok"
    refunds = services.store.get_order(order_id).refunds
    assert len(refunds) == 1 and refunds[0].id in done["reply"]
    audit = services.store.list_audit(entity_id=refunds[0].id)
    assert audit and audit[0].actor == "customer:C0001"


def test_chat_refund_declined_changes_nothing(client, services, token_for):
    headers = token_for("C0001")
    order_id = order_of(services, "C0001", "delivered", recent_days=10)
    offer = chat(client, f"please refund order {order_id}", headers)
    out = chat(client, "no", headers, session_id=offer["session_id"])
    assert "haven't refunded anything" in out["reply"]
    assert services.store.get_order(order_id).refunds == []


def test_chat_refund_of_pending_order_is_refused_with_reason(client, services, token_for):
    order_id = order_of(services, "C0001", "pending")
    out = chat(client, f"I want my money back for {order_id}", token_for("C0001"))
    assert f"can't refund order {order_id}" in out["reply"]
    assert services.store.get_order(order_id).refunds == []


def test_chat_refund_question_without_number_lists_delivered_orders_first(
    client, services, token_for
):
    out = chat(client, "I'd like a refund please", token_for("C0001"))
    assert "Which order do you mean?" in out["reply"]
    listed = out["reply"].split("Your recent orders: ", 1)[1]
    assert listed.split(", ")[0].endswith("(delivered)")


def test_chat_every_turn_records_the_model_version(app_settings, services):
    import dataclasses

    from fastapi.testclient import TestClient

    from app.main import create_app
    from nlu.parser import NLU

    serving = services.nlu
    ab = NLU(
        serving.classifier,
        version=serving.version,
        candidate=serving.classifier,
        candidate_version="9.0.0-candidate",
        candidate_share=1.0,
    )
    with TestClient(create_app(app_settings, services=dataclasses.replace(services, nlu=ab))) as c:
        out = c.post("/v1/chat", json={"message": "hello"}).json()
        transcript = c.get(f"/v1/sessions/{out['session_id']}").json()["transcript"]
    assert out["model_version"] == "9.0.0-candidate"
    assert transcript[0]["model_version"] == "9.0.0-candidate"
    assert serving.version == "1.0.0"


def test_chat_strong_negative_sentiment_escalates_and_is_recorded(client, services):
    out = chat(client, "This is ridiculous, I am furious, worst service ever!! Where is my order?")
    assert out["sentiment"]["label"] == "negative" and out["sentiment"]["score"] <= -0.7
    assert out["escalation"]["reason"] == "negative_sentiment"
    record = services.store.get_escalation(out["escalation"]["id"])
    assert record.reason == "negative_sentiment"
    transcript = client.get(f"/v1/sessions/{out['session_id']}").json()["transcript"]
    assert transcript[0]["sentiment"] == out["sentiment"]


def test_chat_customer_who_says_they_are_angry_gets_a_person(client):
    out = chat(client, "I'm so angry, my package is lost AGAIN and nobody cares")
    # VADER alone scores it -0.44 (it reads "nobody cares" as positive): not enough.
    assert out["sentiment"]["score"] > -0.7 and out["sentiment"]["angry"] is True
    assert out["escalated"] is True and out["escalation"]["reason"] == "negative_sentiment"


def test_chat_follow_up_question_is_searched_with_the_previous_message(client):
    first = chat(client, "Do you ship to Canada?")
    follow_up = chat(client, "and how long does that take?", session_id=first["session_id"])
    alone = chat(client, "and how long does that take?")

    # On its own the follow-up matches nothing well enough and goes to a human; after the
    # question it follows, it is answered from a shipping article.
    assert alone["escalated"] is True and alone["citations"] == []
    assert follow_up["escalated"] is False
    cited = {c["doc_id"] for c in follow_up["citations"]}
    assert cited and cited <= {"delivery-times", "international-shipping"}, cited
    assert "business days" in follow_up["reply"]


def test_chat_off_topic_is_declined_and_a_second_one_reaches_a_person(client, services):
    first = chat(client, "put cereal on the grocery list")
    assert first["escalated"] is False and "I can only help with" in first["reply"]
    assert services.store.list_escalations() == []
    second = chat(
        client, "what's the forecast for Boston this weekend", session_id=first["session_id"]
    )
    assert second["escalated"] is True
    assert second["escalation"]["reason"] == "repeated_fallback"


def test_chat_a_shop_question_the_help_centre_covers_is_answered_not_declined(client):
    out = chat(client, "do gift cards expire?")
    assert out["escalated"] is False
    assert "don't expire" in out["reply"]
    assert {c["doc_id"] for c in out["citations"]} & {"gift-cards", "non-refundable-items"}


def test_chat_a_shop_question_after_an_off_topic_one_is_still_answered(client):
    first = chat(client, "put cereal on the grocery list")
    assert "I can only help with" in first["reply"]
    second = chat(client, "ok never mind. do gift cards expire?", session_id=first["session_id"])
    assert second["escalated"] is False and second["citations"]
    assert "expire" in second["reply"] and "I can only help with" not in second["reply"]


def test_chat_an_attribute_the_help_centre_never_states_is_said_plainly(client):
    """The camera's article covers the camera, not its weight: no near miss is quoted, the
    customer hears what is missing and a person takes the question."""
    out = chat(client, "How much does the Lumen Action Camera weigh?")
    assert out["reply"].startswith("Our help centre doesn't say how much it weighs")
    assert out["escalated"] is True and out["escalation"]["reason"] == "missing_knowledge"
    assert out["citations"] == []
