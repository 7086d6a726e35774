"""Compare answer composers on a small QA set over the demo help centre.

Every composer answers the same questions from the same retrieved passages
(retrieval runs once per question), so the numbers compare only the writing:
fact recall, ROUGE-L F1 (ragas' non-LLM ``RougeScore``), citation precision,
a groundedness proxy, the empty-answer rate and the mean latency.
"""

from __future__ import annotations

import asyncio
import json
import sys
import tempfile
import time
from collections.abc import Callable, Sequence
from pathlib import Path
from statistics import fmean
from typing import TYPE_CHECKING, Annotated, Any

import typer

from evals.answer_checks import QAItem, answers_first, load_qa, summarise
from evals.help_centre import demo_retriever
from evals.metrics import RougeL, citation_precision, fact_recall, groundedness

if TYPE_CHECKING:
    from graph.llm.composer import Composer
    from knowledge.retrieval import Passage, Retriever

DEFAULT_QA = Path(__file__).resolve().parent / "data" / "answer_qa.jsonl"
KB_QA = Path(__file__).resolve().parent / "data" / "kb_qa.jsonl"
DEFAULT_KB = Path(__file__).resolve().parent.parent / "knowledge" / "demo_kb"
SHOP = "Northwind Supply"


# -- the run ---------------------------------------------------------------

Gate = Callable[[str, Sequence["Passage"]], bool]
"""Whether the pipeline around a composer lets the question be answered from passages."""


def node_gate(retriever: Retriever, sure: float) -> Gate:
    """The knowledge node's rule (graph.nodes.knowledge): a word no article uses needs a
    passage at KB_SURE_SCORE."""

    from graph.nodes.knowledge import words_needing_a_close_passage

    def gate(question: str, passages: Sequence[Passage]) -> bool:
        best = max((p.score for p in passages), default=0.0)
        return not words_needing_a_close_passage(retriever, question, best, sure)

    return gate


async def _evaluate(
    name: str,
    composer: Composer,
    gate: Gate | None,
    items: Sequence[QAItem],
    passages: Sequence[Sequence[Passage]],
    rouge: RougeL,
    progress: Callable[[str], None] | None,
) -> dict[str, Any]:
    from graph.llm.openai_composer import LLMUnavailable

    # One unmeasured call first, so model loading and connection setup don't count.
    try:
        await composer.answer(items[0].question, passages[0])
    except LLMUnavailable:
        pass
    rows: list[dict[str, Any]] = []
    for item, found in zip(items, passages, strict=True):
        error = ""
        started = time.perf_counter()
        text, cited = "", []
        try:
            if found and (gate is None or gate(item.question, found)):
                answer = await composer.answer(item.question, found)
                text, cited = answer.text.strip(), [p.doc_id for p in answer.citations]
        except LLMUnavailable as exc:
            error = str(exc)
        latency_ms = (time.perf_counter() - started) * 1000
        rows.append(
            {
                "question": item.question,
                "ask": item.ask,
                "expects": item.expects,
                "answer": text,
                "cited": cited,
                "error": error,
                "latency_ms": round(latency_ms, 1),
                "fact_recall": fact_recall(text, item.facts),
                "answer_first": answers_first(text, item.answer_first) if text else False,
                "rouge_l": await rouge.score(text, item.reference),
                "citation_precision": citation_precision(cited, item.relevant_ids),
                "groundedness": groundedness(text, [p.text for p in found]),
            }
        )
        if progress:
            progress(f"{name}: {len(rows)}/{len(items)}")
    return {
        **summarise(items, rows),
        "rouge_l": fmean(r["rouge_l"] for r in rows),
        "errors": sum(bool(r["error"]) for r in rows),
        "latency_ms": fmean(r["latency_ms"] for r in rows),
        "answers": rows,
    }


def compare_composers(
    qa_path: Path,
    composers: dict[str, Composer],
    retriever: Retriever,
    k: int = 4,
    progress: Callable[[str], None] | None = None,
    *,
    min_score: float = 0.0,
    gates: dict[str, Gate] | None = None,
) -> dict[str, Any]:
    """Score each composer on the QA set; passages are retrieved once and shared by all.

    As in the knowledge node, only passages at least `min_score` similar are given to a
    composer, and a composer's `gates` entry may withhold the question (the node's rule
    for words the passages never use). Returns ``{"questions", "k",
    "retrieval_hit_rate", "composers": {name: metrics}}``; each metrics dict also holds
    the per-question ``answers``.
    """
    items = load_qa(qa_path)
    if not items:
        raise ValueError(f"{qa_path}: no questions")
    passages = [
        [p for p in retriever.search(item.question, k) if p.score >= min_score] for item in items
    ]
    hits = [
        any(p.doc_id in item.relevant_ids for p in found)
        for item, found in zip(items, passages, strict=True)
    ]

    async def run_all() -> dict[str, Any]:
        rouge = RougeL()
        return {
            name: await _evaluate(
                name, composer, (gates or {}).get(name), items, passages, rouge, progress
            )
            for name, composer in composers.items()
        }

    return {
        "questions": len(items),
        "not_stated": sum(i.expects != "answer" for i in items),
        "k": k,
        "min_score": min_score,
        "retrieval_hit_rate": sum(hits) / len(hits),
        "composers": asyncio.run(run_all()),
    }


def markdown_table(report: dict[str, Any]) -> str:
    """The per-composer summary as a Markdown table."""

    def fmt(value: float | None) -> str:
        return "–" if value is None else f"{value:.2f}"

    lines = [
        "| composer | fact recall | answer first | median length (chars) | grounded "
        '| citation precision | says "not stated" | unanswered (answerable) | ROUGE-L F1 '
        "| errors | mean latency (ms) |",
        "|---|---|---|---|---|---|---|---|---|---|---|",
    ]
    for name, m in report["composers"].items():
        length = "–" if m["median_length"] is None else f"{m['median_length']:.0f}"
        cells = [
            fmt(m["fact_recall"]),
            fmt(m["answer_first"]),
            length,
            fmt(m["groundedness"]),
            fmt(m["citation_precision"]),
            fmt(m["says_not_stated"]),
            fmt(m["unanswered_when_answerable"]),
            fmt(m["rouge_l"]),
        ]
        lines.append(f"| {name} | {' | '.join(cells)} | {m['errors']} | {m['latency_ms']:.0f} |")
    asks = sorted({a for m in report["composers"].values() for a in m["fact_recall_by_ask"]})
    if asks:
        lines += ["", "| composer | " + " | ".join(f"recall: {a}" for a in asks) + " |"]
        lines.append("|---|" + "---|" * len(asks))
        for name, m in report["composers"].items():
            by_ask = m["fact_recall_by_ask"]
            lines.append(f"| {name} | " + " | ".join(fmt(by_ask.get(a)) for a in asks) + " |")
    lines.append(
        f"\n{report['questions']} questions ({report['not_stated']} about a property the help "
        f"centre never states), k={report['k']}, passages at least {report['min_score']:.2f} "
        f"similar; retrieval hit rate {report['retrieval_hit_rate']:.2f} (a relevant document "
        "among the passages)."
    )
    return "\n".join(lines)


# -- CLI ---------------------------------------------------------------------

app = typer.Typer(add_completion=False)


@app.command()
def run(
    qa: Annotated[
        Path, typer.Option(exists=True, dir_okay=False, help="QA set, one JSON object a line.")
    ] = DEFAULT_QA,
    kb: Annotated[
        Path, typer.Option(exists=True, help="Markdown folder ingested into a throw-away store.")
    ] = DEFAULT_KB,
    k: Annotated[int, typer.Option("--k", help="Passages retrieved per question.")] = 4,
    llm_base_url: Annotated[str, typer.Option(help="OpenAI-compatible endpoint to add.")] = "",
    llm_model: Annotated[str, typer.Option(help="Model name sent to --llm-base-url.")] = "",
    llm_api_key: Annotated[
        str, typer.Option(envvar="OPENAI_API_KEY", help="Key, if the endpoint needs one.")
    ] = "",
    llm_max_tokens: Annotated[int, typer.Option(help="Longest reply the LLM may write.")] = 300,
    llm_timeout: Annotated[float, typer.Option(help="Per-request timeout in seconds.")] = 60.0,
    as_json: Annotated[
        bool, typer.Option("--json", help="Print the full report, answers included, as JSON.")
    ] = False,
) -> None:
    """Compare today's extractive composer with the one before it (and an optional LLM
    endpoint) on a QA set, in one run: the same passages, each behind its knowledge
    node's rule for words the passages never use.

    Example: python -m evals.composers --llm-base-url http://127.0.0.1:8081/v1 --llm-model smollm2
    """
    from app.settings import Settings
    from evals.baseline_composer import BaselineComposer
    from graph.llm.extractive import ExtractiveComposer
    from graph.llm.openai_composer import build_openai_composer
    from knowledge.embeddings import get_encoder

    if bool(llm_base_url) != bool(llm_model):
        typer.echo("error: give --llm-base-url and --llm-model together", err=True)
        raise typer.Exit(2)
    settings = Settings(_env_file=None)  # type: ignore[call-arg]
    sure, least = settings.KB_SURE_SCORE, settings.KB_MIN_SCORE
    encoder = get_encoder("")
    with tempfile.TemporaryDirectory(prefix="evals-", ignore_cleanup_errors=True) as tmp:
        try:
            retriever = demo_retriever(Path(tmp), kb)
            composers: dict[str, Composer] = {
                "before (issue 18)": BaselineComposer(encoder),
                "extractive": ExtractiveComposer(encoder),
            }
            gate = node_gate(retriever, sure)
            gates = {"before (issue 18)": gate, "extractive": gate}
            if llm_base_url:
                name = f"llm:{llm_model}"
                composers[name] = build_openai_composer(
                    base_url=llm_base_url,
                    api_key=llm_api_key,
                    model=llm_model,
                    timeout=llm_timeout,
                    shop=SHOP,
                    max_tokens=llm_max_tokens,
                )
                gates[name] = gate
            report = compare_composers(
                qa,
                composers,
                retriever,
                k,
                progress=lambda line: print(line, file=sys.stderr),
                min_score=least,
                gates=gates,
            )
        except (OSError, ValueError) as exc:
            typer.echo(f"error: {exc}", err=True)
            raise typer.Exit(1) from exc
    typer.echo(
        json.dumps(report, indent=2, ensure_ascii=False) if as_json else markdown_table(report)
    )
    failed = [name for name, m in report["composers"].items() if m["errors"]]
    if failed:
        typer.echo(f"error: {', '.join(failed)} failed on some questions (see 'errors')", err=True)
        raise typer.Exit(1)


def main() -> None:
    """Entry point for ``python -m evals.composers``."""
    app()


if __name__ == "__main__":
    main()
