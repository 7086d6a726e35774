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
from dataclasses import dataclass
from pathlib import Path
from statistics import fmean
from typing import TYPE_CHECKING, Annotated, Any

import typer

from evals.metrics import RougeL, citation_precision, fact_recall, groundedness

if TYPE_CHECKING:
    from graph.llm.composer import Composer
    from knowledge.retrieval import Passage, Retriever

DEFAULT_QA = Path(__file__).resolve().parent / "data" / "kb_qa.jsonl"
DEFAULT_KB = Path(__file__).resolve().parent.parent / "knowledge" / "demo_kb"
SHOP = "Northwind Supply"


# -- the QA set and the run ------------------------------------------------


@dataclass(frozen=True)
class QAItem:
    """One question with its reference answer, required facts and relevant doc ids."""

    question: str
    reference: str
    facts: list[str]
    relevant_ids: list[str]


def load_qa(path: Path) -> list[QAItem]:
    """The QA items of a JSON-lines file (blank lines ignored)."""
    items = []
    for n, line in enumerate(path.read_text(encoding="utf-8").splitlines(), start=1):
        if not line.strip():
            continue
        try:
            row = json.loads(line)
            items.append(
                QAItem(row["question"], row["reference"], row["facts"], row["relevant_ids"])
            )
        except (json.JSONDecodeError, KeyError, TypeError) as exc:
            raise ValueError(f"{path}:{n}: not a QA row ({exc})") from exc
    return items


def _mean(values: Sequence[float | None]) -> float | None:
    present = [v for v in values if v is not None]
    return fmean(present) if present else None


async def _evaluate(
    name: str,
    composer: Composer,
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
        try:
            answer = await composer.answer(item.question, found)
            text, cited = answer.text.strip(), [p.doc_id for p in answer.citations]
        except LLMUnavailable as exc:
            text, cited, error = "", [], str(exc)
        latency_ms = (time.perf_counter() - started) * 1000
        rows.append(
            {
                "question": item.question,
                "answer": text,
                "cited": cited,
                "error": error,
                "latency_ms": round(latency_ms, 1),
                "fact_recall": fact_recall(text, item.facts),
                "rouge_l": await rouge.score(text, item.reference),
                "citation_precision": citation_precision(cited, item.relevant_ids),
                "groundedness": groundedness(text, [p.text for p in found]),
            }
        )
        if progress:
            progress(f"{name}: {len(rows)}/{len(items)}")
    answered = [r for r in rows if r["answer"]]
    return {
        "fact_recall": fmean(r["fact_recall"] for r in rows),
        "rouge_l": fmean(r["rouge_l"] for r in rows),
        "citation_precision": _mean([r["citation_precision"] for r in rows]),
        "cited_rate": _mean([float(bool(r["cited"])) for r in answered]),
        "groundedness": _mean([r["groundedness"] for r in rows]),
        "empty_rate": 1 - len(answered) / len(rows),
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
) -> dict[str, Any]:
    """Score each composer on the QA set; passages are retrieved once and shared by all.

    Returns ``{"questions", "k", "retrieval_hit_rate", "composers": {name: metrics}}``;
    each metrics dict also holds the per-question ``answers``. Citation precision is
    averaged over answers that cite something, groundedness over non-empty answers.
    """
    items = load_qa(qa_path)
    if not items:
        raise ValueError(f"{qa_path}: no questions")
    passages = [retriever.search(item.question, k) for item in items]
    hits = [
        any(p.doc_id in item.relevant_ids for p in found)
        for item, found in zip(items, passages, strict=True)
    ]

    async def run_all() -> dict[str, Any]:
        rouge = RougeL()
        return {
            name: await _evaluate(name, composer, items, passages, rouge, progress)
            for name, composer in composers.items()
        }

    return {
        "questions": len(items),
        "k": k,
        "retrieval_hit_rate": sum(hits) / len(hits),
        "composers": asyncio.run(run_all()),
    }


def markdown_table(report: dict[str, Any]) -> str:
    """The per-composer summary as a Markdown table."""

    def fmt(value: float | None) -> str:
        return "–" if value is None else f"{value:.2f}"

    lines = [
        "| composer | fact recall | ROUGE-L F1 | citation precision | cited | grounded "
        "| empty | errors | mean latency (ms) |",
        "|---|---|---|---|---|---|---|---|---|",
    ]
    for name, m in report["composers"].items():
        cells = [
            fmt(m[key])
            for key in (
                "fact_recall",
                "rouge_l",
                "citation_precision",
                "cited_rate",
                "groundedness",
                "empty_rate",
            )
        ]
        lines.append(f"| {name} | {' | '.join(cells)} | {m['errors']} | {m['latency_ms']:.0f} |")
    lines.append(
        f"\n{report['questions']} questions, k={report['k']}, retrieval hit rate "
        f"{report['retrieval_hit_rate']:.2f} (a relevant document among the passages)."
    )
    return "\n".join(lines)


def demo_retriever(data_dir: Path, kb_dir: Path) -> Retriever:
    """A Retriever over kb_dir, ingested into an embedded Chroma store under data_dir."""
    from app.settings import Settings
    from knowledge.ingest import ingest_paths
    from knowledge.retrieval import Retriever
    from knowledge.tokens import get_tokenizer
    from knowledge.vectorstore import open_collection

    settings = Settings(DATA_DIR=data_dir, CHROMA_URL="", _env_file=None)  # type: ignore[call-arg]
    collection = open_collection(settings.knowledge)
    summary = ingest_paths([kb_dir], collection, get_tokenizer(str(settings.tiktoken_cache_dir)))
    if not summary.chunks:
        raise ValueError(f"{kb_dir}: nothing ingested ({'; '.join(summary.skipped)})")
    return Retriever(collection)


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
    """Compare the extractive composer (and an optional LLM endpoint) on the KB QA set.

    Example: python -m evals.composers --llm-base-url http://127.0.0.1:8081/v1 --llm-model smollm2
    """
    from graph.llm.extractive import ExtractiveComposer
    from graph.llm.openai_composer import build_openai_composer
    from knowledge.embeddings import get_encoder

    if bool(llm_base_url) != bool(llm_model):
        typer.echo("error: give --llm-base-url and --llm-model together", err=True)
        raise typer.Exit(2)
    composers: dict[str, Composer] = {"extractive": ExtractiveComposer(get_encoder(""))}
    if llm_base_url:
        composers[f"llm:{llm_model}"] = build_openai_composer(
            base_url=llm_base_url,
            api_key=llm_api_key,
            model=llm_model,
            timeout=llm_timeout,
            shop=SHOP,
            max_tokens=llm_max_tokens,
        )
    with tempfile.TemporaryDirectory(prefix="evals-", ignore_cleanup_errors=True) as tmp:
        try:
            retriever = demo_retriever(Path(tmp), kb)
            report = compare_composers(
                qa, composers, retriever, k, progress=lambda line: print(line, file=sys.stderr)
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
