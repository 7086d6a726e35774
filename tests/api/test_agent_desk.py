"""Humans in the loop: agents take over escalated chats, answer, hand back and resolve."""

from __future__ import annotations

from app.chat import FEEDBACK_PROMPT
from app.handover import HUMAN_ACTIVE_NOTICE
from tests.api.helpers import chat, escalate, order_of, sse_events, transcript


def test_only_agent_tokens_reach_the_agent_api(client, token_for, agent_headers):
    assert client.get("/v1/agent/escalations").status_code == 401
    denied = client.get("/v1/agent/escalations", headers=token_for("C0001"))
    assert denied.status_code == 403
    assert denied.json()["error"]["code"] == "forbidden"
    # and an agent's token cannot act as a customer in the chat (order tools)
    as_customer = client.post("/v1/chat", json={"message": "where is my order?"},
                              headers=agent_headers())  # fmt: skip
    assert as_customer.status_code == 401
    assert client.get("/v1/agent/escalations/E0", headers=agent_headers()).status_code == 404


def test_agent_takes_over_answers_and_hands_back(client, services, token_for, agent_headers):
    customer, ann = token_for("C0001"), agent_headers("ann")
    session_id, esc_id = escalate(client, customer)

    queue = client.get("/v1/agent/escalations?status=open", headers=ann).json()
    row = next(r for r in queue if r["id"] == esc_id)
    assert row["session_id"] == session_id and row["reason"] == "explicit_request"
    assert row["status"] == "open" and row["customer_id"] == "C0001"
    assert row["last_message"] == "I want to talk to a person"

    package = client.get(f"/v1/agent/escalations/{esc_id}", headers=ann).json()
    assert package["escalation"]["intent"] == "contact_human_agent"
    said = [ln["content"] for ln in package["transcript"] if ln["role"] == "customer"]
    assert said == ["hello", "I want to talk to a person"]
    assert package["intent_history"][-1]["intent"] == "contact_human_agent"
    assert package["suggested_reply"]
    own = {o.id for o in services.store.list_orders("C0001")}
    assert {o["id"] for o in package["orders"]} <= own
    assert package["orders"] and "track_order" in package["intents"]

    claimed = client.post(f"/v1/agent/escalations/{esc_id}/claim", headers=ann).json()
    assert (claimed["status"], claimed["assignee"]) == ("claimed", "ann")
    taken = client.post(f"/v1/agent/escalations/{esc_id}/claim", headers=agent_headers("bob"))
    assert taken.status_code == 409 and "ann" in taken.json()["error"]["message"]

    # the bot does not talk over the agent: one short notice, then silence
    first = chat(client, "hello? is someone there?", customer, session_id)
    second = chat(client, "my parcel never came", customer, session_id)
    assert (first["reply"], second["reply"]) == (HUMAN_ACTIVE_NOTICE, "")
    package = client.get(f"/v1/agent/escalations/{esc_id}", headers=ann).json()
    assert package["transcript"][-1]["content"] == "my parcel never came"

    sent = client.post(f"/v1/agent/escalations/{esc_id}/reply", headers=ann,
                       json={"text": "Hi, Ann here. Let me check that parcel."})  # fmt: skip
    assert sent.status_code == 200, sent.text
    lines = transcript(client, session_id, customer)
    assert lines[-1] == {**lines[-1], "role": "agent",
                         "content": "Hi, Ann here. Let me check that parcel."}  # fmt: skip
    with client.stream("GET", f"/v1/sessions/{session_id}/events?max_seconds=0.2",
                       headers=customer) as stream:  # fmt: skip
        events = sse_events(stream)
    assert ("agent_reply", "Hi, Ann here. Let me check that parcel.") in [
        (e, d["content"]) for e, d in events
    ]
    assert client.get(f"/v1/sessions/{session_id}/events?max_seconds=0.1").status_code == 404
    # a reconnecting EventSource sends Last-Event-ID and gets only newer lines
    seen = max(int(line["id"]) for _, line in events)
    resumed = {**customer, "Last-Event-ID": str(seen)}
    with client.stream("GET", f"/v1/sessions/{session_id}/events?max_seconds=0.1",
                       headers=resumed) as stream:  # fmt: skip
        assert sse_events(stream) == []

    assert client.post(f"/v1/agent/escalations/{esc_id}/handback", headers=ann).status_code == 200
    order_id = order_of(services, "C0001", "shipped")
    back = chat(client, f"where is order {order_id}?", customer, session_id)
    assert back["intent"] == "track_order" and order_id in back["reply"]

    resolved = client.post(f"/v1/agent/escalations/{esc_id}/resolve", headers=ann).json()
    assert resolved["status"] == "resolved"
    assert transcript(client, session_id, customer)[-1]["content"] == FEEDBACK_PROMPT
    again = client.post(f"/v1/agent/escalations/{esc_id}/reply", headers=ann, json={"text": "x"})
    assert again.status_code == 409


def test_feedback_is_stored_for_the_callers_own_session(client, services, token_for):
    session_id = chat(client, "hello", token_for("C0001"))["session_id"]
    body = {"session_id": session_id, "rating": 4, "comment": " quick "}
    ok = client.post("/v1/feedback", headers=token_for("C0001"), json=body)
    assert ok.status_code == 201 and ok.json()["rating"] == 4 and ok.json()["comment"] == "quick"
    bad = client.post("/v1/feedback", headers=token_for("C0001"),
                      json={"session_id": session_id, "rating": 6})  # fmt: skip
    assert bad.status_code == 422
    foreign = client.post("/v1/feedback", headers=token_for("C0002"),
                          json={"session_id": session_id, "rating": 1})  # fmt: skip
    assert foreign.status_code == 404


def test_the_package_shows_the_order_the_conversation_is_about_first(
    client, services, token_for, agent_headers
):
    """C0001 asked about their oldest order, not the latest: the agent sees that one first,
    marked as mentioned, then the customer's latest others (three in all)."""
    headers = token_for("C0001")
    latest = [o.id for o in services.store.list_orders("C0001")]
    oldest = latest[-1]
    first = chat(client, f"where is my order {oldest}?", headers)
    out = chat(client, "I want to talk to a person", headers, first["session_id"])
    pkg = client.get(
        f"/v1/agent/escalations/{out['escalation']['id']}", headers=agent_headers()
    ).json()
    assert [o["id"] for o in pkg["orders"]] == [oldest, *latest[:2]]
    assert [o["mentioned"] for o in pkg["orders"]] == [True, False, False]
