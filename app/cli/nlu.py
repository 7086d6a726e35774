"""`support nlu ...`: train the intent classifier and run the NLU on messages."""

from __future__ import annotations

import json
import sys
from pathlib import Path
from typing import Annotated

import typer

from app.cli.common import fail, load_settings, print_json

app = typer.Typer(no_args_is_help=True, pretty_exceptions_enable=False)


@app.callback()
def nlu() -> None:
    """Train and try the intent classifier.

    Example: echo "where is my order W1234567" | support nlu predict
    """


@app.command()
def train(
    data: Annotated[
        Path | None,
        typer.Option(
            "--data", help="JSONL corpus of {text, intent} rows; default: the committed corpus."
        ),
    ] = None,
    promote: Annotated[
        bool, typer.Option("--promote", help="Serve the new version at once.")
    ] = False,
) -> None:
    """Train the intent classifier, register it as a new version, print its metrics as JSON.

    C and the confidence temperature are chosen on a validation split; accuracy,
    macro-F1, per-intent scores, the confusion matrix (JSON and PNG beside the model)
    and the calibration error are measured on a held-out test split. The new version
    serves only with --promote (or when it is the first); otherwise promote it later.

    Example: support nlu train --data graph/nlu/corpus/intents.jsonl --promote
    """
    from graph.nlu.registry import ModelRegistry, train_and_register
    from knowledge.embeddings import get_encoder

    if data is not None and not data.is_file():
        fail(f"no such corpus file: {data}")
    settings = load_settings()
    print(f"training intent model into {settings.models_dir / 'intent'} ...", file=sys.stderr)
    try:
        version, metrics = train_and_register(
            settings.models_dir, get_encoder(settings.EMBEDDING_MODEL), data, promote=promote
        )
    except (ValueError, KeyError, json.JSONDecodeError) as exc:
        fail(f"cannot train on {data or 'the committed corpus'}: {exc}")
    serving = ModelRegistry(settings.models_dir).serving()
    print_json({"version": version, "serving": serving, "metrics": metrics})


@app.command()
def models(
    as_json: Annotated[bool, typer.Option("--json", help="Print JSON.")] = False,
) -> None:
    """List the registered intent model versions and which one serves.

    Example: support nlu models --json
    """
    from graph.nlu.registry import ModelRegistry

    rows = ModelRegistry(load_settings().models_dir).listing()
    if as_json:
        print_json(rows)
        return
    if not rows:
        typer.echo("no intent models yet: run `support nlu train`")
    for row in rows:
        mark = "*" if row["serving"] else " "
        typer.echo(
            f"{mark} {row['version']:<8} {row['created']}  accuracy {row['test_accuracy']}  "
            f"macro-F1 {row['test_macro_f1']}  ECE {row['test_ece']}  data {row['data_sha256']}"
        )


@app.command("promote")
def promote_version(
    version: Annotated[str, typer.Argument(help="A version listed by `support nlu models`.")],
) -> None:
    """Make a registered version the serving intent model (restart the server to load it).

    Example: support nlu promote 1.1.0
    """
    from graph.nlu.registry import ModelRegistry, UnknownVersion

    registry = ModelRegistry(load_settings().models_dir)
    try:
        registry.promote(version)
    except UnknownVersion as exc:
        fail(str(exc))
    typer.echo(f"serving intent model {version}")


@app.command()
def predict() -> None:
    """Read one message per line on stdin; write one JSON object per line.

    Each object is {text, intent, category, confidence, entities}; blank lines are
    skipped. Needs a trained model (`support nlu train`).

    Example: printf 'hi\\nwhere is my refund?\\n' | support nlu predict
    """
    from graph.nlu.parser import NLU
    from graph.nlu.registry import load_default, require_model
    from knowledge.embeddings import get_encoder

    settings = load_settings()
    try:
        require_model(settings.models_dir)  # fail fast, before the encoder loads
        classifier = load_default(settings.models_dir, get_encoder(settings.EMBEDDING_MODEL))
    except (FileNotFoundError, ValueError) as exc:
        fail(str(exc))
    texts = [line.strip() for line in sys.stdin if line.strip()]
    for parse in NLU(classifier).parse_many(texts):
        typer.echo(json.dumps(parse.to_dict(), ensure_ascii=False))
