"""`support evals ...`: measure the intent classifier on labelled CSV files."""

from __future__ import annotations

import sys
from pathlib import Path
from typing import Annotated, Any

import typer

from cli.common import fail, load_settings, print_json

app = typer.Typer(
    help="Evaluate the agent's models on labelled data.",
    no_args_is_help=True,
    pretty_exceptions_enable=False,
)

TextColumn = Annotated[
    str | None,
    typer.Option("--text-column", help="Text column; default: auto-detected (text, utterance)."),
]
LabelColumn = Annotated[
    str | None,
    typer.Option("--label-column", help="Label column; default: auto-detected (intent, category)."),
]
AsJson = Annotated[bool, typer.Option("--json", help="Print the full report as JSON.")]
FINETUNE_EPOCHS = 4


def _read(path: Path, text_column: str | None, label_column: str | None):
    from evals.intent import DatasetError, read_labelled_csv

    try:
        return read_labelled_csv(path, text_column, label_column)
    except DatasetError as exc:
        fail(str(exc))
    except (UnicodeDecodeError, OSError) as exc:
        fail(f"cannot read {path}: {exc}")


def _encoder():
    from knowledge.embeddings import get_encoder

    return get_encoder(load_settings().EMBEDDING_MODEL)


def _progress(line: str) -> None:
    print(line, file=sys.stderr, flush=True)


def _print_report(report: dict[str, Any], as_json: bool) -> None:
    if as_json:
        print_json(report)
        return
    lines = []
    if "n_train" in report:
        lines.append(
            f"trained on {report['n_train']} rows, {report['n_classes']} classes "
            f"in {report['train_seconds']:.1f}s ({report['train_threads']} threads"
            + (", fine-tuned encoder)" if report.get("finetune") else ")")
        )
    lines += [
        f"test rows        {report['n_test']}",
        f"accuracy         {report['accuracy']:.4f}",
        f"macro-F1         {report['macro_f1']:.4f}",
        f"ECE (10 bins)    {report['ece']:.4f}",
        f"mean confidence  {report['mean_confidence']:.4f}",
        "",
        f"{'class':32s} {'prec':>6s} {'recall':>6s} {'f1':>6s} {'n':>5s}",
    ]
    for name, s in report["per_class"].items():
        lines.append(
            f"{name:32s} {s['precision']:6.3f} {s['recall']:6.3f} {s['f1']:6.3f} {s['support']:5d}"
        )
    if report["top_confusions"]:
        lines += ["", "top confusions (true -> predicted):"]
        lines += [
            f"  {c['true']} -> {c['predicted']}: {c['count']}" for c in report["top_confusions"]
        ]
    typer.echo("\n".join(lines))


@app.command()
def intent(
    train: Annotated[Path, typer.Option("--train", help="Labelled CSV to train on.")],
    test: Annotated[Path | None, typer.Option("--test", help="Labelled CSV to score on.")] = None,
    holdout: Annotated[
        float | None,
        typer.Option(
            "--holdout",
            min=0.01,
            max=0.5,
            help="Instead of --test: score on this stratified share of --train (seed 13), "
            "never seen in training or model selection.",
        ),
    ] = None,
    finetune: Annotated[
        bool, typer.Option("--finetune", help="Fine-tune the encoder too (minutes).")
    ] = False,
    epochs: Annotated[
        int, typer.Option("--epochs", min=1, max=20, help="Fine-tuning epochs.")
    ] = FINETUNE_EPOCHS,
    text_column: TextColumn = None,
    label_column: LabelColumn = None,
    as_json: AsJson = False,
) -> None:
    """Train a fresh intent model on one labelled CSV and score it on another.

    Reports accuracy, macro-F1, per-class precision/recall/F1, the expected
    calibration error of the confidences, training seconds and threads. Banking77
    (text,category) and Bitext (utterance,intent) columns are detected without options.
    With --holdout the test rows are a seeded stratified share of --train.

    Example: support evals intent --train banking77/train.csv --holdout 0.15 --json
    """
    from evals.intent import DatasetError, evaluate, holdout_split
    from nlu.finetune import FinetuneConfig

    if (test is None) == (holdout is None):
        fail("give either --test FILE or --holdout SHARE")
    train_texts, train_labels = _read(train, text_column, label_column)
    try:
        if test is not None:
            test_texts, test_labels = _read(test, text_column, label_column)
        else:
            assert holdout is not None  # exactly one of --test and --holdout, checked above
            train_texts, train_labels, test_texts, test_labels = holdout_split(
                train_texts, train_labels, holdout
            )
    except DatasetError as exc:
        fail(str(exc))
    config = FinetuneConfig(epochs=epochs) if finetune else None
    print(f"training on {len(train_texts)} rows from {train} ...", file=sys.stderr)
    try:
        report = evaluate(
            train_texts, train_labels, test_texts, test_labels, _encoder(),
            confidence_floor=load_settings().ESCALATION_THRESHOLD,
            finetune=config, progress=_progress,
        )  # fmt: skip
    except DatasetError as exc:
        fail(str(exc))
    except ValueError as exc:  # e.g. a class too small for the stratified split
        fail(f"cannot train on {train}: {exc}")
    report["test_source"] = str(test) if test is not None else f"{holdout:.0%} held out of {train}"
    _print_report(report, as_json)


@app.command("intent-shipped")
def intent_shipped(
    test: Annotated[Path, typer.Option("--test", help="Labelled CSV to score on.")],
    text_column: TextColumn = None,
    label_column: LabelColumn = None,
    fresh: Annotated[
        bool,
        typer.Option("--fresh", help="Score a model trained now on the committed corpus instead."),
    ] = False,
    as_json: AsJson = False,
) -> None:
    """Score the shipped intent model (trained on the project corpus) on a labelled CSV.

    Labels must be the shop's intent names (Bitext's match). Without --fresh the model
    in DATA_DIR/models/intent is used (`support nlu train` builds it).

    Example: support evals intent-shipped --fresh --test Bitext_Validation.csv
    """
    from evals.intent import evaluate_model
    from nlu.classifier import IntentClassifier
    from nlu.corpus import read_corpus
    from nlu.taxonomy import INTENTS

    texts, labels = _read(test, text_column, label_column)
    unknown = sorted(set(labels) - set(INTENTS))
    if unknown:
        fail(f"labels outside the shop's intents in {test}: {', '.join(unknown[:5])}")
    training = None
    if fresh:
        print("training the shipped model from the corpus ...", file=sys.stderr)
        classifier = IntentClassifier()
        training = classifier.train(
            *read_corpus(), _encoder(), confidence_floor=load_settings().ESCALATION_THRESHOLD
        )
    else:
        from nlu.registry import load_default, require_model

        models_dir = load_settings().models_dir
        try:
            require_model(models_dir)  # fail fast, before the encoder loads
            classifier = load_default(models_dir, _encoder())
        except (FileNotFoundError, ValueError) as exc:
            fail(str(exc))
    report = evaluate_model(classifier, texts, labels)
    if training is not None:
        report["training"] = {k: v for k, v in training.items() if k != "gibberish_confidence"}
    _print_report(report, as_json)


@app.command()
def entities(
    file: Annotated[
        Path | None,
        typer.Option(
            "--file",
            help="Bitext-style CSV with gold entities; default: the spans of the project corpus.",
        ),
    ] = None,
    text_column: Annotated[str, typer.Option(help="Column holding the text.")] = "utterance",
    as_json: Annotated[bool, typer.Option("--json", help="Print the report as JSON.")] = False,
    min_f1: Annotated[
        float | None, typer.Option(help="Exit 1 when micro F1 is under this value.")
    ] = None,
) -> None:
    """Entity precision / recall / F1 per type on a labelled CSV, or on the project corpus.

    Example: support evals entities --file Bitext_Sample_Customer_Service_Validation_Dataset.csv
    """
    if file is None:
        from evals.entities import evaluate_corpus_entities

        report = evaluate_corpus_entities()
        if as_json:
            print_json(report)
        else:
            typer.echo(f"{report['file']}: {report['rows']} utterances")
            for kind in ("span", "value"):
                scores = [*report[kind]["types"].items(), ("micro", report[kind]["micro"])]
                for name, s in scores:
                    typer.echo(
                        f"{kind:<6}{name:<12}P {s['precision']:.3f}  R {s['recall']:.3f}  "
                        f"F1 {s['f1']:.3f}  (tp {s['tp']}, fp {s['fp']}, fn {s['fn']})"
                    )
        if min_f1 is not None and report["span"]["micro"]["f1"] < min_f1:
            fail(f"span micro F1 {report['span']['micro']['f1']:.3f} is under {min_f1}", code=1)
        return
    from evals.entities import main as run_entities

    argv = ["--file", str(file), "--text-column", text_column]
    argv += ["--json"] if as_json else []
    argv += ["--min-f1", str(min_f1)] if min_f1 is not None else []
    code = run_entities(argv)
    if code:
        raise typer.Exit(code)


@app.command()
def retrieval(
    docs: Annotated[
        list[Path] | None,
        typer.Option("--docs", help="Documents (any format `support ingest` reads); repeatable."),
    ] = None,
    qa: Annotated[
        Path | None,
        typer.Option("--qa", help="QA JSONL (question + relevant_ids, or MTRAG records)."),
    ] = None,
    k: Annotated[int, typer.Option("-k", min=1, max=50, help="Cut-off for recall and MRR.")] = 5,
    off_topic_file: Annotated[
        Path | None,
        typer.Option("--off-topic", help="Messages the KB must not answer (default: evals set)."),
    ] = None,
    rrf_k: Annotated[int | None, typer.Option(help="RRF constant (default 20).")] = None,
    bm25_weight: Annotated[
        float | None, typer.Option(help="Weight of the BM25 ranking in the fusion (dense = 1).")
    ] = None,
    min_gain: Annotated[
        float | None,
        typer.Option(help="Exit 1 when hybrid recall@k beats the better single mode by less."),
    ] = None,
    with_context: Annotated[
        bool,
        typer.Option(
            "--with-context",
            help="Search each question with the previous user turn (MTRAG) or its `context`.",
        ),
    ] = False,
    as_json: AsJson = False,
) -> None:
    """Recall@k and MRR of hybrid, BM25-only and dense-only retrieval in one run.

    DOCS are ingested into a throw-away collection; QA lines are
    {"question", "relevant_ids": [...]} or MTRAG records (last user turn, contexts'
    document_id). Also reports how KB_MIN_SCORE splits the questions from off-topic ones.
    Defaults: the demo help centre and evals/data/kb_retrieval_qa.jsonl.

    Example: support evals retrieval --docs passages.jsonl --qa qa_shared.jsonl -k 5 --json
    """
    from evals.off_topic_data import OFF_TOPIC_PATH, read_messages
    from evals.retrieval import DEMO_QA_PATH, DatasetError
    from evals.retrieval import run as run_retrieval

    settings = load_settings()
    docs = docs or [settings.KB_DIR]
    qa = qa or DEMO_QA_PATH
    off_topic_path = off_topic_file or OFF_TOPIC_PATH
    for path in [*docs, qa, off_topic_path]:
        if not path.exists():
            fail(f"no such file or folder: {path}")
    names = ", ".join(map(str, docs))
    print(f"ingesting {names} into a throw-away collection ...", file=sys.stderr)
    try:
        report = run_retrieval(
            docs,
            qa,
            k=k,
            off_topic=read_messages(off_topic_path),
            threshold=settings.KB_MIN_SCORE,
            rrf_k=rrf_k,
            weights=(1.0, bm25_weight) if bm25_weight is not None else None,
            with_context=with_context,
        )
    except DatasetError as exc:
        fail(str(exc))
    if as_json:
        print_json(report)
    else:
        typer.echo(
            f"documents {report['documents']}, chunks {report['chunks']} "
            f"(ingested in {report['ingest_seconds']} s); questions {report['questions']} "
            f"(skipped {report['questions_skipped']} without relevant documents)"
            + (
                f"; {report['questions_with_context']} searched with context"
                if with_context
                else ""
            )
        )
        typer.echo(f"{'mode':<8}{f'recall@{k}':>10}{f'MRR@{k}':>9}{f'hit@{k}':>8}{'ms/query':>10}")
        for mode in ("hybrid", "bm25", "dense"):
            m = report["modes"][mode]
            typer.echo(
                f"{mode:<8}{m['recall']:>10.3f}{m['mrr']:>9.3f}{m['hit_rate']:>8.3f}"
                f"{m['ms_per_query']:>10.1f}"
            )
        gain = report["modes"]["hybrid_gain_points"]
        typer.echo(f"hybrid recall@{k} vs the better single mode: {gain:+.1f} points")
        d = report["no_context_decision"]
        typer.echo(
            f"KB_MIN_SCORE={d['threshold']}: answers {d['in_kb_answered']:.1%} of the questions, "
            f"declines {d['off_topic_declined']:.1%} of off-topic messages "
            f"(lowest question {d['in_kb_min']:.3f}, highest off-topic {d['off_topic_max']:.3f})"
        )
    if min_gain is not None and report["modes"]["hybrid_gain_points"] < min_gain:
        fail(f"hybrid gain {report['modes']['hybrid_gain_points']:.1f} points is under {min_gain}")


# -- support evals run: every suite, gated against evals/gates.toml and the baseline --------

EVALS_DIR = Path(__file__).resolve().parent.parent / "evals"
SUITE_CHOICES = (
    "all",
    "rag",
    "intent",
    "entities",
    "escalation",
    "conversations",
    "security",
    "desk",
)
GATES_FILE = EVALS_DIR / "gates.toml"


@app.command("run")
def run_suites(
    suite: Annotated[
        str, typer.Option("--suite", help=f"One of: {', '.join(SUITE_CHOICES)}.")
    ] = "all",
    baseline: Annotated[
        Path, typer.Option("--baseline", help="Baseline JSON to compare with (and to update).")
    ] = EVALS_DIR / "baseline.json",
    report: Annotated[
        Path | None,
        typer.Option(
            "--report", help="Folder for report.json/.md/.html; default DATA_DIR/evals-report."
        ),
    ] = None,
    as_json: Annotated[bool, typer.Option("--json", help="Print the report as JSON.")] = False,
    k: Annotated[
        int | None,
        typer.Option("--k", min=1, help="Runs per conversation script (default: gates.toml)."),
    ] = None,
    update_baseline: Annotated[
        bool,
        typer.Option("--update-baseline", help="Write this run's scores as the new baseline."),
    ] = False,
    gates: Annotated[Path, typer.Option("--gates", help="Gate thresholds (TOML).")] = GATES_FILE,
    tau_db: Annotated[
        Path | None,
        typer.Option(
            "--tau-db",
            exists=True,
            dir_okay=False,
            help="τ-bench retail db.json the `store: tau` conversation scripts run on (default: "
            "the project's evals/data/tau_store.json); scripts whose bindings match no order "
            "in it are skipped.",
        ),
    ] = None,
    script: Annotated[
        str | None,
        typer.Option(
            "--script", help="Run only the conversation scripts whose name contains this."
        ),
    ] = None,
    scripts_dir: Annotated[
        Path | None,
        typer.Option(
            "--scripts-dir",
            exists=True,
            file_okay=False,
            help="Folder of conversation scripts (*.yaml) to run instead of "
            "evals/data/conversations, e.g. the held-out evals/data/conversations_heldout.",
        ),
    ] = None,
    kb: Annotated[
        str | None,
        typer.Option(
            "--kb",
            help="Help centre the rag, escalation, conversations and desk suites answer from: "
            "'pinned' (default: the demo articles of knowledge/demo_kb, ingested into a "
            "throw-away collection, so new articles cannot move the gates), 'live' (the one "
            "the service answers from), or a folder of articles to pin instead.",
        ),
    ] = None,
) -> None:
    """Run the evaluation suites as a quality gate: exit 1 when a gate fails.

    Suites: rag (golden questions, ragas metrics; LLM-judged ones when EVAL_LLM_BASE_URL and
    EVAL_LLM_MODEL are set), intent (held-out split, confusion matrix), entities,
    escalation (precision/recall, in-scope escalation rate), conversations (scripted
    sessions on a fresh demo or τ-format store, pass^k) and security (the attack corpus of
    evals/data/security over HTTP: leaks, unauthorised writes and poisoned quotes, gated at
    0) and desk (suggested replies to escalated conversations: fact recall and whether
    they answer the last customer message, dev and held-out test). Writes report.json,
    report.md and report.html with charts, and shows deltas against the baseline.

    Example: support evals run --suite all --report data/evals-report

    Example: support evals run --suite conversations --tau-db db.json --script refund

    Example: support evals run --suite conversations --scripts-dir evals/data/conversations_heldout

    Example: support evals run --suite rag --kb live
    """
    from evals.gates import ConfigError, baseline_payload, load_baseline
    from evals.help_centre import parse_kb
    from evals.report import summary_text, write_report
    from evals.run import RunRequest, run_evals
    from evals.suites import SUITE_NAMES

    if suite not in SUITE_CHOICES:
        fail(f"--suite must be one of {', '.join(SUITE_CHOICES)}, not {suite!r}", code=2)
    if (tau_db or script or scripts_dir) and suite not in ("all", "conversations"):
        fail("--tau-db, --script and --scripts-dir apply to the conversations suite", code=2)
    if kb is not None and suite in ("intent", "entities"):
        fail("--kb applies to the rag, escalation and conversations suites", code=2)
    try:
        help_centre = parse_kb(kb or "pinned")
    except ValueError as exc:
        fail(str(exc), code=2)
    if script is not None or scripts_dir is not None:
        from evals.suites.conversation_script import SCRIPTS_DIR, load_scripts, select_scripts

        try:  # a bad script, an empty folder or an unmatched --script fail before models load
            select_scripts(load_scripts(scripts_dir or SCRIPTS_DIR), script)
        except ValueError as exc:
            fail(str(exc), code=2)
    settings = load_settings()
    chosen = list(SUITE_NAMES) if suite == "all" else [suite]
    request = RunRequest(
        chosen,
        settings,
        k=k,
        gates_path=gates,
        baseline_path=baseline,
        data={"conversations": scripts_dir} if scripts_dir is not None else {},
        tau_db=tau_db,
        script=script,
        kb=help_centre,
        progress=lambda line: print(line, file=sys.stderr),
    )
    try:
        result = run_evals(request)
    except ConfigError as exc:
        fail(str(exc), code=2)
    folder = report or settings.data_dir / "evals-report"
    paths = write_report(result, folder)
    if update_baseline:
        try:
            previous = load_baseline(baseline)
        except ConfigError:
            previous = None
        payload = baseline_payload(result, previous)
        baseline.write_text(json_dump(payload))
        print(f"baseline written to {baseline}", file=sys.stderr)
    if as_json:
        print_json(result)
    else:
        typer.echo(summary_text(result))
        if result.get("help_centre"):
            typer.echo(f"help centre: {result['help_centre']['text']}")
        typer.echo(f"report: {paths['html']} (also report.md, report.json)")
    if not result["passed"]:
        raise typer.Exit(1)


def json_dump(value: Any) -> str:
    import json

    return json.dumps(value, indent=1, ensure_ascii=False) + "\n"
