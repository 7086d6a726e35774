"""Desk suite: does the suggested reply answer the escalated customer's last message?

Each conversation of evals/data/desk_conversations.jsonl is played for real: its customer
lines go through the turn graph on a fresh copy of the seeded demo store (as the
customer, signed in), so the transcript holds the bot's real replies; the escalation is
the one the graph opened, else one opened for the conversation as a person's request
would. The suggester then gets what the handoff package gives it: the transcript and the
orders in question (those named in the chat, latest first, then the customer's latest
others, three in all). Its reply is scored by evals/desk_checks.py against the row's
required facts and concern. `split` keeps the rows the suggester was tuned on ("dev")
apart from held-out ones ("test"); both are reported. A sibling file
desk_conversations_dev2.jsonl, when present, adds more "dev" rows (a second development
set in customers' own style: typos, several sentences, "yes please" last lines). A sibling
file desk_conversations_heldout.jsonl, when present, holds rows written by someone who never
saw the suggester (split "heldout"): reported on their own as `*_heldout`, and kept out
of the overall figures so those stay comparable with the baseline.

A row names orders by what they look like (`bind:`, as conversation scripts do) and
writes their facts as placeholders: `{order.id}`, `{order.tracking}`, `{order.total}`,
`{order.payment}`, `{order.item1.product}` (evals/suites/placeholders.py) and the desk's
own `{order.carrier}`, `{order.invoice}`, `{order.refund_amount}`, `{order.refund_status}`.
"""

from __future__ import annotations

import asyncio
import dataclasses
import json
import re
import statistics
import time
from collections.abc import Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING, Any

from evals.desk_checks import CONCERNS, judge
from evals.suites.base import MetricResult, SuiteContext, SuiteResult
from evals.suites.bindings import check_picks, resolve_bindings
from evals.suites.placeholders import Bound, placeholder_errors, render

if TYPE_CHECKING:
    from evals.suites.harness import EvalEnv
    from tools.store.backend import SqlStore

DATA_PATH = Path(__file__).resolve().parent.parent / "data" / "desk_conversations.jsonl"
SPLITS = ("dev", "test")
HELDOUT = "heldout"
"""The split of the held-out file's rows (not counted in the overall figures)."""
DEV2 = "dev2"
"""The suffix of the second development file, whose rows are all "dev"."""
DESK_FIELDS = ("carrier", "invoice", "refund_amount", "refund_status")
_DESK_FIELD = re.compile(rf"\{{([A-Za-z_]\w*)\.({'|'.join(DESK_FIELDS)})\}}")


@dataclass(frozen=True)
class DeskConversation:
    id: str
    split: str
    customer_id: str
    bind: dict[str, dict[str, Any]]
    lines: tuple[str, ...]
    """What the customer says, in order (placeholders filled before use)."""
    concern: str
    """What the last message that asks something is about (evals.desk_checks.ANSWERS)."""
    facts: tuple[str, ...]
    """What a good reply states."""
    absent: tuple[str, ...]
    """What it must not state (another order's number)."""
    reference: str
    """What a good agent would answer."""


def heldout_path(path: Path, suffix: str = HELDOUT) -> Path:
    """The held-out file beside a data file: desk_conversations_heldout.jsonl (or another
    `suffix`'s sibling, such as desk_conversations_dev2.jsonl)."""
    return path.with_name(f"{path.stem}_{suffix}{path.suffix}")


def load_conversations(
    path: Path = DATA_PATH, splits: tuple[str, ...] = SPLITS
) -> list[DeskConversation]:
    """The rows of a JSON-lines file, each of one of `splits`; ValueError names the line of
    a malformed one."""
    out = []
    for n, text in enumerate(path.read_text(encoding="utf-8").splitlines(), start=1):
        if not text.strip():
            continue
        try:
            row = json.loads(text)
            convo = DeskConversation(
                id=str(row["id"]),
                split=str(row["split"]),
                customer_id=str(row["customer_id"]),
                bind=check_picks(row.get("bind") or {}),
                lines=tuple(str(x) for x in row["lines"]),
                concern=str(row["concern"]),
                facts=tuple(str(x) for x in row["facts"]),
                absent=tuple(str(x) for x in row.get("absent") or ()),
                reference=str(row["reference"]),
            )
        except (json.JSONDecodeError, KeyError, TypeError, ValueError) as exc:
            raise ValueError(f"{path}:{n}: not a desk conversation ({exc})") from exc
        problems = _problems(convo, splits)
        if problems:
            raise ValueError(f"{path}:{n}: {'; '.join(problems)}")
        out.append(convo)
    ids = [c.id for c in out]
    if len(set(ids)) != len(ids):
        raise ValueError(f"{path}: ids repeat: {sorted({i for i in ids if ids.count(i) > 1})}")
    return out


def _problems(c: DeskConversation, splits: tuple[str, ...]) -> list[str]:
    problems = []
    if c.split not in splits:
        problems.append(f"split {c.split!r} is not one of {', '.join(splits)}")
    if c.concern not in CONCERNS:
        problems.append(f"concern {c.concern!r} is not one of {', '.join(sorted(CONCERNS))}")
    if not c.lines:
        problems.append("no customer lines")
    for text in (*c.lines, *c.facts, *c.absent, c.reference):
        problems += placeholder_errors(_DESK_FIELD.sub("", text), set(c.bind))
    return problems


class Filler:
    """Fills one conversation's placeholders from its bound orders in `store`."""

    def __init__(self, bound: Mapping[str, Bound], store: SqlStore) -> None:
        self.bound = bound
        self.store = store

    def __call__(self, text: str) -> str:
        return render(_DESK_FIELD.sub(self._desk, text), self.bound)

    def _desk(self, match: re.Match[str]) -> str:
        from tools.schemas import money

        name, field = match.groups()
        order = self.store.get_order(self.bound[name].order.id)
        if order is None:
            raise ValueError(f"{match[0]}: the order is not in the store")
        refund = order.refunds[-1] if order.refunds else None
        invoice = order.invoices[-1] if order.invoices else None
        values = {
            "carrier": order.carrier,
            "invoice": invoice.id if invoice else None,
            "refund_amount": money(refund.amount_cents) if refund else None,
            "refund_status": refund.status if refund else None,
        }
        if values[field] is None:
            raise ValueError(f"{match[0]}: order {order.id} has no {field.replace('_', ' ')}")
        return str(values[field])


def package_orders(store: SqlStore, customer_id: str, lines: list[dict[str, Any]]) -> list[str]:
    """The orders the desk's handoff package lists, in its order (the suggester gets them)."""
    from app.desk_package import orders_in_question

    return [o["id"] for o in orders_in_question(store, customer_id, lines)]


async def play(env: EvalEnv, convo: DeskConversation) -> dict[str, Any]:
    """Play one conversation, escalate it, ask for the suggestion and score it."""
    from app.suggest import FALLBACK_SUGGESTION, ReplySuggester

    store = env.fresh_store()
    try:
        fill = Filler(resolve_bindings(convo.bind, env.facts_of("demo")), store)
        facts = [fill(f) for f in convo.facts]
        absent = [fill(a) for a in convo.absent]
        about = fill("{order.id}") if "order" in convo.bind else None
        escalation_id = None
        async with env.conversation(convo.customer_id, store=store) as chat:
            for line in convo.lines:
                response = await chat.say(fill(line))
                escalation_id = (response.get("escalation") or {}).get("id") or escalation_id
            assert chat.session_id is not None
            lines = await chat.chat.transcript(chat.session_id)
            by_bot = escalation_id is not None
            if escalation_id is None:
                escalation_id = store.create_escalation(
                    session_id=chat.session_id,
                    customer_id=convo.customer_id,
                    reason="customer_request",
                    intent=None,
                    confidence=None,
                    entities=[],
                    transcript=lines,
                ).id
            order_ids = package_orders(store, convo.customer_id, lines)
            suggester = ReplySuggester(dataclasses.replace(env.services, store=store))
            began = time.perf_counter()
            reply, _ = await suggester.suggest(escalation_id, lines, order_ids, convo.customer_id)
            seconds = time.perf_counter() - began
        verdict = judge(
            reply,
            concern=convo.concern,
            facts=facts,
            about=about,
            absent=absent,
            fallback=FALLBACK_SUGGESTION,
        )
        return {
            "id": convo.id,
            "split": convo.split,
            "concern": convo.concern,
            "escalated_by_bot": by_bot,
            "said": [ln["content"] for ln in lines if ln.get("role") == "customer"],
            "order_ids": order_ids,
            "reply": reply,
            "reference": fill(convo.reference),
            "recall": verdict.recall,
            "addressed": verdict.addressed,
            "words": verdict.words,
            "length_ok": verdict.length_ok,
            "missing": verdict.missing,
            "why_not": verdict.why_not,
            "fallback": reply == FALLBACK_SUGGESTION,
            "seconds": round(seconds, 3),
        }
    finally:
        store.engine.dispose()


async def play_all(env: EvalEnv, convos: list[DeskConversation]) -> list[dict[str, Any]]:
    return [await play(env, c) for c in convos]


def _mean(rows: list[dict[str, Any]], key: str, reason: str) -> MetricResult:
    if not rows:
        return MetricResult.skipped("no conversations in this split")
    return MetricResult.of(sum(float(r[key]) for r in rows) / len(rows), len(rows), reason)


def run(ctx: SuiteContext) -> SuiteResult:
    """Fact recall, addressed rate and length of the suggested replies, per split."""
    path = ctx.path("desk", DATA_PATH)
    convos = load_conversations(path)
    if heldout_path(path, DEV2).is_file():
        convos += load_conversations(heldout_path(path, DEV2), ("dev",))
    if heldout_path(path).is_file():
        convos += load_conversations(heldout_path(path), (HELDOUT,))
    everything = asyncio.run(play_all(ctx.env, convos))
    played = [r for r in everything if r["split"] != HELDOUT]
    metrics: dict[str, MetricResult] = {}
    for split in ("all", *SPLITS, HELDOUT):
        rows = played if split == "all" else [r for r in everything if r["split"] == split]
        tail = "" if split == "all" else f"_{split}"
        metrics[f"fact_recall{tail}"] = _mean(rows, "recall", "share of required facts stated")
        metrics[f"addressed_rate{tail}"] = _mean(
            rows, "addressed", "replies that answer the last customer message"
        )
    metrics["length_ok_rate"] = _mean(played, "length_ok", "replies of a sendable length")
    fallback = _mean(played, "fallback", "holding replies although facts exist")
    metrics["fallback_rate"] = dataclasses.replace(fallback, higher_is_better=False)
    by_concern: dict[str, dict[str, float]] = {}
    for concern in sorted({r["concern"] for r in played}):
        rows = [r for r in played if r["concern"] == concern]
        by_concern[concern] = {
            "n": len(rows),
            "recall": round(statistics.mean(r["recall"] for r in rows), 3),
            "addressed": round(statistics.mean(r["addressed"] for r in rows), 3),
        }
    counts = {s: sum(r["split"] == s for r in everything) for s in (*SPLITS, HELDOUT)}
    return SuiteResult(
        "desk",
        metrics,
        details={
            "by_concern": by_concern,
            "wrong": [r for r in everything if not r["addressed"] or r["recall"] < 1],
            "median_words": statistics.median(r["words"] for r in played) if played else 0,
            "escalated_by_bot": sum(r["escalated_by_bot"] for r in played),
            "conversations": everything,
        },
        notes=[
            f"{len(played)} escalated conversations ({counts['dev']} dev, tuned on; "
            f"{counts['test']} test, held apart); gates are on the test split.",
            f"{counts[HELDOUT]} held-out conversations by an author who never saw the "
            "suggester, reported apart as *_heldout (not in the overall figures).",
        ],
    )
