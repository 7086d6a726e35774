"""Evaluation suites run by `support evals run`: one module per suite, each `run(ctx)`."""

from __future__ import annotations

from collections.abc import Callable

from evals.suites.base import SuiteContext, SuiteResult

SUITE_NAMES = ("rag", "intent", "entities", "escalation", "conversations", "security", "desk")
"""Every suite, in run order."""
NEEDS_GRAPH = frozenset({"rag", "escalation", "conversations", "security", "desk"})
"""Suites that run the real graph (and so load the serving models)."""


def suite_runner(name: str) -> Callable[[SuiteContext], SuiteResult]:
    """The `run` function of a suite (imported on demand: some load heavy libraries)."""
    from importlib import import_module

    if name not in SUITE_NAMES:
        raise KeyError(f"no suite {name!r}; suites are {', '.join(SUITE_NAMES)}")
    return import_module(f"evals.suites.{name}").run
