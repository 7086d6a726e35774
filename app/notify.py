"""Escalation notices to a Slack-compatible incoming webhook (ESCALATION_WEBHOOK_URL).

A notice is posted in the background after the turn that escalated has been answered: a
slow, failing or unreachable webhook never delays or breaks the customer's turn. A timeout,
a connection error, 408, 429 or a 5xx is tried again after an exponential backoff with
jitter (WEBHOOK_BACKOFF_SECONDS, doubling, at most WEBHOOK_BACKOFF_MAX_SECONDS; a 429's or
503's Retry-After is honoured up to that cap), WEBHOOK_MAX_ATTEMPTS tries in all. Any other
4xx is not retried: the webhook refuses the body and would refuse it again. A notice the
webhook never takes is kept in the store as a dead letter, as is one still waiting for its
next try when the service stops; `support ops webhooks` lists them and replays them.

The body is Slack's incoming-webhook shape (`text` plus `blocks`), which Mattermost,
Rocket.Chat, Discord's /slack endpoint and Teams connectors also accept.
"""

from __future__ import annotations

import asyncio
import logging
import random
from dataclasses import dataclass
from datetime import UTC, datetime
from email.utils import parsedate_to_datetime
from typing import Any

import httpx

from observability.metrics import record_webhook_notice
from tools.errors import ToolError
from tools.store.protocol import WebhookDeadLetterStore

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


@dataclass(frozen=True)
class RetryPolicy:
    """How often and how patiently one notice is tried (the WEBHOOK_* settings)."""

    max_attempts: int = 5
    backoff_seconds: float = 2.0
    backoff_max_seconds: float = 300.0

    def delay(self, retry: int, retry_after: float | None = None) -> float:
        """Seconds to wait before retry number `retry` (1: the second try): the webhook's
        Retry-After when it gave one, else the doubling backoff with +-20% jitter; never more
        than the cap."""
        if retry_after is not None:
            return min(retry_after, self.backoff_max_seconds)
        base = self.backoff_seconds * 2 ** min(retry - 1, 32)
        return min(base * random.uniform(0.8, 1.2), self.backoff_max_seconds)


@dataclass(frozen=True)
class Attempt:
    """What one POST of a notice came to."""

    delivered: bool
    error: str = ""
    retryable: bool = False
    retry_after: float | None = None


def retry_after_seconds(value: str | None) -> float | None:
    """A Retry-After header (seconds or an HTTP date) in seconds from now; None if absent or
    unreadable."""
    if not value or not value.strip():
        return None
    try:
        return max(0.0, float(value))
    except ValueError:
        pass
    try:
        when = parsedate_to_datetime(value)
    except (TypeError, ValueError):
        return None
    if when.tzinfo is None:
        when = when.replace(tzinfo=UTC)
    return max(0.0, (when - datetime.now(UTC)).total_seconds())


def _one_line(text: str, limit: int = 200) -> str:
    return " ".join(text.split())[:limit]


async def post_notice(client: httpx.AsyncClient, url: str, body: dict[str, Any]) -> Attempt:
    """POST `body` to `url` once. Never raises: the answer says whether a retry may help."""
    try:
        response = await client.post(url, json=body)
    except httpx.TimeoutException as exc:
        return Attempt(False, f"timeout ({exc.__class__.__name__})", retryable=True)
    except httpx.UnsupportedProtocol as exc:
        return Attempt(False, f"bad webhook URL: {exc}")
    except (httpx.TransportError, OSError) as exc:
        said = f": {exc}" if str(exc) else ""
        return Attempt(False, f"{exc.__class__.__name__}{said}", retryable=True)
    except (httpx.HTTPError, httpx.InvalidURL, ValueError) as exc:
        return Attempt(False, f"bad webhook URL or body: {exc}")
    status = response.status_code
    if 200 <= status < 300:
        return Attempt(True)
    said = _one_line(response.text)
    error = f"HTTP {status} {response.reason_phrase}" + (f": {said}" if said else "")
    retry_after = None
    if status in (429, 503):
        retry_after = retry_after_seconds(response.headers.get("retry-after"))
    return Attempt(False, error, status in (408, 429) or status >= 500, retry_after)


def _settle(waiter: asyncio.Future[bool], closing: bool) -> None:
    if not waiter.done():
        waiter.set_result(closing)


class EscalationNotifier:
    """Posts escalation notices, retrying in the background, without ever blocking or
    failing a customer's turn; keeps what the webhook never took as dead letters."""

    def __init__(
        self,
        url: str,
        *,
        timeout: float = 5.0,
        console_url: str = "",
        transport: httpx.AsyncBaseTransport | None = None,
        retry: RetryPolicy | None = None,
        dead_letters: WebhookDeadLetterStore | None = None,
    ) -> None:
        self.url = url
        self.retry = retry or RetryPolicy()
        self._timeout = timeout
        self._console_url = console_url
        self._transport = transport
        self._dead_letters = dead_letters
        self._closing = False
        self._waiting: set[asyncio.Future[bool]] = set()  # notices between two tries
        self._pending: set[asyncio.Task[bool]] = set()
        self.sent = 0
        self.failed = 0
        self.attempts = 0

    @property
    def enabled(self) -> bool:
        return bool(self.url)

    async def send(self, escalation: dict[str, Any]) -> bool:
        """Post one notice, retrying as the policy allows; True when the webhook took it.
        A notice it never takes is kept as a dead letter. Never raises."""
        if not self.url:
            return False
        body = escalation_message(escalation, self._console_url)
        escalation_id = str(escalation.get("id", ""))
        tries = 0
        async with httpx.AsyncClient(timeout=self._timeout, transport=self._transport) as client:
            while True:
                tries += 1
                self.attempts += 1
                last = await post_notice(client, self.url, body)
                if last.delivered:
                    self.sent += 1
                    record_webhook_notice("sent")
                    return True
                if not last.retryable:
                    reason = "refused"
                    break
                if tries >= self.retry.max_attempts:
                    reason = "exhausted"
                    break
                wait = self.retry.delay(tries, last.retry_after)
                log.info(
                    "escalation webhook try %d of %d for %s failed (%s); next in %.1fs",
                    tries, self.retry.max_attempts, escalation_id, last.error, wait,
                )  # fmt: skip
                if await self._closing_within(wait):
                    reason = "shutdown"
                    break
                record_webhook_notice("retried")
        self.failed += 1
        log.warning(
            "escalation webhook gave up on %s after %d tries (%s): %s",
            escalation_id, tries, reason, last.error,
        )  # fmt: skip
        await self._keep(escalation_id, body, tries, reason, last.error)
        return False

    async def _closing_within(self, seconds: float) -> bool:
        """Wait `seconds`; True (at once) when shutdown began meanwhile."""
        if self._closing:
            return True
        loop = asyncio.get_running_loop()
        waiter: asyncio.Future[bool] = loop.create_future()
        timer = loop.call_later(seconds, _settle, waiter, False)
        self._waiting.add(waiter)
        try:
            return await waiter
        finally:
            timer.cancel()
            self._waiting.discard(waiter)

    async def _keep(
        self, escalation_id: str, body: dict[str, Any], tries: int, reason: str, error: str
    ) -> None:
        """Write the dead letter; if even that fails, the log line is all that is left."""
        if self._dead_letters is None:
            log.error("escalation notice %s lost (no dead-letter store): %s", escalation_id, body)
            return
        try:
            await asyncio.to_thread(
                self._dead_letters.add_webhook_dead_letter,
                escalation_id=escalation_id,
                url=self.url,
                body=body,
                attempts=tries,
                reason=reason,
                last_error=error,
            )
        except ToolError as exc:
            log.error("escalation notice %s lost (dead letter not written: %s): %s",
                      escalation_id, exc, body)  # fmt: skip
            return
        record_webhook_notice("dead_lettered")

    def notify(self, escalation: dict[str, Any]) -> None:
        """Schedule a notice in the background (needs a running event loop)."""
        if not self.url:
            return
        task = asyncio.get_running_loop().create_task(self.send(escalation))
        self._pending.add(task)
        task.add_done_callback(self._pending.discard)

    async def drain(self) -> None:
        """Shutdown: tries in flight finish (each within the timeout); a notice waiting for
        its next try is kept as a dead letter (reason "shutdown") instead of waited for.
        Notices sent after this get one try."""
        self._closing = True
        for waiter in list(self._waiting):
            waiter.get_loop().call_soon_threadsafe(_settle, waiter, True)
        if self._pending:
            await asyncio.gather(*self._pending, return_exceptions=True)


async def replay_dead_letter(
    store: WebhookDeadLetterStore,
    letter: dict[str, Any],
    *,
    url: str,
    timeout: float = 5.0,
    transport: httpx.AsyncBaseTransport | None = None,
) -> dict[str, Any]:
    """Post a dead letter's body to `url` once and record the outcome on it: replay_status
    'delivered', or 'failed' with the new last_error (it stays on the list)."""
    async with httpx.AsyncClient(timeout=timeout, transport=transport) as client:
        outcome = await post_notice(client, url, letter["body"])
    row = await asyncio.to_thread(
        store.mark_webhook_replay,
        letter["id"],
        url=url,
        error=None if outcome.delivered else outcome.error,
    )
    if outcome.delivered:
        record_webhook_notice("replayed")
    return row
