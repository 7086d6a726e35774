"""Both reply composers: the offline extractive default and the OpenAI-compatible path."""

from __future__ import annotations

import httpx
import pytest
from openai import AsyncOpenAI

from graph.llm.extractive import ExtractiveComposer, split_sentences
from graph.llm.openai_composer import LLMUnavailable, OpenAIComposer
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


def test_split_sentences_drops_headings_and_questions_and_joins_bullet_lists():
    text = (
        "## Title\n\nForgot your password? First sentence is here. Second one follows!\n\n"
        "- **Visa** credit and debit cards\n- PayPal balance."
    )
    assert split_sentences(text) == [
        "First sentence is here.",
        "Second one follows!",
        "Visa credit and debit cards; PayPal balance.",
    ]


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
