"""Quality gates: bounds from evals/gates.toml, deltas against evals/baseline.json.

gates.toml holds, per suite, `[<suite>.gates]` with `metric = { min = X }` and/or
`{ max = X }`, and a `max_regression` (per metric, per suite or top level) saying how
far a gated metric may move the wrong way from its baseline value. A gate fails when its
metric is out of bounds, regressed too far, missing, or in error; a skipped metric (e.g.
an LLM-judged one without a judge) skips its gate and says why.
"""

from __future__ import annotations

import json
import tomllib
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

from evals.suites.base import MetricResult, SuiteResult

EVALS_DIR = Path(__file__).resolve().parent
GATES_PATH = EVALS_DIR / "gates.toml"
BASELINE_PATH = EVALS_DIR / "baseline.json"


GATE_KEYS = frozenset({"min", "max", "max_regression"})


class ConfigError(ValueError):
    """gates.toml or the baseline cannot be used; the message says where and why."""


@dataclass(frozen=True)
class Bound:
    min: float | None = None
    max: float | None = None
    max_regression: float | None = None
    """This metric's own allowance against the baseline (else the suite's)."""


@dataclass(frozen=True)
class Gates:
    bounds: dict[str, dict[str, Bound]]
    """suite -> metric -> bound."""
    max_regression: dict[str, float]
    """suite -> allowed move the wrong way from the baseline (absolute)."""
    options: dict[str, dict[str, Any]]
    """suite -> other settings of the suite, e.g. {"k": 3} for conversations."""


def load_gates(path: Path = GATES_PATH) -> Gates:
    """Parse gates.toml; a wrong shape is a ConfigError naming the key."""
    try:
        data = tomllib.loads(path.read_text(encoding="utf-8"))
    except (OSError, tomllib.TOMLDecodeError) as exc:
        raise ConfigError(f"{path}: {exc}") from exc
    default_regression = float(data.get("max_regression", 0.0))
    bounds: dict[str, dict[str, Bound]] = {}
    regression: dict[str, float] = {}
    options: dict[str, dict[str, Any]] = {}
    for suite, table in data.items():
        if not isinstance(table, dict):
            continue
        bounds[suite] = {}
        for metric, spec in (table.get("gates") or {}).items():
            if (
                not isinstance(spec, dict)
                or not set(spec) <= GATE_KEYS
                or not set(spec) - {"max_regression"}
            ):
                raise ConfigError(
                    f"{path}: {suite}.gates.{metric} must be {{min = x}} and/or {{max = x}} "
                    "(optionally max_regression = x)"
                )
            bounds[suite][metric] = Bound(
                spec.get("min"), spec.get("max"), spec.get("max_regression")
            )
        regression[suite] = float(table.get("max_regression", default_regression))
        options[suite] = {k: v for k, v in table.items() if k not in ("gates", "max_regression")}
    return Gates(bounds, regression, options)


def load_baseline(path: Path) -> dict[str, dict[str, float]] | None:
    """suite -> metric -> value of a baseline file; None when there is no file."""
    if not path.is_file():
        return None
    try:
        data = json.loads(path.read_text(encoding="utf-8"))
        return {s: {m: float(v) for m, v in ms.items()} for s, ms in data["suites"].items()}
    except (json.JSONDecodeError, KeyError, TypeError, ValueError, AttributeError) as exc:
        raise ConfigError(f"{path}: not a baseline file ({exc!r})") from exc


def _fmt(value: float) -> str:
    return f"{value:.4f}".rstrip("0").rstrip(".") if value == value else "nan"


def check_metric(
    suite: str,
    name: str,
    metric: MetricResult | None,
    bound: Bound,
    baseline: float | None,
    max_regression: float,
) -> dict[str, Any]:
    """{status: pass|fail|skipped, message} of one gate."""
    label = f"{suite}.{name}"
    if metric is None:
        return {"status": "fail", "message": f"{label}: the suite produced no such metric"}
    if metric.status == "skipped":
        return {"status": "skipped", "message": f"{label}: skipped ({metric.reason})"}
    if metric.status == "error" or metric.value is None:
        return {"status": "fail", "message": f"{label}: error ({metric.reason})"}
    value = metric.value
    if bound.min is not None and value < bound.min:
        return {
            "status": "fail",
            "message": f"{label} = {_fmt(value)} is under the minimum {_fmt(bound.min)} "
            f"(short by {_fmt(bound.min - value)})",
        }
    if bound.max is not None and value > bound.max:
        return {
            "status": "fail",
            "message": f"{label} = {_fmt(value)} is over the maximum {_fmt(bound.max)} "
            f"(over by {_fmt(value - bound.max)})",
        }
    if baseline is not None:
        worse = (baseline - value) if metric.higher_is_better else (value - baseline)
        if worse > max_regression + 1e-9:
            return {
                "status": "fail",
                "message": f"{label} = {_fmt(value)} is {_fmt(worse)} worse than the baseline "
                f"{_fmt(baseline)} (allowed: {_fmt(max_regression)})",
            }
    limits = [f">= {_fmt(bound.min)}" if bound.min is not None else ""]
    limits.append(f"<= {_fmt(bound.max)}" if bound.max is not None else "")
    return {
        "status": "pass",
        "message": f"{label} = {_fmt(value)} ({' '.join(filter(None, limits))})",
    }


def judge_suite(
    result: SuiteResult, gates: Gates, baseline: dict[str, dict[str, float]] | None
) -> dict[str, Any]:
    """The suite's public report: status, each metric with its baseline, delta and gate."""
    base = (baseline or {}).get(result.name, {})
    bounds = gates.bounds.get(result.name, {})
    metrics: dict[str, Any] = {}
    for name, metric in result.metrics.items():
        row = metric.public()
        before = base.get(name)
        row["baseline"] = before
        row["delta"] = (
            round(metric.value - before, 4)
            if metric.value is not None and before is not None
            else None
        )
        metrics[name] = row
    gate_results = {
        name: check_metric(
            result.name,
            name,
            result.metrics.get(name),
            bound,
            base.get(name),
            bound.max_regression
            if bound.max_regression is not None
            else gates.max_regression.get(result.name, 0.0),
        )
        for name, bound in bounds.items()
    }
    for name, gate in gate_results.items():
        if name in metrics:
            metrics[name]["gate"] = {**gate, "min": bounds[name].min, "max": bounds[name].max}
    if result.error:
        status = "error"
    elif any(g["status"] == "fail" for g in gate_results.values()):
        status = "fail"
    else:
        status = "pass"
    return {
        "status": status,
        "seconds": round(result.seconds, 2),
        "error": result.error,
        "metrics": metrics,
        "gates": gate_results,
        "notes": result.notes,
        "details": result.details,
    }


def baseline_payload(
    report: dict[str, Any], previous: dict[str, dict[str, float]] | None
) -> dict[str, Any]:
    """A baseline file from a report: its scored metrics, other suites kept from `previous`."""
    suites = {k: dict(v) for k, v in (previous or {}).items()}
    for name, suite in report["suites"].items():
        if suite["status"] == "error":
            continue
        suites[name] = {
            m: row["value"]
            for m, row in suite["metrics"].items()
            if row["status"] == "ran" and row["value"] is not None
        }
    return {
        "written": datetime.now(UTC).isoformat(timespec="seconds"),
        "commit": report.get("commit"),
        "composer": report.get("composer"),
        "suites": dict(sorted(suites.items())),
    }
