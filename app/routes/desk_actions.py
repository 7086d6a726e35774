"""Agent API: act on the escalated customer's order (refund, return, cancel, new address)
through the policy-checked, idempotent, audited tools, as the agent."""

from __future__ import annotations

from fastapi import APIRouter

from app.deps import AgentDep, DeskDep, ServicesDep
from app.desk_action_schemas import ActionRequest, ActionResult
from app.desk_actions import DeskActions
from app.openapi import responses

router = APIRouter(prefix="/v1/agent", tags=["agent"], responses=responses(401, 403, 422, 503))


@router.post("/escalations/{escalation_id}/actions", responses=responses(404, 409))
async def act(
    escalation_id: str,
    body: ActionRequest,
    agent: AgentDep,
    services: ServicesDep,
    desk: DeskDep,
) -> ActionResult:
    """Do `body.action` on one of the escalation's customer's orders, as this agent.

    The policy applies as for the customer (409 `policy` with its reason, nothing
    written); another customer's order is a 404. The customer gets the outcome in their
    conversation; the same request again returns the same result (`repeated`), never a
    second write. Refunds above the auto-approve limit go through: the agent is the
    human approval the limit asks for (`over_limit`, noted in the audit)."""
    return await DeskActions(services, desk).perform(escalation_id, agent, body)
