"""`support evals off-topic` and `off-topic-chat`: what the bot does with off-topic messages
(and, with Banking77 or NLU++, with the few of their questions a shop customer could ask a
shop)."""

from __future__ import annotations

import sys
import tempfile
from collections.abc import Mapping
from pathlib import Path
from typing import TYPE_CHECKING, Annotated, Any

import typer

from cli.common import fail, load_settings, print_json

if TYPE_CHECKING:
    from evals.off_topic_data import Message

Paths = Annotated[
    list[Path] | None,
    typer.Option(
        "--path",
        "--file",
        help="Off-topic messages, one a line (`# comments`, `[domain]` headers); repeatable. "
        "Default: evals/data/off_topic.txt, unless only --banking77 or --nlupp is given.",
    ),
]
Banking77 = Annotated[
    Path | None,
    typer.Option(
        "--banking77",
        help="Banking77 CSV (text,category): a stratified sample, scored on both sides "
        "by the --scope mapping.",
    ),
]
Scope = Annotated[
    Path | None,
    typer.Option("--scope", help="Label -> scope TOML; default evals/data/banking77_scope.toml."),
]
Nlupp = Annotated[
    Path | None,
    typer.Option(
        "--nlupp",
        help="NLU++ folder (banking/fold*.json, multi-label): a sample stratified by scope, "
        "scored on both sides by the --nlupp-scope module mapping; messages of dialogue "
        "acts alone are small talk, reported apart.",
    ),
]
NluppScope = Annotated[
    Path | None,
    typer.Option(
        "--nlupp-scope", help="Module -> scope TOML; default evals/data/nlupp_scope.toml."
    ),
]
SampleSize = Annotated[
    int,
    typer.Option(
        "--n", min=1, max=100000, help="Banking77 / NLU++ rows to sample (each; all if fewer)."
    ),
]
Seed = Annotated[int, typer.Option("--seed", help="Sampling seed.")]
AsJson = Annotated[bool, typer.Option("--json", help="Print the report as JSON.")]


def _messages(
    paths: list[Path] | None,
    banking77: Path | None,
    scope: Path | None,
    n: int,
    seed: int,
    nlupp: Path | None = None,
    nlupp_scope: Path | None = None,
) -> list[Message]:
    from evals.off_topic_data import (
        BANKING77_SCOPE_PATH,
        NLUPP_SCOPE_PATH,
        OFF_TOPIC_PATH,
        DatasetError,
        load_nlupp_scope,
        load_scope,
        read_banking77,
        read_domains,
        read_nlupp,
    )

    chosen = paths or ([] if banking77 or nlupp else [OFF_TOPIC_PATH])
    for path in [*chosen, *([banking77] if banking77 else [])]:
        if not path.is_file():
            fail(f"no such file: {path}")
    if nlupp is not None and not nlupp.is_dir():
        fail(f"no such folder: {nlupp}")
    try:
        messages = read_domains(chosen)
        if banking77 is not None:
            messages += read_banking77(
                banking77, load_scope(scope or BANKING77_SCOPE_PATH), n, seed
            )
        if nlupp is not None:
            modules = load_nlupp_scope(nlupp_scope or NLUPP_SCOPE_PATH)
            messages += read_nlupp(nlupp, modules, n, seed)
    except DatasetError as exc:
        fail(str(exc))
    if not messages:
        fail("no messages to score")
    return messages


def _rates(side: Mapping[str, Any], outcomes: tuple[str, ...]) -> list[str]:
    targets = side.get("targets") or {}
    lines = []
    for o in outcomes:
        line = f"  {o:<10} {side['rates'][o]:7.1%}  ({side['counts'][o]})"
        if o in targets:
            t = targets[o]
            line += f"   target {t['target']}: {'met' if t['met'] else 'NOT met'}"
        lines.append(line)
    return lines


def _domains(side: Mapping[str, Any], outcomes: tuple[str, ...]) -> list[str]:
    if len(side["by_domain"]) < 2:
        return []
    lines = ["  per domain:" + "".join(f" {o[:9]:>9}" for o in outcomes)]
    for domain, d in side["by_domain"].items():
        cells = "".join(f" {d['rates'][o]:9.1%}" for o in outcomes)
        lines.append(f"    {domain[:24]:<24} n={d['n']:<4}{cells}")
    return lines


def _examples(side: Mapping[str, Any], detail: bool) -> list[str]:
    lines = []
    for outcome, rows in side["examples"].items():
        lines.append(f"  {outcome} (top examples):")
        for row in rows:
            what = row.get("detail") if detail else f"{row['confidence']:.2f}"
            label = f" [{row['label']}]" if row.get("label") else ""
            lines.append(f"    {what!s:<18} {row['intent']:<24} {row['text'][:90]}{label}")
    return lines


def _in_scope(side: Mapping[str, Any], outcomes: tuple[str, ...]) -> list[str]:
    lines = [f"in-scope side: {side['n']} messages (data set labels mapped to shop intents)"]
    lines += _rates(side, outcomes)
    m = side["mapped_intent"]
    lines.append(f"  read as the mapped intent {m['rate']:.1%} ({m['count']})")
    for intent, g in side["by_intent"].items():
        shares = ", ".join(f"{k} {v}" for k, v in g["intents"].items())
        lines.append(f"    {intent:<16} n={g['n']:<4} mapped {g['mapped_intent']:.0%}  ({shares})")
    return lines


def _smalltalk(side: Mapping[str, Any], outcomes: tuple[str, ...]) -> list[str]:
    return [
        f"small talk, not scored: {side['n']} NLU++ messages of dialogue acts alone",
        *_rates(side, outcomes),
    ]


def _breakdown(side: Mapping[str, Any], *, acted: bool = True) -> list[str]:
    """Escalations by reason and what the bot acted as, for one side of a chat report."""
    lines = []
    if side["escalation_reasons"]:
        reasons = ", ".join(f"{k} {v}" for k, v in side["escalation_reasons"].items())
        lines.append(f"  escalated by reason: {reasons}")
    if acted and side.get("acted_as"):
        shares = ", ".join(f"{k} {v}" for k, v in side["acted_as"].items())
        lines.append(f"  acted as: {shares}")
    return lines


def off_topic(
    paths: Paths = None,
    banking77: Banking77 = None,
    scope: Scope = None,
    nlupp: Nlupp = None,
    nlupp_scope: NluppScope = None,
    n: SampleSize = 1000,
    seed: Seed = 0,
    as_json: AsJson = False,
) -> None:
    """The routing decision for off-topic messages: accepted in scope, small talk, declined
    or unclear, per domain (target: accepted ≤ 10 %).

    Fast (no sessions); `support evals off-topic-chat` sends them through the chat API.

    Example: support evals off-topic --path evals/data/off_topic_heldout.txt --json

    Example: support evals off-topic --banking77 banking77/train.csv --n 1000 --json

    Example: support evals off-topic --nlupp nlupp-banking --n 2100 --json
    """
    from app.runtime import build_nlu
    from evals.off_topic import OUTCOMES, off_topic_acceptance
    from knowledge.embeddings import get_encoder

    messages = _messages(paths, banking77, scope, n, seed, nlupp, nlupp_scope)
    settings = load_settings()
    try:
        nlu = build_nlu(settings, get_encoder(settings.EMBEDDING_MODEL))
    except (FileNotFoundError, ValueError) as exc:
        fail(str(exc))
    report = off_topic_acceptance(nlu, messages, settings.ESCALATION_THRESHOLD)
    if as_json:
        print_json(report)
        return
    lines = []
    if report["n"]:
        side = report["off_topic"]
        lines += [
            f"off-topic side: {report['n']} messages, threshold {report['threshold']}; "
            f"accepted in scope {report['accepted_rate']:.1%} (target ≤ 10 %)",
            *_rates(side, OUTCOMES),
            *_domains(side, OUTCOMES),
            *_examples(side, detail=False),
        ]
    if "in_scope" in report:
        lines += ["", *_in_scope(report["in_scope"], OUTCOMES)]
    if "smalltalk" in report:
        lines += ["", *_smalltalk(report["smalltalk"], OUTCOMES)]
    typer.echo("\n".join(lines))


def off_topic_chat(
    paths: Paths = None,
    banking77: Banking77 = None,
    scope: Scope = None,
    nlupp: Nlupp = None,
    nlupp_scope: NluppScope = None,
    n: SampleSize = 1000,
    seed: Seed = 0,
    pairs: Annotated[
        int,
        typer.Option(
            "--pairs", min=0, help="Sessions with two off-topic messages (0: no second-turn check)."
        ),
    ] = 50,
    as_json: AsJson = False,
) -> None:
    """Off-topic messages through the chat API, each the first of a fresh anonymous session:
    declined, escalated, acted on, clarified or small talk, judged from the response.

    Targets (issue 18, outside off-topic data): declined ≥ 85 %, escalated ≤ 5 %, acted on
    ≤ 2 %. Also sends --pairs sessions of two off-topic messages: the second should get a
    person (repeated_fallback). Runs on the configured models and help centre over a
    throw-away copy of the demo store: the configured store is never written.

    Example: support evals off-topic-chat --path evals/data/off_topic.txt --json

    Example: support evals off-topic-chat --banking77 banking77/train.csv --n 1000

    Example: support evals off-topic-chat --nlupp nlupp-banking --n 2100 --pairs 0
    """
    from evals.off_topic_chat import OUTCOMES, chat_arena, chat_off_topic
    from evals.suites.harness import EnvironmentNotReady

    messages = _messages(paths, banking77, scope, n, seed, nlupp, nlupp_scope)
    settings = load_settings()
    print(f"sending {len(messages)} messages through the chat API ...", file=sys.stderr)
    with tempfile.TemporaryDirectory(prefix="off-topic-chat-") as work:
        try:
            with chat_arena(settings, Path(work)) as arena:
                report = chat_off_topic(
                    arena,
                    messages,
                    pairs=pairs,
                    seed=seed,
                    progress=lambda line: print(line, file=sys.stderr, flush=True),
                )
        except EnvironmentNotReady as exc:
            fail(str(exc))
    if as_json:
        print_json(report)
        return
    lines = []
    if "off_topic" in report:
        side = report["off_topic"]
        lines += [f"off-topic side: {side['n']} messages", *_rates(side, OUTCOMES)]
        lines += _breakdown(side)
        if side.get("by_label_not_declined"):
            worst = ", ".join(f"{k} {v}" for k, v in side["by_label_not_declined"].items())
            lines.append(f"  labels most often not declined: {worst}")
        lines += [*_domains(side, OUTCOMES), *_examples(side, detail=True)]
    if "in_scope" in report:
        side = report["in_scope"]
        lines += ["", *_in_scope(side, OUTCOMES), *_breakdown(side)]
    if "smalltalk" in report:
        side = report["smalltalk"]
        lines += ["", *_smalltalk(side, OUTCOMES), *_breakdown(side, acted=False)]
    if "second_turn" in report:
        s = report["second_turn"]
        after = s["person_after_a_decline"]
        lines += [
            "",
            f"second off-topic turn ({s['n']} sessions): a person "
            f"{s['person_on_second']['rate']:.1%} ({s['person_on_second']['count']}); "
            "after a declined first turn "
            f"{after['rate']:.1%} ({after['count']}/{after['n']})",
            "  second turn: " + ", ".join(f"{k} {v}" for k, v in s["second"].items()),
        ]
    lines.append(
        f"\n{report['n']} messages in {report['seconds']} s ({report['ms_per_message']} ms each)"
    )
    typer.echo("\n".join(lines))
