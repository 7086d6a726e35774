"""`support approvals list|approve|decline`: a human decides refunds above the limit."""

from __future__ import annotations

import dataclasses
import json
from datetime import UTC, datetime, timedelta

import pytest
from typer.testing import CliRunner

from cli import cli
from tools import approvals, refunds
from tools.policy import load_policy
from tools.store.backend import SqlStore
from tools.store.seed import seed_demo

runner = CliRunner()
LOW_LIMIT = dataclasses.replace(load_policy(), auto_approve_limit_cents=10000)


@pytest.fixture
def waiting(tmp_path, monkeypatch):
    """A seeded DATA_DIR with one refund of C0001 waiting for approval."""
    monkeypatch.setenv("DATA_DIR", str(tmp_path / "data"))
    monkeypatch.setenv("DATABASE_URL", "")
    monkeypatch.setenv("CHECKPOINT_URL", "")
    store = SqlStore.from_url(f"sqlite:///{tmp_path / 'data' / 'store.sqlite'}")
    seed_demo(store.engine)
    now = datetime.now(UTC)
    order_id = next(
        o.id
        for o in store.list_orders("C0001")
        if o.status == "delivered" and now - store.get_order(o.id).delivered_at < timedelta(10)
    )
    check = refunds.check_refund_eligibility(store, "C0001", order_id, LOW_LIMIT)
    approval = approvals.request_refund_approval(
        store,
        session_id="s-cli",
        customer_id="C0001",
        eligibility=check,
        idempotency_key="cli",
        escalation={"intent": "get_refund", "confidence": 1.0, "entities": [], "transcript": []},
    )
    return store, approval


def test_approvals_list_shows_the_waiting_refund(waiting):
    _, approval = waiting
    result = runner.invoke(cli, ["approvals", "list", "--json"])
    assert result.exit_code == 0, result.output
    [row] = json.loads(result.stdout)
    assert (row["id"], row["status"], row["amount_cents"]) == (approval.id, "pending", 16800)
    text = runner.invoke(cli, ["approvals", "list"]).stdout
    assert text.startswith(f"{approval.id}  pending") and "$168.00" in text


def test_approvals_approve_writes_one_refund_and_says_so(waiting):
    store, approval = waiting
    result = runner.invoke(cli, ["approvals", "approve", approval.id, "--agent", "ann"])
    assert result.exit_code == 0, result.output
    [refund] = store.get_order(approval.order_id).refunds
    assert f"refund {refund.id} written" in result.stdout
    again = runner.invoke(cli, ["approvals", "approve", approval.id, "--agent", "ann"])
    assert again.exit_code == 0
    assert len(store.get_order(approval.order_id).refunds) == 1
    assert runner.invoke(cli, ["approvals", "list", "--json"]).stdout.strip() == "[]"


def test_approvals_decline_after_approval_exits_1_with_the_reason(waiting):
    store, approval = waiting
    declined = runner.invoke(
        cli, ["approvals", "decline", approval.id, "--agent", "ann", "--note", "used", "--json"]
    )
    assert declined.exit_code == 0, declined.output
    assert json.loads(declined.stdout)["status"] == "declined"
    flip = runner.invoke(cli, ["approvals", "approve", approval.id, "--agent", "bob"])
    assert flip.exit_code == 1
    assert flip.stderr == f"error: Approval {approval.id} was already declined by ann.\n"
    assert store.get_order(approval.order_id).refunds == []


def test_approvals_unknown_id_exits_1(waiting):
    result = runner.invoke(cli, ["approvals", "approve", "ANOPE"])
    assert result.exit_code == 1
    assert result.stderr == "error: There is no approval ANOPE.\n"
