"""Both reply composers: the offline extractive default and the OpenAI-compatible path."""

from __future__ import annotations

import httpx
import pytest
from openai import AsyncOpenAI

from graph.llm.asks import classify_ask
from graph.llm.attributes import asked_attributes, unstated
from graph.llm.extractive import ExtractiveComposer
from graph.llm.openai_composer import LLMUnavailable, OpenAIComposer
from graph.llm.units import passage_units
from knowledge.retrieval import Passage
from tests.fakes import ScriptedChatEndpoint


def article(doc_id: str, title: str, heading: str, score: float, text: str) -> Passage:
    """A retrieved passage: one section of a help-centre article."""
    return Passage(
        doc_id=doc_id,
        chunk_id=f"{doc_id}#0",
        title=title,
        section=f"{title} > {heading}",
        source=f"{doc_id}.md",
        url=f"https://help.northwind.example/{doc_id}",
        score=score,
        text=f"## {heading}\n\n{text}",
    )


REFUNDS = article(
    "refund-timing",
    "When will I get my refund?",
    "Timing",
    0.71,
    "Once we approve a refund, the money goes back to the original payment method. Refunds "
    "appear on your statement within 5–10 business days. Gift cards are refunded as store "
    "credit immediately.",
)
SHIPPING = article(
    "shipping-options",
    "Shipping options",
    "Costs",
    0.42,
    "Standard shipping takes 3–5 business days and is free over $50.",
)


def test_passage_units_drop_headings_and_questions_and_keep_a_lead_in_with_its_list():
    text = (
        "## Title\n\nForgot your password? First sentence is here. To pay:\n\n"
        "- **Visa** credit and debit cards\n- PayPal balance."
    )
    units = passage_units(text, rank=0)
    assert [u.text for u in units] == [
        "First sentence is here.",
        "To pay:",
        "Visa credit and debit cards",
        "PayPal balance.",
    ]
    assert units[1].items == ["Visa credit and debit cards", "PayPal balance."]


@pytest.mark.parametrize(
    ("question", "ask"),
    [
        ("Is the Hydra bottle dishwasher safe?", "yes_no"),
        ("hi! quick one - can I return used headphones?", "yes_no"),
        ("How much is express shipping?", "amount"),
        ("how long until my refund shows up", "duration"),
        ("When will my parcel arrive?", "duration"),
        ("How do I start a return?", "steps"),
        ("what payment methods do you take", "open"),
    ],
)
def test_the_ask_of_a_question_is_read_from_its_wording(question, ask):
    assert classify_ask(question) == ask


GIFT_CARDS = article(
    "gift-cards",
    "Northwind gift cards",
    "Gift cards are non-refundable",
    0.72,
    "Gift cards can't be returned, refunded or exchanged for cash once they've been "
    "purchased. They don't expire and have no fees, so the full value stays available "
    "until it's spent.",
)
RETURNS = article(
    "returns-and-refunds",
    "Returns and refunds policy",
    "How to start a return",
    0.6,
    "Returns are free for orders in the US.\n\n"
    "1. Go to Account > Orders and select the order.\n"
    "2. Choose **Return items** and pick the items.\n"
    "3. We email you a prepaid return label.",
)
TENT_CARE = article(
    "product-care",
    "Caring for your Northwind products",
    "Summit 2-Person Tent",
    0.55,
    "Never pack the tent away wet: mold and mildew ruin the coating. Clean it with a sponge "
    "and cold water, no detergent.",
)


async def test_a_yes_no_question_is_answered_yes_or_no_first(encoder):
    answer = await ExtractiveComposer(encoder).answer(
        "Can I get a refund for a gift card?", [GIFT_CARDS]
    )
    assert answer.text.startswith("No, gift cards can't be returned, refunded")
    assert answer.text.count(".") <= 3 and "[1]" in answer.text


async def test_how_long_leads_with_the_sentence_that_holds_the_duration(encoder):
    answer = await ExtractiveComposer(encoder).answer(
        "how long does it take before the refund is on my statement?", [REFUNDS]
    )
    first = answer.text.split(". ")[0]
    assert "5–10 business days" in first


async def test_how_do_i_gets_the_steps_as_a_numbered_list(encoder):
    answer = await ExtractiveComposer(encoder).answer("How do I start a return?", [RETURNS])
    assert answer.text.startswith("1. Go to Account > Orders and select the order.\n2. ")
    assert answer.text.endswith("3. We email you a prepaid return label. [1]")


@pytest.mark.parametrize(
    ("question", "attributes"),
    [
        ("How much does the Lumen Action Camera weigh?", ["weight"]),
        ("Is the Summit tent waterproof?", ["water resistance"]),
        ("what colours does the halo lamp come in", ["colour"]),
        ("how many oz does the hydra bottle hold", ["capacity"]),
        ("How long does the Stride watch battery last?", ["battery life"]),
        ("Can I swap my headphones for a different colour?", []),  # an exchange, not a colour
        ("How long does a refund take?", []),
    ],
)
def test_product_attributes_are_read_from_the_question(question, attributes):
    assert [a.name for a in asked_attributes(question)] == attributes


def test_an_attribute_counts_as_stated_by_its_wording_or_a_measurement():
    camera = article("lumen", "Lumen Action Camera", "Specs", 0.6, "It weighs 158 g with battery.")
    bottle = article("hydra", "Hydra bottle", "Specs", 0.6, "The 750 ml bottle keeps drinks cold.")
    assert unstated("how heavy is the Lumen camera?", [camera]) == []
    assert unstated("how many oz does the Hydra hold?", [bottle]) == []
    assert unstated("is the Hydra bottle dishwasher safe?", [bottle]) == ["dishwasher"]


async def test_a_property_the_article_never_states_gets_no_near_miss(encoder):
    """The tent-care passage is about the tent but says nothing of it being waterproof:
    "never pack it away wet" is a near miss, so nothing is quoted."""
    composer = ExtractiveComposer(encoder)
    answer = await composer.answer("Is the Summit tent waterproof?", [TENT_CARE])
    assert (answer.text, answer.unanswered) == ("", ["water resistance"])
    cleaning = await composer.answer("How do I clean the Summit tent?", [TENT_CARE])
    assert "sponge and cold water" in cleaning.text


async def test_extractive_answer_cites_the_passage_it_quotes(encoder):
    composer = ExtractiveComposer(encoder)
    deltas: list[str] = []
    answer = await composer.answer(
        "how long until my refund shows up on my card?", [REFUNDS, SHIPPING], deltas.append
    )
    assert "5–10 business days" in answer.text
    assert "[1]" in answer.text
    assert "free over $50" not in answer.text
    assert [p.doc_id for p in answer.citations][0] == "refund-timing"
    assert "".join(deltas) == answer.text


NEWSLETTER = article(
    "newsletter-and-email-preferences",
    "Newsletter and email preferences",
    "Welcome discount",
    0.37,
    "New subscribers receive a one-time 10% discount code for their next order, emailed "
    "after they confirm their subscription.",
)


async def test_extractive_answer_says_nothing_when_no_sentence_is_about_the_question(encoder):
    composer = ExtractiveComposer(encoder)
    # The passage shares a word with the question, not an answer: a person should take it.
    off = await composer.answer("do you offer a military discount?", [NEWSLETTER])
    on = await composer.answer("do newsletter subscribers get a discount?", [NEWSLETTER])
    assert (off.text, off.citations) == ("", [])
    assert "10% discount code" in on.text


async def test_extractive_answer_is_empty_without_passages(encoder):
    answer = await ExtractiveComposer(encoder).answer("anything", [])
    assert answer.text == "" and answer.citations == []


def _composer(endpoint: ScriptedChatEndpoint) -> OpenAIComposer:
    client = AsyncOpenAI(
        base_url="http://llm.test/v1",
        api_key="k",
        max_retries=0,
        http_client=httpx.AsyncClient(transport=endpoint.transport),
    )
    return OpenAIComposer(client, model="tiny", shop="Northwind Supply", max_tokens=50)


async def test_openai_composer_streams_and_maps_citations():
    endpoint = ScriptedChatEndpoint("Refunds show up in 5–10 business days [1].")
    deltas: list[str] = []
    answer = await _composer(endpoint).answer("refund time?", [REFUNDS, SHIPPING], deltas.append)
    endpoint.assert_done()
    assert answer.text == "Refunds show up in 5–10 business days [1]."
    assert "".join(deltas) == answer.text
    assert [p.doc_id for p in answer.citations] == ["refund-timing"]
    request = endpoint.requests[0]
    assert request["model"] == "tiny" and request["stream"] is True
    assert "[1] When will I get my refund?" in request["messages"][1]["content"]
    assert "Northwind Supply" in request["messages"][0]["content"]


async def test_openai_composer_shows_the_model_what_a_follow_up_leans_on():
    endpoint = ScriptedChatEndpoint("Standard shipping takes 3–5 business days [1].", "Yes [1].")
    composer = _composer(endpoint)
    await composer.answer("and how long does that take?", [SHIPPING], context="Do you ship?")
    await composer.answer("how long does shipping take?", [SHIPPING])
    follow_up, alone = (r["messages"][1]["content"] for r in endpoint.requests)
    assert follow_up.endswith(
        "The customer's previous message: Do you ship?\n"
        "Customer question: and how long does that take?\n"
    )
    assert "previous message" not in alone
    assert alone.endswith("\n\nCustomer question: how long does shipping take?\n")


async def test_openai_composer_counts_llm_latency_and_tokens():
    from prometheus_client import REGISTRY

    def sample(name, **labels):
        return REGISTRY.get_sample_value(name, labels) or 0.0

    calls = sample("support_llm_seconds_count")
    tokens = sample("support_llm_tokens_total", kind="completion")
    endpoint = ScriptedChatEndpoint("Refunds take five days [1].")  # streamed as 5 chunks
    await _composer(endpoint).answer("refund time?", [REFUNDS])
    assert sample("support_llm_seconds_count") == calls + 1
    assert sample("support_llm_tokens_total", kind="completion") == tokens + 5


async def test_openai_composer_raises_llm_unavailable_on_endpoint_error():
    endpoint = ScriptedChatEndpoint()
    endpoint.queue(RuntimeError("overloaded"))
    with pytest.raises(LLMUnavailable):
        await _composer(endpoint).answer("refund time?", [REFUNDS])
    endpoint.assert_done()
