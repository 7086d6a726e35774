"""PNG charts for the evals report (matplotlib, no display): scores and confusion matrices."""

from __future__ import annotations

from pathlib import Path
from typing import Any

COLORS = {"pass": "#2e7d32", "fail": "#c62828", "none": "#607d8b"}


def _pyplot() -> Any:
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    return plt


def score_bars(suite: str, metrics: dict[str, Any], path: Path) -> Path | None:
    """Horizontal bars of a suite's scores in [0, 1]: green passes its gate, red fails,
    grey has none; a black tick marks the gate's bound, a hollow diamond the baseline."""
    rows = [
        (name, m)
        for name, m in metrics.items()
        if m["value"] is not None and 0.0 <= m["value"] <= 1.0
    ]
    if not rows:
        return None
    plt = _pyplot()
    fig, ax = plt.subplots(figsize=(7.5, 0.42 * len(rows) + 1.3))
    names = [name for name, _ in rows][::-1]
    ordered = [m for _, m in rows][::-1]
    colors = [
        COLORS.get((m.get("gate") or {}).get("status", "none"), COLORS["none"]) for m in ordered
    ]
    ax.barh(names, [m["value"] for m in ordered], color=colors, height=0.6)
    for y, m in enumerate(ordered):
        inside = m["value"] > 0.15
        ax.text(
            m["value"] - 0.01 if inside else m["value"] + 0.01,
            y,
            f"{m['value']:.3f}",
            va="center",
            ha="right" if inside else "left",
            color="white" if inside else "black",
            fontsize=8,
        )
        gate = m.get("gate") or {}
        for bound in (gate.get("min"), gate.get("max")):
            if bound is not None:
                ax.plot([bound, bound], [y - 0.4, y + 0.4], color="black", linewidth=2)
        if m.get("baseline") is not None:
            ax.plot(
                m["baseline"], y, marker="D", markerfacecolor="none", color="black", markersize=6
            )
    ax.set_xlim(0, 1.0)
    ax.set_title(f"{suite}: scores (| gate, ◇ baseline)", fontsize=10)
    ax.tick_params(axis="y", labelsize=8)
    fig.tight_layout()
    path.parent.mkdir(parents=True, exist_ok=True)
    fig.savefig(path, dpi=100)
    plt.close(fig)
    return path


def confusion(matrix: dict[str, Any], path: Path, title: str) -> Path:
    """A confusion matrix heat map (rows: true, columns: predicted)."""
    from nlu.report import plot_confusion

    return plot_confusion(matrix, path, title=title)
