"""The bot's suggested reply in an agent's handoff package, from the help centre."""

from __future__ import annotations

import asyncio
import logging
import re
from typing import Any

from graph.context import Services

log = logging.getLogger("support.desk")

FALLBACK_SUGGESTION = (
    "Thanks for waiting, and sorry for the trouble. I've read our conversation and I'm "
    "looking into this for you now."
)
"""Suggested when the help centre has nothing good for the customer's last message."""

Suggestion = tuple[str, list[dict[str, Any]]]
"""A reply text and the citations it relies on."""

_ANSWERING = re.compile(
    r"^\W*(?:yes|yeah|yep|yup|ok(?:ay)?|sure|no|nope|thanks?|thank you|please|go ahead|"
    r"do it|fine|correct|right)\b",
    re.I,
)
_PERSON = re.compile(r"\b(?:human|agent|person|someone|representative|operator|staff)\b", re.I)


def asked(said: list[str]) -> tuple[str, str]:
    """(the customer's last message that asks something, the one before it): "yes", "ok
    thanks" and "get me a human" ask the help centre nothing, so the suggestion answers
    what came before them ("my package is a week late"); ("", "") when nothing did."""
    for n in range(len(said) - 1, -1, -1):
        words = said[n].split()
        if len(words) <= 3 and _ANSWERING.match(said[n]):
            continue
        if len(words) <= 8 and _PERSON.search(said[n]):
            continue
        return said[n], said[n - 1] if n else ""
    return "", ""  # nothing asked: the agent gets the neutral holding reply


class ReplySuggester:
    """Suggests a reply to an escalated conversation; computed once per escalation."""

    def __init__(self, services: Services) -> None:
        self._services = services
        self._cache: dict[str, Suggestion] = {}

    def cached(self, escalation_id: str) -> str:
        """The reply text suggested for the escalation so far ("" before any)."""
        return self._cache.get(escalation_id, ("", []))[0]

    async def suggest(self, escalation_id: str, lines: list[dict[str, Any]]) -> Suggestion:
        """The help centre's answer to the customer's last message that asks something
        (see `asked`), searched with the one before as context (as the knowledge node
        searches), with its citations; the
        fallback text when no passage clears KB_MIN_SCORE or the search fails."""
        if escalation_id in self._cache:
            return self._cache[escalation_id]
        from graph.nodes.knowledge import citation

        question, context = asked([ln["content"] for ln in lines if ln.get("role") == "customer"])
        svc = self._services
        result: Suggestion = (FALLBACK_SUGGESTION, [])
        if not question:
            self._cache[escalation_id] = result
            return result
        try:
            passages = await asyncio.to_thread(svc.retriever.search, question, 4, None, context)
            good = [p for p in passages if p.score >= svc.thresholds.kb_min_score]
            if good:
                answer = await svc.composer.answer(question, good, context=context)
                if answer.text:
                    result = (answer.text, [citation(p) for p in answer.citations])
        except Exception:  # a suggestion is a convenience; the agent can always write one
            log.warning("could not compute a suggestion for %s", escalation_id, exc_info=True)
        self._cache[escalation_id] = result
        return result
