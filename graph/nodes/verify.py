"""Verify branch: an anonymous caller proves who they are before any order data is shown.

Accepted proofs: the account's email plus one of its order numbers, or the full name plus
the ZIP code. The store checks them and, on a match, binds the customer to the session
row; this turn then goes on with what the caller asked. Failed checks are counted per
conversation; at the policy's limit the checks lock and a person takes over. They are
also counted per claimed identity and per client address across conversations: over
those limits the checks pause (a right answer is not accepted either) and the caller
hears when to try again. A proof lasts the configured lifetime; then the caller is asked
again. A first question that names no order and no proof gets the help centre's general
answer before the identity check, when a passage is close to it.
"""

from __future__ import annotations

import asyncio
import dataclasses
import re
from dataclasses import dataclass
from typing import Any

from graph.nodes.common import Rt, action, record, say
from graph.nodes.knowledge import append_to_reply, emit_citations, search_and_compose
from graph.nodes.slots import tool_failure
from graph.nodes.waits import wait_words
from graph.state import TurnState
from tools import verification
from tools.errors import BackendUnavailable, NotFound

_ZIP = re.compile(r"(?<![\w-])(\d{5})(?:-\d{4})?(?![\w-])")
_WORD = re.compile(r"[A-Za-z][A-Za-z'’-]*")
_FILLER = frozenset(
    "my name is i am i'm im and the zip zipcode code postal post it its it's this here hi "
    "hello hey verify me please ok okay sure yes is email e-mail order number no num id "
    "mail address of for with live in at to".split()
)


@dataclass(frozen=True)
class IdentityClaims:
    """What a message offers as proof of identity (nothing here is trusted until checked)."""

    email: str | None = None
    order_id: str | None = None
    name: str | None = None
    zip_code: str | None = None

    def complete(self) -> bool:
        return bool((self.email and self.order_id) or (self.name and self.zip_code))

    def any(self) -> bool:
        return bool(self.email or self.order_id or self.zip_code)


def identity_claims(message: str, entities: list[dict[str, Any]]) -> IdentityClaims:
    """Email, order number, name and ZIP code in a message ('Jordan Rivera, 97205')."""

    def first(kind: str) -> str | None:
        return next((str(e["value"]) for e in entities if e.get("type") == kind), None)

    zip_match = _ZIP.search(message)
    name = first("person_name")
    if name is None and zip_match:
        rest = message
        for e in entities:  # drop what other entities cover (emails, order numbers)
            rest = rest.replace(message[e["start"] : e["end"]], " ")
        words = [w for w in _WORD.findall(rest) if w.lower() not in _FILLER]
        name = " ".join(words) if 2 <= len(words) <= 4 else None
    return IdentityClaims(
        email=first("email"),
        order_id=first("order_id"),
        name=name,
        zip_code=zip_match[1] if zip_match else None,
    )


def _ask(
    state: TurnState,
    runtime: Rt,
    template: str,
    claims: IdentityClaims | None = None,
    **values: Any,
) -> dict[str, Any]:
    kept = {k: v for k, v in dataclasses.asdict(claims).items() if v} if claims else {}
    return {
        "reply": say(template, **values),
        "pending": {
            "kind": "slot",
            "intent": state["intent"],
            "slot": "verification",
            # every message of the exchange: "I want to return something", then "it's the
            # charger from W4520484" (the item), then the e-mail
            "request": _with_message(state),
            # what earlier messages already gave, merged with the next one
            **({"claims": kept} if kept else {}),
            **({"order_id": kept["order_id"]} if kept.get("order_id") else {}),
        },
        "actions": record(runtime, state, action("verify_identity", "required", state["intent"])),
    }


def _with_message(state: TurnState) -> str:
    """The request being verified for, with this message's details added to it."""
    before = ((state.get("pending") or {}).get("request") or "").strip()
    if not before or before == state["message"]:
        return state["message"]
    return f"{before} {state['message']}"


async def _answer_then_ask(state: TurnState, runtime: Rt) -> dict[str, Any] | None:
    """The help centre's general answer, then the identity check; None when no passage is
    close enough to the question (KB_SURE_SCORE).

    "Can I change the delivery address on my order?" is as often a policy question as a
    request: the caller gets the policy at once and can still have it done for their own
    order by proving who they are. Unanswered ones are not logged as knowledge gaps: the
    identity check is the answer to a request about one's own records.
    """
    found = await search_and_compose(
        state, runtime, runtime.context.services.thresholds.kb_sure_score, log_gaps=False
    )
    if found.answer is None:
        return None
    required = action("verify_identity", "required", state["intent"])
    return {
        "reply": append_to_reply(runtime, found.answer, say("verify_offer")),
        "streamed": found.answer.streamed,
        "citations": emit_citations(runtime, found.answer),
        "retrieval_score": found.best,
        "pending": {
            "kind": "slot",
            "intent": state["intent"],
            "slot": "verification",
            "request": state["message"],
        },
        "actions": record(runtime, state, *found.actions, required),
    }


async def verify(state: TurnState, runtime: Rt) -> dict[str, Any]:
    """Ask an anonymous caller for proof of identity, or check the proof they gave."""
    ctx = runtime.context
    store = ctx.services.store
    try:
        session = await asyncio.to_thread(store.session_identity, ctx.session_id)
    except BackendUnavailable as exc:
        return tool_failure(state, runtime, "verify_identity", exc)
    if session is not None and session.verify_locked:
        return {
            "reply": say("verify_locked"),
            "pending": None,
            "actions": record(runtime, state, action("verify_identity", "locked", "")),
        }
    claims = identity_claims(state["message"], state.get("entities") or [])
    pending = state.get("pending") or {}
    asked = pending.get("slot") == "verification"
    if asked and (earlier := pending.get("claims")):
        # "W1234567" in one message and the e-mail in the next: together they are a proof
        now = {k: v for k, v in dataclasses.asdict(claims).items() if v}
        claims = IdentityClaims(**{**earlier, **now})
    expired = session is not None and session.verification_expired
    if not asked and not claims.any() and not expired:
        answered = await _answer_then_ask(state, runtime)
        if answered is not None:
            return answered
    if not claims.complete():
        first = "verify_expired" if expired else "verify_ask"
        return _ask(state, runtime, "verify_incomplete" if asked else first, claims)
    try:
        result = await asyncio.to_thread(
            verification.verify_customer,
            store,
            ctx.session_id,
            ctx.services.policy,
            email=claims.email if claims.email and claims.order_id else None,
            order_id=claims.order_id if claims.email and claims.order_id else None,
            name=None if claims.email and claims.order_id else claims.name,
            zip_code=None if claims.email and claims.order_id else claims.zip_code,
            client=ctx.client,
            abuse=ctx.services.limits,
        )
    except (BackendUnavailable, NotFound) as exc:
        return tool_failure(state, runtime, "verify_identity", exc)
    if result.status == "paused":
        wait = result.retry_after or 60
        update = _ask(state, runtime, "verify_paused", None, wait=wait_words(wait))
        update["actions"] = record(
            runtime, state, action("verify_identity", "paused", f"retry in {wait} s")
        )
        return update
    checked = action("verify_identity", result.status, f"{result.attempts_left} attempts left")
    if result.status == "verified":
        return {
            "verified_customer_id": result.customer_id,
            "order_id": state.get("order_id") or claims.order_id,  # the order asked about
            # the branch reads the request with its details (reason, item, address) too
            "message": f"{pending.get('request', '')} {state['message']}".strip(),
            "pending": None,
            "actions": record(runtime, state, checked),
        }
    if result.status == "locked":
        return {
            "escalation_reason": "verification_failed",
            "pending": None,
            "actions": record(runtime, state, checked),
        }
    update = _ask(state, runtime, "verify_failed", None, attempts=result.attempts_left)
    update["actions"] = record(runtime, state, checked)
    return update
