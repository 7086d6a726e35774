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
) -> None:
    """Train the intent classifier into DATA_DIR/models/intent and print its metrics as JSON.

    C and the confidence temperature are chosen on a validation split; accuracy,
    macro-F1 and confidence coverage are measured on a held-out test split.

    Example: support nlu train --data graph/nlu/corpus/intents.jsonl
    """
    from graph.nlu.classifier import train_default
    from knowledge.embeddings import get_encoder

    if data is not None and not data.is_file():
        fail(f"no such corpus file: {data}")
    settings = load_settings()
    print(f"training intent model into {settings.models_dir / 'intent'} ...", file=sys.stderr)
    try:
        metrics = train_default(settings.models_dir, get_encoder(settings.EMBEDDING_MODEL), data)
    except (ValueError, KeyError, json.JSONDecodeError) as exc:
        fail(f"cannot train on {data or 'the committed corpus'}: {exc}")
    print_json(metrics)


@app.command()
def predict() -> None:
    """Read one message per line on stdin; write one JSON object per line.

    Each object is {text, intent, category, confidence, entities}; blank lines are
    skipped. Needs a trained model (`support nlu train`).

    Example: printf 'hi\\nwhere is my refund?\\n' | support nlu predict
    """
    from graph.nlu.classifier import load_default, require_model
    from graph.nlu.parser import NLU
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
