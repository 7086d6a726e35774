"""The bot's suggested reply in an agent's handoff package: the customer's last question
answered from the orders it is about (app/suggestion_facts.py) and the help centre."""

from __future__ import annotations

import asyncio
import logging
import re
from typing import Any

from app.suggestion_facts import OrderFacts
from app.suggestion_topics import (
    ORDER_ID,
    best_source_only,
    concern_of,
    help_centre_query,
    means_an_order,
    pick_order,
)
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
    r"^\W*(?:(?:yes|yeah|yep|yup|ok(?:ay)?|sure|no|nope|thanks?|thank you|please|go ahead|"
    r"do it|fine|correct|right|great|cool|perfect|sounds good|a lot|so much|very much)\b\W*)+$",
    re.I,
)
"""A message that only answers ("yes please", "ok, thanks!"), asking nothing itself."""
_PERSON = re.compile(
    r"\b(?:human|agent|person|someone|representative|operator|staff|manager|supervisor)\b", re.I
)


def asked(said: list[str]) -> tuple[str, str]:
    """(the customer's last message that asks something, the one before it): "yes", "ok
    thanks" and "get me a human" ask the help centre nothing, so the suggestion answers
    what came before them ("my package is a week late"); ("", "") when nothing did."""
    for n in range(len(said) - 1, -1, -1):
        words = said[n].split()
        if _ANSWERING.match(said[n]):
            continue
        if len(words) <= 8 and _PERSON.search(said[n]):
            continue
        return said[n], said[n - 1] if n else ""
    return "", ""  # nothing asked: the agent gets the neutral holding reply


class ReplySuggester:
    """Suggests a reply to an escalated conversation; computed again only when the customer
    has said something new (or the orders in question changed)."""

    def __init__(self, services: Services) -> None:
        self._services = services
        self._cache: dict[str, tuple[tuple[Any, ...], Suggestion]] = {}

    def cached(self, escalation_id: str) -> str:
        """The reply text last suggested for the escalation ("" before any)."""
        hit = self._cache.get(escalation_id)
        return hit[1][0] if hit else ""

    async def suggest(
        self,
        escalation_id: str,
        lines: list[dict[str, Any]],
        order_ids: list[str] | None = None,
        customer_id: str | None = None,
    ) -> Suggestion:
        """A reply to the customer's last message that asks something (see `asked`), with
        its citations: the facts of the order it is about (`order_ids`, most relevant first;
        only orders of `customer_id` are ever used) followed by the help centre's answer
        where it adds something, or the help centre's answer alone (searched with the
        message before as context); the fallback text when neither has anything."""
        said = [str(ln.get("content") or "") for ln in lines if ln.get("role") == "customer"]
        key = (said[-1] if said else "", tuple(order_ids or ()), customer_id)
        hit = self._cache.get(escalation_id)
        if hit and hit[0] == key:
            return hit[1]
        question, context = asked(said)
        result: Suggestion = (FALLBACK_SUGGESTION, [])
        if question:
            try:
                result = await self._compose(question, context, said, order_ids, customer_id)
            except Exception:  # a suggestion is a convenience; the agent can always write one
                log.warning("could not compute a suggestion for %s", escalation_id, exc_info=True)
        self._cache[escalation_id] = (key, result)
        return result

    async def _compose(
        self,
        question: str,
        context: str,
        said: list[str],
        order_ids: list[str] | None,
        customer_id: str | None,
    ) -> Suggestion:
        facts = await asyncio.to_thread(self._order_facts, question, said, order_ids, customer_id)
        if facts is None:
            answer = await self._help_centre(question, context)
            return answer if answer[0] else (FALLBACK_SUGGESTION, [])
        text, query = facts
        if query:  # the policy that goes with the facts: its first source, briefly
            added, citations = await self._help_centre(query, "")
            added = best_source_only(added)
            if added:
                return f"{text}\n\n{added}", citations[:1]
        return text, []

    def _order_facts(
        self, question: str, said: list[str], order_ids: list[str] | None, customer_id: str | None
    ) -> tuple[str, str | None] | None:
        """(the order's facts said for the message's concern, what to ask the help centre
        to add), or None when the message is not about one of the customer's orders."""
        if not customer_id:
            return None  # whose orders these are is unknown: never quote one
        svc = self._services
        wanted = list(order_ids or [])
        wanted += [m.upper() for text in reversed(said) for m in ORDER_ID.findall(text)]
        orders = []
        for order_id in dict.fromkeys(wanted):
            order = svc.store.get_order(order_id)
            if order is not None and order.customer_id == customer_id:
                orders.append(order)
        if not orders or not means_an_order(question, orders):
            return None
        concern = concern_of(question) or concern_of(question, svc.nlu.parse(question).intent)
        if concern is None:
            return None
        order = pick_order(concern, question, said, orders)
        if order is None:
            return None
        text = OrderFacts(svc.policy, question).say(concern, order)
        return text, help_centre_query(concern, order)

    async def _help_centre(self, question: str, context: str) -> Suggestion:
        """The help centre's answer and citations ("" when no passage clears KB_MIN_SCORE)."""
        from graph.nodes.knowledge import citation

        svc = self._services
        passages = await asyncio.to_thread(svc.retriever.search, question, 4, None, context)
        good = [p for p in passages if p.score >= svc.thresholds.kb_min_score]
        if not good:
            return "", []
        answer = await svc.composer.answer(question, good, context=context)
        if not answer.text:
            return "", []
        return answer.text, [citation(p) for p in answer.citations]
