"""`support evals intent-tau`: the serving intent model on generated τ-retail requests."""

from __future__ import annotations

from pathlib import Path
from typing import Annotated, Any

import typer

from cli.common import fail, load_settings, print_json


def intent_tau(
    db: Annotated[Path, typer.Option("--db", help="τ-format retail db.json.")],
    n: Annotated[int, typer.Option("--n", min=1, max=10000, help="Requests to generate.")] = 240,
    seed: Annotated[int, typer.Option("--seed", help="Generation seed.")] = 0,
    as_json: Annotated[bool, typer.Option("--json", help="Print the report as JSON.")] = False,
) -> None:
    """Accuracy and low-confidence escalations on requests written from a τ-retail store.

    Short and long requests (1–3 ordered items with their options, order ids, reasons,
    addresses) for refund, cancel, track, address, exchange, refund-status and payment
    intents; reported overall, by length (≤ 12, 13–30, > 30 words) and by intent.

    Example: support evals intent-tau --db tau-retail/db.json --n 240 --json
    """
    from app.runtime import build_nlu
    from evals.intent_tau import TauDbError, evaluate, generate, load_db
    from knowledge.embeddings import get_encoder

    settings = load_settings()
    try:
        requests = generate(load_db(db), n=n, seed=seed)
    except TauDbError as exc:
        fail(str(exc))
    try:
        nlu = build_nlu(settings, get_encoder(settings.EMBEDDING_MODEL))
    except (FileNotFoundError, ValueError) as exc:
        fail(str(exc))
    report: dict[str, Any] = {
        "db": str(db),
        "seed": seed,
        **evaluate(nlu, requests, settings.ESCALATION_THRESHOLD),
    }
    if as_json:
        print_json(report)
        return
    head = f"{'':24s} {'n':>5s} {'acc':>6s} {'conf':>6s} {'<thr':>6s} {'escal':>6s}"
    lines = [
        f"{report['n']} requests from {db} (seed {seed}), threshold {report['threshold']}",
        head,
    ]
    groups = [("all", report), *report["by_length"].items(), *report["by_intent"].items()]
    for name, g in groups:
        if g.get("n"):
            lines.append(
                f"{name:24s} {g['n']:5d} {g['accuracy']:6.3f} {g['mean_confidence']:6.3f} "
                f"{g['below_threshold']:6.3f} {g['escalated_low_confidence']:6.3f}"
            )
    if report["top_confusions"]:
        lines += ["", "top confusions (true -> predicted):"]
        lines += [
            f"  {c['true']} -> {c['predicted']}: {c['count']}" for c in report["top_confusions"]
        ]
    typer.echo("\n".join(lines))
