"""Identity checks of anonymous conversations: bound on a match, limited on misses."""

from __future__ import annotations

import dataclasses
from datetime import date

import pytest
from sqlalchemy import select

from tools.policy import load_policy
from tools.store.backend import SqlStore
from tools.store.db import session_factory
from tools.store.models import Customer
from tools.store.seed import seed_demo
from tools.verification import verify_customer

POLICY = dataclasses.replace(load_policy(), max_verification_attempts=3)


@pytest.fixture(scope="module")
def store(tmp_path_factory) -> SqlStore:
    store = SqlStore.from_url(f"sqlite:///{tmp_path_factory.mktemp('verify') / 's.sqlite'}")
    seed_demo(store.engine, today=date(2026, 3, 15), customers=6, orders=20)
    return store


def jordan(store: SqlStore) -> tuple[str, str, str]:
    with session_factory(store.engine)() as s:
        row = s.scalar(select(Customer).where(Customer.id == "C0001"))
        return row.email, row.name, row.zip_code


def session(store: SqlStore, name: str) -> str:
    store.create_session(name, None)
    return name


def test_email_and_own_order_binds_the_session(store):
    email, _, _ = jordan(store)
    order_id = store.list_orders("C0001")[0].id
    sid = session(store, "v-email")
    result = verify_customer(store, sid, POLICY, email=email.upper(), order_id=f"#{order_id}")
    assert (result.status, result.customer_id) == ("verified", "C0001")
    found = store.session_identity(sid)
    assert (found.customer_id, found.verified_customer_id, found.acting_customer_id) == (
        None,
        "C0001",
        "C0001",
    )
    [audit] = store.list_audit(entity_id=sid)
    assert audit.action == "session.verify.verified"


def test_name_and_zip_bind_the_session_in_any_case(store):
    _, name, zip_code = jordan(store)
    sid = session(store, "v-name")
    result = verify_customer(store, sid, POLICY, name=f"  {name.lower()} ", zip_code=zip_code)
    assert result.status == "verified" and result.customer_id == "C0001"


def test_misses_are_counted_then_locked_even_for_right_details(store):
    email, _, _ = jordan(store)
    theirs = store.list_orders("C0002")[0].id
    sid = session(store, "v-miss")
    first = verify_customer(store, sid, POLICY, email=email, order_id=theirs)
    assert (first.status, first.attempts_left, first.customer_id) == ("failed", 2, None)
    verify_customer(store, sid, POLICY, name="Nobody Here", zip_code="00000")
    third = verify_customer(store, sid, POLICY, email="x@example.com", order_id=theirs)
    assert (third.status, third.attempts_left) == ("locked", 0)
    mine = store.list_orders("C0001")[0].id
    after = verify_customer(store, sid, POLICY, email=email, order_id=mine)
    assert after.status == "locked"
    assert store.session_identity(sid).verified_customer_id is None


def test_verify_needs_a_complete_pair(store):
    with pytest.raises(ValueError, match="email and order_id"):
        verify_customer(store, session(store, "v-half"), POLICY, email="a@example.com")
