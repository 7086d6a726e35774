"""kill -9 between a confirmed write's commit and the checkpoint of its reply: after the
restart the conversation tells the write the store holds, whatever the customer answers,
and nothing is written twice. The transcript, the store and the reply agree.

The server is started with FAULT_PAUSE_AFTER_WRITE_SECONDS so the turn waits right after
the commit; the test sees the row appear in the store, then SIGKILLs the process (no
shutdown hook, no flush) and restarts a server without the pause on the same DATA_DIR.
"""

from __future__ import annotations

import threading
import time
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field

import httpx
import pytest

from app.auth import mint_token
from prompts import render
from tests.reliability.live import LiveServer, copy_data_dir
from tools.store.backend import SqlStore
from tools.store.db import create_schema, make_engine
from tools.store.seed import seed_demo

INTERRUPTED = render("write_made_before_interruption")
PAUSE = {"FAULT_PAUSE_AFTER_WRITE_SECONDS": "120"}
HEADERS = {"Authorization": f"Bearer {mint_token('C0001', 's' * 40, 3600)}"}


def order_of(store: SqlStore, status: str, *, recent: bool = False) -> str:
    """One of C0001's orders in `status` (the most recent one when `recent`)."""
    found = [o for o in store.list_orders("C0001") if o.status == status]
    assert found, f"C0001 has no {status} order"
    return found[0].id if recent else found[-1].id


@dataclass
class Offer:
    """A conversation left with a write offered, then a yes sent into the crash."""

    opening: str
    written: Callable[[], bool]
    """Whether the store already holds the write the yes makes."""
    session_id: str = ""
    yes_reply: list[object] = field(default_factory=list)


def say(http: httpx.Client, message: str, session_id: str | None = None) -> dict:
    body = {"message": message, **({"session_id": session_id} if session_id else {})}
    response = http.post("/v1/chat", json=body, headers=HEADERS)
    assert response.status_code == 200, response.text
    return response.json()


def crash_during_yes(server: LiveServer, offers: list[Offer]) -> None:
    """Make each offer, say yes to all at once, kill -9 once every write is in the store."""
    with server.client() as http:
        for offer in offers:
            made = say(http, offer.opening)
            assert "Shall I go ahead? (yes / no)" in made["reply"], made["reply"]
            offer.session_id = made["session_id"]

    def yes(offer: Offer) -> None:
        try:
            with server.client(timeout=300) as http:
                offer.yes_reply.append(say(http, "yes", offer.session_id))
        except httpx.HTTPError as exc:  # the server died under the request
            offer.yes_reply.append(exc)

    threads = [threading.Thread(target=yes, args=(o,)) for o in offers]
    for t in threads:
        t.start()
    deadline = time.monotonic() + 90
    while not all(o.written() for o in offers):
        assert time.monotonic() < deadline, f"the writes never committed:\n{server.log()}"
        time.sleep(0.05)
    server.kill()
    for t in threads:
        t.join(30)
    for offer in offers:  # the crash really took the reply: the yes was never answered
        [lost] = offer.yes_reply
        assert isinstance(lost, httpx.HTTPError), lost


def session(http: httpx.Client, session_id: str) -> dict:
    response = http.get(f"/v1/sessions/{session_id}", headers=HEADERS)
    assert response.status_code == 200, response.text
    return response.json()


def assert_told(http: httpx.Client, offer: Offer, answer: str, done: str) -> dict:
    """The answer after the restart gets the write's outcome; the transcript agrees."""
    out = say(http, answer, offer.session_id)
    assert out["reply"].startswith(f"{INTERRUPTED} {done}"), out["reply"]
    assert "haven't" not in out["reply"] and "Shall I go ahead?" not in out["reply"]
    kept = session(http, offer.session_id)
    assert kept["pending"] is None
    lines = [(line["role"], line["content"]) for line in kept["transcript"]]
    assert lines[-3:] == [("customer", "yes"), ("customer", answer), ("assistant", out["reply"])]
    return out


@contextmanager
def restarted(data_dir, env: dict[str, str] | None = None) -> Iterator[LiveServer]:
    server = LiveServer(data_dir, env).start()
    try:
        yield server
    finally:
        server.stop()


def test_kill_9_during_refund_and_cancel_yes_sqlite(built, tmp_path):
    settings, _ = built
    data_dir = copy_data_dir(settings.data_dir, tmp_path / "data")
    store = SqlStore.from_url(f"sqlite:///{data_dir / 'store.sqlite'}")
    refunded, cancelled = order_of(store, "delivered", recent=True), order_of(store, "pending")
    refund = Offer(
        f"I want a refund for order {refunded}",
        lambda: bool(store.get_order(refunded).refunds),
    )
    cancel = Offer(
        f"please cancel my order {cancelled}, I ordered it by mistake",
        lambda: store.get_order(cancelled).status == "cancelled",
    )

    first = LiveServer(data_dir, PAUSE).start()
    try:
        crash_during_yes(first, [refund, cancel])
    finally:
        first.kill()

    with restarted(data_dir) as server, server.client() as http:
        [made] = store.get_order(refunded).refunds
        assert_told(http, refund, "no", f"Done: refund {made.id} of $")
        again = say(http, "yes", refund.session_id)  # nothing is pending any more
        assert INTERRUPTED not in again["reply"]

        [pay_back] = store.get_order(cancelled).refunds
        done = f"Done: order {cancelled} is cancelled. Refund {pay_back.id}"
        assert_told(http, cancel, "yes", done)

    assert [r.id for r in store.get_order(refunded).refunds] == [made.id]
    assert len(store.list_audit(entity_id=made.id)) == 1
    assert store.get_order(cancelled).status == "cancelled"
    assert [r.id for r in store.get_order(cancelled).refunds] == [pay_back.id]
    assert len(store.list_audit(entity_id=cancelled)) == 1
    store.engine.dispose()


@pytest.mark.postgres
def test_kill_9_during_refund_yes_postgres(built, tmp_path, postgres_url):
    settings, _ = built
    engine = make_engine(postgres_url)
    create_schema(engine)
    seed_demo(engine)
    engine.dispose()
    store = SqlStore.from_url(postgres_url)
    data_dir = copy_data_dir(settings.data_dir, tmp_path / "data")
    on_postgres = {"DATABASE_URL": postgres_url, "CHECKPOINT_URL": postgres_url}
    refunded = order_of(store, "delivered", recent=True)
    refund = Offer(
        f"I want a refund for order {refunded}",
        lambda: bool(store.get_order(refunded).refunds),
    )

    first = LiveServer(data_dir, {**on_postgres, **PAUSE}).start()
    try:
        crash_during_yes(first, [refund])
    finally:
        first.kill()

    with restarted(data_dir, on_postgres) as server, server.client() as http:
        [made] = store.get_order(refunded).refunds
        assert_told(http, refund, "no", f"Done: refund {made.id} of $")

    assert [r.id for r in store.get_order(refunded).refunds] == [made.id]
    assert len(store.list_audit(entity_id=made.id)) == 1
    store.engine.dispose()
