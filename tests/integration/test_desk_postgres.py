"""The agent desk's records on a real PostgreSQL: two agents claiming at once, the live
event log read in order, notes, saved replies and the queue's latest customer lines."""

from __future__ import annotations

import threading

import pytest

from tools.errors import NotAllowed
from tools.store.backend import SqlStore

pytestmark = pytest.mark.postgres


@pytest.fixture
def store(postgres_url) -> SqlStore:
    store = SqlStore.from_url(postgres_url.replace("postgresql+psycopg://", "postgresql://"))
    yield store
    store.engine.dispose()


def ticket(store: SqlStore, session_id: str = "S1") -> str:
    made = store.create_escalation(
        session_id=session_id, customer_id=None, reason="explicit_request",
        intent="contact_human_agent", confidence=0.9, entities=[],
        transcript=[{"role": "customer", "content": "a person please"}],
    )  # fmt: skip
    return made.id


def test_postgres_two_agents_claiming_at_once_one_wins(store):
    esc_id = ticket(store)
    wins, losses = [], []
    barrier = threading.Barrier(8)

    def claim(name: str) -> None:
        barrier.wait()
        try:
            wins.append(store.move_escalation(esc_id, "claimed", name)["assignee"])
        except NotAllowed:
            losses.append(name)

    threads = [threading.Thread(target=claim, args=(f"agent{i}",)) for i in range(8)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert len(wins) == 1 and len(losses) == 7
    assert store.desk_escalation(esc_id)["assignee"] == wins[0]
    claims = [e for e in store.desk_events() if e["kind"] == "escalation.claimed"]
    assert len(claims) == 1


def test_postgres_desk_log_notes_macros_and_latest_lines(store):
    first, second = ticket(store, "S1"), ticket(store, "S2")
    store.add_message("S1", "customer", "hello?", escalation_id=first)
    store.add_message("S1", "customer", "still there?", escalation_id=first)
    store.add_message("S1", "agent", "Yes, Ann here.", escalation_id=first, author="ann")
    assert store.desk_escalation(first)["waiting_since"] is None
    assert store.desk_escalation(first)["first_response_at"] is not None
    assert store.desk_escalation(second)["waiting_since"] is not None
    assert store.latest_customer_lines([first, second]) == {first: "still there?"}

    note = store.add_note(first, "ann", "refund approved by lead")
    assert store.list_notes(first) == [note]
    store.add_macro("hello", "Hi {customer_name}", "ann")
    with pytest.raises(NotAllowed):
        store.add_macro("hello", "again", "bob")
    assert [m["name"] for m in store.list_macros()] == ["hello"]

    events = store.desk_events()
    assert [e["id"] for e in events] == sorted(e["id"] for e in events)
    assert store.last_desk_event() == events[-1]["id"]
    assert store.desk_events(events[-2]["id"]) == events[-1:]
