"""`support ops webhooks [replay]`: an operator lists the notices the webhook never took and
sends them again once it works."""

from __future__ import annotations

import asyncio
import json

import pytest
from typer.testing import CliRunner

from app.notify import EscalationNotifier, RetryPolicy
from cli import cli
from tests.unit.test_notify import ESCALATION, Receiver
from tools.store.backend import SqlStore

runner = CliRunner()
ONCE = RetryPolicy(max_attempts=2, backoff_seconds=0.01, backoff_max_seconds=0.05)


@pytest.fixture
def dead_letter(tmp_path, monkeypatch):
    """A DATA_DIR whose store holds one dead letter: a notice a 500ing webhook never took."""
    monkeypatch.setenv("DATA_DIR", str(tmp_path / "data"))
    monkeypatch.setenv("DATABASE_URL", "")
    monkeypatch.setenv("ESCALATION_WEBHOOK_URL", "")
    store = SqlStore.from_url(f"sqlite:///{tmp_path / 'data' / 'store.sqlite'}")
    broken = Receiver(status=500)
    try:
        notifier = EscalationNotifier(broken.url, retry=ONCE, dead_letters=store)
        assert asyncio.run(notifier.send(ESCALATION)) is False
    finally:
        broken.close()
    [letter] = store.list_webhook_dead_letters()
    return store, letter


@pytest.fixture
def hook():
    r = Receiver()
    yield r
    r.close()


def test_the_list_shows_the_dead_letter_with_its_tries_and_error(dead_letter):
    _, letter = dead_letter
    result = runner.invoke(cli, ["ops", "webhooks"])
    assert result.exit_code == 0, result.output
    header, row = result.stdout.splitlines()
    assert header.split()[:4] == ["ID", "ESCALATION", "TRIES", "REASON"]
    assert row.split()[:4] == [str(letter["id"]), "E1a2b", "2", "exhausted"]
    assert row.endswith("HTTP 500 Internal Server Error: ok")
    [listed] = json.loads(runner.invoke(cli, ["ops", "webhooks", "--json"]).stdout)
    assert listed["body"]["text"].startswith("New escalation E1a2b")


def test_replay_delivers_to_the_working_webhook_and_marks_it(dead_letter, hook, monkeypatch):
    store, letter = dead_letter
    monkeypatch.setenv("ESCALATION_WEBHOOK_URL", hook.url)  # the fixed webhook
    result = runner.invoke(cli, ["ops", "webhooks", "replay", str(letter["id"])])
    assert result.exit_code == 0, result.output
    assert result.stdout.startswith(f"delivered dead letter {letter['id']} (escalation E1a2b)")
    assert hook.bodies == [letter["body"]]
    marked = store.get_webhook_dead_letter(letter["id"])
    assert marked["replay_status"] == "delivered" and marked["replayed_at"]
    assert (marked["attempts"], marked["url"]) == (3, hook.url)
    listed = runner.invoke(cli, ["ops", "webhooks"]).stdout
    assert listed.strip() == "no webhook dead letters waiting for a replay"
    [shown] = json.loads(runner.invoke(cli, ["ops", "webhooks", "--all", "--json"]).stdout)
    assert shown["replay_status"] == "delivered"
    again = runner.invoke(cli, ["ops", "webhooks", "replay", str(letter["id"])])
    assert again.exit_code == 1 and "not sent again" in again.stderr
    assert len(hook.bodies) == 1


def test_a_failed_replay_exits_1_with_one_line_and_stays_listed(dead_letter):
    store, letter = dead_letter
    still_broken = Receiver(status=502)
    try:
        result = runner.invoke(
            cli, ["ops", "webhooks", "replay", "--all", "--url", still_broken.url]
        )
    finally:
        still_broken.close()
    assert result.exit_code == 1
    [line] = result.stderr.splitlines()
    assert line.startswith(f"error: dead letter {letter['id']} (escalation E1a2b) to ")
    assert line.endswith("HTTP 502 Bad Gateway: ok")
    [listed] = store.list_webhook_dead_letters()
    assert (listed["replay_status"], listed["attempts"]) == ("failed", 3)
    assert listed["last_error"] == "HTTP 502 Bad Gateway: ok"


def test_replay_needs_ids_or_all_and_names_unknown_ids(dead_letter):
    assert runner.invoke(cli, ["ops", "webhooks", "replay"]).exit_code == 2
    unknown = runner.invoke(cli, ["ops", "webhooks", "replay", "999"])
    assert unknown.exit_code == 1
    assert unknown.stderr.strip() == "error: no webhook dead letter 999"
