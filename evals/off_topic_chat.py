"""Off-topic messages through the real chat API: what the customer actually gets back.

Each message is the first message of a fresh anonymous session, sent to POST /v1/chat of
the FastAPI app run in-process over a private copy of the seeded demo store, its own
conversation memory and the serving models (intent model, help centre, composer) of the
configured DATA_DIR. Nothing is written to the configured store, checkpoints or question
log; escalation webhooks are off, and so are the flood and ticket limits (one client sends
every message here).

Each reply is judged from the response JSON:

- declined: the polite out-of-scope reply (the `out_of_scope` template of
  prompts/replies.toml), or intent out_of_scope with nothing done and no escalation.
- escalated: a ticket was opened (or refused by a limit), by reason.
- clarified: the bot asked which of its readings was meant (quick replies).
- acted: an in-scope answer or step: a help-centre answer, an identity check before an
  account action, an order/refund/billing branch.
- smalltalk: a greeting, goodbye, thank-you or about-the-bot reply.
- error: the API answered with an error status.

A second-turn check sends two different off-topic messages in one session: the issue
asks for a person on the second off-topic turn (escalation reason `repeated_fallback`).
"""

from __future__ import annotations

import dataclasses
import random
import secrets
import time
from collections import Counter
from collections.abc import Callable, Iterator, Mapping, Sequence
from contextlib import contextmanager
from pathlib import Path
from typing import TYPE_CHECKING, Any

from evals.off_topic import summarise, summarise_in_scope
from evals.off_topic_data import OFF_TOPIC, SMALLTALK, Message, as_messages
from graph.routing import FALLBACK_INTENTS
from prompts import render
from tools.store.catalog import SHOP_NAME

if TYPE_CHECKING:
    from app.settings import Settings
    from graph.context import Services

OUTCOMES = ("declined", "escalated", "acted", "clarified", "smalltalk", "error")
TARGETS: dict[str, tuple[str, float]] = {
    "declined": (">=", 0.85),
    "escalated": ("<=", 0.05),
    "acted": ("<=", 0.02),
}
"""Issue 18's targets on outside off-topic data."""
SMALLTALK_REPLIES = (
    "greeting",
    "goodbye",
    "about_bot",
    "thanks_reply",
    "youre_welcome",
    "stray_yes",
    "stray_no",
    "dropped",
    "nothing_to_repeat",
)
SMALLTALK_INTENTS = frozenset({"greeting", "goodbye"})
ESCALATION_TOOLS = frozenset({"create_escalation", "join_escalation"})
NO_LIMITS = (
    "TURNS_PER_CLIENT_PER_MINUTE",
    "TURNS_PER_CUSTOMER_PER_MINUTE",
    "SESSIONS_PER_CLIENT_PER_MINUTE",
    "TICKETS_PER_CLIENT",
    "TICKETS_PER_CUSTOMER",
)


def _say(name: str) -> str:
    return render(name, shop=SHOP_NAME).strip()


def reply_outcome(status: int, body: Mapping[str, Any]) -> tuple[str, str]:
    """(outcome, detail) of one chat response: the escalation reason of an escalated
    turn, what an acted-on turn did (help_centre, verify, the first tool), else the intent."""
    if status != 200:
        return "error", str(status)
    reply = str(body.get("reply") or "").strip()
    intent = str(body.get("intent") or "")
    actions = [a for a in body.get("actions") or [] if isinstance(a, Mapping)]
    tools = [str(a.get("tool")) for a in actions]
    escalation = body.get("escalation") or {}
    if body.get("escalated") or escalation:
        return "escalated", str(escalation.get("reason") or "unknown")
    for a in actions:
        if a.get("tool") in ESCALATION_TOOLS:  # refused by a ticket limit, or failed
            return "escalated", f"ticket_{a.get('status')}"
    if "clarify" in tools:
        return "clarified", intent
    if reply == _say("out_of_scope") or (intent in FALLBACK_INTENTS and not actions):
        return "declined", intent
    if reply in {_say(name) for name in SMALLTALK_REPLIES} or (
        intent in SMALLTALK_INTENTS and not actions
    ):
        return "smalltalk", intent
    if {"verify_identity", "identity"} & set(tools):
        return "acted", "verify"
    if {"search_knowledge", "compose_answer"} & set(tools):
        return "acted", "help_centre"
    return "acted", tools[0] if tools else "reply"


class ChatArena:
    """A chat API client over a throw-away store; `say` posts one message."""

    def __init__(self, client: Any) -> None:
        self.client = client

    def say(self, message: str, session_id: str | None = None) -> dict[str, Any]:
        """The judged response: outcome, detail and the public fields that matter."""
        body: dict[str, Any] = {"message": message}
        if session_id:
            body["session_id"] = session_id
        response = self.client.post("/v1/chat", json=body)
        data = (
            response.json()
            if response.headers.get("content-type", "").startswith("application/json")
            else {}
        )
        outcome, detail = reply_outcome(response.status_code, data)
        return {
            "outcome": outcome,
            "detail": detail,
            "intent": data.get("intent", ""),
            "confidence": data.get("confidence", 0.0),
            "reply": str(data.get("reply") or data.get("error") or "")[:200],
            "session_id": data.get("session_id"),
        }


class _Unlogged:
    """The serving retriever without its question log (kb gaps stay the customers')."""

    log = None

    def __init__(self, inner: Any) -> None:
        self._inner = inner

    def __getattr__(self, name: str) -> Any:
        return getattr(self._inner, name)


@contextmanager
def chat_arena(
    settings: Settings, workdir: Path, *, services: Services | None = None
) -> Iterator[ChatArena]:
    """The app over a fresh copy of the seeded demo store in `workdir`, with the serving
    models of `settings` (or `services`' models). Raises EnvironmentNotReady when the
    models or the help centre are missing."""
    from fastapi.testclient import TestClient

    from app.limits import abuse_limits
    from app.main import create_app
    from evals.suites.harness import EvalEnv

    env = EvalEnv.build(settings, workdir, services=services)
    store = env.fresh_store("demo")
    app_settings = settings.model_copy(
        update={
            "DATABASE_URL": str(store.engine.url),
            "CHECKPOINT_URL": str(workdir / "checkpoints.sqlite"),
            "JWT_SECRET": secrets.token_hex(32),
            "ESCALATION_WEBHOOK_URL": "",
            "TRACING_EXPORTER": "",
            **{name: 0 for name in NO_LIMITS},
        }
    )
    arena_services = dataclasses.replace(
        env.services,
        store=store,
        retriever=_Unlogged(env.services.retriever),
        limits=abuse_limits(app_settings),
    )
    try:
        with TestClient(create_app(app_settings, services=arena_services)) as client:
            yield ChatArena(client)
    finally:
        store.engine.dispose()


def _targets(rates: Mapping[str, float]) -> dict[str, Any]:
    out = {}
    for name, (op, bound) in TARGETS.items():
        value = rates.get(name, 0.0)
        met = value >= bound if op == ">=" else value <= bound
        out[name] = {"target": f"{op} {bound:.0%}", "value": value, "met": met}
    return out


def second_turn_pairs(messages: Sequence[Message], n: int, seed: int) -> list[tuple[str, str]]:
    """`n` pairs of two different off-topic messages (a seeded draw)."""
    pool = sorted({m.text for m in messages if m.expected == OFF_TOPIC})
    if n <= 0 or len(pool) < 2:
        return []
    rng = random.Random(seed)
    drawn = rng.sample(pool, min(len(pool), 2 * n))
    if len(drawn) < 2 * n:  # a small pool: pair each with another of the pool
        drawn = [t for _ in range(n) for t in rng.sample(pool, 2)]
    return [(drawn[2 * i], drawn[2 * i + 1]) for i in range(len(drawn) // 2)]


def run_second_turns(arena: ChatArena, pairs: Sequence[tuple[str, str]]) -> dict[str, Any]:
    """Both turns' outcomes; how often the second off-topic message got a person."""
    rows = []
    for first_text, second_text in pairs:
        first = arena.say(first_text)
        second = arena.say(second_text, first["session_id"]) if first["session_id"] else first
        rows.append(
            {
                "first": first_text,
                "second": second_text,
                "first_outcome": first["outcome"],
                "second_outcome": second["outcome"],
                "second_detail": second["detail"],
                "person": second["outcome"] == "escalated"
                and second["detail"] == "repeated_fallback",
            }
        )
    both_declined = [r for r in rows if r["first_outcome"] == "declined"]
    person = [r for r in rows if r["person"]]
    return {
        "n": len(rows),
        "first": dict(Counter(r["first_outcome"] for r in rows)),
        "second": dict(Counter(r["second_outcome"] for r in rows)),
        "second_escalation_reasons": dict(
            Counter(r["second_detail"] for r in rows if r["second_outcome"] == "escalated")
        ),
        "person_on_second": {"count": len(person), "rate": _share(len(person), len(rows))},
        "person_after_a_decline": {
            "n": len(both_declined),
            "count": sum(r["person"] for r in both_declined),
            "rate": _share(sum(r["person"] for r in both_declined), len(both_declined)),
        },
        "without_person": [r for r in rows if not r["person"]][:5],
    }


def _share(count: int, n: int) -> float:
    return round(count / n, 4) if n else 0.0


def chat_off_topic(
    arena: ChatArena,
    messages: Sequence[str | Message],
    *,
    pairs: int = 50,
    seed: int = 0,
    progress: Callable[[str], None] | None = None,
) -> dict[str, Any]:
    """Send every message as the first of a fresh session; report both sides (and NLU++
    small talk apart) and the second-turn check."""
    items = as_messages(messages)
    rows: list[dict[str, Any]] = []
    started = time.perf_counter()
    for number, item in enumerate(items, 1):
        judged = arena.say(item.text)
        rows.append(
            {
                "text": item.text,
                "domain": item.domain,
                "expected": item.expected,
                **({"label": item.label} if item.label else {}),
                **{k: v for k, v in judged.items() if k != "session_id"},
            }
        )
        if progress and number % 100 == 0:
            progress(f"{number}/{len(items)} messages ({time.perf_counter() - started:.0f} s)")
    seconds = time.perf_counter() - started
    off = [r for r in rows if r["expected"] == OFF_TOPIC]
    inside = [r for r in rows if r["expected"] not in (OFF_TOPIC, SMALLTALK)]
    small = [r for r in rows if r["expected"] == SMALLTALK]
    report: dict[str, Any] = {
        "n": len(rows),
        "seconds": round(seconds, 1),
        "ms_per_message": round(1000 * seconds / len(rows), 1) if rows else 0.0,
    }
    if off:
        side = summarise(off, OUTCOMES, examples=10, quiet=("declined",))
        side["escalation_reasons"] = dict(
            Counter(r["detail"] for r in off if r["outcome"] == "escalated").most_common()
        )
        side["acted_as"] = dict(
            Counter(r["detail"] for r in off if r["outcome"] == "acted").most_common()
        )
        side["acted_intents"] = dict(
            Counter(r["intent"] for r in off if r["outcome"] == "acted").most_common()
        )
        side["targets"] = _targets(side["rates"])
        if any(r.get("label") for r in off):
            side["by_label_not_declined"] = dict(
                Counter(r["label"] for r in off if r["outcome"] != "declined").most_common(10)
            )
        report["off_topic"] = side
    if inside:
        side = summarise_in_scope(inside, OUTCOMES, acted="acted")
        side["escalation_reasons"] = dict(
            Counter(r["detail"] for r in inside if r["outcome"] == "escalated").most_common()
        )
        side["acted_as"] = dict(
            Counter(r["detail"] for r in inside if r["outcome"] == "acted").most_common()
        )
        report["in_scope"] = side
    if small:  # NLU++ dialogue acts only: not scored, reported apart
        side = summarise(small, OUTCOMES)
        side["escalation_reasons"] = dict(
            Counter(r["detail"] for r in small if r["outcome"] == "escalated").most_common()
        )
        report["smalltalk"] = side
    if pairs:
        report["second_turn"] = run_second_turns(arena, second_turn_pairs(items, pairs, seed))
    return report
