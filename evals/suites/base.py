"""What every suite returns: named metrics (a value, or why there is none) and details."""

from __future__ import annotations

import math
from collections.abc import Sequence
from dataclasses import asdict, dataclass, field
from typing import Any, Literal

Status = Literal["ran", "skipped", "error"]
MAX_LISTED_ERRORS = 10


@dataclass
class MetricResult:
    """One metric of one suite.

    `status` is "ran" (value is a real score), "skipped" (value None; `reason` says why)
    or "error" (some samples gave no score: NaN or an exception; `errors` lists them,
    `value` is the mean of the samples that did score, or None when none did).
    """

    value: float | None
    status: Status = "ran"
    reason: str = ""
    n: int = 0
    higher_is_better: bool = True
    errors: list[str] = field(default_factory=list)

    def public(self) -> dict[str, Any]:
        return asdict(self)

    @classmethod
    def skipped(cls, reason: str, *, higher_is_better: bool = True) -> MetricResult:
        return cls(None, "skipped", reason, higher_is_better=higher_is_better)

    @classmethod
    def of(
        cls, value: float, n: int, reason: str = "", *, higher_is_better: bool = True
    ) -> MetricResult:
        """A computed aggregate; NaN or infinity becomes an error, never a score."""
        if not math.isfinite(value):
            return cls(None, "error", f"the aggregate is {value}", n, higher_is_better)
        return cls(round(float(value), 4), "ran", reason, n, higher_is_better)


def is_score(value: Any) -> bool:
    """A finite number: NaN, infinity and None are not scores."""
    return isinstance(value, int | float) and not isinstance(value, bool) and math.isfinite(value)


def aggregate(
    scores: Sequence[tuple[str, Any]], reason: str = "", *, higher_is_better: bool = True
) -> MetricResult:
    """Mean of per-sample scores given as (sample id, score or Exception).

    A NaN, None or exception is an error for that sample: the metric's status becomes
    "error" and each failed sample is listed; it never enters the mean.
    """
    good: list[float] = []
    errors: list[str] = []
    for sample_id, score in scores:
        if isinstance(score, BaseException):
            detail = str(score).strip().splitlines()[0][:200] if str(score).strip() else ""
            errors.append(f"{sample_id}: {type(score).__name__}{': ' + detail if detail else ''}")
        elif not is_score(score):
            errors.append(f"{sample_id}: no score ({score!r})")
        else:
            good.append(float(score))
    n = len(scores)
    if not n:
        return MetricResult.skipped("no samples to score", higher_is_better=higher_is_better)
    value = round(sum(good) / len(good), 4) if good else None
    if errors:
        why = f"{len(errors)} of {n} samples gave no score"
        why += f"; the value is the mean of the other {len(good)}" if good else ""
        return MetricResult(value, "error", why, n, higher_is_better, errors[:MAX_LISTED_ERRORS])
    return MetricResult(value, "ran", reason, n, higher_is_better)


@dataclass
class SuiteResult:
    """A suite's metrics, JSON-ready details for the report, and notes a reader needs."""

    name: str
    metrics: dict[str, MetricResult] = field(default_factory=dict)
    details: dict[str, Any] = field(default_factory=dict)
    notes: list[str] = field(default_factory=list)
    seconds: float = 0.0
    error: str | None = None


@dataclass
class SuiteContext:
    """What a suite may use: settings, the shared eval environment (built on first use),
    the run's options, and data-file overrides (tests pass small files)."""

    settings: Any
    """app.settings.Settings of the run."""
    env_factory: Any
    """() -> evals.suites.harness.EvalEnv; called at most once per run."""
    k: int = 1
    """Runs per scripted conversation (pass^k)."""
    judge: Any = None
    """evals.suites.ragas_metrics.JudgeConfig, or None when no judge is configured."""
    judge_skip_reason: str = ""
    judge_http_client: Any = None
    """An httpx.AsyncClient for the judge (tests give one over a fake transport)."""
    data: dict[str, Any] = field(default_factory=dict)
    """Per-suite data path overrides, e.g. {"rag": Path("small.jsonl")}."""
    script: str | None = None
    """Run only the conversation scripts whose name or file name contains this."""
    _env: Any = None
    _env_error: Exception | None = None

    @property
    def env(self) -> Any:
        """The EvalEnv (models + freshly seeded store), built once; a failure is kept."""
        if self._env_error is not None:
            raise self._env_error
        if self._env is None:
            try:
                self._env = self.env_factory()
            except Exception as exc:
                self._env_error = exc
                raise
        return self._env

    @property
    def env_built(self) -> bool:
        return self._env is not None

    def path(self, key: str, default: Any) -> Any:
        return self.data.get(key, default)
