"""Intent suite: the serving model's scores on the project's held-out test split.

Training (`support setup` / `support nlu train`) holds out a stratified, seeded 15 % test
split of the committed corpus and stores the served model's report on it in the model
registry; this suite reads that report: accuracy, macro-F1, calibration, per-intent
scores and the confusion matrix.
"""

from __future__ import annotations

import json
from typing import Any

from evals.suites.base import MetricResult, SuiteContext, SuiteResult
from evals.suites.harness import EnvironmentNotReady

TOP_CONFUSIONS = 10


def top_confusions(confusion: dict[str, Any], limit: int = TOP_CONFUSIONS) -> list[dict[str, Any]]:
    """The most frequent (true -> predicted) mistakes."""
    labels, matrix = confusion["labels"], confusion["matrix"]
    pairs = [
        {"true": labels[i], "predicted": labels[j], "count": count}
        for i, row in enumerate(matrix)
        for j, count in enumerate(row)
        if i != j and count
    ]
    return sorted(pairs, key=lambda p: (-p["count"], p["true"], p["predicted"]))[:limit]


def run(ctx: SuiteContext) -> SuiteResult:
    """Read the serving model's held-out report from the registry."""
    from nlu.corpus import data_sha256, read_corpus
    from nlu.registry import ModelRegistry

    registry = ModelRegistry(ctx.settings.models_dir)
    version = registry.serving()
    if version is None:
        raise EnvironmentNotReady(
            f"no intent model in {registry.root}: run `support setup` (or `support nlu train`)"
        )
    meta = registry.metadata(version)
    report_path = registry.folder(version) / "report.json"
    if not report_path.is_file():
        raise EnvironmentNotReady(f"{report_path} is missing: retrain with `support nlu train`")
    report = json.loads(report_path.read_text())
    trained = meta.get("metrics", {})
    n = int(report.get("n", 0))
    metrics = {
        "accuracy": MetricResult.of(report["accuracy"], n, "held-out test split"),
        "macro_f1": MetricResult.of(report["macro_f1"], n, "mean F1 over intents"),
        "ece": MetricResult.of(
            report["ece"], n, "expected calibration error (10 bins)", higher_is_better=False
        ),
    }
    if "test_in_scope_confident_fraction" in trained:
        metrics["confident_fraction"] = MetricResult.of(
            trained["test_in_scope_confident_fraction"],
            n,
            f"in-scope test turns at or above confidence {trained.get('confidence_floor')}",
        )
    notes = [f"Serving intent model {version}, trained {meta.get('created', '?')}."]
    texts, labels = read_corpus()
    if meta.get("data_sha256") != data_sha256(texts, labels):
        notes.append(
            "The serving model was trained on other data than the committed corpus: "
            "these scores are that model's; run `support nlu train` to score the current corpus."
        )
    return SuiteResult(
        "intent",
        metrics,
        details={
            "model_version": version,
            "per_intent": report["per_intent"],
            "confusion": report["confusion"],
            "top_confusions": top_confusions(report["confusion"]),
        },
        notes=notes,
    )
