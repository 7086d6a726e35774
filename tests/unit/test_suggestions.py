"""The suggested reply an agent sees in the handoff package."""

from __future__ import annotations

from app.suggestions import FALLBACK_SUGGESTION, ReplySuggester, asked

ASKED = {"role": "customer", "content": "Do you ship to Canada?"}
ANSWERED = {"role": "bot", "content": "Yes, we ship to Canada."}
FOLLOW_UP = {"role": "customer", "content": "and how long does that take?"}


async def test_follow_up_is_searched_with_the_customers_previous_message(services):
    suggester = ReplySuggester(services)

    text, citations = await suggester.suggest("E1", [ASKED, ANSWERED, FOLLOW_UP])
    alone, none = await suggester.suggest("E2", [FOLLOW_UP])

    cited = {c["doc_id"] for c in citations}
    assert cited and cited <= {"delivery-times", "international-shipping"}, cited
    assert "business days" in text
    # Without what it follows, the same message finds nothing good: the agent gets the
    # neutral holding reply, not a guess.
    assert (alone, none) == (FALLBACK_SUGGESTION, [])


async def test_suggestion_is_computed_once_per_escalation(services):
    suggester = ReplySuggester(services)
    first = await suggester.suggest("E1", [ASKED])
    again = await suggester.suggest("E1", [FOLLOW_UP])
    assert again == first and suggester.cached("E1") == first[0]
    assert suggester.cached("E9") == ""


def test_the_suggestion_answers_what_was_asked_before_yes_or_a_request_for_a_person():
    said = ["my package is a week late", "can I talk to a real person?", "yes please"]
    assert asked(said) == ("my package is a week late", "")
    assert asked(["Do you ship to Canada?", "and how long does that take?"]) == (
        "and how long does that take?",
        "Do you ship to Canada?",
    )
    assert asked(["yes"]) == asked(["I want to talk to a person"]) == ("", "")
    assert asked([]) == ("", "")


async def test_a_late_parcel_gets_a_late_parcel_suggestion(services):
    lines = [
        {"role": "customer", "content": "my package is a week late"},
        {"role": "bot", "content": "Sorry about that."},
        {"role": "customer", "content": "I want to talk to a human"},
    ]
    text, citations = await ReplySuggester(services).suggest("E1", lines)
    assert "bad shape" not in text and citations
    assert {c["doc_id"] for c in citations} & {"track-your-order", "delivery-times"}


async def test_a_bare_request_for_a_person_gets_the_holding_reply(services):
    only = [{"role": "customer", "content": "I want to talk to a person"}]
    assert await ReplySuggester(services).suggest("E1", only) == (FALLBACK_SUGGESTION, [])
