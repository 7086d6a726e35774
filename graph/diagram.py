"""Draw the turn graph into docs/architecture.md, from the compiled graph itself.

LangGraph draws the Mermaid text (`get_graph().draw_mermaid()`), so the picture in the
docs is the graph that runs; `tests/unit/test_architecture_doc.py` fails when they differ.

    python -m graph.diagram            # rewrite the diagram between the markers
    python -m graph.diagram --check    # exit 1 when the doc's diagram is stale
"""

from __future__ import annotations

import sys
from pathlib import Path

DOC = Path(__file__).resolve().parents[1] / "docs" / "architecture.md"
START_MARK = "<!-- turn-graph:start -->"
END_MARK = "<!-- turn-graph:end -->"
REGENERATE = "python -m graph.diagram"


def turn_graph_mermaid() -> str:
    """The compiled turn graph as LangGraph draws it in Mermaid."""
    from langgraph.checkpoint.memory import InMemorySaver

    from graph.builder import build_graph

    return build_graph(InMemorySaver()).get_graph().draw_mermaid().strip()


def fenced(mermaid: str) -> str:
    return f"```mermaid\n{mermaid}\n```"


def embedded(text: str) -> str | None:
    """The Mermaid text between the markers of `text`, or None when the markers are missing."""
    _, found, rest = text.partition(START_MARK)
    body, found_end, _ = rest.partition(END_MARK)
    if not found or not found_end:
        return None
    body = body.strip()
    if body.startswith("```mermaid") and body.endswith("```"):
        body = body[len("```mermaid") : -len("```")]
    return body.strip()


def with_diagram(text: str, mermaid: str) -> str:
    """`text` with the block between the markers replaced by `mermaid`."""
    head, found, rest = text.partition(START_MARK)
    _, found_end, tail = rest.partition(END_MARK)
    if not found or not found_end:
        raise ValueError(f"{DOC.name} lacks the markers {START_MARK} ... {END_MARK}")
    return f"{head}{START_MARK}\n{fenced(mermaid)}\n{END_MARK}{tail}"


def main(argv: list[str] | None = None) -> int:
    args = sys.argv[1:] if argv is None else argv
    text = DOC.read_text(encoding="utf-8")
    mermaid = turn_graph_mermaid()
    if "--check" in args:
        if embedded(text) == mermaid:
            return 0
        print(f"{DOC} is stale: run `{REGENERATE}`", file=sys.stderr)
        return 1
    updated = with_diagram(text, mermaid)
    if updated != text:
        DOC.write_text(updated, encoding="utf-8")
        print(f"updated the turn graph in {DOC}")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
