"""The conversations suite's judge: what a reply, and the store's end state, got wrong.

Every check reads the bot's public response or the store's public methods; only a
customer's default address comes from the store's tables (the protocol has no read for it).
"""

from __future__ import annotations

import re
from collections import Counter
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

from evals.metrics import fact_present
from evals.suites.store_facts import default_address
from tools.schemas import money
from tools.store.views import ACTIVE_REFUND

Resolve = Callable[[str], str]


def _listed(value: Any) -> list[Any]:
    return value if isinstance(value, list) else [value]


def _suggestion_labels(response: dict[str, Any]) -> list[str]:
    labels = []
    for s in response.get("suggestions") or []:
        if isinstance(s, dict):
            s = s.get("label") or s.get("text") or s.get("title") or ""
        labels.append(str(s))
    return labels


def judge_turn(
    expect: dict[str, Any],
    response: dict[str, Any],
    resolve: Resolve,
    resolve_pattern: Resolve | None = None,
) -> list[str]:
    """What the reply got wrong against the turn's expectations (empty: nothing).

    `resolve` fills references into expected text; `resolve_pattern` into a regex (their
    values escaped), by default `resolve`."""
    failures = []
    reply = response.get("reply") or ""
    escalation = response.get("escalation") or {}
    if "escalated" in expect and bool(response.get("escalated")) != bool(expect["escalated"]):
        got = f"escalated ({escalation.get('reason')})" if response.get("escalated") else "not"
        failures.append(f"expected escalated={expect['escalated']}, got {got}")
    if "escalation_reason" in expect and escalation.get("reason") != expect["escalation_reason"]:
        failures.append(
            f"expected escalation reason {expect['escalation_reason']}, "
            f"got {escalation.get('reason')}"
        )
    if "intent" in expect and response.get("intent") not in _listed(expect["intent"]):
        failures.append(f"expected intent {expect['intent']}, got {response.get('intent')}")
    for fact in expect.get("reply_contains", []):
        if not fact_present(resolve(fact), reply):
            failures.append(f"reply lacks {resolve(fact)!r}")
    for text in expect.get("reply_excludes", []):
        if resolve(text).lower() in reply.lower():
            failures.append(f"reply must not contain {resolve(text)!r}")
    for pattern in _listed(expect.get("reply_matches", [])):
        wanted = (resolve_pattern or resolve)(str(pattern))
        if not re.search(wanted, reply, re.IGNORECASE):
            failures.append(f"reply does not match /{wanted}/")
    done = [(a.get("tool"), a.get("status")) for a in response.get("actions") or []]
    for wanted in expect.get("actions", []):
        if (wanted.get("tool"), wanted.get("status")) not in done:
            failures.append(f"no action {wanted.get('tool')}={wanted.get('status')} (got {done})")
    if "cited_from" in expect:
        cited = {c.get("doc_id") for c in response.get("citations") or []}
        if not cited & set(expect["cited_from"]):
            failures.append(f"no citation from {expect['cited_from']} (cited {sorted(cited)})")
    labels = _suggestion_labels(response)
    if "suggestions" in expect and bool(labels) != bool(expect["suggestions"]):
        failures.append(
            "expected suggestions, got none"
            if expect["suggestions"]
            else f"expected no suggestions, got {labels}"
        )
    folded = {label.casefold() for label in labels}
    for wanted in expect.get("suggestions_include", []):
        if resolve(wanted).casefold() not in folded:
            failures.append(f"no suggestion {resolve(wanted)!r} (got {labels})")
    return failures


# -- the end state -------------------------------------------------------------------------


@dataclass(frozen=True)
class Since:
    """Where the conversation began: its session, and the last audit row before it."""

    session_id: str | None = None
    audit_id: int = 0


def _cents(value: Any) -> int:
    """'$45.13', '45.13' or 45.13 -> 4513."""
    text = str(value).strip().replace(",", "").lstrip("$")
    return round(float(text) * 100)


def _words(text: str) -> str:
    return " ".join(re.findall(r"[a-z0-9]+", text.lower()))


def _refunded_skus(order: Any) -> list[str] | None:
    """One SKU per refunded unit; None when the store does not record refund items."""
    skus: list[str] = []
    for refund in order.refunds:
        if refund.status not in ACTIVE_REFUND:
            continue
        if "skus" not in type(refund).model_fields:
            return None
        covered = getattr(refund, "skus", None)
        if covered is None:  # the whole order
            covered = [i.sku for i in order.items for _ in range(i.quantity)]
        skus += covered
    return skus


def _item_skus(order: Any, wanted: list[str], refunded: Counter[str]) -> list[str]:
    """Each wanted item (a SKU, a line's full name or its product name) as a SKU."""
    left = Counter(refunded)
    out = []
    for want in wanted:
        folded = want.casefold()
        lines = [
            i
            for i in order.items
            if folded in (i.sku.casefold(), i.name.casefold())
            or i.name.casefold().startswith(folded + " (")
        ]
        line = next((i for i in lines if left[i.sku] > 0), lines[0] if lines else None)
        sku = line.sku if line else want
        left[sku] -= 1
        out.append(sku)
    return out


def _refund_checks(end_state: dict[str, Any], store: Any, resolve: Resolve) -> list[str]:
    failures = []
    for ref, wanted in (end_state.get("refunds") or {}).items():
        order = store.get_order(resolve(ref))
        found = len(order.refunds) if order else None
        if found != wanted:
            failures.append(f"expected {wanted} refund(s) on order {resolve(ref)}, found {found}")
    for ref, wanted in (end_state.get("refund_amounts") or {}).items():
        order = store.get_order(resolve(ref))
        if order is None:
            failures.append(f"no order {resolve(ref)}")
            continue
        found = sum(r.amount_cents for r in order.refunds if r.status in ACTIVE_REFUND)
        if found != _cents(resolve(str(wanted))):
            failures.append(
                f"expected {money(_cents(resolve(str(wanted))))} refunded on order "
                f"{order.id}, found {money(found)}"
            )
    for ref, wanted in (end_state.get("refund_items") or {}).items():
        order = store.get_order(resolve(ref))
        if order is None:
            failures.append(f"no order {resolve(ref)}")
            continue
        skus = _refunded_skus(order)
        if skus is None:
            failures.append("the store's refunds do not say which items they cover")
            continue
        names = {i.sku: i.name for i in order.items}
        expected = _item_skus(order, [resolve(str(w)) for w in wanted], Counter(skus))
        if Counter(expected) != Counter(skus):
            failures.append(
                f"expected refunded items {sorted(names.get(s, s) for s in expected)} on "
                f"order {order.id}, found {sorted(names.get(s, s) for s in skus)}"
            )
    for ref, wanted in (end_state.get("exchanges") or {}).items():
        order = store.get_order(resolve(ref))
        found = len(getattr(order, "exchanges", None) or []) if order else None
        if found != wanted:
            failures.append(f"expected {wanted} exchange(s) on order {resolve(ref)}, found {found}")
    return failures


def _order_checks(end_state: dict[str, Any], store: Any, resolve: Resolve) -> list[str]:
    failures = []
    for ref, wanted in (end_state.get("order_status") or {}).items():
        order = store.get_order(resolve(ref))
        status = order.status if order else None
        if status != wanted:
            failures.append(f"expected order {resolve(ref)} {wanted}, found {status}")
    for ref, text in (end_state.get("order_address_contains") or {}).items():
        order = store.get_order(resolve(ref))
        address = order.shipping_address if order else None
        if address is None or _words(resolve(text)) not in _words(address):
            failures.append(
                f"expected order {resolve(ref)} shipping to {resolve(text)!r}, found {address!r}"
            )
    for who, text in (end_state.get("default_address_contains") or {}).items():
        address = default_address(store.engine, resolve(who))
        if address is None or _words(resolve(text)) not in _words(address):
            failures.append(
                f"expected {resolve(who)}'s default address to hold {resolve(text)!r}, "
                f"found {address!r}"
            )
    return failures


def _audit_checks(end_state: dict[str, Any], store: Any, since: Since) -> list[str]:
    if "writes" not in end_state and "audit_actions" not in end_state:
        return []
    failures = []
    rows = [a for a in store.list_audit() if a.id > since.audit_id]
    writes = [a for a in rows if a.actor.startswith("customer:")]
    if "writes" in end_state and len(writes) != end_state["writes"]:
        failures.append(
            f"expected {end_state['writes']} customer write(s), found {len(writes)}"
            + (f" ({', '.join(a.action for a in writes)})" if writes else "")
        )
    counts = Counter(a.action for a in rows)
    for action, wanted in (end_state.get("audit_actions") or {}).items():
        if counts[action] != wanted:
            failures.append(f"expected {wanted} {action} audit row(s), found {counts[action]}")
    return failures


def judge_end_state(
    end_state: dict[str, Any], store: Any, resolve: Resolve, since: Since | None = None
) -> list[str]:
    """What the store's end state got wrong against the script's expectations.

    Escalations, writes and audit rows count only what happened since `since` (this
    conversation's session and audit rows); without it, all of them in the store."""
    since = since or Since()
    failures = _refund_checks(end_state, store, resolve)
    failures += _order_checks(end_state, store, resolve)
    failures += _audit_checks(end_state, store, since)
    escalations = [
        e
        for e in store.list_escalations()
        if since.session_id is None or e.session_id == since.session_id
    ]
    if "escalations" in end_state and len(escalations) != end_state["escalations"]:
        failures.append(
            f"expected {end_state['escalations']} escalation(s), found {len(escalations)}"
        )
    if "escalation_reasons" in end_state:
        reasons = sorted(e.reason for e in escalations)
        if reasons != sorted(end_state["escalation_reasons"]):
            failures.append(
                f"expected escalation reasons {sorted(end_state['escalation_reasons'])}, "
                f"found {reasons}"
            )
    return failures
