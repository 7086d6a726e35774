"""A help-centre question no single intent is sure of is answered, not handed off."""

from __future__ import annotations

import dataclasses
import uuid

from langgraph.runtime import Runtime

from graph.context import TurnContext
from graph.nodes.classify import classify
from graph.nodes.knowledge import answer_from_knowledge
from tests.fakes import SplitNLU


def _runtime(services, customer_id: str | None = "C0001") -> Runtime:
    context = TurnContext(
        services=services, session_id=f"t-{uuid.uuid4().hex}", customer_id=customer_id
    )
    return Runtime(context=context)


async def _classify(
    services, probabilities: dict[str, float], customer_id="C0001", *, off_topic=False
) -> dict:
    services = dataclasses.replace(services, nlu=SplitNLU(probabilities, off_topic=off_topic))
    state = {"message": "Is the Summit tent covered by a warranty?", "transcript": []}
    return await classify(state, _runtime(services, customer_id))


async def test_split_between_help_centre_intents_goes_to_the_knowledge_base(services):
    update = await _classify(
        services, {"product_defect": 0.45, "technical_support": 0.3, "track_order": 0.2}
    )
    assert update["route"] == "knowledge" and update["escalation_reason"] is None
    assert update["intent"] == "product_defect"
    assert update["confidence"] == 0.75 and update["help_centre_guess"] is True
    # The transcript keeps what the classifier itself said.
    line = update["transcript"][0]
    assert (line["intent"], line["confidence"]) == ("product_defect", 0.45)


async def test_split_between_account_actions_asks_which_with_quick_replies(services):
    update = await _classify(
        services, {"get_refund": 0.4, "track_refund": 0.3, "check_refund_policy": 0.2}
    )
    assert (update["route"], update["escalation_reason"]) == ("clarify", None)
    assert update["help_centre_guess"] is False
    assert update["suggestions"] == [
        "Return or refund an item",
        "Where is my refund?",
        "The returns policy",
        "Talk to a person",
    ]
    assert update["pending"]["options"] == ["get_refund", "track_refund", "check_refund_policy"]


async def test_an_unsure_message_the_scope_gate_reads_as_off_topic_is_declined(services):
    # "add milk to my shopping list": no shop intent is sure, and the gate says off-topic,
    # so the bot declines politely (unless the help centre has a passage close to it)
    # instead of asking which shop request was meant
    split = {"place_order": 0.4, "product_defect": 0.15, "technical_support": 0.15}
    update = await _classify(services, split, off_topic=True)
    assert (update["route"], update["escalation_reason"]) == ("knowledge", None)
    assert update["declining"] is True and update["suggestions"] == []
    # the same split without the gate's verdict is a help-centre question
    plain = await _classify(services, split)
    assert (plain["route"], plain["declining"]) == ("knowledge", False)


async def test_a_second_unclear_message_in_a_row_escalates(services):
    services = dataclasses.replace(
        services, nlu=SplitNLU({"get_refund": 0.4, "track_refund": 0.3, "greeting": 0.2})
    )
    asked = {
        "kind": "clarify",
        "intent": "get_refund",
        "options": ["get_refund", "track_refund"],
        "request": "hmm",
        "request_entities": [],
    }
    state = {"message": "well, it's complicated", "transcript": [], "pending": asked}
    update = await classify(state, _runtime(services))
    assert (update["route"], update["escalation_reason"]) == ("escalate", "low_confidence")


async def test_a_sure_intent_is_not_a_guess(services):
    update = await _classify(services, {"check_refund_policy": 0.9, "get_refund": 0.05})
    assert (update["route"], update["help_centre_guess"]) == ("knowledge", False)
    assert update["confidence"] == 0.9


async def test_a_guessed_help_centre_question_needs_a_close_passage(services):
    question = "do you sell replacement poles for the Summit tent?"  # the help centre never says
    best = max(p.score for p in services.retriever.search(question, 4))
    assert services.thresholds.kb_min_score <= best < services.thresholds.kb_sure_score
    assert services.retriever.unknown_words(question) == []  # else even a sure intent would wait

    def state(guess: bool) -> dict:
        return {"message": question, "intent": "delivery_options", "help_centre_guess": guess,
                "actions": [], "transcript": []}  # fmt: skip

    sure = await answer_from_knowledge(state(False), _runtime(services))
    guessed = await answer_from_knowledge(state(True), _runtime(services))
    assert sure.get("escalation_reason") is None and sure["citations"]
    assert guessed["escalation_reason"] == "missing_knowledge" and "citations" not in guessed


def test_customer_gets_a_cited_answer_to_a_product_question(client, services):
    question = "Is the Summit tent covered by a warranty?"
    # No intent of the trained model is sure of it (product_defect, technical_support, ...).
    assert services.nlu.parse(question).confidence < services.thresholds.escalation
    out = client.post("/v1/chat", json={"message": question})
    body = out.json()
    assert out.status_code == 200 and body["escalated"] is False
    assert "warranty" in {c["doc_id"] for c in body["citations"]}
    assert body["confidence"] >= 0.6
