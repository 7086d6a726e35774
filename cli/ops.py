"""`support kpi` and `support drift check`: how the bot is doing, and whether it drifts."""

from __future__ import annotations

import re
from datetime import UTC, datetime, timedelta
from typing import Annotated, Any

import typer

from cli.common import fail, load_settings, print_json

drift_app = typer.Typer(no_args_is_help=True, pretty_exceptions_enable=False)
_SPAN = re.compile(r"^(\d+)([hdw])$")


def parse_since(value: str | None) -> datetime | None:
    """'7d', '24h', '2w' (that long ago) or an ISO date/time (UTC); None for all time."""
    if not value:
        return None
    span = _SPAN.match(value.strip())
    if span:
        n, unit = int(span[1]), span[2]
        hours = {"h": 1, "d": 24, "w": 24 * 7}[unit] * n
        return datetime.now(UTC) - timedelta(hours=hours)
    try:
        moment = datetime.fromisoformat(value.strip())
    except ValueError as exc:
        raise typer.BadParameter(
            f"{value!r} is neither a span like 7d / 24h / 2w nor an ISO date"
        ) from exc
    return moment if moment.tzinfo else moment.replace(tzinfo=UTC)


def kpi(
    since: Annotated[
        str | None, typer.Option("--since", help="7d, 24h, 2w or an ISO date; default: all.")
    ] = None,
    as_json: Annotated[bool, typer.Option("--json", help="Print JSON.")] = False,
) -> None:
    """Support KPIs from stored conversations: AHT, FCR, CSAT, escalation rate, containment.

    Example: support kpi --since 7d --json
    """
    from tools.store.db import create_schema, make_engine
    from tools.store.kpi import store_kpis

    settings = load_settings()
    engine = make_engine(settings.database_url)
    create_schema(engine)
    result = store_kpis(engine, parse_since(since)).to_dict()
    if as_json:
        print_json(result)
        return
    for key, value in result.items():
        typer.echo(f"{key:<26} {value}")


def _labelled_turns(engine) -> tuple[list[str], list[str], list[str]]:
    """(texts, agent labels, model predictions at the time) of relabelled turns, if any."""
    from sqlalchemy import inspect, text

    if "corrections" not in set(inspect(engine).get_table_names()):
        return [], [], []
    query = text(
        "SELECT text, intent, predicted_intent FROM corrections "
        "WHERE intent IS NOT NULL AND text IS NOT NULL"
    )
    with engine.connect() as conn:
        rows = list(conn.execute(query))
    return [r[0] for r in rows], [r[1] for r in rows], [r[2] or "" for r in rows]


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
    as_json: Annotated[bool, typer.Option("--json", help="Print JSON.")] = False,
) -> None:
    """Compare recent customer messages with the training data, and the serving model's
    F1 on agent-labelled turns with its test F1; exit 1 when drift is flagged.

    Example: support drift check --window 7d --retrain
    """
    from knowledge.embeddings import get_encoder
    from nlu.corpus import read_corpus
    from nlu.drift import F1_DROP_LIMIT, TOKEN_SHIFT_LIMIT, f1_drop, token_shift
    from nlu.registry import ModelRegistry, load_default
    from tools.store.db import create_schema, make_engine
    from tools.store.turnlog import turns_since

    settings = load_settings()
    engine = make_engine(settings.database_url)
    create_schema(engine)
    since = parse_since(window)
    recent = [t.message for t in turns_since(engine, since)]
    training, _ = read_corpus()
    shift = token_shift(recent, training)
    report: dict[str, Any] = {
        "window": window,
        "recent_messages": len(recent),
        "limits": {"token_shift": TOKEN_SHIFT_LIMIT, "f1_drop": F1_DROP_LIMIT},
        "token_shift": shift.to_dict() if shift else None,
        "f1": None,
    }
    texts, labels, _ = _labelled_turns(engine)
    registry = ModelRegistry(settings.models_dir)
    serving = registry.serving()
    if texts and serving:
        model = load_default(settings.models_dir, get_encoder(settings.EMBEDDING_MODEL))
        predictions = [p.intent for p in model.predict(texts)]
        reference = float(model.metadata["metrics"]["test_macro_f1"])
        drop = f1_drop(labels, predictions, reference)
        report["f1"] = drop.to_dict() if drop else None
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
    if f1:
        mark = "DRIFT" if f1["flagged"] else "ok"
        typer.echo(
            f"intent macro-F1 on {f1['turns']} agent-labelled turns: {f1['recent_macro_f1']:.3f}"
            f" vs test {f1['reference_macro_f1']:.3f} (drop {f1['drop']:.3f}) {mark}"
        )
    else:
        typer.echo("intent F1: no agent-labelled turns yet")
    if report.get("candidate"):
        typer.echo(f"candidate: {report['candidate']['version']} — {report['candidate']['next']}")
