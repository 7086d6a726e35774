"""Held-out evaluation of an intent model: per-intent scores, confusion, calibration."""

from __future__ import annotations

from collections.abc import Sequence
from pathlib import Path
from typing import Any

import numpy as np

ECE_BINS = 10
THRESHOLDS = tuple(round(t, 2) for t in np.arange(0.3, 0.91, 0.05))


def expected_calibration_error(
    confidence: Sequence[float], correct: Sequence[bool], bins: int = ECE_BINS
) -> float:
    """ECE: the sample-weighted mean |accuracy - mean confidence| over equal-width bins.

    Bin i holds confidences in (i/bins, (i+1)/bins]; a confidence of exactly 0 joins bin 0.
    """
    conf = np.asarray(confidence, dtype=float)
    hit = np.asarray(correct, dtype=float)
    if conf.size == 0:
        return 0.0
    # Rounded first so that 0.7 * 10 = 7.000000000000001 still lands in (0.6, 0.7].
    index = np.clip(np.ceil(np.round(conf * bins, 9)).astype(int) - 1, 0, bins - 1)
    total = 0.0
    for b in range(bins):
        members = index == b
        if members.any():
            total += members.sum() * abs(hit[members].mean() - conf[members].mean())
    return float(total / conf.size)


def threshold_advice(
    confidence: Sequence[float], correct: Sequence[bool], target_precision: float = 0.97
) -> dict[str, Any]:
    """For each escalation threshold: share of turns the bot keeps and its accuracy on them;
    the advice is the lowest threshold whose kept turns reach target_precision."""
    conf = np.asarray(confidence, dtype=float)
    hit = np.asarray(correct, dtype=bool)
    table = []
    for t in THRESHOLDS:
        kept = conf >= t
        table.append(
            {
                "threshold": float(t),
                "kept": round(float(kept.mean()) if conf.size else 0.0, 4),
                "accuracy_kept": round(float(hit[kept].mean()) if kept.any() else 1.0, 4),
            }
        )
    good = [row["threshold"] for row in table if row["accuracy_kept"] >= target_precision]
    return {
        "target_precision": target_precision,
        "advised_threshold": min(good) if good else None,
        "table": table,
    }


def evaluation_report(
    y_true: Sequence[str], y_pred: Sequence[str], confidence: Sequence[float], labels: Sequence[str]
) -> dict[str, Any]:
    """Accuracy, macro-F1, per-intent precision/recall/F1, confusion matrix, ECE, advice."""
    from sklearn.metrics import accuracy_score, confusion_matrix, f1_score  # seconds to import
    from sklearn.metrics import precision_recall_fscore_support as prfs

    labels = list(labels)
    precision, recall, f1, support = prfs(y_true, y_pred, labels=labels, zero_division=0)
    correct = [t == p for t, p in zip(y_true, y_pred, strict=True)]
    return {
        "n": len(y_true),
        "accuracy": round(float(accuracy_score(y_true, y_pred)), 4),
        "macro_f1": round(float(f1_score(y_true, y_pred, labels=labels, average="macro")), 4),
        "ece": round(expected_calibration_error(confidence, correct), 4),
        "per_intent": {
            label: {
                "precision": round(float(precision[i]), 4),
                "recall": round(float(recall[i]), 4),
                "f1": round(float(f1[i]), 4),
                "support": int(support[i]),
            }
            for i, label in enumerate(labels)
        },
        "confusion": {
            "labels": labels,
            "matrix": confusion_matrix(y_true, y_pred, labels=labels).tolist(),
        },
        "threshold_advice": threshold_advice(confidence, correct),
    }


def plot_confusion(confusion: dict[str, Any], path: Path, title: str = "Intent confusion") -> Path:
    """Write the confusion matrix as a PNG heat map (rows: true intent, columns: predicted)."""
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    labels, matrix = confusion["labels"], np.asarray(confusion["matrix"])
    size = max(6.0, 0.32 * len(labels) + 2)
    fig, ax = plt.subplots(figsize=(size, size))
    ax.imshow(matrix, cmap="Blues")
    ax.set_xticks(range(len(labels)), labels, rotation=90, fontsize=7)
    ax.set_yticks(range(len(labels)), labels, fontsize=7)
    ax.set_xlabel("predicted")
    ax.set_ylabel("true")
    ax.set_title(title)
    for (i, j), value in np.ndenumerate(matrix):
        if value:
            color = "white" if value > matrix.max() / 2 else "black"
            ax.text(j, i, str(value), ha="center", va="center", fontsize=6, color=color)
    fig.tight_layout()
    path.parent.mkdir(parents=True, exist_ok=True)
    fig.savefig(path, dpi=110)
    plt.close(fig)
    return path
