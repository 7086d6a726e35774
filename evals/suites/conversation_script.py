"""Conversation scripts: reading and checking the YAML files (the format is in the docstring
of evals.suites.conversations)."""

from __future__ import annotations

import re
from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, cast

import yaml

from evals.suites.bindings import check_picks
from evals.suites.harness import STORE_KINDS, StoreKind
from evals.suites.placeholders import PLACEHOLDER, placeholder_errors

SCRIPTS_DIR = Path(__file__).resolve().parent.parent / "data" / "conversations"
SCRIPT_KEYS = frozenset({"name", "customer", "store", "bind", "turns", "end_state"})
TURN_KEYS = frozenset({"say", "expect", "in_scope"})
TURN_CHECKS = frozenset(
    {
        "escalated",
        "escalation_reason",
        "reply_contains",
        "reply_excludes",
        "reply_matches",
        "actions",
        "cited_from",
        "intent",
        "suggestions",
        "suggestions_include",
    }
)
END_CHECKS = frozenset(
    {
        "refunds",
        "refund_amounts",
        "refund_items",
        "exchanges",
        "order_status",
        "order_address_contains",
        "default_address_contains",
        "writes",
        "audit_actions",
        "escalations",
        "escalation_reasons",
    }
)


@dataclass(frozen=True)
class Turn:
    say: str
    expect: dict[str, Any] = field(default_factory=dict)
    in_scope: bool = True
    """Ordinary support traffic (counts toward the in-scope escalation rate)."""


@dataclass(frozen=True)
class Script:
    name: str
    customer: str | None
    turns: list[Turn]
    end_state: dict[str, Any]
    path: Path
    store: StoreKind = "demo"
    """Which store the script runs on: "demo" (seeded demo shop) or "tau" (imported dump)."""
    bind: dict[str, dict[str, Any]] = field(default_factory=dict)
    """Named order picks, resolved before the first turn (see evals.suites.bindings)."""


def _strings(value: Any) -> Iterator[str]:
    """Every string in a YAML value, mapping keys included."""
    if isinstance(value, str):
        yield value
    elif isinstance(value, dict):
        for key, item in value.items():
            yield from _strings(key)
            yield from _strings(item)
    elif isinstance(value, list):
        for item in value:
            yield from _strings(item)


def _check_patterns(turns: list[Turn]) -> list[str]:
    errors = []
    for n, turn in enumerate(turns, start=1):
        patterns = turn.expect.get("reply_matches", [])
        for pattern in [patterns] if isinstance(patterns, str) else patterns:
            try:
                re.compile(PLACEHOLDER.sub("x", str(pattern)))
            except re.error as exc:
                errors.append(f"turn {n}: reply_matches {pattern!r} is not a regex ({exc})")
    return errors


def load_script(path: Path) -> Script:
    """One script; an unknown key or a malformed file is a ValueError naming the file."""
    try:
        data = yaml.safe_load(path.read_text(encoding="utf-8"))
        turns = [
            Turn(str(t["say"]), dict(t.get("expect") or {}), bool(t.get("in_scope", True)))
            for t in data["turns"]
        ]
        customer = data.get("customer")
        script = Script(
            str(data.get("name") or path.stem),
            None if customer is None else str(customer),
            turns,
            dict(data.get("end_state") or {}),
            path,
            cast(StoreKind, str(data.get("store") or "demo")),
            check_picks(data.get("bind")),
        )
    except (yaml.YAMLError, KeyError, TypeError, AttributeError) as exc:
        raise ValueError(f"{path}: not a conversation script ({exc!r})") from exc
    except ValueError as exc:
        raise ValueError(f"{path}: {exc}") from exc
    unknown = set(data) - SCRIPT_KEYS
    unknown |= {k for t in data["turns"] if isinstance(t, dict) for k in t} - TURN_KEYS
    if unknown:
        raise ValueError(f"{path}: unknown keys {sorted(unknown)}")
    unknown = {k for t in turns for k in t.expect} - TURN_CHECKS
    unknown |= set(script.end_state) - END_CHECKS
    if unknown:
        raise ValueError(f"{path}: unknown checks {sorted(unknown)}")
    if not turns:
        raise ValueError(f"{path}: no turns")
    if script.store not in STORE_KINDS:
        raise ValueError(f"{path}: store {script.store!r} is not one of {', '.join(STORE_KINDS)}")
    names = frozenset(script.bind)
    errors = [e for text in _strings(data) for e in placeholder_errors(text, names)]
    errors += _check_patterns(turns)
    if errors:
        raise ValueError(f"{path}: {'; '.join(dict.fromkeys(errors))}")
    return script


def load_scripts(folder: Path = SCRIPTS_DIR) -> list[Script]:
    """Every *.yaml script in the folder, by file name."""
    scripts = [load_script(p) for p in sorted(folder.glob("*.yaml"))]
    if not scripts:
        raise ValueError(f"{folder}: no conversation scripts (*.yaml)")
    return scripts


def select_scripts(scripts: list[Script], pattern: str | None) -> list[Script]:
    """The scripts whose name or file name contains `pattern` (all of them for None)."""
    if not pattern:
        return scripts
    chosen = [s for s in scripts if pattern in s.name or pattern in s.path.name]
    if not chosen:
        raise ValueError(f"no conversation script matches {pattern!r}")
    return chosen
