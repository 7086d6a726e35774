"""Two `support serve` workers behind one haproxy address give one coherent service.

A real cluster on this machine (bench/stack.py): a fresh Postgres database holding the
store and the conversation checkpoints, a Chroma server (`chroma run`), two workers with
separate DATA_DIRs and the same JWT secret, and haproxy round-robin in front with no
stickiness. haproxy names the worker that answered in `X-Served-By`; where a test needs
"worker A" and "worker B" it also talks to a worker directly.

Each test sends from its own loopback address (127.0.0.N): haproxy forwards it in
X-Forwarded-For, so the per-address limits count each test apart. Redis is not started:
the service shares everything through the store, and nothing here needs it.

Skipped, with the reason, where haproxy, Postgres (POSTGRES_TEST_URL) or the chroma CLI is
missing.
"""

from __future__ import annotations

import json
import threading
import time
from collections.abc import Iterator
from datetime import UTC, datetime, timedelta

import httpx
import pytest

from bench.stack import Cluster, bearer, cluster, support, unavailable
from tools.policy import default_policy_text
from tools.store.backend import SqlStore

pytestmark = pytest.mark.postgres

TURN_LIMIT = 6  # TURNS_PER_CLIENT_PER_MINUTE on both workers
APPROVAL_LIMIT = "100.00"  # auto_approve_limit: C0001's $168 refund waits for an agent
ARTICLE = (
    "---\ntitle: Lantern pickup lockers\n---\n# Lantern pickup lockers\n\n"
    "You can collect parcels from a Lantern pickup locker in Ostrava. Lockers keep a "
    "parcel for seven days and open with the code we send you by text message.\n"
)
QUESTION = "can I collect my parcel from a Lantern pickup locker in Ostrava?"


@pytest.fixture(scope="module")
def stack(tmp_path_factory, intent_cache_dir) -> Iterator[Cluster]:
    reason = unavailable()
    if reason:
        pytest.skip(reason)
    root = tmp_path_factory.mktemp("cluster")
    policy = root / "policy.toml"
    text = default_policy_text()
    assert "auto_approve_limit = 200.00" in text
    policy.write_text(text.replace("auto_approve_limit = 200.00",
                                   f"auto_approve_limit = {APPROVAL_LIMIT}"))  # fmt: skip
    env = {
        "POLICY_FILE": str(policy),
        "TURNS_PER_CLIENT_PER_MINUTE": str(TURN_LIMIT),
        "NLU_CACHE_DIR": str(intent_cache_dir) if intent_cache_dir else "off",
    }
    with cluster(root, workers=2, env=env) as started:
        yield started


def http(url: str, source: str) -> httpx.Client:
    """A client sending from loopback address `source` (a client address of its own)."""
    transport = httpx.HTTPTransport(local_address=source)
    return httpx.Client(base_url=url, timeout=60, transport=transport)


def turn(client: httpx.Client, message: str, headers=None, session_id=None) -> httpx.Response:
    body = {"message": message} | ({"session_id": session_id} if session_id else {})
    response = client.post("/v1/chat", json=body, headers=headers or {})
    assert response.status_code == 200, response.text
    return response


def store(stack: Cluster) -> SqlStore:
    return SqlStore.from_url(stack.database_url)


def order_of(stack: Cluster, customer_id: str, status: str, recent_days: int | None = None):
    db = store(stack)
    for summary in db.list_orders(customer_id):
        if summary.status != status:
            continue
        if recent_days is None:
            return summary.id
        delivered = db.get_order(summary.id).delivered_at
        delivered = delivered if delivered.tzinfo else delivered.replace(tzinfo=UTC)
        if delivered >= datetime.now(UTC) - timedelta(days=recent_days):
            return summary.id
    raise AssertionError(f"{customer_id} has no {status} order")


def worker_named(stack: Cluster, name: str):
    return next(w for w in stack.workers if w.name == name)


def other(stack: Cluster, name: str):
    return next(w for w in stack.workers if w.name != name)


def test_a_conversation_alternating_workers_keeps_its_state_and_pending_offer(stack):
    headers = bearer("C0003")
    order_id = order_of(stack, "C0003", "pending")
    with http(stack.url, "127.0.0.11") as proxy:
        offer = turn(proxy, f"please cancel my order {order_id}, I ordered it by mistake", headers)
        session_id = offer.json()["session_id"]
        yes = turn(proxy, "yes", headers, session_id)
        again = turn(proxy, "yes", headers, session_id)
        read = proxy.get(f"/v1/sessions/{session_id}", headers=headers)

    served = [r.headers["X-Served-By"] for r in (offer, yes, again, read)]
    assert served[0] != served[1] and served[1] != served[2] and served[2] != served[3], served
    assert "Shall I go ahead?" in offer.json()["reply"]
    assert yes.json()["reply"].startswith(f"Done: order {order_id} is cancelled.")
    assert "Done" not in again.json()["reply"], again.json()["reply"]  # nothing pending now
    assert store(stack).get_order(order_id).status == "cancelled"
    assert len(store(stack).list_audit(entity_id=order_id)) == 1  # done once
    lines = [(line["role"], line["content"]) for line in read.json()["transcript"]]
    assert [text for role, text in lines if role == "customer"] == [
        f"please cancel my order {order_id}, I ordered it by mistake",
        "yes",
        "yes",
    ]
    assert read.json()["pending"] is None


def test_an_agent_reply_sent_through_one_worker_reaches_the_stream_held_on_the_other(stack):
    headers = bearer("C0005")
    agent = bearer("ann", role="agent")
    text = f"Hi, Ann here from the desk ({time.time_ns()}). I'm looking at it now."
    with http(stack.url, "127.0.0.12") as proxy:
        asked = turn(proxy, "I want to talk to a person", headers).json()
        assert asked["escalated"] is True
        session_id, escalation_id = asked["session_id"], asked["escalation"]["id"]
        seen: list[tuple[str, dict]] = []
        url = f"/v1/sessions/{session_id}/events?max_seconds=20"
        with proxy.stream("GET", url, headers=headers) as stream:
            assert stream.status_code == 200
            holder = stream.headers["X-Served-By"]
            sender = other(stack, holder)
            sent_at = time.monotonic()
            reader = threading.Thread(target=_read_until, args=(stream, "agent_reply", seen))
            reader.start()
            with http(sender.url, "127.0.0.12") as direct:
                sent = direct.post(f"/v1/agent/escalations/{escalation_id}/reply",
                                   json={"text": text}, headers=agent)  # fmt: skip
            reader.join(25)
            arrived = time.monotonic() - sent_at

    assert sent.status_code == 200, sent.text
    assert [(event, line["content"]) for event, line in seen] == [("agent_reply", text)]
    assert arrived < 5, f"the reply took {arrived:.1f} s to reach worker {holder}'s stream"


def _read_until(stream: httpx.Response, kind: str, seen: list[tuple[str, dict]]) -> None:
    """Append the first `kind` event of an SSE stream to seen (or nothing when it ends)."""
    event = None
    for line in stream.iter_lines():
        if line.startswith("event:"):
            event = line.split(":", 1)[1].strip()
        elif line.startswith("data:") and event == kind:
            seen.append((event, json.loads(line.split(":", 1)[1])))
            return


def test_the_desk_stream_held_on_one_worker_shows_an_escalation_made_on_the_other(stack):
    headers = bearer("C0007")
    agent = bearer("ann", role="agent")
    seen: list[tuple[str, dict]] = []
    with http(stack.url, "127.0.0.17") as proxy:
        with proxy.stream("GET", "/v1/agent/events?max_seconds=20", headers=agent) as stream:
            assert stream.status_code == 200
            holder = stream.headers["X-Served-By"]
            reader = threading.Thread(target=_read_until, args=(stream, "escalation.created", seen))
            reader.start()
            with http(other(stack, holder).url, "127.0.0.17") as direct:
                asked = turn(direct, "I want to talk to a person", headers).json()
            reader.join(25)

    assert asked["escalated"] is True
    [(_, event)] = seen
    assert (event["escalation_id"], event["session_id"]) == (
        asked["escalation"]["id"],
        asked["session_id"],
    )


def test_an_approval_decided_on_one_worker_resumes_the_conversation_on_the_other(stack):
    headers = bearer("C0001")
    agent = bearer("ann", role="agent")
    a, b = worker_named(stack, "a"), worker_named(stack, "b")
    order_id = order_of(stack, "C0001", "delivered", recent_days=10)
    with http(b.url, "127.0.0.13") as on_b, http(a.url, "127.0.0.13") as on_a:
        offer = turn(on_b, f"I want a refund for order {order_id}", headers).json()
        session_id = offer["session_id"]
        asked = turn(on_b, "yes", headers, session_id).json()
        pending = on_b.get(f"/v1/sessions/{session_id}", headers=headers).json()["approval"]
        assert pending is not None, asked["reply"]  # waiting for an agent's approval
        decided = on_a.post(f"/v1/agent/approvals/{pending['id']}/decide",
                            json={"approve": True}, headers=agent)  # fmt: skip
        after = on_b.get(f"/v1/sessions/{session_id}", headers=headers).json()
        more = turn(on_b, f"where is my order {order_id}?", headers, session_id).json()

    assert "need an agent's approval" in offer["reply"]
    assert asked["escalation"]["reason"] == "approval_needed"
    assert pending["status"] == "pending" and pending["amount_cents"] == 16800
    assert decided.status_code == 200, decided.text
    [refund] = store(stack).get_order(order_id).refunds
    assert refund.amount_cents == 16800
    last = after["transcript"][-1]
    assert last["role"] == "assistant"
    approved = f"Good news: an agent approved your refund. Refund {refund.id}"
    assert last["content"].startswith(approved)
    assert after["approval"] is None
    assert more["intent"] == "track_order" and order_id in more["reply"]


def test_an_article_ingested_while_both_run_is_cited_by_both(stack, tmp_path):
    agent = bearer("ann", role="agent")
    kb = tmp_path / "kb"
    kb.mkdir()
    (kb / "lantern-lockers.md").write_text(ARTICLE, encoding="utf-8")
    env = {**stack.env, "DATA_DIR": str(worker_named(stack, "a").data_dir)}
    support(["ingest", str(kb)], env)
    ingested = time.monotonic()

    found: dict[str, float] = {}
    while len(found) < len(stack.workers) and time.monotonic() - ingested < 10:
        for worker in stack.workers:
            if worker.name in found:
                continue
            hits = httpx.get(f"{worker.url}/v1/admin/kb/search", params={"q": QUESTION, "k": 3},
                             headers=agent, timeout=30).json()["passages"]  # fmt: skip
            if any(p["doc_id"] == "lantern-lockers" for p in hits):
                found[worker.name] = time.monotonic() - ingested
        time.sleep(0.2)
    assert sorted(found) == ["a", "b"], f"found on {found} only, 10 s after the ingest"

    for worker in stack.workers:
        with http(worker.url, "127.0.0.14") as direct:
            answer = turn(direct, QUESTION).json()
        cited = [c["doc_id"] for c in answer["citations"]]
        assert "lantern-lockers" in cited, (worker.name, answer["reply"], cited)


def test_the_turn_limit_holds_across_both_workers(stack):
    with http(stack.url, "127.0.0.15") as proxy:
        first = turn(proxy, "what is your return policy?")
        session_id = first.json()["session_id"]
        more = {"message": "and for gift cards?", "session_id": session_id}
        answers = [first] + [proxy.post("/v1/chat", json=more) for _ in range(TURN_LIMIT)]
    served = [r.headers["X-Served-By"] for r in answers]
    codes = [r.status_code for r in answers]

    assert codes == [200] * TURN_LIMIT + [429], codes
    assert all(x != y for x, y in zip(served, served[1:], strict=False)), served
    assert served[:TURN_LIMIT].count("a") == served[:TURN_LIMIT].count("b") == TURN_LIMIT // 2
    refused = answers[-1]
    assert 1 <= int(refused.headers["Retry-After"]) <= 60
    assert refused.json()["error"]["message"].startswith("too many messages in the last minute")


def test_kb_gaps_sees_the_questions_either_worker_answered(stack):
    question = "how long do refunds take to reach my card?"
    b = worker_named(stack, "b")
    with http(b.url, "127.0.0.16") as direct:
        answered = turn(direct, question).json()  # by worker b only, not escalated
    assert answered["citations"] and not answered["escalated"], answered["reply"]
    gaps = {}
    for worker in stack.workers:
        env = {**stack.env, "DATA_DIR": str(worker.data_dir)}
        gaps[worker.name] = support(["kb", "gaps", "--weak-below", "0.99", "--json"], env)
    assert question in gaps["b"]  # the worker that answered logged it
    assert question in gaps["a"], "worker a's `support kb gaps` does not see it"
