"""Actions from the desk: an agent refunds, takes back, cancels or re-addresses an order of
the escalated conversation's customer, through the same policy-checked, idempotent,
audited tools the chat uses, with `agent:<name>` as the actor.

The customer is always the escalation's (its verified customer); the request only names
the order. Each done action is said in the customer's conversation in the bot's words for
the same action, as the agent, and shown live on the desk (`action.done`). The agent then
owns the conversation, as after a reply. A repeat of the same request returns the first
result and says nothing new.

Example (inside the app): `await DeskActions(services, desk).perform("E12AB", "ann",
RefundAction(action="refund", order_id="W1000004", reason="arrived broken"))`.
"""

from __future__ import annotations

import asyncio
import logging
from datetime import UTC, datetime
from typing import Any

from app import desk_action_orders, desk_action_refund
from app.agent_desk import AgentDesk, DeskConflict, EscalationNotFound, workable
from app.desk_action_case import Case
from app.desk_action_errors import NoVerifiedCustomer
from app.desk_action_schemas import (
    ActionResult,
    AddressAction,
    CancelAction,
    RefundAction,
    ReturnAction,
)
from graph.context import Services
from tools.errors import BackendUnavailable

log = logging.getLogger("support.desk")

Request = RefundAction | ReturnAction | CancelAction | AddressAction


class DeskActions:
    """Writes on the escalation's customer's orders, as the agent, and telling them."""

    def __init__(self, services: Services, desk: AgentDesk) -> None:
        self._services = services
        self._desk = desk

    async def perform(self, escalation_id: str, agent: str, request: Request) -> ActionResult:
        """Do `request` for escalation `escalation_id` as `agent`; raises an ApiError (404
        escalation or order, 409 policy / ownership / no customer, 422 address) with
        nothing written."""
        row = await asyncio.to_thread(self._services.store.desk_escalation, escalation_id)
        if row is None:
            raise EscalationNotFound(f"no escalation {escalation_id!r}")
        workable(row, agent)
        case = Case(
            escalation_id=escalation_id,
            session_id=row["session_id"],
            customer_id=await self._customer(row),
            agent=agent,
        )
        result = await asyncio.to_thread(self._write, case, request)
        if not result.repeated:
            await self._tell(case, result)
        if row["status"] != "claimed" or row["assignee"] != agent:
            try:  # the agent now owns the conversation, as after a reply
                await self._desk.claim(escalation_id, agent)
            except DeskConflict:  # someone claimed it meanwhile: the action stands
                log.info("escalation %s claimed by another agent during an action", escalation_id)
        return result

    async def _customer(self, row: dict[str, Any]) -> str:
        """The escalation's customer: the chat's signed-in one, else whom the anonymous
        chat proved to be (a lapsed proof does not count)."""
        if row["customer_id"]:
            return str(row["customer_id"])
        identity = await asyncio.to_thread(self._services.store.session_identity, row["session_id"])
        if identity is not None and identity.verified_customer_id:
            return identity.verified_customer_id
        raise NoVerifiedCustomer(
            "this conversation has no verified customer; ask the customer to sign in or "
            "verify their identity in the chat first"
        )

    def _write(self, case: Case, request: Request) -> ActionResult:
        store, policy = self._services.store, self._services.policy
        if isinstance(request, RefundAction | ReturnAction):
            return desk_action_refund.refund(store, policy, case, request, datetime.now(UTC))
        if isinstance(request, CancelAction):
            return desk_action_orders.cancel(store, policy, case, request)
        return desk_action_orders.change_address(store, policy, case, request)

    async def _tell(self, case: Case, result: ActionResult) -> None:
        """The sentence in the customer's conversation, and the event on the desk. The
        action is done either way: a store that fails here is logged, not reported."""
        store = self._services.store
        try:
            await asyncio.to_thread(
                store.add_message, case.session_id, "agent", result.summary,
                escalation_id=case.escalation_id, author=case.agent,
            )  # fmt: skip
            if hasattr(store, "add_desk_event"):
                await asyncio.to_thread(
                    store.add_desk_event, "action.done", escalation_id=case.escalation_id,
                    session_id=case.session_id, actor=case.actor,
                    data=result.model_dump(mode="json"),
                )  # fmt: skip
        except BackendUnavailable:
            log.exception("action %s on %s done but not told", result.action, result.order_id)
