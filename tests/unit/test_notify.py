"""Escalation webhook notices, posted to a real local HTTP receiver."""

from __future__ import annotations

import asyncio
import json
import threading
import time
from datetime import UTC, datetime, timedelta
from email.utils import format_datetime
from http.server import BaseHTTPRequestHandler, HTTPServer

import pytest

from app.notify import EscalationNotifier, RetryPolicy, escalation_message, retry_after_seconds
from observability.metrics import WEBHOOK_NOTICES
from tools.store.backend import SqlStore

FAST = RetryPolicy(max_attempts=3, backoff_seconds=0.01, backoff_max_seconds=0.05)
"""Tiny backoff so the retry tests stay fast."""

ESCALATION = {
    "id": "E1a2b",
    "reason": "explicit_request",
    "customer_id": "C0001",
    "intent": "contact_human_agent",
    "confidence": 0.97,
    "transcript": [{"role": "customer", "text": "I want to talk to a person"}],
}


class Receiver:
    """A local incoming-webhook server: records bodies and when they came; answers each POST
    with the next of `script` ((status, headers, text)), then `status`, after `delay`."""

    def __init__(
        self,
        status: int = 200,
        delay: float = 0.0,
        script: list[tuple[int, dict[str, str], str]] | None = None,
    ) -> None:
        self.bodies: list[dict] = []
        self.times: list[float] = []
        self.status = status
        answers = list(script or [])
        receiver = self

        class Handler(BaseHTTPRequestHandler):
            def do_POST(self):  # noqa: N802 (http.server's naming)
                length = int(self.headers["content-length"])
                receiver.bodies.append(json.loads(self.rfile.read(length)))
                receiver.times.append(time.monotonic())
                time.sleep(delay)
                status, headers, text = answers.pop(0) if answers else (receiver.status, {}, "ok")
                self.send_response(status)
                for name, value in headers.items():
                    self.send_header(name, value)
                self.send_header("content-length", str(len(text)))
                self.end_headers()
                self.wfile.write(text.encode())

            def log_message(self, *args):
                pass

        self.server = HTTPServer(("127.0.0.1", 0), Handler)
        self.url = f"http://127.0.0.1:{self.server.server_port}/hooks/abc"
        threading.Thread(target=self.server.serve_forever, args=(0.02,), daemon=True).start()

    def close(self) -> None:
        self.server.shutdown()
        self.server.server_close()


@pytest.fixture
def receiver():
    r = Receiver()
    yield r
    r.close()


@pytest.fixture
def store(tmp_path):
    return SqlStore.from_url(f"sqlite:///{tmp_path / 'store.sqlite'}")


def notices(outcome: str) -> float:
    return WEBHOOK_NOTICES.labels(outcome=outcome)._value.get()


def test_message_is_slack_shaped_and_names_reason_customer_and_last_words():
    body = escalation_message(ESCALATION, "http://support.example")
    assert body["text"] == "New escalation E1a2b (explicit request) from C0001"
    text = "\n".join(b["text"]["text"] for b in body["blocks"])
    assert "I want to talk to a person" in text
    assert "http://support.example/console#/escalations/E1a2b" in text


def test_notice_reaches_the_webhook(receiver):
    notifier = EscalationNotifier(receiver.url)
    assert asyncio.run(notifier.send(ESCALATION)) is True
    assert receiver.bodies[0]["text"].startswith("New escalation E1a2b")
    assert notifier.sent == 1


def test_failing_or_unreachable_webhook_is_counted_not_raised():
    failing = Receiver(status=500)
    try:
        notifier = EscalationNotifier(failing.url, retry=FAST)
        assert asyncio.run(notifier.send(ESCALATION)) is False
        assert len(failing.bodies) == 3 and (notifier.sent, notifier.failed) == (0, 1)
    finally:
        failing.close()
    nowhere = EscalationNotifier("http://127.0.0.1:9/none", timeout=1.0, retry=FAST)
    assert asyncio.run(nowhere.send(ESCALATION)) is False
    assert (nowhere.attempts, nowhere.failed) == (3, 1)


def test_notify_returns_before_a_slow_webhook_answers():
    slow = Receiver(delay=0.3)
    try:
        notifier = EscalationNotifier(slow.url)

        async def turn() -> tuple[int, int]:
            notifier.notify(ESCALATION)  # the turn goes on; the post runs in the background
            before = notifier.sent + notifier.failed
            await notifier.drain()
            return before, notifier.sent

        assert asyncio.run(turn()) == (0, 1)
    finally:
        slow.close()


def test_no_url_means_no_notice():
    notifier = EscalationNotifier("")
    assert not notifier.enabled
    assert asyncio.run(notifier.send(ESCALATION)) is False


def test_a_webhook_that_fails_twice_then_answers_gets_one_notice_and_no_dead_letter(store):
    hook = Receiver(script=[(503, {}, "busy"), (408, {}, "too slow")])
    try:
        retried, sent = notices("retried"), notices("sent")
        notifier = EscalationNotifier(hook.url, retry=FAST, dead_letters=store)
        assert asyncio.run(notifier.send(ESCALATION)) is True
    finally:
        hook.close()
    assert len(hook.bodies) == 3 and hook.bodies[0] == hook.bodies[2]  # the same notice
    assert (notifier.attempts, notifier.sent, notifier.failed) == (3, 1, 0)
    assert store.list_webhook_dead_letters(include_delivered=True) == []
    assert (notices("retried") - retried, notices("sent") - sent) == (2, 1)


def test_a_webhook_that_always_fails_leaves_a_dead_letter_after_the_last_try(store):
    hook = Receiver(status=500)
    try:
        dead = notices("dead_lettered")
        notifier = EscalationNotifier(hook.url, retry=FAST, dead_letters=store)
        assert asyncio.run(notifier.send(ESCALATION)) is False
    finally:
        hook.close()
    assert len(hook.bodies) == 3
    [letter] = store.list_webhook_dead_letters()
    assert (letter["escalation_id"], letter["attempts"], letter["reason"]) == (
        "E1a2b",
        3,
        "exhausted",
    )
    assert letter["last_error"] == "HTTP 500 Internal Server Error: ok"
    assert letter["url"] == hook.url and letter["body"] == hook.bodies[0]
    assert letter["replayed_at"] is None and notices("dead_lettered") - dead == 1


def test_a_refused_body_is_not_retried_but_kept_at_once(store):
    hook = Receiver(script=[(400, {}, "invalid_payload")])
    try:
        notifier = EscalationNotifier(hook.url, retry=FAST, dead_letters=store)
        assert asyncio.run(notifier.send(ESCALATION)) is False
    finally:
        hook.close()
    assert len(hook.bodies) == 1
    [letter] = store.list_webhook_dead_letters()
    assert (letter["attempts"], letter["reason"]) == (1, "refused")
    assert letter["last_error"] == "HTTP 400 Bad Request: invalid_payload"


def test_an_unreachable_webhook_is_retried_then_kept(store):
    notifier = EscalationNotifier(
        "http://127.0.0.1:9/none", timeout=1.0, retry=FAST, dead_letters=store
    )
    assert asyncio.run(notifier.send(ESCALATION)) is False
    [letter] = store.list_webhook_dead_letters()
    assert (letter["attempts"], letter["reason"]) == (3, "exhausted")
    assert letter["last_error"].startswith("ConnectError")


def test_a_429_retry_after_is_waited_for(store):
    hook = Receiver(script=[(429, {"Retry-After": "1"}, "slow down")])
    try:
        notifier = EscalationNotifier(hook.url, retry=FAST_BUT_PATIENT, dead_letters=store)
        assert asyncio.run(notifier.send(ESCALATION)) is True
    finally:
        hook.close()
    assert len(hook.bodies) == 2
    assert hook.times[1] - hook.times[0] >= 0.9  # the header's second, not the 0.01 s backoff


FAST_BUT_PATIENT = RetryPolicy(max_attempts=3, backoff_seconds=0.01, backoff_max_seconds=2.0)


def test_backoff_doubles_with_jitter_and_never_passes_the_cap():
    policy = RetryPolicy(max_attempts=9, backoff_seconds=2.0, backoff_max_seconds=300.0)
    for retry, base in ((1, 2.0), (2, 4.0), (3, 8.0), (4, 16.0)):
        assert 0.8 * base <= policy.delay(retry) <= 1.2 * base
    assert policy.delay(9) == 300.0 and policy.delay(10_000) == 300.0
    assert policy.delay(1, retry_after=7.0) == 7.0
    assert policy.delay(1, retry_after=3600.0) == 300.0  # a Retry-After is capped too


def test_retry_after_reads_seconds_and_http_dates():
    assert retry_after_seconds("3") == 3.0
    assert retry_after_seconds("Wed, 21 Oct 2015 07:28:00 GMT") == 0.0  # in the past
    assert 50 < retry_after_seconds(_http_date(60)) <= 60
    assert retry_after_seconds("soon") is None and retry_after_seconds(None) is None


def _http_date(seconds_ahead: int) -> str:
    return format_datetime(datetime.now(UTC) + timedelta(seconds=seconds_ahead), usegmt=True)


def test_shutdown_keeps_a_notice_waiting_for_its_retry_instead_of_waiting(store):
    hook = Receiver(status=503)
    patient = RetryPolicy(max_attempts=5, backoff_seconds=60.0, backoff_max_seconds=300.0)
    try:
        notifier = EscalationNotifier(hook.url, retry=patient, dead_letters=store)

        async def serve_then_stop() -> float:
            notifier.notify(ESCALATION)
            while not hook.bodies:  # the first try has been answered 503...
                await asyncio.sleep(0.01)
            started = time.monotonic()
            await notifier.drain()  # ...and the next is a minute away
            return time.monotonic() - started

        assert asyncio.run(serve_then_stop()) < 5
    finally:
        hook.close()
    [letter] = store.list_webhook_dead_letters()
    assert (letter["attempts"], letter["reason"]) == (1, "shutdown")
    assert letter["last_error"].startswith("HTTP 503")
