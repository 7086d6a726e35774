"""Small helpers the nodes share: events, entities, tool-call records, identity."""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Any

from langgraph.runtime import Runtime

from graph.context import TurnContext
from graph.state import TurnState
from prompts import render
from tools.store.catalog import SHOP_NAME

Rt = Runtime[TurnContext]


def emit(runtime: Rt, event: str, data: Any) -> None:
    """Send a typed event to whoever streams the turn (no-op when nobody listens)."""
    writer = runtime.stream_writer
    if writer is not None:
        writer({"event": event, "data": data})


def entity(state: TurnState, kind: str) -> str | None:
    """Value of the first entity of a type in the current message."""
    for ent in state.get("entities") or []:
        if ent.get("type") == kind:
            return str(ent["value"])
    return None


def action(tool: str, status: str, detail: str) -> dict[str, str]:
    return {"tool": tool, "status": status, "detail": detail}


def record(runtime: Rt, state: TurnState, *actions: dict[str, str]) -> list[dict[str, str]]:
    """Emit action events and return the turn's action list with them appended."""
    for a in actions:
        emit(runtime, "action", a)
    return [*(state.get("actions") or []), *actions]


def customer_of(state: TurnState, runtime: Rt) -> str | None:
    """Whose records this turn may touch: the customer the request's credentials name, or
    (anonymous callers) the one the store confirmed in this turn's identity check."""
    return runtime.context.customer_id or state.get("verified_customer_id")


def say(name: str, **values: Any) -> str:
    """A templated reply, with the shop name always available."""
    return render(name, shop=SHOP_NAME, **values)


def now_iso() -> str:
    return datetime.now(UTC).isoformat(timespec="microseconds")


def short_date(value: datetime | None) -> str:
    return value.strftime("%b %d, %Y").replace(" 0", " ") if value else "unknown date"
