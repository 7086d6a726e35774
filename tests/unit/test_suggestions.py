"""The suggested reply an agent sees in the handoff package."""

from __future__ import annotations

from app.suggestions import FALLBACK_SUGGESTION, ReplySuggester

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
