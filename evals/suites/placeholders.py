"""Placeholders in script text: `{name.field}` and `{name.itemN.field}` name the facts of
an order a script bound (evals.suites.bindings), filled in just before use.

Lines are numbered as the binding numbers them: in order, except that the lines a pick
criterion is about come first (the repeated product's for same_product_twice, those with
a variant in stock for has_variant_available).
"""

from __future__ import annotations

import re
from collections.abc import Callable, Mapping
from dataclasses import dataclass

from evals.suites.store_facts import CustomerFacts, Line, OrderFacts, StoreFacts, Variant
from tools.schemas import money

ORDER_FIELDS: dict[str, str] = {
    "id": "the order number: 'W1529874'",
    "customer": "the customer id",
    "status": "the order's status: 'delivered'",
    "total": "the order total: '$118.85'",
    "items": "how many lines the order has",
    "address": "the order's shipping address, name first",
    "street": "the first line of the shipping address: '63 Beacon Street'",
    "tracking": "the tracking number (an error when there is none)",
    "payment": "the method the order was paid with: 'Visa ending 6654'",
    "customer_name": "the customer's full name",
    "customer_first_name": "the customer's first name",
    "customer_email": "the customer's e-mail address",
    "customer_zip": "the customer's ZIP code",
    "customer_address": "the customer's default address",
    "gift_card": "the label of the customer's gift card ('Gift card')",
    "paypal": "the label of the customer's PayPal account",
    "card": "the label of the customer's first card: 'Visa ending 3381'",
}
"""Fields of `{name.FIELD}`."""
ITEM_FIELDS: dict[str, str] = {
    "product": "the product's name without options: 'Pour-Over Coffee Set'",
    "name": "the line's full name: 'Pour-Over Coffee Set (white, 600ml)'",
    "price": "the line's unit price: '$42.60'",
    "sku": "the line's SKU (τ: item id)",
    "option": "an option value no other line of the same product in the order shares",
    "variant": "an option word of another in-stock variant of the product: 'charcoal'",
    "variant_sku": "that variant's SKU",
    "variant_name": "that variant's full name",
    "variant_price": "that variant's price",
}
"""Fields of `{name.itemN.FIELD}` (N from 1; see bindings for how lines are numbered)."""
NAME = r"[A-Za-z_]\w*"
PLACEHOLDER = re.compile(rf"\{{({NAME})\.(?:item([1-9]\d*)\.)?([a-z_]+)\}}")
"""`{order.id}`, `{order.item2.price}`."""
_LOOSE = re.compile(rf"\{{({NAME})\.([^{{}}\s]+)\}}")
"""Anything that looks like a placeholder: checked against PLACEHOLDER at load time."""


def placeholder_errors(text: str, names: set[str] | frozenset[str]) -> list[str]:
    """What is wrong with the `{name.field}` placeholders in one piece of script text."""
    errors = []
    for match in _LOOSE.finditer(text):
        strict = PLACEHOLDER.fullmatch(match[0])
        if match[1] not in names:
            errors.append(f"{match[0]}: no binding {match[1]!r} (bind: names {sorted(names)})")
        elif strict is None:
            errors.append(f"{match[0]}: not a field; use {{{match[1]}.FIELD}} or ITEMn.FIELD")
        elif strict[2] is None and strict[3] not in ORDER_FIELDS:
            errors.append(f"{match[0]}: unknown field; fields: {', '.join(sorted(ORDER_FIELDS))}")
        elif strict[2] is not None and strict[3] not in ITEM_FIELDS:
            errors.append(
                f"{match[0]}: unknown item field; fields: {', '.join(sorted(ITEM_FIELDS))}"
            )
    return errors


def _colour_first(options: Mapping[str, str]) -> list[str]:
    return sorted(options, key=lambda key: key not in ("color", "colour"))


def alternative(line: Line, groups: Mapping[str, tuple[Variant, ...]]) -> tuple[Variant, str]:
    """Another variant of the line's product in stock, and an option word that names it
    (one no other variant of the product shares, where there is one): (variant, 'coral')."""
    variants = groups.get(line.group, ())
    fallback = None
    for v in variants:
        if not v.available or v.sku == line.sku:
            continue
        for key in _colour_first(v.options):
            word = v.options[key]
            if word == line.options.get(key):
                continue
            if all(o.options.get(key) != word for o in variants if o.sku != v.sku):
                return v, word
            fallback = fallback or (v, word)
    if fallback is None:
        raise LookupError(f"{line.product} ({line.sku}) has no other variant in stock")
    return fallback


@dataclass(frozen=True)
class Bound:
    """One binding's order, its lines as the script numbers them, and its customer."""

    name: str
    order: OrderFacts
    lines: tuple[Line, ...]
    customer: CustomerFacts | None
    facts: StoreFacts

    def value(self, item: int | None, field: str) -> str:
        """The text of `{name.field}` / `{name.itemN.field}`; LookupError when there is none."""
        if item is not None:
            if item > len(self.lines):
                raise LookupError(f"order {self.order.id} has {len(self.lines)} line(s)")
            return self._item(item - 1, field)
        order = self.order
        simple = {
            "id": order.id,
            "customer": order.customer,
            "status": order.status,
            "total": money(order.total_cents),
            "items": str(len(order.lines)),
            "address": order.address,
            "street": _street(order.address),
            "payment": order.payment,
        }
        if field in simple:
            return simple[field]
        if field == "tracking":
            if not order.tracking:
                raise LookupError(f"order {order.id} has no tracking number")
            return order.tracking
        return self._customer(field)

    def _customer(self, field: str) -> str:
        c = self.customer
        if c is None:
            raise LookupError(f"order {self.order.id}'s customer is not in the store")
        if field in ("gift_card", "paypal", "card"):
            label = next((m.label for m in c.methods if m.kind == field), None)
            if label is None:
                raise LookupError(f"customer {c.id} has no {field.replace('_', ' ')} on file")
            return label
        values = {
            "customer_name": c.name,
            "customer_first_name": c.name.split()[0] if c.name else "",
            "customer_email": c.email,
            "customer_zip": c.zip_code,
            "customer_address": c.address,
        }
        return values[field]

    def _item(self, index: int, field: str) -> str:
        line = self.lines[index]
        if field == "product":
            return line.product
        if field == "name":
            return line.name
        if field == "price":
            return money(line.price_cents)
        if field == "sku":
            return line.sku
        if field == "option":
            return self._option(index)
        variant, word = alternative(line, self.facts.groups)
        return {
            "variant": word,
            "variant_sku": variant.sku,
            "variant_name": _variant_name(variant),
            "variant_price": money(variant.price_cents),
        }[field]

    def _option(self, index: int) -> str:
        """An option value of the line no other line of the same product shares."""
        line = self.lines[index]
        siblings = [
            other for i, other in enumerate(self.lines) if i != index and other.group == line.group
        ]
        for key in _colour_first(line.options):
            if all(other.options.get(key) != line.options[key] for other in siblings):
                return line.options[key]
        raise LookupError(f"{line.name} has no option that tells it from the order's other lines")


def _street(address: str) -> str:
    """'418 Juniper Lane' out of 'Marisol Quintero, 418 Juniper Lane, Apt 12, Tucson, ...'."""
    parts = [p.strip() for p in address.split(",")]
    return parts[1] if len(parts) > 2 else address


def _variant_name(variant: Variant) -> str:
    options = ", ".join(variant.options.values())
    return f"{variant.name} ({options})" if options else variant.name


def render(
    text: str, bound: Mapping[str, Bound], escape: Callable[[str], str] | None = None
) -> str:
    """The text with every `{name.field}` replaced (`escape`d, e.g. re.escape in a regex).

    ValueError names a placeholder the binding has no value for."""

    def one(match: re.Match[str]) -> str:
        name, item, field = match.groups()
        if name not in bound:
            raise ValueError(f"{match[0]}: no binding {name!r}")
        try:
            value = bound[name].value(int(item) if item else None, field)
        except LookupError as exc:
            raise ValueError(f"{match[0]}: {exc.args[0] if exc.args else exc}") from exc
        return escape(value) if escape else value

    return PLACEHOLDER.sub(one, text)
