"""What every desk action shares: whose order it is, its idempotency key, its audit row.

The writes (`desk_action_refund`, `desk_action_orders`) check the written policy exactly
as the chat does for the customer (the same `tools` verdicts, re-run on the locked order
inside the write), write under one idempotency key, and return an `ActionResult` whose
`summary` is the sentence the bot says for the same action. A refusal raises an
`ApiError` (404 / 409 / 422) before anything is written. Synchronous: `DeskActions` runs
them in a thread.
"""

from __future__ import annotations

import hashlib
from dataclasses import dataclass

from app.desk_action_errors import OrderNotFound
from tools import orders as order_tools
from tools.errors import NotFound
from tools.schemas import OrderView
from tools.store.protocol import StoreBackend


@dataclass(frozen=True)
class Case:
    """Who acts (`agent`) for whom (`customer_id`, the escalation's verified customer)."""

    escalation_id: str
    session_id: str
    customer_id: str
    agent: str

    @property
    def actor(self) -> str:
        return f"agent:{self.agent}"

    def key(self, kind: str, client_key: str | None, order_id: str, detail: str = "") -> str:
        """The write's idempotency key: the agent's own key, scoped to this escalation and
        kind of write, or one derived from the escalation, kind, order and detail."""
        if client_key:
            return f"desk:{self.escalation_id}:{kind}:{client_key}"
        return f"desk:{self.escalation_id}:{kind}:{order_id}:{detail}"


def digest(text: str) -> str:
    return hashlib.sha256(text.encode()).hexdigest()[:16]


def own_order(store: StoreBackend, case: Case, order_id: str) -> OrderView:
    """The customer's order; a missing one and another customer's read the same (404)."""
    try:
        return order_tools.get_order(store, case.customer_id, order_id)
    except NotFound as exc:
        wanted = order_tools.normal_order_id(order_id) or order_id
        raise OrderNotFound(
            f"Order {wanted} is not one of this conversation's customer's orders."
        ) from exc


def audit_of(store: StoreBackend, entity_id: str, action: str) -> tuple[int | None, str | None]:
    """(id, actor) of the latest audit row of `action` on `entity_id`."""
    rows = [a for a in store.list_audit(entity_id) if a.action == action]
    return (rows[-1].id, rows[-1].actor) if rows else (None, None)
