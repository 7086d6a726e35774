"""Escalation notices to a Slack-compatible incoming webhook (ESCALATION_WEBHOOK_URL).

A notice is posted in the background after the turn that escalated has been answered:
a slow, failing or unreachable webhook is logged and never delays or breaks the
customer's turn. The body is Slack's incoming-webhook shape (`text` plus `blocks`), which
Mattermost, Rocket.Chat, Discord's /slack endpoint and Teams connectors also accept.
"""

from __future__ import annotations

import asyncio
import logging
from typing import Any

import httpx

log = logging.getLogger("support.notify")


def escalation_message(escalation: dict[str, Any], console_url: str = "") -> dict[str, Any]:
    """The webhook body announcing one escalation."""
    reason = str(escalation.get("reason", "unknown")).replace("_", " ")
    who = escalation.get("customer_id") or "an anonymous customer"
    last = ""
    for line in reversed(escalation.get("transcript") or []):
        if line.get("role") == "customer":
            last = str(line.get("text", ""))[:300]
            break
    link = ""
    if console_url:
        link = f"{console_url.rstrip('/')}/console#/escalations/{escalation['id']}"
    text = f"New escalation {escalation['id']} ({reason}) from {who}"
    fields = [f"*Escalation* {escalation['id']}", f"*Reason* {reason}", f"*Customer* {who}"]
    if escalation.get("intent"):
        fields.append(f"*Intent* {escalation['intent']} ({escalation.get('confidence', 0):.2f})")
    blocks: list[dict[str, Any]] = [
        {"type": "section", "text": {"type": "mrkdwn", "text": "\n".join(fields)}}
    ]
    if last:
        blocks.append({"type": "section", "text": {"type": "mrkdwn", "text": f"> {last}"}})
    if link:
        blocks.append({"type": "section", "text": {"type": "mrkdwn", "text": f"<{link}|Open>"}})
    return {"text": text, "blocks": blocks}


class EscalationNotifier:
    """Posts escalation notices without ever blocking or failing a customer's turn."""

    def __init__(
        self,
        url: str,
        *,
        timeout: float = 5.0,
        console_url: str = "",
        transport: httpx.AsyncBaseTransport | None = None,
    ) -> None:
        self.url = url
        self._timeout = timeout
        self._console_url = console_url
        self._transport = transport
        self._pending: set[asyncio.Task[bool]] = set()
        self.sent = 0
        self.failed = 0

    @property
    def enabled(self) -> bool:
        return bool(self.url)

    async def send(self, escalation: dict[str, Any]) -> bool:
        """Post one notice now; True when the webhook answered 2xx. Never raises."""
        if not self.url:
            return False
        body = escalation_message(escalation, self._console_url)
        try:
            async with httpx.AsyncClient(
                timeout=self._timeout, transport=self._transport
            ) as client:
                response = await client.post(self.url, json=body)
            response.raise_for_status()
        except (httpx.HTTPError, OSError) as exc:
            self.failed += 1
            log.warning("escalation webhook failed for %s: %s", escalation.get("id"), exc)
            return False
        self.sent += 1
        return True

    def notify(self, escalation: dict[str, Any]) -> None:
        """Schedule a notice in the background (needs a running event loop)."""
        if not self.url:
            return
        task = asyncio.get_running_loop().create_task(self.send(escalation))
        self._pending.add(task)
        task.add_done_callback(self._pending.discard)

    async def drain(self) -> None:
        """Wait for notices still in flight (shutdown, tests)."""
        if self._pending:
            await asyncio.gather(*self._pending, return_exceptions=True)
