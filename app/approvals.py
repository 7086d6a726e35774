"""The approval desk: humans decide refunds above the policy's auto-approve limit.

`ApprovalDesk.decide` is the one way to approve or decline: it writes the decision (and,
on approval, the refund) to the store in one transaction, exactly once, then resumes the
customer's paused conversation so its transcript gets the outcome. The `support approvals`
CLI and the agent API are thin layers over it.

Example (inside the app, where `app.state.approvals` is the desk):

    await desk.decide("A1B2C3D4E5F6", approve=True, agent="ann", note="long-time customer")
"""

from __future__ import annotations

import asyncio
import logging

from app.chat import ChatService
from graph.context import Services
from tools import approvals as approval_tools
from tools.schemas import ApprovalView

log = logging.getLogger("support.approvals")


class ApprovalDesk:
    """List waiting refund approvals and record human decisions on them."""

    def __init__(self, chat: ChatService, services: Services) -> None:
        self._chat = chat
        self._services = services

    async def list(self, status: str | None = "pending") -> list[ApprovalView]:
        """Approvals with `status` (pending, approved, declined; None: all), oldest first."""
        return await asyncio.to_thread(approval_tools.list_approvals, self._services.store, status)

    async def get(self, approval_id: str) -> ApprovalView | None:
        return await asyncio.to_thread(self._services.store.get_approval, approval_id)

    async def decide(
        self, approval_id: str, *, approve: bool, agent: str, note: str = ""
    ) -> ApprovalView:
        """Approve (refund) or decline as `agent`, then tell the customer in their chat.

        Raises tools.errors.NotFound (no such approval), NotAllowed (decided the other way
        already, or the refund policy now refuses), ValueError (no agent name) and
        BackendUnavailable (store down: nothing was written). Deciding again the same way
        returns the recorded decision and writes nothing new.
        """
        decided = await asyncio.to_thread(
            approval_tools.decide_refund_approval,
            self._services.store,
            approval_id,
            approve=approve,
            agent=agent,
            policy=self._services.policy,
            note=note,
        )
        try:
            await self._chat.resume(
                decided.session_id, {"kind": "decision", "approval_id": decided.id}
            )
        except Exception:  # the decision stands; the customer's next message delivers it
            log.exception("could not resume session %s after approval %s",
                          decided.session_id, decided.id)  # fmt: skip
        return decided
