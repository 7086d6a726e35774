"""`support nlu ...`: train the intent classifier and run the NLU on messages."""

from __future__ import annotations

import json
import sys
from pathlib import Path
from typing import Annotated

import typer

from cli.common import fail, load_settings, print_json

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
    finetune: Annotated[
        bool,
        typer.Option(
            "--finetune",
            help="Also fine-tune a copy of the encoder (minutes; saved in the version folder).",
        ),
    ] = False,
    epochs: Annotated[int, typer.Option("--epochs", min=1, max=20, help="Fine-tuning epochs.")] = 4,
    include_corrections: Annotated[
        bool,
        typer.Option(
            "--include-corrections",
            help="Add agents' relabelled turns from the store to the training rows.",
        ),
    ] = False,
) -> None:
    """Train the intent classifier, register it as a new version, print its metrics as JSON.

    C and the confidence temperature are chosen on a validation split; accuracy,
    macro-F1, per-intent scores, the confusion matrix (JSON and PNG beside the model)
    and the calibration error are measured on a held-out test split. The new version
    serves only with --promote (or when it is the first); otherwise promote it later.
    --finetune also trains a copy of the MiniLM encoder on the training split; the
    head then reads both encoders (serving encodes each message twice).

    Example: support nlu train --data nlu/corpus/intents.jsonl --promote
    """
    from knowledge.embeddings import get_encoder
    from nlu.finetune import FinetuneConfig
    from nlu.registry import ModelRegistry, train_and_register

    if data is not None and not data.is_file():
        fail(f"no such corpus file: {data}")
    settings = load_settings()
    if include_corrections:
        data = _with_corrections(data, settings)
    print(f"training intent model into {settings.models_dir / 'intent'} ...", file=sys.stderr)
    try:
        version, metrics = train_and_register(
            settings.models_dir,
            get_encoder(settings.EMBEDDING_MODEL),
            data,
            confidence_floor=settings.ESCALATION_THRESHOLD,
            promote=promote,
            finetune=FinetuneConfig(epochs=epochs) if finetune else None,
            progress=lambda line: print(line, file=sys.stderr, flush=True),
        )
    except (ValueError, KeyError, json.JSONDecodeError) as exc:
        fail(f"cannot train on {data or 'the committed corpus'}: {exc}")
    serving = ModelRegistry(settings.models_dir).serving()
    print_json({"version": version, "serving": serving, "metrics": metrics})


def _relabels(settings) -> list[dict]:
    """Agents' relabelled customer turns from the store, as corpus rows."""
    from tools.store.backend import SqlStore

    rows = SqlStore.from_url(settings.database_url).list_corrections("relabel")
    return [
        {"text": r["text"], "intent": r["intent"], "source": f"correction:{r['id']}"}
        for r in rows
        if r["intent"] and r["text"].strip()
    ]


def _with_corrections(data: Path | None, settings) -> Path:
    """A corpus file: `data` (or the committed corpus) plus the store's relabelled turns."""
    from nlu.corpus import CORPUS_PATH

    extra = _relabels(settings)
    base = (data or CORPUS_PATH).read_text(encoding="utf-8").rstrip("\n")
    out = settings.data_dir / "corrections" / f"{(data or CORPUS_PATH).stem}+corrections.jsonl"
    out.parent.mkdir(parents=True, exist_ok=True)
    lines = [base, *(json.dumps(r, ensure_ascii=False) for r in extra)]
    out.write_text("\n".join(lines) + "\n", encoding="utf-8")
    print(f"{len(extra)} corrected turns added from the store", file=sys.stderr)
    return out


@app.command("export-corrections")
def export_corrections(
    out: Annotated[str, typer.Option("--out", help="JSONL file to write (- for stdout).")] = "-",
    kind: Annotated[
        str | None,
        typer.Option("--kind", help="Only relabel, edited_reply or rejected_suggestion rows."),
    ] = None,
) -> None:
    """Write agents' corrections (relabelled turns, edited and rejected suggestions) as JSONL.

    Rows: {id, session_id, turn_index, text, predicted_intent, intent, entities, kind, agent,
    created_at}. Relabelled rows are what `support nlu train --include-corrections` adds.
    Example: support nlu export-corrections --out corrections.jsonl
    """
    from tools.store.backend import SqlStore
    from tools.store.models import CORRECTION_KINDS

    if kind is not None and kind not in CORRECTION_KINDS:
        fail(f"unknown kind {kind!r}; use one of {', '.join(CORRECTION_KINDS)}")
    rows = SqlStore.from_url(load_settings().database_url).list_corrections(kind)
    text = "".join(json.dumps(r, ensure_ascii=False) + "\n" for r in rows)
    if out == "-":
        sys.stdout.write(text)
    else:
        Path(out).parent.mkdir(parents=True, exist_ok=True)
        Path(out).write_text(text, encoding="utf-8")
        print(f"{len(rows)} corrections written to {out}", file=sys.stderr)


@app.command()
def models(
    as_json: Annotated[bool, typer.Option("--json", help="Print JSON.")] = False,
) -> None:
    """List the registered intent model versions and which one serves.

    Example: support nlu models --json
    """
    from nlu.registry import ModelRegistry

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
    """Make a registered version the serving intent model, here and on every running worker.

    The version is recorded in the store: each worker switches to it within a few seconds,
    without a restart, when its own DATA_DIR has that version (one that lacks it logs a
    warning and keeps serving its current model). This machine's registry pointer moves too.

    Example: support nlu promote 1.1.0
    """
    from nlu.registry import ModelRegistry, UnknownVersion
    from nlu.serving import MODEL_NAME
    from tools.store.backend import SqlStore

    settings = load_settings()
    registry = ModelRegistry(settings.models_dir)
    try:
        registry.metadata(version)
    except UnknownVersion as exc:
        fail(str(exc))
    try:
        SqlStore.from_url(settings.database_url).set_serving_model(MODEL_NAME, version)
    except Exception as exc:  # store unreachable: change nothing, say so
        fail(f"cannot record the serving version in the store: {exc.__class__.__name__}")
    registry.promote(version)
    typer.echo(f"serving intent model {version}")


@app.command()
def predict() -> None:
    """Read one message per line on stdin; write one JSON object per line.

    Each object is {text, intent, category, confidence, entities}; blank lines are
    skipped. Needs a trained model (`support nlu train`).

    Example: printf 'hi\\nwhere is my refund?\\n' | support nlu predict
    """
    from knowledge.embeddings import get_encoder
    from nlu.parser import NLU
    from nlu.registry import load_default, require_model

    settings = load_settings()
    try:
        require_model(settings.models_dir)  # fail fast, before the encoder loads
        classifier = load_default(settings.models_dir, get_encoder(settings.EMBEDDING_MODEL))
    except (FileNotFoundError, ValueError) as exc:
        fail(str(exc))
    texts = [line.strip() for line in sys.stdin if line.strip()]
    for parse in NLU(classifier).parse_many(texts):
        typer.echo(json.dumps(parse.to_dict(), ensure_ascii=False))


@app.command("paraphrase")
def paraphrase_corpus(
    out: Annotated[Path, typer.Option("--out", help="Where to write corpus + paraphrases.")],
    per_seed: Annotated[
        int, typer.Option("--per-seed", min=1, max=10, help="Rewordings asked per seed.")
    ] = 3,
    intents: Annotated[
        list[str] | None, typer.Option("--intent", help="Only these intents (repeatable).")
    ] = None,
    max_seeds: Annotated[
        int | None, typer.Option("--max-seeds", min=1, help="At most this many seeds per intent.")
    ] = None,
) -> None:
    """Grow the corpus with LLM paraphrases of the handwritten seeds (needs OPENAI_BASE_URL).

    Writes the committed corpus plus the accepted paraphrases (source `llm_paraphrase`,
    with the model and seed recorded per row) to --out; train on it with
    `support nlu train --data OUT`. The committed corpus itself is never changed.

    Example: support nlu paraphrase --out data/corpus-paraphrased.jsonl --per-seed 3
    """
    from openai import OpenAI

    from nlu.corpus import CORPUS_PATH
    from nlu.corpus.build_corpus import read_seeds, render
    from nlu.corpus.paraphrase import paraphrase
    from nlu.taxonomy import INTENTS

    settings = load_settings()
    if not settings.OPENAI_BASE_URL or not settings.LLM_MODEL:
        fail("set OPENAI_BASE_URL and LLM_MODEL to an OpenAI-compatible endpoint first")
    unknown = sorted(set(intents or ()) - set(INTENTS))
    if unknown:
        fail(f"unknown intent(s) {', '.join(unknown)}; see nlu/taxonomy.py")
    seeds = {
        intent: phrasings[:max_seeds]
        for intent, phrasings in read_seeds().items()
        if not intents or intent in intents
    }
    corpus = [json.loads(line) for line in CORPUS_PATH.read_text(encoding="utf-8").splitlines()]
    client = OpenAI(
        base_url=settings.OPENAI_BASE_URL,
        api_key=settings.OPENAI_API_KEY or "not-needed",
        timeout=settings.LLM_TIMEOUT_SECONDS,
        max_retries=1,
    )
    rows, stats = paraphrase(
        client, settings.LLM_MODEL, seeds, per_seed=per_seed, existing=[r["text"] for r in corpus]
    )
    if stats.failed_seeds and len(stats.failed_seeds) == stats.seeds:
        fail(f"every request to {settings.OPENAI_BASE_URL} failed; nothing written")
    out.parent.mkdir(parents=True, exist_ok=True)
    out.write_text(render([*corpus, *rows]), encoding="utf-8")
    print_json({"out": str(out), "rows": len(corpus) + len(rows), **stats.to_dict()})
