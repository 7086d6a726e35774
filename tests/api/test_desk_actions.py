"""Actions from the desk: an agent refunds, cancels or re-addresses the escalated customer's
order through the same policy-checked, idempotent, audited tools, as agent:NAME."""

from __future__ import annotations

import pytest

from tests.api.helpers import chat, escalate, order_of, sse_events, transcript


def act(client, esc_id, headers, **body):
    return client.post(f"/v1/agent/escalations/{esc_id}/actions", headers=headers, json=body)


def written(services, customer_id="C0001"):
    """Everything an action could write: refunds, order states, audit rows."""
    store = services.store
    orders = [store.get_order(o.id) for o in store.list_orders(customer_id)]
    return (
        sorted(r.id for o in orders for r in o.refunds),
        sorted((o.id, o.status, o.shipping_address) for o in orders),
        len(store.list_audit()),
    )


def test_agent_refunds_one_item_once_and_the_customer_is_told(
    client, services, token_for, agent_headers
):
    customer, ann = token_for("C0001"), agent_headers("ann")
    session_id, esc_id = escalate(client, customer)
    order_id = order_of(services, "C0001", "delivered", recent_days=10)

    done = act(client, esc_id, ann, action="refund", order_id=order_id,
               items=[{"sku": "nw-chg-110"}], reason="charger arrived dead")  # fmt: skip
    assert done.status_code == 200, done.text
    result = done.json()
    [refund] = services.store.get_order(order_id).refunds
    assert result["refund_id"] == refund.id and refund.skus == ["NW-CHG-110"]
    assert (refund.amount_cents, result["amount"], result["over_limit"]) == (3900, "$39.00", False)
    assert "agent ann" in refund.reason and "charger arrived dead" in refund.reason
    [audit] = services.store.list_audit(refund.id)
    assert (audit.actor, audit.action, audit.id) == ("agent:ann", "refund.create",
                                                     result["audit_id"])  # fmt: skip
    assert result["summary"].startswith(f"Done: refund {refund.id} of $39.00 to ")
    assert "VoltGo 65W USB-C Charger" in result["summary"]

    lines = transcript(client, session_id, customer)
    assert (lines[-1]["role"], lines[-1]["content"]) == ("agent", result["summary"])
    with client.stream("GET", f"/v1/sessions/{session_id}/events?max_seconds=0.2",
                       headers=customer) as stream:  # fmt: skip
        events = sse_events(stream)
    assert ("agent_reply", result["summary"]) in [(e, d["content"]) for e, d in events]
    row = services.store.desk_escalation(esc_id)
    assert (row["status"], row["assignee"]) == ("claimed", "ann")
    [shown] = [e for e in services.store.desk_events() if e["kind"] == "action.done"]
    assert (shown["escalation_id"], shown["actor"]) == (esc_id, "agent:ann")
    assert shown["data"]["refund_id"] == refund.id

    again = act(client, esc_id, ann, action="refund", order_id=order_id,
                items=[{"sku": "NW-CHG-110"}], reason="charger arrived dead")  # fmt: skip
    assert again.status_code == 200, again.text
    assert again.json() == {**result, "repeated": True}
    assert [r.id for r in services.store.get_order(order_id).refunds] == [refund.id]
    said = [ln["content"] for ln in transcript(client, session_id, customer)]
    assert said.count(result["summary"]) == 1
    assert len([e for e in services.store.desk_events() if e["kind"] == "action.done"]) == 1

    # the headphones are still the customer's to return: a "return" refunds them
    back = act(client, esc_id, ann, action="return", order_id=order_id,
               items=[{"sku": "NW-HP-100", "quantity": 1}], reason="didn't fit")  # fmt: skip
    assert back.status_code == 200, back.text
    assert (back.json()["action"], back.json()["amount_cents"]) == ("return", 12900)
    assert len(services.store.get_order(order_id).refunds) == 2


def test_an_explicit_key_repeats_and_cannot_be_reused_for_other_lines(
    client, services, token_for, agent_headers
):
    _, esc_id = escalate(client, token_for("C0001"))
    order_id = order_of(services, "C0001", "delivered", recent_days=10)
    ann = agent_headers("ann")
    body = dict(action="refund", order_id=order_id, items=[{"sku": "NW-CHG-110"}],
                reason="dead on arrival", idempotency_key="ui-click-1")  # fmt: skip
    first = act(client, esc_id, ann, **body).json()
    second = act(client, esc_id, ann, **body).json()  # the same click again
    assert second["refund_id"] == first["refund_id"] and second["repeated"] is True
    reused = act(client, esc_id, ann, **{**body, "items": [{"sku": "NW-HP-100"}]})
    assert reused.status_code == 409
    assert reused.json()["error"]["code"] == "idempotency_conflict"
    assert len(services.store.get_order(order_id).refunds) == 1


def test_another_customers_order_is_not_found_and_nothing_is_written(
    client, services, token_for, agent_headers
):
    _, esc_id = escalate(client, token_for("C0001"))
    theirs = order_of(services, "C0002", "delivered")
    before = written(services, "C0002"), written(services)
    for body in (
        dict(action="refund", order_id=theirs, reason="x"),
        dict(action="cancel", order_id=order_of(services, "C0002", "pending"), reason="mistake"),
        dict(action="refund", order_id="W0000000", reason="x"),
    ):
        out = act(client, esc_id, agent_headers(), **body)
        assert out.status_code == 404, out.text
        assert out.json()["error"]["message"] == (
            f"Order {body['order_id']} is not one of this conversation's customer's orders."
        )
    assert (written(services, "C0002"), written(services)) == before


@pytest.mark.parametrize(
    ("action", "status", "extra", "says"),
    [
        ("refund", "delivered-old", {"reason": "late"}, "that window closed on"),
        ("refund", "pending", {"reason": "changed mind"}, "hasn't been delivered yet"),
        ("refund", "delivered", {"reason": "x", "items": [{"sku": "NW-GC-050"}]}, "has no item"),
        ("refund", "delivered", {"reason": "x", "items": [{"sku": "NW-HP-100", "quantity": 2}]},
         "covers a whole line"),
        ("refund", "delivered", {"reason": "the customer dropped it"}, "damaged after delivery"),
        ("return", "delivered-old", {"reason": "unwanted"}, "window closed"),
        ("cancel", "delivered", {"reason": "ordered by mistake"}, "already delivered"),
        ("cancel", "pending", {"reason": "because"}, "one of these reasons"),
        ("address", "shipped", {"address": "12 Oak Lane, Portland, OR 97205"}, "only be changed"),
    ],
)  # fmt: skip
def test_what_the_policy_forbids_is_a_409_and_nothing_is_written(
    client, services, token_for, agent_headers, action, status, extra, says
):
    customer = token_for("C0001")
    session_id, esc_id = escalate(client, customer)
    if status == "delivered-old":
        recent = order_of(services, "C0001", "delivered", recent_days=10)
        order_id = next(o.id for o in services.store.list_orders("C0001")
                        if o.status == "delivered" and o.id != recent)  # fmt: skip
    else:
        order_id = order_of(services, "C0001", status, recent_days=10 if status == "delivered"
                            else None)  # fmt: skip
    before, lines = written(services), len(transcript(client, session_id, customer))
    out = act(client, esc_id, agent_headers(), action=action, order_id=order_id, **extra)
    assert out.status_code == 409, out.text
    assert out.json()["error"]["code"] == "policy"
    assert says in out.json()["error"]["message"]
    assert written(services) == before
    assert len(transcript(client, session_id, customer)) == lines
    assert services.store.desk_escalation(esc_id)["status"] == "open"


def test_agent_cancels_and_readdresses_orders(client, services, token_for, agent_headers):
    customer, bob = token_for("C0001"), agent_headers("bob")
    session_id, esc_id = escalate(client, customer)
    processing = order_of(services, "C0001", "processing")
    out = act(client, esc_id, bob, action="cancel", order_id=processing,
              reason="the customer ordered it by mistake")  # fmt: skip
    assert out.status_code == 200, out.text
    result = out.json()
    order = services.store.get_order(processing)
    assert (order.status, order.cancel_reason, result["fee_cents"]) == (
        "cancelled", "ordered by mistake", 500)  # fmt: skip
    [refund] = order.refunds
    assert result["refund_id"] == refund.id
    assert result["summary"].startswith(
        f"Done: order {processing} is cancelled. Refund {refund.id}"
    )
    assert [a.actor for a in services.store.list_audit(processing)] == ["agent:bob"]

    pending = order_of(services, "C0001", "pending")
    old = services.store.get_order(pending).shipping_address
    moved = act(client, esc_id, bob, action="address", order_id=pending,
                address="215 river road, suite 991, new york, ny 10083")  # fmt: skip
    assert moved.status_code == 200, moved.text
    new = services.store.get_order(pending).shipping_address
    assert "215 River Road, Suite 991, New York, NY 10083" in new and new != old
    assert old.split(",")[0] in new  # the recipient's name is kept
    assert moved.json()["summary"] == f"Done: order {pending} will ship to {new}."
    again = act(client, esc_id, bob, action="address", order_id=pending,
                address="215 river road, suite 991, new york, ny 10083")  # fmt: skip
    assert again.json()["repeated"] is True
    audit = [a for a in services.store.list_audit(pending) if a.action == "order.change_address"]
    assert [a.actor for a in audit] == ["agent:bob"]
    said = [ln["content"] for ln in transcript(client, session_id, customer)]
    assert result["summary"] in said and moved.json()["summary"] in said


def test_over_limit_refund_by_an_agent_is_the_human_approval(low_limit, token_for, agent_headers):
    client, services = low_limit
    _, esc_id = escalate(client, token_for("C0001"))
    order_id = order_of(services, "C0001", "delivered", recent_days=10)
    out = act(client, esc_id, agent_headers(), action="refund", order_id=order_id,
              reason="both items faulty")  # fmt: skip
    assert out.status_code == 200, out.text
    assert (out.json()["amount_cents"], out.json()["over_limit"]) == (16800, True)
    [refund] = services.store.get_order(order_id).refunds
    assert "above the $100.00 auto-approve limit; approved by ann" in refund.reason
    [audit] = services.store.list_audit(refund.id)
    assert audit.actor == "agent:ann" and "auto-approve" in audit.after["refund"]["reason"]
    assert services.store.list_approvals(None) == []


def test_a_refund_waiting_for_approval_is_decided_not_made_again(
    low_limit, token_for, agent_headers
):
    client, services = low_limit
    customer = token_for("C0001")
    order_id = order_of(services, "C0001", "delivered", recent_days=10)
    offer = chat(client, f"I want a refund for order {order_id}", customer)
    asked = chat(client, "yes", customer, offer["session_id"])
    [approval] = services.store.list_approvals("pending")
    before = written(services)
    out = act(client, asked["escalation"]["id"], agent_headers(), action="refund",
              order_id=order_id, items=[{"sku": "NW-HP-100"}], reason="faulty")  # fmt: skip
    assert out.status_code == 409 and out.json()["error"]["code"] == "approval_pending"
    assert f"/v1/agent/approvals/{approval.id}/decide" in out.json()["error"]["message"]
    assert written(services) == before


def test_bad_requests_are_refused_before_anything_is_written(
    client, services, token_for, agent_headers
):
    customer, ann = token_for("C0001"), agent_headers()
    _, esc_id = escalate(client, customer)
    order_id = order_of(services, "C0001", "pending")
    before = written(services)
    for body in (
        {},
        {"action": "refund", "reason": "x"},
        {"action": "teleport", "order_id": order_id},
        {"action": "refund", "order_id": order_id, "reason": "   "},
        {"action": "cancel", "order_id": order_id, "reason": "x", "address": "1 A St"},
        {"action": "refund", "order_id": order_id, "reason": "x",
         "items": [{"sku": "NW-EB-120"}, {"sku": "nw-eb-120"}]},
        {"action": "refund", "order_id": order_id, "reason": "x", "idempotency_key": "a b"},
    ):  # fmt: skip
        out = act(client, esc_id, ann, **body)
        assert out.status_code == 422, (body, out.text)
        assert out.json()["error"]["code"] == "invalid_request"
    vague = act(client, esc_id, ann, action="address", order_id=order_id, address="next door")
    assert vague.status_code == 422 and vague.json()["error"]["code"] == "invalid_address"
    body = {"action": "cancel", "order_id": order_id, "reason": "ordered by mistake"}
    assert act(client, esc_id, customer, **body).status_code == 403
    assert act(client, esc_id, {}, **body).status_code == 401
    assert act(client, "E0NOPE", ann, **body).status_code == 404
    assert written(services) == before


def test_who_may_act(client, services, token_for, agent_headers):
    # an anonymous conversation names no customer: nothing to act on
    _, anon = escalate(client)
    pending = order_of(services, "C0001", "pending")
    body = {"action": "cancel", "order_id": pending, "reason": "ordered by mistake"}
    out = act(client, anon, agent_headers(), **body)
    assert out.status_code == 409 and out.json()["error"]["code"] == "no_customer"
    assert "no verified customer" in out.json()["error"]["message"]
    # another agent's conversation is theirs to act in
    _, esc_id = escalate(client, token_for("C0001"))
    client.post(f"/v1/agent/escalations/{esc_id}/claim", headers=agent_headers("bob"))
    taken = act(client, esc_id, agent_headers("ann"), **body)
    assert taken.status_code == 409 and "bob" in taken.json()["error"]["message"]
    assert services.store.get_order(pending).status == "pending"
