"""Write an evals report as report.json, report.md and report.html (charts embedded).

paths = write_report(report, Path("data/evals-report"))
"""

from __future__ import annotations

import base64
import html
import json
import re
from pathlib import Path
from typing import Any

from evals.charts import confusion, score_bars
from evals.report_sections import Block, suite_blocks, summary_blocks

CSS = """
body { font: 14px/1.45 system-ui, sans-serif; margin: 2rem auto; max-width: 1100px; color: #222; }
table { border-collapse: collapse; margin: .6rem 0 1rem; }
th, td { border: 1px solid #ccc; padding: .25rem .5rem; text-align: left; vertical-align: top; }
th { background: #f3f3f3; }
pre { background: #f6f6f6; padding: .6rem; white-space: pre-wrap; }
img { max-width: 100%; border: 1px solid #eee; margin: .5rem 0; }
.PASS { color: #2e7d32; font-weight: 600; } .FAIL, .ERROR { color: #c62828; font-weight: 600; }
"""


def make_charts(report: dict[str, Any], folder: Path) -> dict[str, str]:
    """PNG charts under folder/charts; returns chart key -> path relative to folder."""
    made: dict[str, Path | None] = {}
    charts = folder / "charts"
    for name, suite in report["suites"].items():
        made[f"{name}-scores"] = score_bars(name, suite["metrics"], charts / f"{name}-scores.png")
    intent = report["suites"].get("intent", {}).get("details", {})
    if intent.get("confusion"):
        made["intent-confusion"] = confusion(
            intent["confusion"],
            charts / "intent-confusion.png",
            f"Intent model {intent.get('model_version')}: held-out test split",
        )
    escalation = report["suites"].get("escalation", {}).get("details", {})
    if escalation.get("confusion"):
        made["escalation-confusion"] = confusion(
            escalation["confusion"], charts / "escalation-confusion.png", "Escalation decisions"
        )
    return {k: str(p.relative_to(folder)) for k, p in made.items() if p is not None}


def blocks_of(report: dict[str, Any], charts: dict[str, str]) -> list[Block]:
    blocks = summary_blocks(report)
    for name, suite in report["suites"].items():
        blocks += suite_blocks(name, suite, charts)
    return blocks


def _md_cell(text: str) -> str:
    return text.replace("|", "\\|").replace("\n", " ")


def to_markdown(blocks: list[Block]) -> str:
    out: list[str] = []
    for block in blocks:
        kind = block[0]
        if kind in ("h1", "h2", "h3"):
            out.append(f"{'#' * int(kind[1])} {block[1]}")
        elif kind == "p":
            out.append(block[1])
        elif kind == "list":
            out.append("\n".join(f"- {item}" for item in block[1]))
        elif kind == "table":
            headers, rows = block[1], block[2]
            lines = ["| " + " | ".join(headers) + " |", "|" + "---|" * len(headers)]
            lines += ["| " + " | ".join(_md_cell(str(c)) for c in row) + " |" for row in rows]
            out.append("\n".join(lines))
        elif kind == "img":
            out.append(f"![{block[2]}]({block[1]})")
        elif kind == "pre":
            out.append(f"```\n{block[1]}\n```")
    return "\n\n".join(out) + "\n"


_VERDICT = re.compile(r"\b(PASS|FAIL|ERROR)\b")


def _status_span(text: str) -> str:
    """Escaped text with PASS / FAIL / ERROR coloured."""
    return _VERDICT.sub(r'<span class="\1">\1</span>', html.escape(text))


def to_html(blocks: list[Block], folder: Path, title: str) -> str:
    body: list[str] = []
    for block in blocks:
        kind = block[0]
        if kind in ("h1", "h2", "h3"):
            body.append(f"<{kind}>{_status_span(block[1])}</{kind}>")
        elif kind == "p":
            body.append(f"<p>{html.escape(block[1])}</p>")
        elif kind == "list":
            items = "".join(f"<li>{html.escape(str(i))}</li>" for i in block[1])
            body.append(f"<ul>{items}</ul>")
        elif kind == "table":
            head = "".join(f"<th>{html.escape(h)}</th>" for h in block[1])
            rows = "".join(
                "<tr>" + "".join(f"<td>{_status_span(str(c))}</td>" for c in row) + "</tr>"
                for row in block[2]
            )
            body.append(f"<table><tr>{head}</tr>{rows}</table>")
        elif kind == "img":
            data = base64.b64encode((folder / block[1]).read_bytes()).decode()
            alt = html.escape(block[2])
            body.append(f'<img alt="{alt}" src="data:image/png;base64,{data}">')
        elif kind == "pre":
            body.append(f"<pre>{html.escape(block[1])}</pre>")
    return (
        f'<!doctype html>\n<html lang="en"><head><meta charset="utf-8">'
        f"<title>{html.escape(title)}</title><style>{CSS}</style></head>\n<body>\n"
        + "\n".join(body)
        + "\n</body></html>\n"
    )


def write_report(report: dict[str, Any], folder: Path) -> dict[str, Path]:
    """Write report.json, report.md, report.html and charts/*.png into folder."""
    folder.mkdir(parents=True, exist_ok=True)
    charts = make_charts(report, folder)
    report = {**report, "charts": charts}
    blocks = blocks_of(report, charts)
    paths = {
        "json": folder / "report.json",
        "md": folder / "report.md",
        "html": folder / "report.html",
    }
    paths["json"].write_text(json.dumps(report, indent=1, ensure_ascii=False, default=str) + "\n")
    paths["md"].write_text(to_markdown(blocks), encoding="utf-8")
    verdict = "PASS" if report["passed"] else "FAIL"
    paths["html"].write_text(to_html(blocks, folder, f"Evaluation report: {verdict}"))
    return paths


def summary_text(report: dict[str, Any]) -> str:
    """The console summary: one block per suite, then the failed gates."""
    lines = []
    for name, suite in report["suites"].items():
        lines.append(f"{name:<14}{suite['status'].upper():<6}{suite['seconds']:6.1f}s")
        if suite["error"]:
            lines.append(f"  error: {suite['error']}")
        for metric, m in suite["metrics"].items():
            if m["status"] == "skipped":
                shown = "skipped"
            else:
                shown = "error" if m["status"] == "error" else f"{m['value']:.3f}"
            delta = f"{m['delta']:+.3f}" if m.get("delta") is not None else ""
            gate = (m.get("gate") or {}).get("status", "")
            lines.append(f"  {metric:<28}{shown:>8} {delta:>7}  {gate}")
    verdict = "PASS" if report["passed"] else "FAIL"
    lines.append(
        f"\n{verdict}: {len(report['failures'])} failed gate(s) in {report['seconds']:.1f}s"
    )
    lines += [f"  {message}" for message in report["failures"]]
    return "\n".join(lines)
