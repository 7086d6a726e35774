"""Escalation webhook notices, posted to a real local HTTP receiver."""

from __future__ import annotations

import asyncio
import json
import threading
import time
from http.server import BaseHTTPRequestHandler, HTTPServer

import pytest

from app.notify import EscalationNotifier, escalation_message

ESCALATION = {
    "id": "E1a2b",
    "reason": "explicit_request",
    "customer_id": "C0001",
    "intent": "contact_human_agent",
    "confidence": 0.97,
    "transcript": [{"role": "customer", "text": "I want to talk to a person"}],
}


class Receiver:
    """A local incoming-webhook server: records bodies, answers `status` after `delay`."""

    def __init__(self, status: int = 200, delay: float = 0.0) -> None:
        self.bodies: list[dict] = []
        receiver = self

        class Handler(BaseHTTPRequestHandler):
            def do_POST(self):  # noqa: N802 (http.server's naming)
                length = int(self.headers["content-length"])
                receiver.bodies.append(json.loads(self.rfile.read(length)))
                time.sleep(delay)
                self.send_response(status)
                self.end_headers()
                self.wfile.write(b"ok")

            def log_message(self, *args):
                pass

        self.server = HTTPServer(("127.0.0.1", 0), Handler)
        self.url = f"http://127.0.0.1:{self.server.server_port}/hooks/abc"
        threading.Thread(target=self.server.serve_forever, daemon=True).start()

    def close(self) -> None:
        self.server.shutdown()
        self.server.server_close()


@pytest.fixture
def receiver():
    r = Receiver()
    yield r
    r.close()


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
        notifier = EscalationNotifier(failing.url)
        assert asyncio.run(notifier.send(ESCALATION)) is False
        assert len(failing.bodies) == 1 and notifier.failed == 1
    finally:
        failing.close()
    nowhere = EscalationNotifier("http://127.0.0.1:9/none", timeout=1.0)
    assert asyncio.run(nowhere.send(ESCALATION)) is False


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
