"""Wire the nodes into the turn graph: classify → branch → (escalate) → respond."""

from __future__ import annotations

from langgraph.checkpoint.base import BaseCheckpointSaver
from langgraph.graph import END, START, StateGraph
from langgraph.graph.state import CompiledStateGraph

from graph.context import TurnContext
from graph.nodes.billing import invoices
from graph.nodes.classify import classify
from graph.nodes.escalate import escalate
from graph.nodes.knowledge import answer_from_knowledge
from graph.nodes.orders import order_status
from graph.nodes.refund import refund
from graph.nodes.respond import respond
from graph.nodes.smalltalk import smalltalk
from graph.routing import route_after_action, route_after_classify
from graph.state import TurnState

BRANCHES = {
    "orders": order_status,
    "refund": refund,
    "billing": invoices,
    "knowledge": answer_from_knowledge,
}


def build_graph(checkpointer: BaseCheckpointSaver | None = None) -> CompiledStateGraph:
    """The compiled turn graph; `checkpointer` keeps each session's state between turns."""
    builder = StateGraph(TurnState, context_schema=TurnContext)
    builder.add_node("classify", classify)
    for name, node in BRANCHES.items():
        builder.add_node(name, node)
        builder.add_conditional_edges(name, route_after_action, ["escalate", "respond"])
    builder.add_node("smalltalk", smalltalk)
    builder.add_node("escalate", escalate)
    builder.add_node("respond", respond)

    builder.add_edge(START, "classify")
    builder.add_conditional_edges(
        "classify", route_after_classify, [*BRANCHES, "smalltalk", "escalate"]
    )
    builder.add_edge("smalltalk", "respond")
    builder.add_edge("escalate", "respond")
    builder.add_edge("respond", END)
    return builder.compile(checkpointer=checkpointer, name="support_turn")
