"""What a customer sees of the knowledge base: cited answers, and a handoff when it has none."""

from __future__ import annotations

import uuid

from langgraph.runtime import Runtime

from graph.context import TurnContext
from graph.nodes.knowledge import answer_from_knowledge
from tests.api.helpers import sse_events

REFUND_ARTICLE = {
    "doc_id": "refund-timing",
    "title": "How long do refunds take?",
    "source": "refund-timing.md",
    "url": "https://help.northwind.example/refund-timing",
}


def test_answer_citations_carry_doc_title_section_and_url_in_json_and_sse(client):
    question = "How long does a refund take to show up on my card?"

    out = client.post("/v1/chat", json={"message": question}).json()
    with client.stream("POST", "/v1/chat/stream", json={"message": question}) as response:
        events = sse_events(response)

    assert out["escalated"] is False and out["reply"]
    cited = [c for c in out["citations"] if c["doc_id"] == "refund-timing"]
    assert cited, out["citations"]
    for c in cited:
        assert {k: c[k] for k in REFUND_ARTICLE} == REFUND_ARTICLE
        assert c["section"].split(" > ")[0] == "How long do refunds take?"
        assert c["chunk_id"].startswith("refund-timing#")
    streamed = [data for name, data in events if name == "citation"]
    assert streamed == out["citations"]


async def _knowledge_turn(services, question: str, **flags) -> tuple[dict, list]:
    """Run the knowledge node alone; return its update and what it logged for this session."""
    session_id = f"kb-test-{uuid.uuid4().hex}"
    runtime = Runtime(context=TurnContext(services=services, session_id=session_id))
    state = {"message": question, "intent": "general_question", "actions": [], **flags}
    update = await answer_from_knowledge(state, runtime)
    logged = [r for r in services.retriever.log.records() if r.session_id == session_id]
    return update, logged


async def test_knowledge_node_without_good_context_escalates_and_logs_the_question(services):
    update, logged = await _knowledge_turn(services, "where is your head office?")

    assert update["escalation_reason"] == "missing_knowledge"
    assert "reply" not in update and "citations" not in update
    assert [(r.question, r.outcome) for r in logged] == [
        ("where is your head office?", "missing_knowledge")
    ]
    assert logged[0].best_score < services.thresholds.kb_min_score


async def test_knowledge_node_answer_is_logged_with_its_best_document(services):
    update, logged = await _knowledge_turn(services, "how long do refunds take to show up")

    assert update.get("escalation_reason") is None and update["citations"]
    assert [(r.outcome, r.best_doc) for r in logged] == [("answered", "refund-timing")]
    assert logged[0].best_score >= services.thresholds.kb_min_score


async def test_a_word_the_help_centre_never_uses_needs_a_close_passage(services):
    # "drone" is in no article; the best passage (parcel tracking) is only loosely related.
    update, logged = await _knowledge_turn(services, "can I get my order delivered by drone?")

    assert update["escalation_reason"] == "missing_knowledge" and "reply" not in update
    assert "not in the help centre: drone" in update["actions"][-1]["detail"]
    bars = services.thresholds
    assert bars.kb_min_score <= logged[0].best_score < bars.kb_sure_score

    # An unknown word does not matter when a passage is close to the question.
    update, _ = await _knowledge_turn(services, "my account is locked after too many attempts")
    assert update.get("escalation_reason") is None and update["citations"]
    assert "not in the help centre" not in update["actions"][-1]["detail"]

    # A property the camera's article never states is not answered with a near miss.
    update, logged = await _knowledge_turn(services, "How much does the Lumen Action Camera weigh?")
    assert update["escalation_reason"] == "missing_knowledge" and "reply" not in update
    assert "weigh" in update["actions"][-1]["detail"]


async def test_a_message_read_as_off_topic_is_answered_only_when_the_help_centre_knows_it(
    services,
):
    declining = {"declining": True, "help_centre_guess": True}
    # the shop's own help centre says gift cards are its business
    update, logged = await _knowledge_turn(services, "do gift cards expire?", **declining)
    assert update.get("escalation_reason") is None and update["citations"]
    # chatter it has nothing on is declined politely: no ticket, no gap logged
    update, logged = await _knowledge_turn(services, "what's the weather in Lisbon", **declining)
    assert update.get("escalation_reason") is None and "citations" not in update
    assert "I can only help with" in update["reply"] and logged == []
