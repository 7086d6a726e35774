"""Off-topic evaluation data: message files with [domain] headers, and the outside data
sets (Banking77, NLU++ banking) read through their written-down scope mappings.

Message files hold one message a line; `#` starts a comment line, and a `[domain]` line
names the domain of the messages under it (default: the file's stem). Banking77 rows are
read with evals/data/banking77_scope.toml, which marks each label off-topic or names the
shop intent it is in scope as. NLU++ banking rows (multi-label) are read with
evals/data/nlupp_scope.toml, which gives every intent module a scope: a message is in scope
when a module names a shop intent, off-topic when a module is a bank or hotel topic, and
small talk (excluded, reported apart) when it carries only dialogue acts and generic
question/verb modules.
"""

from __future__ import annotations

import csv
import json
import random
import re
import tomllib
from collections import defaultdict
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import TypeVar

from graph.routing import FALLBACK_INTENTS
from nlu.taxonomy import INTENTS

SMALLTALK_INTENTS = frozenset({"greeting", "goodbye"})
"""Intents that are small talk, never an in-scope or off-topic reading."""
DATA = Path(__file__).resolve().parent / "data"
OFF_TOPIC_PATH = DATA / "off_topic.txt"
BANKING77_SCOPE_PATH = DATA / "banking77_scope.toml"
NLUPP_SCOPE_PATH = DATA / "nlupp_scope.toml"
OFF_TOPIC = "off_topic"
"""The scope of a message the bot should decline."""
BANKING77 = "banking77"
"""The domain of Banking77 messages."""
NLUPP = "nlupp"
"""The domain of NLU++ messages."""
SMALLTALK = "smalltalk"
"""The scope of a message that names no topic (NLU++ dialogue acts): reported apart."""
ACT = "act"
"""An NLU++ module that names no topic (a dialogue act, a generic question or verb)."""
_HEADER = re.compile(r"^\[\s*([^\]]+?)\s*\]$")
_FOLD = re.compile(r"fold(\d+)\.json")
T = TypeVar("T")


class DatasetError(ValueError):
    """A message file, Banking77 CSV or scope mapping that cannot be used; says why."""


@dataclass(frozen=True)
class Message:
    """One message to score, with where it came from and what it should get."""

    text: str
    domain: str
    expected: str = OFF_TOPIC
    """OFF_TOPIC, SMALLTALK (not scored), or the shop intent an in-scope message should be
    read as."""
    label: str = ""
    """The source data set's label (Banking77; NLU++: its modules joined by `+`), if any."""


def _lines(path: Path) -> Iterable[tuple[str | None, str]]:
    """(domain header or None, message) of each non-blank, non-comment line."""
    try:
        text = path.read_text(encoding="utf-8")
    except (OSError, UnicodeDecodeError) as exc:
        raise DatasetError(f"cannot read {path}: {exc}") from exc
    for raw in text.splitlines():
        line = raw.strip()
        if not line or line.startswith("#"):
            continue
        header = _HEADER.match(line)
        yield (header[1], "") if header else (None, line)


def read_messages(path: Path = OFF_TOPIC_PATH) -> list[str]:
    """The messages of a file, without comments and `[domain]` headers."""
    return [text for _, text in _lines(path) if text]


def read_domains(paths: Sequence[Path]) -> list[Message]:
    """The off-topic messages of every file, each with its domain: the `[domain]` header
    above it, or the file's stem before the first header."""
    messages: list[Message] = []
    for path in paths:
        domain = path.stem
        for header, text in _lines(path):
            if header is not None:
                domain = header
            else:
                messages.append(Message(text, domain))
    return messages


@dataclass(frozen=True)
class Scope:
    """How one Banking77 label reads to the shop."""

    scope: str
    """OFF_TOPIC or a shop intent."""
    reason: str


def _load_table(path: Path, table: str, extra: frozenset[str] = frozenset()) -> dict[str, Scope]:
    """The `[table]` of name -> {scope, reason}; scopes: off_topic, a shop intent or `extra`."""
    try:
        raw = tomllib.loads(path.read_text(encoding="utf-8"))
    except (OSError, UnicodeDecodeError, tomllib.TOMLDecodeError) as exc:
        raise DatasetError(f"cannot read {path}: {exc}") from exc
    entries = raw.get(table)
    if not isinstance(entries, dict) or not entries:
        raise DatasetError(f"{path}: no [{table}] table")
    allowed = {OFF_TOPIC, *INTENTS, *extra} - FALLBACK_INTENTS - SMALLTALK_INTENTS
    kind = table.rstrip("s")
    out: dict[str, Scope] = {}
    for name, entry in entries.items():
        if not isinstance(entry, dict) or not {"scope", "reason"} <= set(entry):
            raise DatasetError(f"{path}: {kind} {name!r} needs a scope and a reason")
        scope, reason = str(entry["scope"]), str(entry["reason"]).strip()
        if scope not in allowed:
            also = "".join(f", {e}" for e in sorted(extra))
            raise DatasetError(
                f"{path}: {kind} {name!r} has scope {scope!r}: not off_topic{also} "
                "nor a shop intent"
            )
        if not reason:
            raise DatasetError(f"{path}: {kind} {name!r} has an empty reason")
        out[name] = Scope(scope, reason)
    return out


def load_scope(path: Path = BANKING77_SCOPE_PATH) -> dict[str, Scope]:
    """The label -> scope mapping; DatasetError on an unknown intent or a missing reason."""
    return _load_table(path, "labels")


def load_nlupp_scope(path: Path = NLUPP_SCOPE_PATH) -> dict[str, Scope]:
    """The NLU++ module -> scope mapping (off_topic, a shop intent or ACT, in file order);
    DatasetError on an unknown intent or a missing reason."""
    return _load_table(path, "modules", frozenset({ACT}))


def nlupp_scope(intents: Sequence[str], modules: Mapping[str, Scope]) -> str:
    """The scope of a message with these NLU++ modules: the shop intent of its first (in
    mapping order) in-scope module, else OFF_TOPIC if it carries a topic module, else
    SMALLTALK. KeyError on a module the mapping doesn't know."""
    scopes = {modules[intent].scope for intent in intents}
    for scope in (s.scope for s in modules.values()):
        if scope in scopes and scope not in (OFF_TOPIC, ACT):
            return scope
    return OFF_TOPIC if OFF_TOPIC in scopes else SMALLTALK


def _stratified(groups: Mapping[str, Sequence[T]], n: int, seed: int) -> list[tuple[str, T]]:
    """A seeded sample of `n` items, stratified by group (each group's share, at least one
    each while n allows), as (group, item) in a shuffled order; everything when n is larger."""
    total = sum(len(items) for items in groups.values())
    n = min(n, total)
    labels = sorted(groups)
    quota = {label: n * len(groups[label]) / total for label in labels}
    counts = {label: int(q) for label, q in quota.items()}
    if n >= len(labels):
        counts = {label: max(1, c) for label, c in counts.items()}
    # hand out what is left by largest remainder, taking back from the largest if over
    left = n - sum(counts.values())
    ranked = sorted(labels, key=lambda lb: (counts[lb] - quota[lb], lb))
    for label in ranked:
        if left <= 0:
            break
        if counts[label] < len(groups[label]):
            counts[label] += 1
            left -= 1
    for label in sorted(labels, key=lambda lb: -counts[lb]):
        if left >= 0:
            break
        if counts[label] > 1:
            counts[label] -= 1
            left += 1
    rng = random.Random(seed)
    sample = [
        (label, item)
        for label in labels
        for item in rng.sample(list(groups[label]), min(counts[label], len(groups[label])))
    ]
    rng.shuffle(sample)
    return sample


def read_banking77(path: Path, scope: Mapping[str, Scope], n: int, seed: int = 0) -> list[Message]:
    """A sample of `n` rows (stratified by label: each label's share of the file, at
    least one row each while n allows) as Messages of the Banking77 domain. DatasetError
    when the file is not `text,category` or holds a label the mapping doesn't know."""
    by_label: dict[str, list[str]] = defaultdict(list)
    try:
        with path.open(encoding="utf-8", newline="") as handle:
            reader = csv.DictReader(handle)
            if not {"text", "category"} <= set(reader.fieldnames or []):
                raise DatasetError(f"{path}: expected the columns text,category (Banking77)")
            for row in reader:
                text, label = (row["text"] or "").strip(), (row["category"] or "").strip()
                if text:
                    by_label[label].append(text)
    except (OSError, UnicodeDecodeError, csv.Error) as exc:
        raise DatasetError(f"cannot read {path}: {exc}") from exc
    unknown = sorted(set(by_label) - set(scope))
    if unknown:
        raise DatasetError(
            f"{path}: labels not in the scope mapping: {', '.join(unknown[:5])}"
            + (f" (and {len(unknown) - 5} more)" if len(unknown) > 5 else "")
        )
    if not sum(len(rows) for rows in by_label.values()):
        raise DatasetError(f"{path}: no rows")
    return [
        Message(text, BANKING77, scope[label].scope, label)
        for label, text in _stratified(by_label, n, seed)
    ]


def nlupp_folds(folder: Path) -> list[Path]:
    """The fold files of an NLU++ folder (DIR/banking/fold*.json, or DIR/fold*.json), in
    fold order."""
    folds = list(folder.glob("banking/fold*.json")) or list(folder.glob("fold*.json"))
    numbered = [(int(m[1]), f) for f in folds if (m := _FOLD.fullmatch(f.name))]
    return [f for _, f in sorted(numbered)]


def read_nlupp(folder: Path, modules: Mapping[str, Scope], n: int, seed: int = 0) -> list[Message]:
    """A sample of `n` NLU++ rows (stratified by their scope: off-topic, in scope as each
    shop intent, small talk; all of them when n is larger) as Messages of the NLU++ domain.
    DatasetError when there are no fold files, a row is not {text, intents}, or a module
    is not in the mapping."""
    folds = nlupp_folds(folder)
    if not folds:
        raise DatasetError(f"{folder}: no banking/fold*.json files (NLU++)")
    by_scope: dict[str, list[tuple[str, tuple[str, ...]]]] = defaultdict(list)
    unknown: set[str] = set()
    for fold in folds:
        try:
            rows = json.loads(fold.read_text(encoding="utf-8"))
        except (OSError, UnicodeDecodeError, json.JSONDecodeError) as exc:
            raise DatasetError(f"cannot read {fold}: {exc}") from exc
        if not isinstance(rows, list):
            raise DatasetError(f"{fold}: expected a list of {{text, intents}} rows")
        for number, row in enumerate(rows):
            if not isinstance(row, dict) or not isinstance(row.get("intents", []), list):
                raise DatasetError(f"{fold}: row {number} is not {{text, intents: [...]}}")
            text = str(row.get("text") or "").strip()
            intents = tuple(str(i) for i in row.get("intents") or [])
            if not text:
                continue
            missing = set(intents) - set(modules)
            if missing:
                unknown |= missing
                continue
            by_scope[nlupp_scope(intents, modules)].append((text, intents))
    if unknown:
        names = sorted(unknown)
        raise DatasetError(
            f"{folder}: intent modules not in the scope mapping: {', '.join(names[:5])}"
            + (f" (and {len(names) - 5} more)" if len(names) > 5 else "")
        )
    if not by_scope:
        raise DatasetError(f"{folder}: no rows")
    return [
        Message(text, NLUPP, scope, "+".join(intents))
        for scope, (text, intents) in _stratified(by_scope, n, seed)
    ]


def as_messages(messages: Sequence[str | Message], domain: str = OFF_TOPIC) -> list[Message]:
    return [m if isinstance(m, Message) else Message(m, domain) for m in messages]
