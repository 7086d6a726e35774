"""Approval tools: refunds above the policy's auto-approve limit wait for a human decision.

The chat asks (`request_refund_approval`) once the customer confirmed; an agent decides
(`decide_refund_approval`), which writes the refund in the same transaction as the
decision, so an approval yields at most one refund however often it is decided.
"""

from __future__ import annotations

from typing import Any

from tools.errors import NotFound
from tools.policy import SupportPolicy
from tools.refunds import owned_method, recheck
from tools.schemas import ApprovalView, RefundEligibility
from tools.store.backend import StoreBackend


def request_refund_approval(
    store: StoreBackend,
    *,
    session_id: str,
    customer_id: str,
    eligibility: RefundEligibility,
    idempotency_key: str,
    escalation: dict[str, Any],
) -> ApprovalView:
    """Ask a human to approve a refund the customer confirmed (amount above the limit).

    Writes a pending approval and an escalation with reason `approval_needed` together;
    the same `idempotency_key` always returns the same approval. `escalation` carries the
    conversation's intent, confidence, entities and transcript for the agent.
    """
    return store.request_approval(
        session_id=session_id,
        customer_id=customer_id,
        order_id=eligibility.order_id,
        amount_cents=eligibility.amount_cents,
        destination=eligibility.payment_label,
        method_id=eligibility.method_id,
        idempotency_key=idempotency_key,
        escalation=escalation,
        skus=eligibility.units,
    )


def decide_refund_approval(
    store: StoreBackend,
    approval_id: str,
    *,
    approve: bool,
    agent: str,
    policy: SupportPolicy,
    note: str = "",
) -> ApprovalView:
    """Approve (and refund) or decline a waiting refund, as agent `agent`.

    On approval the refund policy is re-checked on the locked order as it stood when the
    customer asked (time spent waiting for the decision does not close the window) and the
    refund is written with the decision. Raises NotFound for an unknown approval and
    NotAllowed when it was already decided the other way or the policy now refuses.
    """
    agent = agent.strip()
    if not agent or len(agent) > 100:
        raise ValueError("agent must name who decides (1-100 characters)")
    approval = store.get_approval(approval_id.strip())
    if approval is None:
        raise NotFound(f"There is no approval {approval_id}.")
    check = None
    if approve:
        method = (
            owned_method(store, approval.customer_id, approval.method_id)
            if approval.method_id
            else None
        )
        named = tuple(dict.fromkeys(approval.skus or ()))
        check = recheck(policy, approval.requested_at, approval.amount_cents, method=method,
                        skus=named, units=approval.skus)  # fmt: skip
    return store.decide_approval(
        approval.id, approve=approve, agent=agent, note=note.strip(), check=check
    )


def list_approvals(store: StoreBackend, status: str | None = "pending") -> list[ApprovalView]:
    """Approvals waiting for a decision (or with another `status`, or all for None)."""
    return store.list_approvals(status)
