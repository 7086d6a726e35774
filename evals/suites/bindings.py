"""Script bindings: orders picked by what they look like, so a script runs on any store.

A script cannot name the ids of a dump it never saw. Instead its `bind:` section names
picks, resolved against the store before the first turn, in the order written:

    bind:
      order: {status: delivered, min_items: 3, distinct_products: true}
      other: {status: delivered, customer: order, not: order}

Each pick is the first order (by id) that meets every criterion (see PICKS). Text in the
script then names the picked order's facts as `{order.id}`, `{order.item1.price}`, ...
(see evals.suites.placeholders).
"""

from __future__ import annotations

import re
from collections.abc import Callable, Mapping
from typing import Any

import yaml

from evals.suites.placeholders import NAME, Bound, alternative
from evals.suites.store_facts import CustomerFacts, Line, OrderFacts, StoreFacts, Variant

PICKS: dict[str, str] = {
    "status": "the order's status, or any of a list",
    "min_items": "at least this many lines",
    "max_items": "at most this many lines",
    "distinct_products": "true: no two lines of the same product (false: some are)",
    "same_product_twice": "true: two lines are options of one product (false: none are)",
    "has_variant_available": "true: a line's product has another variant in stock; item1 is "
    "the first such line (false: no line's product has)",
    "customer": "the same customer as an earlier binding, or a customer id",
    "not": "a different order from the earlier binding(s) named",
    "payment": "the customer has a gift_card, paypal, card, or multiple (2+) methods",
    "refunded": "true: the order has refunds already (false: none)",
}
PAYMENT_PICKS = ("gift_card", "paypal", "card", "credit_card", "multiple")


class NoMatch(LookupError):
    """No order in the store meets a binding's criteria."""


# -- checking a script's picks at load time ---------------------------------------------


def check_picks(bind: Any) -> dict[str, dict[str, Any]]:
    """The `bind:` section as {name: criteria}; ValueError says what is wrong with it."""
    if bind is None:
        return {}
    if not isinstance(bind, Mapping):
        raise ValueError("bind: must map names to criteria")
    picks: dict[str, dict[str, Any]] = {}
    for name, spec in bind.items():
        if not isinstance(name, str) or not re.fullmatch(NAME, name):
            raise ValueError(f"bind: {name!r} is not a name (letters, digits, _)")
        if not isinstance(spec, Mapping):
            raise ValueError(f"bind: {name} must map criteria to values")
        unknown = sorted(set(spec) - set(PICKS))
        if unknown:
            raise ValueError(f"bind: {name}: unknown criteria {unknown}; known: {sorted(PICKS)}")
        for key, value in spec.items():
            _check_pick(name, key, value, picks)
        picks[name] = dict(spec)
    return picks


def _check_pick(name: str, key: str, value: Any, earlier: Mapping[str, Any]) -> None:
    where = f"bind: {name}: {key}"
    if key in ("min_items", "max_items"):
        if not isinstance(value, int) or isinstance(value, bool) or value < 0:
            raise ValueError(f"{where} must be a whole number")
    elif key in ("distinct_products", "same_product_twice", "has_variant_available", "refunded"):
        if not isinstance(value, bool):
            raise ValueError(f"{where} must be true or false")
    elif key == "customer":
        if not isinstance(value, str) or value == name:
            raise ValueError(f"{where} must name an earlier binding or a customer id")
    elif key in ("not", "status", "payment"):
        values = value if isinstance(value, list) else [value]
        if not values or not all(isinstance(v, str) for v in values):
            raise ValueError(f"{where} must be a name or a list of names")
        if key == "not" and (missing := [v for v in values if v not in earlier]):
            raise ValueError(f"{where}: {missing} are not earlier bindings")
        if key == "payment" and (bad := [v for v in values if v not in PAYMENT_PICKS]):
            raise ValueError(f"{where}: {bad} not one of {', '.join(PAYMENT_PICKS)}")


# -- resolving picks against a store -----------------------------------------------------


def describe(name: str, spec: Mapping[str, Any]) -> str:
    """`order: {status: delivered, min_items: 3}`, as the script wrote it."""
    shown = yaml.safe_dump(dict(spec), default_flow_style=True, sort_keys=False, width=200)
    return f"{name}: {shown.strip()}"


def _has_alternative(line: Line, groups: Mapping[str, tuple[Variant, ...]]) -> bool:
    try:
        alternative(line, groups)
    except LookupError:
        return False
    return True


def _repeats_a_product(order: OrderFacts) -> bool:
    groups = [line.group for line in order.lines]
    return len(set(groups)) < len(groups)


def _pays_with(customer: CustomerFacts | None, wanted: str) -> bool:
    kinds = [m.kind for m in customer.methods] if customer else []
    if wanted == "multiple":
        return len(kinds) >= 2
    return ("card" if wanted == "credit_card" else wanted) in kinds


def _matches(
    order: OrderFacts,
    spec: Mapping[str, Any],
    bound: Mapping[str, Bound],
    facts: StoreFacts,
) -> bool:
    def listed(key: str) -> list[str]:
        value = spec[key]
        return value if isinstance(value, list) else [value]

    n = len(order.lines)
    customer = facts.customers.get(order.customer)
    owner: str | None = spec.get("customer")
    tests: dict[str, Callable[[], bool]] = {
        "status": lambda: order.status in listed("status"),
        "min_items": lambda: n >= spec["min_items"],
        "max_items": lambda: n <= spec["max_items"],
        "distinct_products": lambda: (not _repeats_a_product(order)) == spec["distinct_products"],
        "same_product_twice": lambda: _repeats_a_product(order) == spec["same_product_twice"],
        "has_variant_available": lambda: (
            any(_has_alternative(line, facts.groups) for line in order.lines)
            == spec["has_variant_available"]
        ),
        "customer": lambda: (
            order.customer
            == (bound[owner].order.customer if owner is not None and owner in bound else owner)
        ),
        "not": lambda: all(order.id != bound[other].order.id for other in listed("not")),
        "payment": lambda: all(_pays_with(customer, p) for p in listed("payment")),
        "refunded": lambda: (order.refunded_cents > 0) == spec["refunded"],
    }
    return all(tests[key]() for key in spec)


def _numbered(
    lines: tuple[Line, ...], spec: Mapping[str, Any], facts: StoreFacts
) -> tuple[Line, ...]:
    """The lines as item1, item2, ...: in order, except that the lines a criterion is about
    come first (the repeated product's, the one with a variant in stock); sorts are stable."""
    if spec.get("same_product_twice"):
        groups = [line.group for line in lines]
        twice = next(g for g in groups if groups.count(g) > 1)
        lines = tuple(sorted(lines, key=lambda line: line.group != twice))
    if spec.get("has_variant_available"):
        lines = tuple(sorted(lines, key=lambda line: not _has_alternative(line, facts.groups)))
    return lines


def resolve_bindings(picks: Mapping[str, Mapping[str, Any]], facts: StoreFacts) -> dict[str, Bound]:
    """Each binding's order, in the order written; NoMatch names the first that has none."""
    bound: dict[str, Bound] = {}
    for name, spec in picks.items():
        order = next((o for o in facts.orders if _matches(o, spec, bound, facts)), None)
        if order is None:
            raise NoMatch(f"no order matches {describe(name, spec)}")
        lines = _numbered(order.lines, spec, facts)
        bound[name] = Bound(name, order, lines, facts.customers.get(order.customer), facts)
    return bound
