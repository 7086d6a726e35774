"""Wire the nodes into the turn graph.

classify → branch → (escalate | resume_offer) → respond → END, with these detours: an
unclear message gets `clarify` (quick replies); a side question asked while an offer waits
comes back to the offer in `resume_offer`; a message with several requests loops through
`next_request` → classify once per request; an anonymous caller's
account question goes through `verify` first (and on to its branch once verified), and a
refund waiting for a human's approval parks the conversation in `await_approval`, which
pauses the graph (LangGraph interrupt) until the decision comes.
"""

from __future__ import annotations

from collections.abc import Awaitable
from typing import Any, Protocol

from langgraph.checkpoint.base import BaseCheckpointSaver
from langgraph.graph import END, START, StateGraph
from langgraph.graph.state import CompiledStateGraph

from graph.context import TurnContext
from graph.nodes.address import change_address
from graph.nodes.approval import await_approval
from graph.nodes.billing import invoices
from graph.nodes.cancel import cancel
from graph.nodes.classify import classify
from graph.nodes.common import Rt
from graph.nodes.escalate import escalate
from graph.nodes.knowledge import answer_from_knowledge
from graph.nodes.orders import order_status
from graph.nodes.payment_change import change_payment
from graph.nodes.payments import payments
from graph.nodes.profile import profile_address
from graph.nodes.refund import refund
from graph.nodes.repair import clarify, next_request, resume_offer
from graph.nodes.respond import respond
from graph.nodes.smalltalk import smalltalk
from graph.nodes.swap import swap_items
from graph.nodes.verify import verify
from graph.routing import (
    route_after_action,
    route_after_classify,
    route_after_reply,
    route_after_verify,
)
from graph.state import TurnState
from observability.tracing import traced_node

ACCOUNT_BRANCHES = {
    "orders": order_status,
    "refund": refund,
    "billing": invoices,
    "cancel": cancel,
    "address": change_address,
    "payments": payments,
    "swap": swap_items,
    "payment_change": change_payment,
    "profile_address": profile_address,
}
BRANCHES = {**ACCOUNT_BRANCHES, "knowledge": answer_from_knowledge}


class Node(Protocol):
    """A node of the turn graph: the state and the runtime in, a partial state update out."""

    def __call__(self, state: TurnState, runtime: Rt) -> Awaitable[dict[str, Any]]: ...


TurnGraph = CompiledStateGraph[TurnState, TurnContext, TurnState, TurnState]
"""The compiled turn graph's type."""


def build_graph(checkpointer: BaseCheckpointSaver[Any] | None = None) -> TurnGraph:
    """The compiled turn graph; `checkpointer` keeps each session's state between turns
    (and is what lets a conversation wait for an approval across restarts)."""
    builder = StateGraph(TurnState, context_schema=TurnContext)

    # every node is timed and traced (node.<name> span)
    def add(name: str, node: Node) -> None:
        builder.add_node(name, traced_node(name, node))

    after_action = ["escalate", "resume_offer", "respond"]
    add("classify", classify)
    for name, node in BRANCHES.items():
        add(name, node)
        builder.add_conditional_edges(name, route_after_action, after_action)
    add("verify", verify)
    add("smalltalk", smalltalk)
    add("clarify", clarify)
    add("escalate", escalate)
    add("resume_offer", resume_offer)
    add("respond", respond)
    add("next_request", next_request)
    add("await_approval", await_approval)

    builder.add_edge(START, "classify")
    builder.add_conditional_edges(
        "classify",
        route_after_classify,
        [*BRANCHES, "verify", "smalltalk", "clarify", "escalate"],
    )
    builder.add_conditional_edges(
        "verify", route_after_verify, [*ACCOUNT_BRANCHES, "escalate", "respond"]
    )
    builder.add_conditional_edges("smalltalk", route_after_action, after_action)
    builder.add_edge("clarify", "respond")
    builder.add_edge("escalate", "respond")
    builder.add_edge("resume_offer", "respond")
    builder.add_conditional_edges(
        "respond", route_after_reply, ["next_request", "await_approval", END]
    )
    builder.add_edge("next_request", "classify")
    builder.add_edge("await_approval", "respond")
    return builder.compile(checkpointer=checkpointer, name="support_turn")
