"""The customer's transcript names the agent who wrote each agent line, so a page reloaded
after a transfer still says who said what; bot and customer lines name nobody, and the
desk's private notes stay out."""

from __future__ import annotations

from tests.api.helpers import chat, escalate, transcript


def test_transcript_names_each_agent_on_their_own_lines(client, token_for, agent_headers):
    customer, ann, bob = token_for("C0001"), agent_headers("ann"), agent_headers("bob")
    session_id, esc_id = escalate(client, customer)
    url = f"/v1/agent/escalations/{esc_id}"

    assert client.post(f"{url}/reply", headers=ann, json={"text": "Ann here."}).status_code == 200
    assert (
        client.post(f"{url}/notes", headers=ann, json={"text": "VIP, be quick"}).status_code == 201
    )
    chat(client, "thanks, still there?", customer, session_id)  # said while an agent holds it
    moved = client.post(f"{url}/assign", headers=ann, json={"agent": "bob"})
    assert moved.status_code == 200, moved.text
    assert client.post(f"{url}/reply", headers=bob, json={"text": "Bob now."}).status_code == 200

    lines = transcript(client, session_id, customer)
    agents = [(ln["content"], ln["author"]) for ln in lines if ln["role"] == "agent"]
    assert agents == [("Ann here.", "ann"), ("Bob now.", "bob")]
    others = [ln for ln in lines if ln["role"] != "agent"]
    assert {ln["role"] for ln in others} >= {"customer", "assistant"}
    assert all(ln["author"] is None for ln in others)
    assert "VIP" not in str(lines)


def test_openapi_documents_the_transcript_author(client):
    spec = client.get("/openapi.json").json()
    author = spec["components"]["schemas"]["TranscriptLine"]["properties"]["author"]
    assert "agent" in author["description"]
