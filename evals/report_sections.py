"""The report's content as neutral blocks, rendered to Markdown and HTML by evals.report.

A block is a tuple: ("h1"|"h2"|"h3"|"p", text), ("list", [text]), ("table", headers, rows),
("img", relative path, alt text) or ("pre", text).
"""

from __future__ import annotations

from typing import Any

Block = tuple[Any, ...]
MAX_ROWS = 40


def fmt(value: Any, digits: int = 3) -> str:
    if value is None:
        return "–"
    if isinstance(value, float):
        return f"{value:.{digits}f}"
    return str(value)


def signed(value: float | None) -> str:
    return "–" if value is None else f"{value:+.3f}"


def metric_cell(m: dict[str, Any]) -> str:
    if m["status"] == "skipped":
        return "skipped"
    if m["status"] == "error":
        return f"error ({fmt(m['value'])} partial)" if m["value"] is not None else "error"
    return fmt(m["value"])


def gate_cell(m: dict[str, Any]) -> str:
    gate = m.get("gate")
    if not gate:
        return ""
    bound = " ".join(
        f"{op} {gate[key]}" for key, op in (("min", "≥"), ("max", "≤")) if gate.get(key) is not None
    )
    return f"{gate['status'].upper()} ({bound})"


def summary_blocks(report: dict[str, Any]) -> list[Block]:
    verdict = "PASS" if report["passed"] else "FAIL"
    blocks: list[Block] = [
        ("h1", f"Evaluation report: {verdict}"),
        (
            "p",
            f"Run {report['created']} at commit {report['commit'] or 'unknown'}; composer "
            f"{report['composer'] or '–'}; LLM judge {report['judge'] or 'none'}; "
            f"conversation runs k={report['k']}; {report['seconds']:.1f} s in all. "
            f"Baseline: {report['baseline'] or 'none (no deltas)'}.",
        ),
        (
            "table",
            ["suite", "status", "seconds", "failed gates"],
            [
                [
                    name,
                    s["status"].upper(),
                    f"{s['seconds']:.1f}",
                    str(sum(g["status"] == "fail" for g in s["gates"].values())),
                ]
                for name, s in report["suites"].items()
            ],
        ),
    ]
    if report["failures"]:
        blocks += [("h3", "Failed gates"), ("list", report["failures"])]
    return blocks


def metric_blocks(name: str, suite: dict[str, Any], chart: str | None) -> list[Block]:
    blocks: list[Block] = [("h2", f"{name}: {suite['status'].upper()} ({suite['seconds']:.1f} s)")]
    if suite["error"]:
        blocks.append(("p", f"Suite error: {suite['error']}"))
        if suite["details"].get("traceback"):
            blocks.append(("pre", suite["details"]["traceback"]))
    blocks += [("p", note) for note in suite["notes"]]
    rows = [
        [
            metric,
            metric_cell(m),
            fmt(m["baseline"]),
            signed(m["delta"]),
            gate_cell(m),
            str(m["n"]),
            "higher" if m["higher_is_better"] else "lower",
        ]
        for metric, m in suite["metrics"].items()
    ]
    if rows:
        headers = ["metric", "value", "baseline", "delta", "gate", "n", "better"]
        blocks.append(("table", headers, rows))
    explained = [
        f"{metric}: {m['status']} — {m['reason']}"
        + (f" [{'; '.join(m['errors'])}]" if m["errors"] else "")
        for metric, m in suite["metrics"].items()
        if m["reason"]
    ]
    if explained:
        blocks.append(("list", explained))
    if chart:
        blocks.append(("img", chart, f"{name} scores"))
    return blocks


def rag_blocks(details: dict[str, Any]) -> list[Block]:
    outcomes = details.get("outcomes", {})
    blocks: list[Block] = [
        ("h3", "Outcomes"),
        (
            "table",
            ["questions", "outcome", "count"],
            [[kind, out, str(n)] for kind, counts in outcomes.items() for out, n in counts.items()],
        ),
    ]
    weak = [
        q
        for q in details.get("questions", [])
        if (q["answerable"] and q["outcome"] != "answered")
        or (not q["answerable"] and q["outcome"] == "answered")
    ]
    if weak:
        blocks += [
            ("h3", f"Questions handled wrongly ({len(weak)})"),
            (
                "table",
                ["id", "question", "outcome", "intent", "confidence"],
                [
                    [q["id"], q["question"], q["outcome"], q["intent"], fmt(q["confidence"], 2)]
                    for q in weak[:MAX_ROWS]
                ],
            ),
        ]
    return blocks


def intent_blocks(details: dict[str, Any], chart: str | None) -> list[Block]:
    blocks: list[Block] = [("h3", f"Per intent (model {details.get('model_version')})")]
    blocks.append(
        (
            "table",
            ["intent", "precision", "recall", "f1", "support"],
            [
                [name, fmt(s["precision"]), fmt(s["recall"]), fmt(s["f1"]), str(s["support"])]
                for name, s in details.get("per_intent", {}).items()
            ],
        )
    )
    if details.get("top_confusions"):
        blocks += [
            ("h3", "Top confusions (true → predicted)"),
            (
                "list",
                [
                    f"{c['true']} → {c['predicted']}: {c['count']}"
                    for c in details["top_confusions"]
                ],
            ),
        ]
    if chart:
        blocks.append(("img", chart, "intent confusion matrix"))
    return blocks


def escalation_blocks(details: dict[str, Any], chart: str | None) -> list[Block]:
    blocks: list[Block] = [
        ("h3", "By kind of turn"),
        (
            "table",
            ["kind", "turns", "escalated"],
            [[k, str(v["n"]), str(v["escalated"])] for k, v in details.get("by_kind", {}).items()],
        ),
    ]
    if chart:
        blocks.append(("img", chart, "escalation decisions"))
    wrong = details.get("wrong", [])
    if wrong:
        blocks += [
            ("h3", f"Wrong decisions ({len(wrong)})"),
            (
                "table",
                ["id", "text", "expected", "escalated", "reason", "intent", "confidence"],
                [
                    [
                        d["id"],
                        d["text"],
                        str(d["expected"]),
                        str(d["escalated"]),
                        str(d["reason"] or "–"),
                        str(d["intent"]),
                        fmt(d["confidence"], 2),
                    ]
                    for d in wrong[:MAX_ROWS]
                ],
            ),
        ]
    if details.get("in_scope_escalations"):
        blocks += [
            ("h3", "In-scope conversation turns that escalated"),
            ("list", details["in_scope_escalations"]),
        ]
    return blocks


def _transcript(turns: list[dict[str, Any]]) -> str:
    return "\n\n".join(f"customer: {t['say']}\nbot: {t['reply']}" for t in turns)


def first_failure_blocks(script: dict[str, Any]) -> list[Block]:
    """Where a failing script first went wrong: turn, message, reply and what was wrong,
    then the transcript of that run."""
    first = script.get("first_failure") or {}
    where = first.get("where", "?")
    run = f" (run {first['run']} of {script['runs']})" if first.get("run") else ""
    said = [f"turn {first['turn']}: customer said: {first['say']}"] if first.get("turn") else []
    reply = [f"bot replied: {first['reply']}"] if first.get("reply") is not None else []
    blocks: list[Block] = [
        ("h3", f"{script['name']}: first went wrong at {where}{run}"),
        ("list", [*said, *reply, *(f"wrong: {f}" for f in first.get("failures", []))]),
    ]
    if script.get("transcript"):
        blocks.append(("pre", _transcript(script["transcript"])))
    return blocks


def conversations_blocks(details: dict[str, Any]) -> list[Block]:
    scripts = details.get("scripts", [])
    blocks: list[Block] = [
        ("h3", "Scripts"),
        (
            "table",
            ["script", "store", "passed runs", "first failure"],
            [
                [
                    s["name"],
                    s.get("store", "demo"),
                    "–" if s.get("status") == "skipped" else f"{s['passed_runs']}/{s['runs']}",
                    s.get("skipped") or "; ".join(s["failures"][:3]),
                ]
                for s in scripts
            ],
        ),
    ]
    for s in scripts:
        if s["failures"]:
            blocks += first_failure_blocks(s)
    return blocks


def entities_blocks(details: dict[str, Any]) -> list[Block]:
    blocks: list[Block] = []
    for name, d in details.items():
        rows = [
            [kind, fmt(s["f1"]), fmt(d["value"].get(kind, {}).get("f1")), str(s["tp"] + s["fn"])]
            for kind, s in d["span"].items()
        ]
        blocks += [
            ("h3", f"{name}: {d['file']} ({d['rows']} rows)"),
            ("table", ["type", "span F1", "value F1", "gold"], rows),
        ]
    return blocks


def suite_blocks(name: str, suite: dict[str, Any], charts: dict[str, str]) -> list[Block]:
    blocks = metric_blocks(name, suite, charts.get(f"{name}-scores"))
    details = suite["details"]
    if suite["error"] and not suite["metrics"]:
        return blocks
    if name == "rag":
        blocks += rag_blocks(details)
    elif name == "intent":
        blocks += intent_blocks(details, charts.get("intent-confusion"))
    elif name == "escalation":
        blocks += escalation_blocks(details, charts.get("escalation-confusion"))
    elif name == "conversations":
        blocks += conversations_blocks(details)
    elif name == "entities":
        blocks += entities_blocks(details)
    return blocks
