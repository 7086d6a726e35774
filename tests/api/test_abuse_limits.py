"""Abuse limits: identity guessing across conversations, ticket floods, message floods,
the lifetime of an anonymous caller's proof, and limits shared by app instances."""

from __future__ import annotations

import dataclasses
import re
from collections.abc import Iterator
from concurrent.futures import ThreadPoolExecutor
from contextlib import contextmanager
from datetime import timedelta

import pytest
from fastapi.testclient import TestClient
from sqlalchemy import update

from app.limits import abuse_limits
from app.main import create_app
from tests.api.helpers import chat, order_of
from tools.store.backend import SqlStore
from tools.store.db import session_factory
from tools.store.limits import Check, Limit
from tools.store.models import ChatSession, utcnow

JORDAN = "jordan.rivera@example.com"  # C0001
PAUSED = "identity checks are paused after several unsuccessful attempts"
LIMITED = "Our team already has your recent requests"


@contextmanager
def app_client(
    app_settings, services, *, address: str = "203.0.113.7", store=None, **settings
) -> Iterator[TestClient]:
    """A TestClient from one client address, for an app with these settings; `store`
    (a second SqlStore on the same database) makes it another instance, like a worker."""
    configured = app_settings.model_copy(update=settings)
    wired = dataclasses.replace(
        services, store=store or services.store, limits=abuse_limits(configured)
    )
    with TestClient(create_app(configured, services=wired), client=(address, 50000)) as c:
        yield c


def guess(client, email: str, order_id: str) -> dict:
    """One identity guess in a fresh conversation."""
    return chat(client, f"where is my order? {email} {order_id}")


def test_guesses_over_fresh_sessions_pause_at_the_identity_limit(app_settings, services):
    order_id = order_of(services, "C0001", "shipped")
    tracking = services.store.get_order(order_id).tracking_number
    with app_client(app_settings, services) as client:
        for n in range(5):
            out = guess(client, JORDAN, f"W99999{n:02d}")
            assert out["reply"].startswith("Sorry, those details don't match an account.")
        right = guess(client, JORDAN, order_id)
        # The right answer is refused too while paused, or guessing would go on.
        assert PAUSED in right["reply"] and "try again in about 3 minutes" in right["reply"]
        assert tracking not in right["reply"]
        paused = right["actions"][-1]
        assert (paused["tool"], paused["status"]) == ("verify_identity", "paused")
        assert 120 < int(re.fullmatch(r"retry in (\d+) s", paused["detail"])[1]) <= 180
        assert services.store.session_identity(right["session_id"]).verified_customer_id is None
        # Another customer's check from the same address is not affected.
        other = guess(client, "nobody@example.com", "W1234567")
        assert other["reply"].startswith("Sorry, those details don't match an account.")


def test_pause_does_not_tell_whether_the_identity_exists(app_settings, services):
    replies = []
    with app_client(app_settings, services, VERIFY_FAILURES_PER_IDENTITY=2) as client:
        for email in (JORDAN, "no.such.person@example.com"):
            for n in range(2):
                guess(client, email, f"W99998{n:02d}")
            replies.append(guess(client, email, "W9999900")["reply"])
    assert replies[0] == replies[1] and PAUSED in replies[0]


def test_guessing_zip_codes_for_a_name_is_paused(app_settings, services):
    store = services.store
    wired = dataclasses.replace(services, limits=abuse_limits(app_settings))
    name = store.get_customer("C0001").name
    results = []
    for n in range(6):
        sid = f"zip-guess-{n}"
        store.create_session(sid, None)
        results.append(
            store.verify_identity(sid, name=name, zip_code=f"0000{n}", abuse=wired.limits)
        )
    assert [r.status for r in results] == ["failed"] * 5 + ["paused"]
    assert results[-1].retry_after == 180


def test_guesses_from_one_address_are_paused_across_identities(app_settings, services):
    order_id = order_of(services, "C0001", "shipped")
    with app_client(app_settings, services, VERIFY_FAILURES_PER_CLIENT=3) as client:
        for n in range(3):
            guess(client, f"someone{n}@example.com", f"W99997{n:02d}")
        right = guess(client, JORDAN, order_id)
        assert PAUSED in right["reply"] and "about 20 minutes" in right["reply"]
    with app_client(app_settings, services, address="198.51.100.9") as elsewhere:
        out = guess(elsewhere, JORDAN, order_id)
        assert services.store.session_identity(out["session_id"]).verified_customer_id == "C0001"


def test_person_requests_from_one_address_open_at_most_the_limit_of_tickets(app_settings, services):
    with app_client(app_settings, services) as client:
        outs = [chat(client, "I want to talk to a person") for _ in range(6)]
        assert [o["escalated"] for o in outs] == [True] * 5 + [False]
        assert LIMITED in outs[-1]["reply"] and "ask again in about 12 minutes" in outs[-1]["reply"]
        assert outs[-1]["actions"][-1]["status"] == "limited"
        assert len(services.store.list_escalations()) == 5
        # The conversation's own ticket still takes more messages.
        again = chat(client, "a person please", session_id=outs[0]["session_id"])
        assert again["escalation"] == outs[0]["escalation"]
        assert again["reply"].startswith("Your conversation is already with our team")
    assert len(services.store.list_escalations()) == 5


def test_signed_in_customer_tickets_are_limited_per_customer(app_settings, services, token_for):
    with app_client(app_settings, services, TICKETS_PER_CUSTOMER=1) as client:
        first = chat(client, "I want to talk to a person", headers=token_for("C0002"))
        second = chat(client, "I want to talk to a person", headers=token_for("C0002"))
        other = chat(client, "I want to talk to a person", headers=token_for("C0003"))
    assert (first["escalated"], second["escalated"], other["escalated"]) == (True, False, True)
    assert LIMITED in second["reply"]


def test_message_flood_gets_429_with_retry_after(app_settings, services):
    with app_client(app_settings, services, TURNS_PER_CLIENT_PER_MINUTE=3) as client:
        sid = chat(client, "hello")["session_id"]
        chat(client, "thanks", session_id=sid)
        chat(client, "hi again", session_id=sid)
        refused = client.post("/v1/chat", json={"message": "hello?", "session_id": sid})
        streamed = client.post("/v1/chat/stream", json={"message": "hello?", "session_id": sid})
    with app_client(app_settings, services, address="198.51.100.9") as elsewhere:
        assert elsewhere.post("/v1/chat", json={"message": "hello"}).status_code == 200
    for response in (refused, streamed):
        assert response.status_code == 429
        wait = int(response.headers["Retry-After"])
        assert 0 < wait <= 20  # a message every 20 s once the burst of 3 is spent
        assert response.json()["error"] == {
            "code": "rate_limited",
            "message": f"too many messages in the last minute; send the next one in {wait} s",
        }


def test_signed_in_customer_flood_is_limited_from_any_address(app_settings, services, token_for):
    me = token_for("C0001")
    with app_client(app_settings, services, TURNS_PER_CUSTOMER_PER_MINUTE=2) as one:
        chat(one, "hello", headers=me)
    with app_client(
        app_settings, services, address="198.51.100.9", TURNS_PER_CUSTOMER_PER_MINUTE=2
    ) as two:
        chat(two, "hello", headers=me)
        refused = two.post("/v1/chat", json={"message": "hello"}, headers=me)
        assert refused.status_code == 429 and 0 < int(refused.headers["Retry-After"]) <= 30
        assert chat(two, "hello", headers=token_for("C0002"))["reply"]


def test_new_conversation_flood_gets_429_but_existing_ones_go_on(app_settings, services):
    with app_client(app_settings, services, SESSIONS_PER_CLIENT_PER_MINUTE=2) as client:
        sid = chat(client, "hello")["session_id"]
        chat(client, "hello")
        refused = client.post("/v1/chat", json={"message": "hello"})
        assert refused.status_code == 429 and 0 < int(refused.headers["Retry-After"]) <= 30
        assert "too many new conversations" in refused.json()["error"]["message"]
        assert chat(client, "thanks", session_id=sid)["session_id"] == sid


def test_expired_proof_of_identity_is_asked_for_again(app_settings, services):
    order_id = order_of(services, "C0001", "shipped")
    tracking = services.store.get_order(order_id).tracking_number
    with app_client(app_settings, services) as client:
        first = guess(client, JORDAN, order_id)
        sid = first["session_id"]
        assert tracking in first["reply"]
        with session_factory(services.store.engine).begin() as s:
            s.execute(
                update(ChatSession)
                .where(ChatSession.id == sid)
                .values(verified_until=utcnow() - timedelta(seconds=1))
            )
        later = chat(client, f"where is order {order_id}?", session_id=sid)
        assert "the identity check from earlier in this conversation has expired" in later["reply"]
        assert tracking not in later["reply"]
        again = chat(client, f"{JORDAN} {order_id}", session_id=sid)
        assert tracking in again["reply"]


def test_proof_lasts_the_configured_time(app_settings, services):
    order_id = order_of(services, "C0001", "shipped")
    with app_client(app_settings, services, VERIFIED_SESSION_SECONDS=600) as client:
        sid = guess(client, JORDAN, order_id)["session_id"]
    with session_factory(services.store.engine)() as s:
        until = s.get(ChatSession, sid).verified_until
    assert timedelta(seconds=590) < until - utcnow() <= timedelta(seconds=600)


def test_limits_hold_across_two_app_instances(app_settings, services):
    second_store = SqlStore.from_url(app_settings.database_url)
    order_id = order_of(services, "C0001", "shipped")
    limits = {"TURNS_PER_CLIENT_PER_MINUTE": 3, "VERIFY_FAILURES_PER_IDENTITY": 2}
    with (
        app_client(app_settings, services, **limits) as one,
        app_client(app_settings, services, store=second_store, **limits) as two,
    ):
        guess(one, JORDAN, "W9999601")
        guess(two, JORDAN, "W9999602")
        assert PAUSED in guess(one, JORDAN, order_id)["reply"]
        assert two.post("/v1/chat", json={"message": "hello"}).status_code == 429
    second_store.engine.dispose()


@pytest.fixture(params=["sqlite", "postgres"])
def any_store(request, app_settings) -> Iterator[tuple[SqlStore, SqlStore]]:
    """Two stores (two engines, like two workers) over one database of each kind."""
    url = (
        app_settings.database_url
        if request.param == "sqlite"
        else request.getfixturevalue("postgres_url")
    )
    pair = (SqlStore.from_url(url), SqlStore.from_url(url))
    yield pair
    for store in pair:
        store.engine.dispose()


def test_concurrent_hits_never_spend_more_than_the_limit(any_store):
    one, two = any_store
    check = [Check("test", "203.0.113.7", Limit(5, 60))]
    with ThreadPoolExecutor(8) as pool:
        waits = list(pool.map(lambda i: (one, two)[i % 2].hit_limits(check), range(12)))
    assert waits.count(None) == 5
    assert all(0 < w <= 12 for w in waits if w is not None)  # one more every 12 s
    assert one.hit_limits([Check("test", "198.51.100.9", Limit(5, 60))]) is None
    assert one.hit_limits([Check("test", "203.0.113.7", Limit(0, 60))]) is None  # off
