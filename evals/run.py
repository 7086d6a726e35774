"""Run evaluation suites, apply the gates, compare with the baseline: one report.

report = run_evals(RunRequest(["rag", "intent"], settings))
report["passed"], report["failures"], report["suites"]["rag"]["metrics"]
"""

from __future__ import annotations

import subprocess
import tempfile
import time
import traceback
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from datetime import UTC, datetime
from pathlib import Path
from typing import TYPE_CHECKING, Any

from evals.gates import BASELINE_PATH, GATES_PATH, judge_suite, load_baseline, load_gates
from evals.help_centre import DEMO_KB, KbChoice
from evals.suites import NEEDS_GRAPH, SUITE_NAMES, suite_runner
from evals.suites.base import SuiteContext, SuiteResult
from evals.suites.harness import EnvironmentNotReady, EvalEnv
from evals.suites.ragas_metrics import JudgeConfig

if TYPE_CHECKING:
    from app.settings import Settings
    from graph.context import Services


@dataclass
class RunRequest:
    """What to run and against what."""

    suites: Sequence[str]
    settings: Settings
    k: int | None = None
    """Runs per conversation script; None: gates.toml's [conversations] k (else 1)."""
    gates_path: Path = GATES_PATH
    baseline_path: Path = BASELINE_PATH
    data: dict[str, Path] = field(default_factory=dict)
    """Per-suite data overrides (see SuiteContext.data)."""
    tau_db: Path | None = None
    """τ-format dump the conversation scripts with `store: tau` run on; None: the project's
    own evals/data/tau_store.json."""
    script: str | None = None
    """Run only the conversation scripts whose name or file name contains this."""
    kb: KbChoice = DEMO_KB
    """The help centre the graph suites answer from: articles pinned in a throw-away
    collection (default: the project's demo help centre), or "live" (DATA_DIR's)."""
    services: Services | None = None
    """Pre-built services (tests); None loads the serving models from settings."""
    judge_http_client: Any = None
    progress: Callable[[str], None] | None = None


ANSWERS_FROM_KB = frozenset({"rag", "escalation", "conversations", "security", "desk"})
"""Suites whose conversations answer from the run's help centre (EvalEnv.help_centre)."""


def judge_config(settings: Settings) -> tuple[JudgeConfig | None, str]:
    """The LLM judge from EVAL_LLM_* settings, or None and why it is not configured."""
    if not settings.EVAL_LLM_BASE_URL:
        return None, "no judge endpoint: set EVAL_LLM_BASE_URL and EVAL_LLM_MODEL to run it"
    if not settings.EVAL_LLM_MODEL:
        return None, "EVAL_LLM_BASE_URL is set but EVAL_LLM_MODEL is empty"
    judge = JudgeConfig(
        base_url=settings.EVAL_LLM_BASE_URL,
        model=settings.EVAL_LLM_MODEL,
        api_key=settings.EVAL_LLM_API_KEY,
        timeout=settings.LLM_TIMEOUT_SECONDS,
    )
    return judge, ""


def git_commit() -> str | None:
    """Short hash of HEAD (with '+dirty' for local changes), or None outside a checkout."""
    root = Path(__file__).resolve().parent.parent
    try:
        head = subprocess.run(
            ["git", "rev-parse", "--short", "HEAD"], cwd=root, capture_output=True, text=True
        )
        if head.returncode:
            return None
        dirty = subprocess.run(
            ["git", "status", "--porcelain", "--untracked-files=no"],
            cwd=root,
            capture_output=True,
            text=True,
        )
        return head.stdout.strip() + ("+dirty" if dirty.stdout.strip() else "")
    except OSError:
        return None


def _run_one(name: str, ctx: SuiteContext) -> SuiteResult:
    started = time.perf_counter()
    try:
        result = suite_runner(name)(ctx)
    except (EnvironmentNotReady, ValueError, OSError) as exc:
        result = SuiteResult(name, error=f"{type(exc).__name__}: {exc}")
    except Exception as exc:  # a crashed suite is a failed gate with its traceback, not a crash
        result = SuiteResult(
            name,
            error=f"{type(exc).__name__}: {exc}",
            details={"traceback": traceback.format_exc(limit=-8)},
        )
    result.seconds = time.perf_counter() - started
    return result


def run_evals(request: RunRequest) -> dict[str, Any]:
    """Run the suites and return the report (see evals/report.py for its files)."""
    unknown = [s for s in request.suites if s not in SUITE_NAMES]
    if unknown:
        raise ValueError(f"unknown suite(s) {', '.join(unknown)}; suites: {', '.join(SUITE_NAMES)}")
    gates = load_gates(request.gates_path)
    baseline = load_baseline(request.baseline_path)
    k = request.k or int(gates.options.get("conversations", {}).get("k", 1))
    judge, skip_reason = judge_config(request.settings)
    started = time.perf_counter()
    suites: dict[str, Any] = {}
    with tempfile.TemporaryDirectory(prefix="evals-", ignore_cleanup_errors=True) as tmp:
        ctx = SuiteContext(
            settings=request.settings,
            env_factory=lambda: EvalEnv.build(
                request.settings,
                Path(tmp),
                services=request.services,
                tau_dump=request.tau_db,
                kb=request.kb,
            ),
            k=k,
            judge=judge,
            judge_skip_reason=skip_reason,
            judge_http_client=request.judge_http_client,
            data=dict(request.data),
            script=request.script,
        )
        for name in SUITE_NAMES:
            if name not in request.suites:
                continue
            if request.progress:
                request.progress(f"suite {name} ...")
            result = _run_one(name, ctx)
            if name in ANSWERS_FROM_KB and ctx.env_built:
                result.notes.append(f"Help centre: {ctx.env.help_centre.describe()}.")
            suites[name] = judge_suite(result, gates, baseline)
            if request.progress:
                request.progress(f"suite {name}: {suites[name]['status']} in {result.seconds:.1f}s")
        composer = ctx.env.services.composer.name if ctx.env_built else None
        help_centre = ctx.env.help_centre.public() if ctx.env_built else None
    failures = [
        g["message"]
        for s in suites.values()
        for g in s["gates"].values()
        if g["status"] == "fail" and s["status"] != "error"
    ]
    failures += [f"{name}: suite error: {s['error']}" for name, s in suites.items() if s["error"]]
    return {
        "created": datetime.now(UTC).isoformat(timespec="seconds"),
        "commit": git_commit(),
        "composer": composer,
        "help_centre": help_centre,
        "judge": judge.model if judge else None,
        "k": k,
        "graph_suites": sorted(NEEDS_GRAPH & set(suites)),
        "baseline": str(request.baseline_path) if baseline is not None else None,
        "seconds": round(time.perf_counter() - started, 2),
        "passed": not failures,
        "failures": failures,
        "suites": suites,
    }
