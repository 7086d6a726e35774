"""Entities suite: the rule-based extractor's span and value F1 on labelled text.

Two project-written sets: the entity spans of the intent corpus (template slots) and
evals/data/entities_golden.jsonl, hand-labelled free-form messages including ones that
hold no entity at all. Span: type and offsets agree; value: type and normalised value.
"""

from __future__ import annotations

from pathlib import Path

from evals.suites.base import MetricResult, SuiteContext, SuiteResult

GOLDEN_PATH = Path(__file__).resolve().parent.parent / "data" / "entities_golden.jsonl"


def run(ctx: SuiteContext) -> SuiteResult:
    """Micro span and value F1 on both sets, with per-type scores."""
    from evals.entities import evaluate_corpus_entities

    sets = {
        "corpus": evaluate_corpus_entities(ctx.path("entities_corpus", None)),
        "golden": evaluate_corpus_entities(ctx.path("entities", GOLDEN_PATH)),
    }
    metrics = {}
    for name, report in sets.items():
        for kind in ("span", "value"):
            micro = report[kind]["micro"]
            metrics[f"{name}_{kind}_f1"] = MetricResult.of(
                micro["f1"],
                micro["tp"] + micro["fn"],
                f"micro F1, {kind} match, on {Path(report['file']).name}",
            )
    return SuiteResult(
        "entities",
        metrics,
        details={
            name: {
                "file": Path(r["file"]).name,
                "rows": r["rows"],
                "span": r["span"]["types"],
                "value": r["value"]["types"],
            }
            for name, r in sets.items()
        },
        notes=[
            f"{sets['corpus']['rows']} corpus rows, {sets['golden']['rows']} labelled messages."
        ],
    )
