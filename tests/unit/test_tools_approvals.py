"""Refunds above the auto-approve limit: asked once, decided once, refunded at most once."""

from __future__ import annotations

import dataclasses
import threading
from datetime import UTC, datetime, timedelta

import pytest

from tests.seeded import copy_store, seeded_template
from tools import approvals, refunds
from tools.errors import ApprovalRequired, NotAllowed, NotFound
from tools.policy import load_policy
from tools.store.backend import SqlStore

# Approvals are stamped with the real clock (a decision re-checks the policy as of the
# request), so the shop is seeded relative to the real today.
NOW = datetime.now(UTC)
TODAY = NOW.date()
LOW_LIMIT = dataclasses.replace(load_policy(), auto_approve_limit_cents=10000)
ESCALATION = {"intent": "get_refund", "confidence": 0.9, "entities": [], "transcript": []}


@pytest.fixture(scope="module")
def template(tmp_path_factory):
    return seeded_template(tmp_path_factory, "approvals", TODAY)


@pytest.fixture
def store(template, tmp_path) -> SqlStore:
    return copy_store(template, tmp_path)


def recent_delivery(store: SqlStore) -> str:
    for summary in store.list_orders("C0001"):
        order = store.get_order(summary.id)
        if order.status == "delivered" and NOW - order.delivered_at < timedelta(days=10):
            return order.id
    raise AssertionError("no recent delivery")


def ask(store: SqlStore, order_id: str, key: str = "ask-1"):
    with pytest.raises(ApprovalRequired) as err:
        refunds.request_refund(store, "C0001", order_id, LOW_LIMIT, "k", "bot", now=NOW)
    return approvals.request_refund_approval(
        store,
        session_id="s1",
        customer_id="C0001",
        eligibility=err.value.eligibility,
        idempotency_key=key,
        escalation=ESCALATION,
    )


def test_refund_above_the_limit_is_not_written_without_approval(store):
    order_id = recent_delivery(store)
    check = refunds.check_refund_eligibility(store, "C0001", order_id, LOW_LIMIT, now=NOW)
    assert check.eligible and check.needs_approval and check.amount_cents == 16800
    with pytest.raises(ApprovalRequired):
        refunds.request_refund(store, "C0001", order_id, LOW_LIMIT, "k", "bot", now=NOW)
    assert store.get_order(order_id).refunds == []


def test_request_approval_writes_pending_row_and_escalation_once(store):
    order_id = recent_delivery(store)
    approval = ask(store, order_id)
    assert (approval.status, approval.amount_cents, approval.order_id) == (
        "pending",
        16800,
        order_id,
    )
    ticket = store.get_escalation(approval.escalation_id)
    assert (ticket.reason, ticket.session_id, ticket.customer_id) == (
        "approval_needed",
        "s1",
        "C0001",
    )
    assert ask(store, order_id) == approval  # same key: the same request
    assert [a.id for a in store.list_approvals("pending")] == [approval.id]
    assert [e.action for e in store.list_audit(entity_id=approval.id)] == ["approval.request"]


def test_approve_writes_the_refund_once_with_the_decision(store):
    order_id = recent_delivery(store)
    approval = ask(store, order_id)
    decided = approvals.decide_refund_approval(
        store, approval.id, approve=True, agent="ann", policy=LOW_LIMIT, note="ok"
    )
    assert (decided.status, decided.decided_by, decided.note) == ("approved", "ann", "ok")
    [refund] = store.get_order(order_id).refunds
    assert refund.id == decided.refund_id and refund.amount_cents == 16800
    assert store.get_escalation(approval.escalation_id).status == "resolved"
    again = approvals.decide_refund_approval(
        store, approval.id, approve=True, agent="bob", policy=LOW_LIMIT
    )
    assert again == decided
    assert len(store.get_order(order_id).refunds) == 1
    actions = [e.action for e in store.list_audit(entity_id=approval.id)]
    assert actions == ["approval.request", "approval.approve"]
    assert store.list_audit(entity_id=refund.id)[0].actor == "agent:ann"


def test_decline_writes_no_refund_and_cannot_be_turned_into_approval(store):
    order_id = recent_delivery(store)
    approval = ask(store, order_id)
    decided = approvals.decide_refund_approval(
        store, approval.id, approve=False, agent="ann", policy=LOW_LIMIT, note="item was used"
    )
    assert (decided.status, decided.refund_id) == ("declined", None)
    with pytest.raises(NotAllowed, match="already declined by ann"):
        approvals.decide_refund_approval(
            store, approval.id, approve=True, agent="bob", policy=LOW_LIMIT
        )
    assert store.get_order(order_id).refunds == []


def test_parallel_approvals_of_one_request_refund_once(store):
    order_id = recent_delivery(store)
    approval = ask(store, order_id)
    barrier = threading.Barrier(6)
    results, errors = [], []

    def go(n: int) -> None:
        barrier.wait()
        try:
            results.append(
                approvals.decide_refund_approval(
                    store, approval.id, approve=True, agent=f"agent{n}", policy=LOW_LIMIT
                )
            )
        except Exception as exc:  # collected and asserted below
            errors.append(exc)

    threads = [threading.Thread(target=go, args=(n,)) for n in range(6)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert errors == []
    assert len({r.refund_id for r in results}) == 1 and len(results) == 6
    assert len(store.get_order(order_id).refunds) == 1


def test_approval_is_refused_when_the_order_was_refunded_meanwhile(store):
    order_id = recent_delivery(store)
    approval = ask(store, order_id)
    store.create_refund(
        customer_id="C0001",
        order_id=order_id,
        amount_cents=16800,
        reason="refunded by phone",
        idempotency_key="phone",
        actor="agent:cal",
    )
    with pytest.raises(NotAllowed, match="already has refund"):
        approvals.decide_refund_approval(
            store, approval.id, approve=True, agent="ann", policy=LOW_LIMIT
        )
    assert store.get_approval(approval.id).status == "pending"
    assert len(store.get_order(order_id).refunds) == 1


def test_decide_unknown_approval_or_without_agent(store):
    with pytest.raises(NotFound):
        approvals.decide_refund_approval(
            store, "ANOPE", approve=True, agent="ann", policy=LOW_LIMIT
        )
    approval = ask(store, recent_delivery(store))
    with pytest.raises(ValueError, match="agent"):
        approvals.decide_refund_approval(
            store, approval.id, approve=True, agent=" ", policy=LOW_LIMIT
        )


def test_approved_refund_of_one_line_covers_only_that_line(store):
    order_id = recent_delivery(store)
    policy = dataclasses.replace(LOW_LIMIT, auto_approve_limit_cents=5000)
    with pytest.raises(ApprovalRequired) as err:
        refunds.request_refund(
            store, "C0001", order_id, policy, "k", "bot", now=NOW, skus=("NW-HP-100",)
        )
    approval = approvals.request_refund_approval(
        store, session_id="s1", customer_id="C0001", eligibility=err.value.eligibility,
        idempotency_key="ask-hp", escalation=ESCALATION,
    )  # fmt: skip
    assert (approval.amount_cents, approval.skus) == (12900, ["NW-HP-100"])

    decided = approvals.decide_refund_approval(
        store, approval.id, approve=True, agent="ann", policy=policy
    )

    [refund] = store.get_order(order_id).refunds
    assert (refund.id, refund.amount_cents, refund.skus) == (
        decided.refund_id,
        12900,
        ["NW-HP-100"],
    )
    rest = refunds.check_refund_eligibility(store, "C0001", order_id, policy, now=NOW)
    assert (rest.eligible, rest.amount_cents, [i.sku for i in rest.lines]) == (
        True,
        3900,
        ["NW-CHG-110"],
    )
