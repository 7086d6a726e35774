"""Intent accuracy on generated requests over a τ-bench retail store (issue 18: long messages).

Requests are written from the real orders and products of a τ-format db.json
(`{"products", "users", "orders"}`, see tools/store/tau_import.py): short and long ones,
naming 1–3 ordered items with their variant options in parentheses ("the Headphones
(over-ear, wireless, blue)"), order ids with or without '#', reasons and addresses. Each
request carries the intent it was written for. The serving model classifies them and the
classify node's routing decision (graph.routing.decide_route) says which ones it would
escalate for low confidence.

    support evals intent-tau --db db.json [--n 240] [--seed 0] [--json]
"""

from __future__ import annotations

import json
import random
from collections import Counter, defaultdict
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from nlu.parser import NLU

BUCKETS: tuple[tuple[str, int, int | None], ...] = (
    ("short (<=12 words)", 0, 12),
    ("medium (13-30 words)", 13, 30),
    ("long (>30 words)", 31, None),
)
"""Length buckets by whitespace-separated word count."""

REASONS: dict[str, tuple[str, ...]] = {
    "get_refund": (
        "it arrived damaged",
        "it doesn't fit",
        "it's not what I expected",
        "I changed my mind",
        "the quality is worse than described",
        "I found it cheaper elsewhere",
    ),
    "cancel_order": (
        "I ordered by mistake",
        "I no longer need it",
        "I found a better price somewhere else",
        "it's taking too long",
    ),
    "change_order": (
        "the size is wrong",
        "I prefer another colour",
        "it doesn't suit me",
        "the one I got is too small",
    ),
}

TEMPLATES: dict[str, tuple[str, ...]] = {
    "get_refund": (
        "I want to return {items}",
        "refund for {oid} please",
        "I'd like to return {items} from order {oid}",
        "Can I get a refund for {items}? {reason_cap}.",
        "I'd like to return {items} from order {oid} because {reason} and I want the money "
        "back on my original payment method",
        "Hi, I received order {oid} last week and I'd like to send back {items} since {reason}. "
        "How do I get my refund?",
        "Hello, my name is {name}. I want to return {items} from my order {oid}, {reason}, "
        "so please refund it to the {payment} I paid with.",
    ),
    "cancel_order": (
        "cancel order {oid}",
        "please cancel {oid}",
        "I need to cancel my order {oid} with {items}",
        "Please cancel order {oid} ({items}) because {reason}.",
        "Hi, I placed order {oid} for {items} but {reason}, so I'd like to cancel the whole "
        "order before it ships and get refunded.",
        "Hello, this is {name}. Could you cancel my pending order {oid}? It has {items} in it "
        "and {reason}. Thanks a lot.",
    ),
    "track_order": (
        "where is my order {oid}",
        "track {oid}",
        "when will {items} from {oid} arrive?",
        "Can you tell me the status of order {oid}? I'm waiting for {items}.",
        "Hi, I ordered {items} a while ago (order {oid}) and it still hasn't arrived, can you "
        "tell me where the package is and when it will be delivered?",
        "Hello, my name is {name} and I'm checking on order {oid} with {items}. Has it shipped "
        "yet and is there a tracking number I can use to follow it?",
    ),
    "change_shipping_address": (
        "change the address on {oid}",
        "ship order {oid} to {address}",
        "Please update the shipping address of order {oid} to {address}.",
        "I moved, can you send {oid} to {address} instead?",
        "Hi, I just moved and my order {oid} with {items} is still pending, could you change "
        "its delivery address to {address} please?",
        "Hello, this is {name}. I need order {oid} ({items}) delivered to {address} instead of "
        "{old_address}, because I won't be at the old place anymore.",
    ),
    "change_order": (
        "exchange {items} for another size",
        "swap {items} in {oid} for a different colour",
        "I want to exchange {items} from order {oid} for the {option} version",
        "Can I exchange {items} from {oid}? {reason_cap}.",
        "Hi, I received order {oid} and I'd like to exchange {items} for the same product in "
        "{option} because {reason}, without paying anything extra if possible.",
        "Hello, my name is {name}. In my order {oid} I got {items}; {reason}, so could you swap "
        "them for the {option} variant instead of giving me a refund?",
    ),
    "track_refund": (
        "where is my refund for {oid}",
        "has the refund for {oid} gone through?",
        "I cancelled order {oid} with {items}, when will I get my money back?",
        "Hi, my order {oid} for {items} was cancelled some days ago and I still don't see the "
        "refund on my {payment}, can you check the status of the refund?",
    ),
    "payment_issue": (
        "my payment for {oid} failed",
        "I was charged twice for {oid}",
        "Why was my {payment} charged twice for order {oid}?",
        "Hi, I paid for order {oid} ({items}) with my {payment} but the payment was declined "
        "even though I have enough funds, what is wrong with my payment?",
    ),
}
"""Request templates per intent; {items} is 1–3 ordered items with their options."""

STATUSES: dict[str, tuple[str, ...]] = {
    "get_refund": ("delivered",),
    "change_order": ("delivered",),
    "cancel_order": ("pending",),
    "change_shipping_address": ("pending",),
    "track_order": ("pending", "processed"),
    "track_refund": ("cancelled",),
    "payment_issue": ("pending", "processed", "delivered"),
}
"""Order statuses a request of each intent is written about (any order when none has one)."""

INTENTS: tuple[str, ...] = tuple(TEMPLATES)


class TauDbError(ValueError):
    """The file is not a τ-format retail db.json; the message says why."""


@dataclass(frozen=True)
class Request:
    text: str
    intent: str
    order_id: str
    n_items: int

    @property
    def words(self) -> int:
        return len(self.text.split())


def load_db(path: Path) -> dict[str, Any]:
    """The parsed db.json, checked to have orders with items."""
    if not path.is_file():
        raise TauDbError(f"no such file: {path}")
    try:
        data = json.loads(path.read_text(encoding="utf-8"))
    except (json.JSONDecodeError, UnicodeDecodeError) as exc:
        raise TauDbError(f"{path} is not JSON: {exc}") from exc
    if not isinstance(data, dict) or not isinstance(data.get("orders"), dict):
        raise TauDbError(f"{path} has no 'orders' object: not a τ-format retail store")
    if not any(o.get("items") for o in data["orders"].values()):
        raise TauDbError(f"{path} has no order with items")
    return data


def bucket_of(words: int) -> str:
    for name, low, high in BUCKETS:
        if words >= low and (high is None or words <= high):
            return name
    raise AssertionError(words)  # pragma: no cover - the buckets cover every count


def _item_phrase(item: dict[str, Any]) -> str:
    options = [str(v) for v in (item.get("options") or {}).values()]
    name = str(item.get("name", "item"))
    return f"the {name} ({', '.join(options)})" if options else f"the {name}"


def _join(phrases: Sequence[str]) -> str:
    if len(phrases) == 1:
        return phrases[0]
    return ", ".join(phrases[:-1]) + " and " + phrases[-1]


def _address(address: dict[str, Any]) -> str:
    parts = [address.get("address1"), address.get("address2"), address.get("city")]
    line = ", ".join(str(p) for p in parts if p)
    return f"{line}, {address.get('state', '')} {address.get('zip', '')}".strip()


def _payment(order: dict[str, Any], users: dict[str, Any]) -> str:
    history = order.get("payment_history") or []
    method_id = str(history[0].get("payment_method_id", "")) if history else ""
    method = (users.get(order.get("user_id", "")) or {}).get("payment_methods", {}).get(method_id)
    if method and method.get("source") == "credit_card":
        return f"{method.get('brand', 'credit')} card ending in {method.get('last_four', '')}"
    return {"paypal": "PayPal account", "gift_card": "gift card"}.get(
        (method or {}).get("source", ""), "card"
    )


def generate(db: dict[str, Any], n: int = 240, seed: int = 0) -> list[Request]:
    """`n` labelled requests over the store's orders, the same for the same seed.

    Intents take turns (so each gets about n / 7); each request picks an order of a fitting
    status, 1–3 of its items, a template, and writes the order id with or without '#'.
    """
    rng = random.Random(seed)
    orders = [o for _, o in sorted(db["orders"].items()) if o.get("items")]
    users: dict[str, Any] = db.get("users") or {}
    addresses = sorted(
        {_address(u["address"]) for u in users.values() if isinstance(u.get("address"), dict)}
        | {_address(o["address"]) for o in orders if isinstance(o.get("address"), dict)}
    )
    options = sorted(
        {
            str(v)
            for p in (db.get("products") or {}).values()
            for variant in (p.get("variants") or {}).values()
            for v in (variant.get("options") or {}).values()
        }
    ) or ["blue"]
    by_status: dict[str, list[dict[str, Any]]] = defaultdict(list)
    for order in orders:
        by_status[str(order.get("status", ""))].append(order)
    requests = []
    for i in range(n):
        intent = INTENTS[i % len(INTENTS)]
        pool = [o for s in STATUSES[intent] for o in by_status.get(s, [])] or orders
        order = rng.choice(pool)
        items = list({str(it.get("name")): it for it in order["items"]}.values())
        k = min(len(items), rng.choice((1, 1, 2, 3)))
        chosen = rng.sample(items, k)
        oid = str(order["order_id"])
        oid = oid if rng.random() < 0.5 else oid.lstrip("#")
        user = users.get(str(order.get("user_id", ""))) or {}
        name = user.get("name") or {}
        reason = rng.choice(REASONS.get(intent, REASONS["get_refund"]))
        old = order.get("address")
        text = rng.choice(TEMPLATES[intent]).format(
            items=_join([_item_phrase(it) for it in chosen]),
            oid=oid,
            reason=reason,
            reason_cap=reason[:1].upper() + reason[1:],
            name=f"{name.get('first_name', 'Alex')} {name.get('last_name', 'Smith')}",
            address=rng.choice(addresses) if addresses else "12 Main Street, Austin, TX 78701",
            old_address=_address(old) if isinstance(old, dict) else "my old address",
            payment=_payment(order, users),
            option=rng.choice(options),
        )
        requests.append(Request(text, intent, str(order["order_id"]), k))
    return requests


def _group(rows: list[dict[str, Any]]) -> dict[str, Any]:
    n = len(rows)
    if not n:
        return {"n": 0}
    return {
        "n": n,
        "accuracy": round(sum(r["correct"] for r in rows) / n, 4),
        "mean_confidence": round(sum(r["confidence"] for r in rows) / n, 4),
        "below_threshold": round(sum(r["below_threshold"] for r in rows) / n, 4),
        "escalated_low_confidence": round(sum(r["escalated"] for r in rows) / n, 4),
    }


def evaluate(
    nlu: NLU, requests: Sequence[Request], threshold: float, *, examples: int = 10
) -> dict[str, Any]:
    """Accuracy, mean confidence and the low-confidence shares, overall, per length bucket
    and per intent. `below_threshold`: the top intent's confidence is under `threshold`;
    `escalated_low_confidence`: decide_route escalates the turn for low confidence (the
    help-centre reading can rescue some turns under the threshold)."""
    from graph.routing import decide_route

    rows: list[dict[str, Any]] = []
    for request, p in zip(requests, nlu.parse_many([r.text for r in requests]), strict=True):
        decided = decide_route(p.intent, p.confidence, p.probabilities, threshold)
        rows.append(
            {
                "text": request.text,
                "intent": request.intent,
                "predicted": p.intent,
                "confidence": round(float(p.confidence), 4),
                "words": request.words,
                "items": request.n_items,
                "bucket": bucket_of(request.words),
                "correct": p.intent == request.intent,
                "below_threshold": p.confidence < threshold,
                "escalated": decided.reason == "low_confidence",
            }
        )
    confusions = Counter((r["intent"], r["predicted"]) for r in rows if not r["correct"])
    worst = sorted((r for r in rows if r["escalated"] or not r["correct"]), key=_by_confidence)
    return {
        "n": len(rows),
        "threshold": threshold,
        **{k: v for k, v in _group(rows).items() if k != "n"},
        "by_length": {
            name: _group([r for r in rows if r["bucket"] == name]) for name, *_ in BUCKETS
        },
        "by_items": {
            str(k): _group([r for r in rows if r["items"] == k])
            for k in sorted({r["items"] for r in rows})
        },
        "by_intent": {i: _group([r for r in rows if r["intent"] == i]) for i in INTENTS},
        "top_confusions": [
            {"true": t, "predicted": p, "count": c} for (t, p), c in confusions.most_common(10)
        ],
        "examples": [
            {k: r[k] for k in ("text", "intent", "predicted", "confidence", "words")}
            for r in worst[:examples]
        ],
    }


def _by_confidence(row: dict[str, Any]) -> float:
    return float(row["confidence"])
