"""The written support policy the tools enforce, loaded from a TOML file.

`load_policy()` reads `tools/policy/default.toml` (the demo shop's rules, the same ones
the help centre states); `load_policy(path)` reads any other file of the same shape, e.g.
`tools/policy/tau_retail.toml`, the rules of the τ-bench retail domain. Every rule a
refund, cancellation, exchange or change to an order is checked against lives here,
never in code.
"""

from __future__ import annotations

import re
import tomllib
from dataclasses import dataclass, field
from importlib import resources
from pathlib import Path
from typing import Any, Literal

SwapKind = Literal["exchange", "modify"]
"""exchange: delivered items for other options; modify: a pending order's items."""

DESTINATIONS = ("original", "gift_card")
"""Where a refund may go: the order's own payment method, or a gift card the customer owns."""


class PolicyError(ValueError):
    """The policy file is missing, not TOML, or breaks the expected shape."""


@dataclass(frozen=True)
class SupportPolicy:
    """The shop's rules for refunds, returns, cancellations, exchanges and order changes."""

    name: str = "default"
    """A label for logs and the CLI, e.g. 'Northwind Supply standard policy'."""
    refund_statuses: tuple[str, ...] = ("delivered",)
    """Order statuses a refund (return) may be asked for in."""
    window_days: int = 30
    """Days after delivery within which a refund may be asked for; 0 means no limit."""
    non_refundable_categories: tuple[str, ...] = ("gift_card",)
    """Product categories never refunded; their lines are left out of the amount."""
    refused_conditions: dict[str, tuple[str, ...]] = field(default_factory=dict)
    """Item conditions that rule a refund out -> phrases that tell them from a message."""
    auto_approve_limit_cents: int | None = 20000
    """Refunds above this wait for a human's approval; None means never."""
    refund_destinations: tuple[str, ...] = ("original",)
    """Where refunds may go: 'original' and/or 'gift_card' (one the customer owns)."""
    cancel_statuses: tuple[str, ...] = ("pending", "processing")
    """Order statuses in which an order may be cancelled."""
    cancel_reasons: dict[str, tuple[str, ...]] = field(default_factory=dict)
    """Accepted cancellation reasons -> phrases that tell them from a message. Empty: any."""
    cancel_fees_cents: dict[str, int] = field(default_factory=dict)
    """Fee for cancelling, by order status (absent means free)."""
    address_change_statuses: tuple[str, ...] = ("pending",)
    """Order statuses in which the shipping address may still change."""
    exchange_statuses: tuple[str, ...] = ("delivered",)
    """Order statuses in which items may be exchanged for other options of the product."""
    exchange_once: bool = False
    """Whether an order may be exchanged only once (everything in one request)."""
    modify_statuses: tuple[str, ...] = ("pending",)
    """Order statuses in which the items may be changed to other options of the product."""
    modify_once: bool = False
    """Whether an order's items may be changed only once."""
    exchange_locks_order: bool = False
    """Whether an exchanged order is closed to returns and further exchanges."""
    modify_locks_order: bool = False
    """Whether an order whose items were changed is closed to cancelling and any change."""
    payment_change_statuses: tuple[str, ...] = ("pending",)
    """Order statuses in which the order may move to another payment method."""
    max_verification_attempts: int = 5
    """Failed identity checks an anonymous conversation may make before a person takes over."""

    def cancel_fee_cents(self, status: str) -> int:
        """The fee for cancelling an order in `status` (0 when free)."""
        return self.cancel_fees_cents.get(status, 0)

    def swap_statuses(self, kind: SwapKind) -> tuple[str, ...]:
        """Order statuses in which items may be swapped: exchanged, or modified."""
        return self.exchange_statuses if kind == "exchange" else self.modify_statuses

    def swap_once(self, kind: SwapKind) -> bool:
        """Whether an order allows only one swap of this kind."""
        return self.exchange_once if kind == "exchange" else self.modify_once

    def refundable_category(self, category: str) -> bool:
        return category not in self.non_refundable_categories

    def needs_approval(self, amount_cents: int) -> bool:
        """Whether a refund of this amount must wait for a human decision."""
        limit = self.auto_approve_limit_cents
        return limit is not None and amount_cents > limit

    def cancel_reason_in(self, text: str) -> str | None:
        """The accepted cancellation reason a message gives, if any ('I ordered it by mistake'
        -> 'ordered by mistake')."""
        return _phrase_match(self.cancel_reasons, text)

    def refused_condition_in(self, text: str) -> str | None:
        """The refused item condition a message describes, if any ('I dropped it' ->
        'damaged after delivery')."""
        return _phrase_match(self.refused_conditions, text)


def _normal(text: str) -> str:
    return " " + re.sub(r"[^a-z0-9$']+", " ", text.lower().replace("’", "'")).strip() + " "


def _phrase_match(table: dict[str, tuple[str, ...]], text: str) -> str | None:
    said = _normal(text)
    for name, phrases in table.items():
        if any(_normal(p) in said for p in (name, *phrases)):
            return name
    return None


def _cents(value: Any, where: str) -> int:
    if isinstance(value, bool) or not isinstance(value, int | float) or value < 0:
        raise PolicyError(f"{where} must be a non-negative amount in dollars, got {value!r}")
    return round(value * 100)


def _strings(value: Any, where: str) -> tuple[str, ...]:
    if not isinstance(value, list) or not all(isinstance(v, str) and v for v in value):
        raise PolicyError(f"{where} must be a list of strings, got {value!r}")
    return tuple(value)


def _flag(value: Any, where: str) -> bool:
    if not isinstance(value, bool):
        raise PolicyError(f"{where} must be true or false, got {value!r}")
    return value


def _section(raw: dict[str, Any], name: str) -> dict[str, Any]:
    value = raw.get(name, {})
    if not isinstance(value, dict):
        raise PolicyError(f"[{name}] must be a table, got {value!r}")
    return value


def _phrases(value: Any, where: str) -> dict[str, tuple[str, ...]]:
    if not isinstance(value, dict):
        raise PolicyError(f"{where} must be a table of name = [phrases], got {value!r}")
    return {name: _strings(v, f"{where}.{name}") for name, v in value.items()}


def parse_policy(raw: dict[str, Any]) -> SupportPolicy:
    """A `SupportPolicy` from parsed TOML; raises PolicyError naming the bad key."""
    known = {
        "name", "refunds", "cancellation", "address_change", "verification",
        "exchange", "modify_items", "payment_change",
    }  # fmt: skip
    if unknown := set(raw) - known:
        raise PolicyError(f"unknown policy sections {sorted(unknown)}; expected {sorted(known)}")
    refunds = raw.get("refunds", {})
    cancel = raw.get("cancellation", {})
    address = raw.get("address_change", {})
    verification = raw.get("verification", {})
    exchange = _section(raw, "exchange")
    modify = _section(raw, "modify_items")
    payment = _section(raw, "payment_change")
    window = refunds.get("window_days", 30)
    if isinstance(window, bool) or not isinstance(window, int) or window < 0:
        raise PolicyError(f"refunds.window_days must be a whole number >= 0, got {window!r}")
    destinations = _strings(refunds.get("destinations", ["original"]), "refunds.destinations")
    if bad := set(destinations) - set(DESTINATIONS):
        raise PolicyError(f"refunds.destinations: unknown {sorted(bad)}; use {DESTINATIONS}")
    limit = refunds.get("auto_approve_limit")
    attempts = verification.get("max_attempts", 5)
    if isinstance(attempts, bool) or not isinstance(attempts, int) or attempts < 1:
        raise PolicyError(f"verification.max_attempts must be >= 1, got {attempts!r}")
    fees = cancel.get("fees", {})
    if not isinstance(fees, dict):
        raise PolicyError("cancellation.fees must be a table of status = dollars")
    return SupportPolicy(
        name=str(raw.get("name", "unnamed policy")),
        refund_statuses=_strings(refunds.get("statuses", ["delivered"]), "refunds.statuses"),
        window_days=window,
        non_refundable_categories=_strings(
            refunds.get("non_refundable_categories", []), "refunds.non_refundable_categories"
        ),
        refused_conditions=_phrases(
            refunds.get("refused_conditions", {}), "refunds.refused_conditions"
        ),
        auto_approve_limit_cents=None
        if limit is None
        else _cents(limit, "refunds.auto_approve_limit"),
        refund_destinations=destinations,
        cancel_statuses=_strings(cancel.get("statuses", ["pending"]), "cancellation.statuses"),
        cancel_reasons=_phrases(cancel.get("reasons", {}), "cancellation.reasons"),
        cancel_fees_cents={s: _cents(v, f"cancellation.fees.{s}") for s, v in fees.items()},
        address_change_statuses=_strings(
            address.get("statuses", ["pending"]), "address_change.statuses"
        ),
        max_verification_attempts=attempts,
        exchange_statuses=_strings(exchange.get("statuses", ["delivered"]), "exchange.statuses"),
        exchange_once=_flag(exchange.get("once", False), "exchange.once"),
        modify_statuses=_strings(modify.get("statuses", ["pending"]), "modify_items.statuses"),
        modify_once=_flag(modify.get("once", False), "modify_items.once"),
        exchange_locks_order=_flag(exchange.get("locks_order", False), "exchange.locks_order"),
        modify_locks_order=_flag(modify.get("locks_order", False), "modify_items.locks_order"),
        payment_change_statuses=_strings(
            payment.get("statuses", ["pending"]), "payment_change.statuses"
        ),
    )


def default_policy_text() -> str:
    return (resources.files("tools.policy") / "default.toml").read_text(encoding="utf-8")


def load_policy(path: str | Path | None = None) -> SupportPolicy:
    """The policy in the TOML file at `path`, or the packaged default when `path` is empty.

    Example: `load_policy("tools/policy/tau_retail.toml").cancel_statuses == ("pending",)`.
    """
    try:
        text = Path(path).read_text(encoding="utf-8") if path else default_policy_text()
    except OSError as exc:
        raise PolicyError(f"cannot read policy file {path}: {exc.strerror}") from exc
    try:
        raw = tomllib.loads(text)
    except tomllib.TOMLDecodeError as exc:
        raise PolicyError(f"policy file {path or 'default.toml'} is not valid TOML: {exc}") from exc
    return parse_policy(raw)
