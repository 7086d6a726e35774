"""`support evals entities-tau`: entity extraction on values drawn from a τ-retail db."""

from __future__ import annotations

from pathlib import Path
from typing import Annotated

import typer

from cli.common import fail, print_json


def entities_tau(
    db: Annotated[Path, typer.Option("--db", help="τ-format store dump (db.json).")],
    n: Annotated[int, typer.Option("--n", help="Number of sentences.")] = 300,
    seed: Annotated[int, typer.Option("--seed", help="Random seed for the draws.")] = 0,
    as_json: Annotated[bool, typer.Option("--json", help="Print the full report as JSON.")] = False,
) -> None:
    """Score entity extraction on sentences filled with τ-retail values no training row holds.

    Example: support evals entities-tau --db /work/shared/datasets/tau-retail/db.json --n 300
    """
    from evals.entities_tau import evaluate_tau_entities, format_report
    from tools.store.tau_import import TauFormatError

    try:
        report = evaluate_tau_entities(db, n=n, seed=seed)
    except TauFormatError as exc:
        fail(str(exc))
    if as_json:
        print_json(report)
    else:
        print(format_report(report))
