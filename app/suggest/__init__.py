"""The bot's suggested reply in an agent's handoff package: the customer's last question
answered from the orders it is about (app/suggest/facts.py) and the help centre."""

from __future__ import annotations

import asyncio
import logging
from typing import Any

from app.suggest.facts import OrderFacts
from app.suggest.help import best_source_only, help_centre_query
from app.suggest.orders import fits_an_order, means_an_order, pick_order
from app.suggest.reading import Reading, asked, read
from graph.context import Services

__all__ = ["FALLBACK_SUGGESTION", "ReplySuggester", "Suggestion", "asked"]

log = logging.getLogger("support.desk")

FALLBACK_SUGGESTION = (
    "Thanks for waiting, and sorry for the trouble. I've read our conversation and I'm "
    "looking into this for you now."
)
"""Suggested when the help centre has nothing good for the customer's last message."""

Suggestion = tuple[str, list[dict[str, Any]]]
"""A reply text and the citations it relies on."""


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
        result: Suggestion = (FALLBACK_SUGGESTION, [])
        if asked(said)[0]:
            try:
                result = await self._compose(said, order_ids, customer_id)
            except Exception:  # a suggestion is a convenience; the agent can always write one
                log.warning("could not compute a suggestion for %s", escalation_id, exc_info=True)
        self._cache[escalation_id] = (key, result)
        return result

    def _intent(self, sentence: str) -> tuple[str, float]:
        parsed = self._services.nlu.parse(sentence)
        return parsed.intent, parsed.confidence

    async def _compose(
        self, said: list[str], order_ids: list[str] | None, customer_id: str | None
    ) -> Suggestion:
        reading = await asyncio.to_thread(read, said, self._intent)
        facts = await asyncio.to_thread(self._order_facts, reading, order_ids, customer_id)
        if facts is None:
            answer = await self._help_centre(*reading.queries) if reading.queries else ("", [])
            return answer if answer[0] else (FALLBACK_SUGGESTION, [])
        text, query = facts
        if query:  # the policy that goes with the facts: its first source, briefly
            added, citations = await self._help_centre((query, ""))
            added = best_source_only(added)
            if added:
                return f"{text}\n\n{added}", citations[:1]
        return text, []

    def _order_facts(
        self, reading: Reading, order_ids: list[str] | None, customer_id: str | None
    ) -> tuple[str, str | None] | None:
        """(the order's facts said for the customer's concern, what to ask the help centre
        to add), or None when their words are not about one of their orders. The orders
        looked at: those the customer named, the package's, then all of theirs."""
        if not customer_id or reading.concern is None:
            return None  # whose orders these are is unknown: never quote one
        store = self._services.store
        wanted = [*reading.order_ids, *(order_ids or [])]
        wanted += [o.id for o in store.list_orders(customer_id)]
        orders = []
        for order_id in dict.fromkeys(wanted):
            order = store.get_order(order_id)
            if order is not None and order.customer_id == customer_id:
                orders.append(order)
        about_one = means_an_order(reading.text, orders) or fits_an_order(reading.concern, orders)
        if not orders or not about_one:
            return None
        order = pick_order(reading.concern, reading.text, reading.order_ids, orders)
        if order is None:
            return None
        unknown = [o for o in reading.order_ids if o not in {x.id for x in orders}]
        said = f"{reading.sentence} {reading.text}"  # the concern's sentence first
        facts = OrderFacts(self._services.policy, said, new_address=reading.new_address)
        text = facts.say(reading.concern, order)
        if unknown:
            text = f"I can't find that order number on your account. {text}"
        return text, help_centre_query(reading.concern, order)

    async def _help_centre(self, *queries: tuple[str, str]) -> Suggestion:
        """The help centre's answer to the query (with its context) its passages fit best,
        with citations ("" when no passage clears KB_MIN_SCORE)."""
        from graph.nodes.knowledge import citation

        svc = self._services
        best: tuple[float, str, str, list[Any]] = (0.0, "", "", [])
        for question, context in queries:
            found = await asyncio.to_thread(svc.retriever.search, question, 4, None, context)
            good = [p for p in found if p.score >= svc.thresholds.kb_min_score]
            top = max((p.score for p in good), default=0.0)
            if top > best[0]:
                best = (top, question, context, good)
        _, question, context, good = best
        if not good:
            return "", []
        answer = await svc.composer.answer(question, good, context=context)
        if not answer.text:
            return "", []
        return answer.text, [citation(p) for p in answer.citations]
