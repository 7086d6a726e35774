"""A shift on the agent desk through its API: the queue of conversations with wait times and
SLA colours, filters and search, claim conflicts, transfers, reopen, private notes, saved
replies, the live event stream, the customer panel and first-response time."""

from __future__ import annotations

import dataclasses
from datetime import UTC, datetime, timedelta

from fastapi.testclient import TestClient
from sqlalchemy import update

from app.main import create_app
from tests.api.helpers import chat, escalate, order_of, sse_events, transcript
from tools.store.models import Escalation


def queue(client, headers, **params) -> list[dict]:
    response = client.get("/v1/agent/escalations", headers=headers, params=params)
    assert response.status_code == 200, response.text
    return response.json()


def audit_rows(services) -> int:
    return len(services.store.list_audit())


def test_the_queue_has_one_row_per_conversation_with_its_wait_and_sla(
    client, services, token_for, agent_headers
):
    customer, ann = token_for("C0001"), agent_headers("ann")
    order_id = order_of(services, "C0001", "shipped")
    session_id, esc_id = escalate(client, customer, f"where is my order {order_id}?")
    again = chat(client, "a human please, nobody answers", customer, session_id)
    assert again["escalation"]["id"] == esc_id  # the same ticket, joined

    rows = [r for r in queue(client, ann) if r["session_id"] == session_id]
    assert len(rows) == 1
    row = rows[0]
    assert row["customer_name"] and row["customer_id"] == "C0001"
    assert row["last_message"] == "a human please, nobody answers"
    assert row["wait_seconds"] is not None and row["wait_seconds"] >= 0
    assert row["sla"] == "ok" and order_id in row["order_ids"]

    # waiting 20 minutes breaches the 15-minute target; the longest wait is listed first
    _, other_id = escalate(client, token_for("C0002"))
    with services.store.engine.begin() as conn:
        conn.execute(
            update(Escalation)
            .where(Escalation.id == esc_id)
            .values(waiting_since=datetime.now(UTC) - timedelta(minutes=20))
        )
    rows = queue(client, ann, status="active")
    assert rows[0]["id"] == esc_id and rows[0]["sla"] == "breach"
    assert rows[0]["wait_seconds"] >= 1200

    # an agent's answer stops the clock; the customer's next line starts it again
    sent = client.post(f"/v1/agent/escalations/{esc_id}/reply", headers=ann,
                       json={"text": "Looking at it now."})  # fmt: skip
    assert sent.status_code == 200
    row = next(r for r in queue(client, ann) if r["id"] == esc_id)
    assert row["wait_seconds"] is None and row["sla"] is None
    chat(client, "thanks, still waiting for the tracking", customer, session_id)
    row = next(r for r in queue(client, ann) if r["id"] == esc_id)
    assert row["wait_seconds"] is not None and row["sla"] == "ok"
    assert row["last_message"] == "thanks, still waiting for the tracking"

    # first response time reaches the KPIs
    kpi = client.get("/v1/admin/kpi", headers=ann).json()
    assert kpi["responded_escalations"] == 1 and kpi["first_response_seconds"] >= 0
    assert other_id


def test_filters_and_search_find_the_right_conversations(
    client, services, token_for, agent_headers
):
    ann, bob = agent_headers("ann"), agent_headers("bob")
    order_id = order_of(services, "C0002", "delivered")
    _, mine = escalate(client, token_for("C0001"))
    _, theirs = escalate(client, token_for("C0002"), f"my order {order_id} arrived broken")
    assert client.post(f"/v1/agent/escalations/{mine}/claim", headers=ann).status_code == 200

    assert [r["id"] for r in queue(client, ann, view="mine")] == [mine]
    assert [r["id"] for r in queue(client, bob, view="mine")] == []
    unassigned = {r["id"] for r in queue(client, ann, view="unassigned")}
    assert theirs in unassigned and mine not in unassigned
    assert {r["id"] for r in queue(client, ann, status="claimed")} == {mine}
    assert [r["id"] for r in queue(client, ann, q=order_id.lower())] == [theirs]
    name = services.store.customer_profile("C0002")["name"]
    assert [r["id"] for r in queue(client, ann, q=name.split()[0])] == [theirs]
    assert [r["id"] for r in queue(client, ann, q="arrived broken")] == [theirs]
    assert queue(client, ann, reason="no_such_reason") == []
    bad = client.get("/v1/agent/escalations", headers=ann, params={"view": "everyone"})
    assert bad.status_code == 422


def test_a_second_agents_claim_is_a_conflict_and_writes_nothing(
    client, services, token_for, agent_headers
):
    ann, bob = agent_headers("ann"), agent_headers("bob")
    _, esc_id = escalate(client, token_for("C0001"))
    assert client.post(f"/v1/agent/escalations/{esc_id}/claim", headers=ann).status_code == 200
    before = audit_rows(services)

    taken = client.post(f"/v1/agent/escalations/{esc_id}/claim", headers=bob)
    assert taken.status_code == 409 and "claimed by ann" in taken.json()["error"]["message"]
    reply = client.post(f"/v1/agent/escalations/{esc_id}/reply", headers=bob,
                        json={"text": "hi, Bob here"})  # fmt: skip
    assert reply.status_code == 409
    grab = client.post(f"/v1/agent/escalations/{esc_id}/assign", headers=bob,
                       json={"agent": "bob"})  # fmt: skip
    assert grab.status_code == 409 and "only they can transfer" in grab.json()["error"]["message"]
    assert audit_rows(services) == before
    assert services.store.desk_escalation(esc_id)["assignee"] == "ann"


def test_transfer_back_to_the_queue_and_reopen(client, services, token_for, agent_headers):
    ann, bob = agent_headers("ann"), agent_headers("bob")
    customer = token_for("C0001")
    session_id, esc_id = escalate(client, customer)
    url = f"/v1/agent/escalations/{esc_id}"
    assert client.post(f"{url}/claim", headers=ann).status_code == 200

    moved = client.post(f"{url}/assign", headers=ann, json={"agent": "bob"}).json()
    assert moved["status"] == "claimed" and moved["assignee"] == "bob"
    assert client.post(f"{url}/reply", headers=ann, json={"text": "x"}).status_code == 409
    assert client.post(f"{url}/reply", headers=bob, json={"text": "Bob here."}).status_code == 200
    back = client.post(f"{url}/assign", headers=bob, json={"agent": None}).json()
    assert back["status"] == "open" and back["assignee"] is None

    assert client.post(f"{url}/reopen", headers=ann).status_code == 409  # not resolved
    assert client.post(f"{url}/resolve", headers=ann).json()["status"] == "resolved"
    assert client.post(f"{url}/assign", headers=ann, json={"agent": "ann"}).status_code == 409
    reopened = client.post(f"{url}/reopen", headers=ann).json()
    assert reopened["status"] == "open" and reopened["waiting_since"]
    assert esc_id in {r["id"] for r in queue(client, ann, status="active")}
    assert client.post(f"{url}/reply", headers=ann, json={"text": "Back on it."}).status_code == 200
    said = [ln["content"] for ln in transcript(client, session_id, customer)]
    assert said[-1] == "Back on it."


def test_private_notes_never_reach_the_customer(client, services, token_for, agent_headers):
    ann = agent_headers("ann")
    customer = token_for("C0001")
    session_id, esc_id = escalate(client, customer)
    url = f"/v1/agent/escalations/{esc_id}"

    note = client.post(f"{url}/notes", headers=ann, json={"text": "VIP, be quick"})
    assert note.status_code == 201 and note.json()["author"] == "ann"
    assert client.post(f"{url}/notes", headers=ann, json={"text": "   "}).status_code == 422
    assert client.post("/v1/agent/escalations/E0/notes", headers=ann,
                       json={"text": "x"}).status_code == 404  # fmt: skip
    package = client.get(url, headers=ann).json()
    assert [n["text"] for n in package["notes"]] == ["VIP, be quick"]
    said = " ".join(ln["content"] for ln in transcript(client, session_id, customer))
    assert "VIP" not in said
    events = client.get(f"/v1/sessions/{session_id}/events?after=0&max_seconds=0.2",
                        headers=customer)  # fmt: skip
    assert "VIP" not in events.text
    assert client.post(f"{url}/notes", headers=customer, json={"text": "x"}).status_code == 403


def test_saved_replies_fill_in_the_customer_and_their_order(
    client, services, token_for, agent_headers
):
    ann = agent_headers("ann")
    order_id = order_of(services, "C0001", "shipped")
    _, esc_id = escalate(client, token_for("C0001"), f"where is {order_id}?")
    made = client.post("/v1/agent/macros", headers=ann, json={
        "name": "tracking", "text": "Hi {customer_first_name}, order {order_id} is "
        "{order_status}; tracking {tracking_number}. {agent_name}"})  # fmt: skip
    assert made.status_code == 201
    macro_id = made.json()["id"]
    assert client.post("/v1/agent/macros", headers=ann,
                       json={"name": "tracking", "text": "again"}).status_code == 409  # fmt: skip
    typo = client.post("/v1/agent/macros", headers=ann, json={"name": "t2",
                       "text": "Hi {customer_nmae}"})  # fmt: skip
    assert typo.status_code == 422 and "{customer_nmae}" in typo.json()["error"]["message"]
    assert [m["name"] for m in client.get("/v1/agent/macros", headers=ann).json()] == ["tracking"]

    url = f"/v1/agent/escalations/{esc_id}/macros/{macro_id}/render"
    filled = client.post(url, headers=ann, json={}).json()
    order = services.store.get_order(order_id)
    first = services.store.customer_profile("C0001")["name"].split()[0]
    assert filled["text"] == (
        f"Hi {first}, order {order_id} is shipped; tracking {order.tracking_number}. ann"
    )
    assert filled["missing"] == []
    foreign = order_of(services, "C0002", "delivered")
    assert client.post(url, headers=ann, json={"order_id": foreign}).status_code == 404

    assert client.delete(f"/v1/agent/macros/{macro_id}", headers=ann).status_code == 204
    assert client.post(url, headers=ann, json={}).status_code == 404


def test_a_saved_reply_without_an_order_leaves_the_placeholder_for_the_agent(
    client, token_for, agent_headers
):
    ann = agent_headers("ann")
    _, esc_id = escalate(client, token_for("C0001"))
    macro = client.post("/v1/agent/macros", headers=ann,
                        json={"name": "m", "text": "About {order_id}: done."}).json()  # fmt: skip
    # the package lists C0001's latest orders, but none is *mentioned*: nothing is guessed
    out = client.post(f"/v1/agent/escalations/{esc_id}/macros/{macro['id']}/render",
                      headers=ann, json={}).json()  # fmt: skip
    assert out == {"text": "About {order_id}: done.", "missing": ["order_id"]}


def test_the_live_stream_shows_escalations_replies_and_claims(client, token_for, agent_headers):
    ann = agent_headers("ann")
    start = client.get("/v1/agent/events?max_seconds=0.1", headers=ann)
    assert start.status_code == 200 and sse_events(start) == []  # starts at "now"
    session_id, esc_id = escalate(client, token_for("C0001"))
    url = f"/v1/agent/escalations/{esc_id}"
    client.post(f"{url}/claim", headers=ann)
    client.post(f"{url}/reply", headers=ann, json={"text": "Hello, Ann here."})
    client.post(f"{url}/notes", headers=ann, json={"text": "checked"})
    chat(client, "thanks Ann", token_for("C0001"), session_id)

    events = sse_events(client.get("/v1/agent/events?after=0&max_seconds=0.2", headers=ann))
    mine = [(kind, data) for kind, data in events if data["escalation_id"] == esc_id]
    kinds = [kind for kind, _ in mine]
    assert kinds == ["escalation.created", "escalation.claimed", "message.agent",
                     "note.added", "message.customer"]  # fmt: skip
    assert mine[-1][1]["data"]["text"] == "thanks Ann"
    ids = [data["id"] for _, data in events]
    assert ids == sorted(ids)
    resumed = client.get("/v1/agent/events?max_seconds=0.1", headers={**ann,
                         "Last-Event-ID": str(ids[-2])})  # fmt: skip
    assert [d["id"] for _, d in sse_events(resumed)] == ids[-1:]
    assert client.get("/v1/agent/events?after=-1", headers=ann).status_code == 422
    assert client.get("/v1/agent/events", headers=token_for("C0001")).status_code == 403


def test_the_package_shows_the_customer_history_and_csat(
    client, services, token_for, agent_headers
):
    ann = agent_headers("ann")
    customer = token_for("C0001")
    earlier, old_id = escalate(client, customer)
    client.post(f"/v1/agent/escalations/{old_id}/resolve", headers=ann)
    rated = client.post("/v1/feedback", headers=customer,
                        json={"session_id": earlier, "rating": 2})  # fmt: skip
    assert rated.status_code in (200, 201), rated.text
    order_id = order_of(services, "C0001", "delivered")
    _, esc_id = escalate(client, customer, f"order {order_id} is missing a part")

    package = client.get(f"/v1/agent/escalations/{esc_id}", headers=ann).json()
    card = package["customer"]
    assert card["id"] == "C0001" and card["name"] and card["email"]
    past = {c["session_id"]: c for c in card["conversations"]}
    assert past[earlier]["csat"] == 2
    assert past[earlier]["tickets"][0]["status"] == "resolved"
    first = package["orders"][0]
    assert first["id"] == order_id and first["mentioned"] is True
    assert first["items"] and {"sku", "name", "quantity", "price"} <= set(first["items"][0])
    assert package["predicted_intent"] == "contact_human_agent"
    assert package["escalation"]["waiting_since"]


def test_empty_or_wrong_input_is_a_clear_4xx_and_writes_nothing(
    client, services, token_for, agent_headers
):
    ann = agent_headers("ann")
    _, esc_id = escalate(client, token_for("C0001"))
    url = f"/v1/agent/escalations/{esc_id}"
    before = audit_rows(services), len(services.store.desk_events(0, 10_000))
    empty = client.post(f"{url}/reply", headers=ann, json={"text": "   "})
    assert empty.status_code == 422 and "empty" in empty.json()["error"]["message"]
    assert client.post(f"{url}/reply", headers=ann, json={"text": ""}).status_code == 422
    assert client.post(f"{url}/assign", headers=ann, json={"agent": ""}).status_code == 422
    assert client.post(f"{url}/notes", headers=ann, json={}).status_code == 422
    assert client.post("/v1/agent/macros", headers=ann, json={"name": "x"}).status_code == 422
    assert client.post("/v1/agent/escalations/E0/claim", headers=ann).status_code == 404
    after = audit_rows(services), len(services.store.desk_events(0, 10_000))
    assert after == before
    assert services.store.desk_escalation(esc_id)["status"] == "open"


def test_every_desk_endpoint_declares_a_typed_response(client):
    spec = client.get("/openapi.json").json()
    for path, methods in spec["paths"].items():
        if not path.startswith("/v1/agent/") or path == "/v1/agent/events":
            continue
        for method, op in methods.items():
            ok = next((op["responses"][c] for c in ("200", "201") if c in op["responses"]), None)
            if ok is None:  # 204: no body
                assert "204" in op["responses"], (method, path)
                continue
            schema = ok["content"]["application/json"]["schema"]
            typed = "$ref" in schema or "$ref" in schema.get("items", {})
            assert typed, f"{method.upper()} {path} returns an untyped body: {schema}"


def test_a_refund_waiting_for_approval_reaches_the_desk_live_and_waiting(
    app_settings, services, token_for, agent_headers
):
    ann, customer = agent_headers("ann"), token_for("C0001")
    policy = dataclasses.replace(services.policy, auto_approve_limit_cents=10000)
    svc = dataclasses.replace(services, policy=policy)
    cursor = svc.store.last_desk_event()
    with TestClient(create_app(app_settings, services=svc)) as client:
        order_id = order_of(svc, "C0001", "delivered", recent_days=10)
        offer = chat(client, f"I want a refund for order {order_id}", customer)
        asked = chat(client, "yes", customer, offer["session_id"])
        [approval] = svc.store.list_approvals("pending")
        esc_id = asked["escalation"]["id"]
        assert approval.escalation_id == esc_id

        def kinds() -> list[str]:
            return [
                e["kind"] for e in svc.store.desk_events(cursor) if e["escalation_id"] == esc_id
            ]

        assert kinds() == ["escalation.created"]
        row = next(r for r in queue(client, ann) if r["id"] == esc_id)
        assert row["reason"] == "approval_needed" and row["sla"] == "ok"
        decided = client.post(f"/v1/agent/approvals/{approval.id}/decide", headers=ann,
                              json={"approve": True})  # fmt: skip
        assert decided.status_code == 200
        assert kinds()[-1] == "escalation.resolved"
        assert svc.store.desk_escalation(esc_id)["waiting_since"] is None


def test_no_agent_is_with_you_notice_after_the_agent_has_already_written(
    client, token_for, agent_headers
):
    ann, customer = agent_headers("ann"), token_for("C0001")
    session_id, esc_id = escalate(client, customer)
    client.post(f"/v1/agent/escalations/{esc_id}/reply", headers=ann, json={"text": "Ann here."})
    assert chat(client, "great, thanks", customer, session_id)["reply"] == ""
    said = [ln["content"] for ln in transcript(client, session_id, customer)]
    assert said[-2:] == ["Ann here.", "great, thanks"]


def test_an_order_named_by_its_product_is_the_order_in_question(
    client, services, token_for, agent_headers
):
    ann = agent_headers("ann")
    order_id = order_of(services, "C0001", "delivered", recent_days=10)
    item = services.store.get_order(order_id).items[0].name  # e.g. "Aurora Wireless Headphones"
    word = item.split()[-1].lower()
    _, esc_id = escalate(client, token_for("C0001"), f"my {word} stopped working")
    package = client.get(f"/v1/agent/escalations/{esc_id}", headers=ann).json()
    assert package["orders"][0]["id"] == order_id and package["orders"][0]["mentioned"]
