"""`support kpi`, `support drift check` and `support ops`: how the bot is doing, whether it
drifts, and the monitoring that watches it."""

from __future__ import annotations

from typing import Annotated, Any

import typer

from cli.common import fail, load_settings, print_json
from cli.kpi import kpi, parse_since
from cli.prometheus import ops_app

__all__ = ["drift_app", "kpi", "ops_app"]

drift_app = typer.Typer(no_args_is_help=True, pretty_exceptions_enable=False)


@drift_app.command("check")
def drift_check(
    window: Annotated[
        str, typer.Option("--window", help="How far back recent traffic goes: 7d, 24h, 2w.")
    ] = "7d",
    retrain: Annotated[
        bool,
        typer.Option(
            "--retrain",
            help="When drift is flagged, train a candidate version (with agent corrections) "
            "and register it for an A/B test; the serving model is not replaced.",
        ),
    ] = False,
    min_relabels: Annotated[
        int | None,
        typer.Option(
            "--min-relabels",
            min=1,
            help="Fewest agent-relabelled turns in the window to judge intent F1; "
            "default: DRIFT_MIN_RELABELS (30).",
        ),
    ] = None,
    as_json: Annotated[bool, typer.Option("--json", help="Print JSON.")] = False,
) -> None:
    """Compare recent customer messages with the training data, and the serving model's
    F1 on customer turns agents relabelled in the window with its test F1; exit 1 when
    drift is flagged. Edited replies are not relabels; too few relabels give no verdict.

    Example: support drift check --window 7d --retrain
    """
    from nlu.corpus import read_corpus
    from nlu.drift import F1_DROP_LIMIT, TOKEN_SHIFT_LIMIT, f1_drop, token_shift
    from nlu.registry import ModelRegistry, load_default
    from tools.store.db import create_schema, make_engine
    from tools.store.ops_queries import relabels
    from tools.store.turnlog import turns_since

    settings = load_settings()
    needed = min_relabels or settings.DRIFT_MIN_RELABELS
    engine = make_engine(settings.database_url)
    create_schema(engine)
    since = parse_since(window)
    recent = [t.message for t in turns_since(engine, since)]
    training, _ = read_corpus()
    shift = token_shift(recent, training)
    labelled = relabels(engine, since)
    report: dict[str, Any] = {
        "window": window,
        "recent_messages": len(recent),
        "limits": {
            "token_shift": TOKEN_SHIFT_LIMIT,
            "f1_drop": F1_DROP_LIMIT,
            "min_relabels": needed,
        },  # fmt: skip
        "token_shift": shift.to_dict() if shift else None,
        "relabels": len(labelled),
        "relabels_changed": sum(r.intent != r.predicted for r in labelled),
        "f1": None,
    }
    registry = ModelRegistry(settings.models_dir)
    serving = registry.serving()
    if serving:
        reference = float(registry.metadata(serving)["metrics"]["test_macro_f1"])
        predictions: list[str] = []
        if len(labelled) >= needed:  # load the model only when there is something to judge
            from knowledge.embeddings import get_encoder

            model = load_default(settings.models_dir, get_encoder(settings.EMBEDDING_MODEL))
            predictions = [p.intent for p in model.predict([r.text for r in labelled])]
        drop = f1_drop([r.intent for r in labelled], predictions, reference, min_turns=needed)
        report["f1"] = drop.to_dict()
        report["model_version"] = serving
    flagged = bool((shift and shift.flagged) or (report["f1"] and report["f1"]["flagged"]))
    report["flagged"] = flagged
    if not recent or shift is None:
        report["note"] = "too few recent messages to measure a token shift"
    if flagged and retrain:
        report["candidate"] = _train_candidate(settings)
    if as_json:
        print_json(report)
    else:
        _print_drift(report)
    if flagged:
        raise typer.Exit(1)


def _train_candidate(settings) -> dict[str, Any]:
    """Train on the corpus plus agent corrections; register without serving it."""
    from cli.nlu import _with_corrections
    from knowledge.embeddings import get_encoder
    from nlu.registry import train_and_register

    corpus = _with_corrections(None, settings)  # as `support nlu train --include-corrections`
    try:
        version, metrics = train_and_register(
            settings.models_dir,
            get_encoder(settings.EMBEDDING_MODEL),
            corpus,
            confidence_floor=settings.ESCALATION_THRESHOLD,
            promote=False,
        )
    except ValueError as exc:
        fail(f"retraining failed: {exc}")
    return {
        "version": version,
        "test_accuracy": metrics.get("test_accuracy"),
        "next": f"A/B test it: NLU_CANDIDATE_VERSION={version} NLU_CANDIDATE_SHARE=0.2, "
        f"then `support nlu promote {version}` if it does better",
    }


def _print_drift(report: dict[str, Any]) -> None:
    shift = report["token_shift"]
    typer.echo(f"recent messages ({report['window']}): {report['recent_messages']}")
    if shift:
        mark = "DRIFT" if shift["flagged"] else "ok"
        typer.echo(
            f"token shift: {shift['shift']:.3f} (distance {shift['distance']:.3f} - noise "
            f"{shift['noise_floor']:.3f}; limit {report['limits']['token_shift']}) {mark}"
        )
        typer.echo(f"  words gaining most: {', '.join(shift['top_new_words'])}")
    else:
        typer.echo(f"token shift: {report.get('note')}")
    f1 = report["f1"]
    changed = f"{report['relabels_changed']} changed the model's label"
    if f1 is None:
        typer.echo("intent F1: no serving intent model")
    elif not f1["judged"]:
        typer.echo(f"intent F1: {f1['note']} ({changed})")
    else:
        mark = "DRIFT" if f1["flagged"] else "ok"
        typer.echo(
            f"intent macro-F1 on {f1['turns']} agent-relabelled turns ({changed}): "
            f"{f1['recent_macro_f1']:.3f} vs test {f1['reference_macro_f1']:.3f} "
            f"(drop {f1['drop']:.3f}) {mark}"
        )
    if report.get("candidate"):
        typer.echo(f"candidate: {report['candidate']['version']} — {report['candidate']['next']}")
