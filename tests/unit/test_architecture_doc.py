"""docs/architecture.md draws the turn graph that runs, as LangGraph draws the compiled graph."""

from __future__ import annotations

import pytest

from graph.diagram import (
    DOC,
    END_MARK,
    REGENERATE,
    START_MARK,
    embedded,
    turn_graph_mermaid,
    with_diagram,
)


def test_architecture_doc_shows_the_compiled_turn_graph() -> None:
    drawn = embedded(DOC.read_text(encoding="utf-8"))
    assert drawn is not None, f"docs/architecture.md lacks {START_MARK} … {END_MARK}"
    if drawn != turn_graph_mermaid():
        pytest.fail(
            "the turn graph in docs/architecture.md differs from the compiled graph: "
            f"run `{REGENERATE}`",
            pytrace=False,
        )


def test_the_diagram_names_every_node() -> None:
    drawn = turn_graph_mermaid()
    for node in ("classify", "verify", "cancel", "address", "payments", "await_approval"):
        assert f"\t{node}({node})" in drawn


def test_regenerating_replaces_only_the_block_between_the_markers() -> None:
    text = f"# Doc\n\nbefore\n{START_MARK}\n```mermaid\nold\n```\n{END_MARK}\nafter\n"
    updated = with_diagram(text, "graph TD;\n\ta --> b;")
    assert updated.startswith("# Doc\n\nbefore\n") and updated.endswith(f"{END_MARK}\nafter\n")
    assert embedded(updated) == "graph TD;\n\ta --> b;"
    assert with_diagram(updated, "graph TD;\n\ta --> b;") == updated
    with pytest.raises(ValueError):
        with_diagram("no markers here", "graph TD;")
