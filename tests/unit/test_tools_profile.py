"""Changing a customer's default shipping address: audited, exactly once, theirs only."""

from __future__ import annotations

from datetime import date

import pytest

from tools import profile
from tools.errors import NotAllowed, NotFound
from tools.store.backend import SqlStore
from tools.store.db import session_factory
from tools.store.models import Customer
from tools.store.seed import seed_demo

NEW = "Jordan Rivera, 12 Oak Lane, Apt 3, Portland, OR 97205"


@pytest.fixture
def store(tmp_path) -> SqlStore:
    store = SqlStore.from_url(f"sqlite:///{tmp_path / 'store.sqlite'}")
    seed_demo(store.engine, today=date(2026, 3, 15), customers=5, orders=20)
    return store


def address_of(store: SqlStore, customer_id: str) -> str | None:
    with session_factory(store.engine)() as s:
        return s.get(Customer, customer_id).address


def test_change_default_address_sets_it_once_with_audit(store):
    orders_before = [store.get_order(o.id) for o in store.list_orders("C0001")]
    done = profile.change_default_address(store, "C0001", f"  {NEW} ", "addr-1", "customer:C0001")
    assert done.model_dump() == {"customer_id": "C0001", "before": None, "after": NEW}
    assert profile.change_default_address(store, "C0001", NEW, "addr-1", "customer:C0001") == done
    assert address_of(store, "C0001") == NEW
    [audit] = store.list_audit(entity_id="C0001")
    assert (audit.actor, audit.action, audit.entity) == (
        "customer:C0001",
        "customer.change_address",
        "customer",
    )
    assert (audit.before, audit.after) == ({"address": None}, {"address": NEW})
    # Orders already placed keep their shipping address.
    assert [store.get_order(o.id) for o in store.list_orders("C0001")] == orders_before

    again = profile.change_default_address(store, "C0001", "1 Elm St, Austin, TX 78704", "b", "x")
    assert (again.before, again.after) == (NEW, "1 Elm St, Austin, TX 78704")


def test_change_default_address_refusals_change_nothing(store):
    with pytest.raises(NotAllowed, match="empty"):
        profile.change_default_address(store, "C0001", "   ", "k", "bot")
    with pytest.raises(NotFound):
        profile.change_default_address(store, "C9999", NEW, "k", "bot")
    profile.change_default_address(store, "C0001", NEW, "mine", "bot")
    with pytest.raises(NotAllowed, match="already used for another account"):
        profile.change_default_address(store, "C0002", "1 Elm St, Austin, TX 78704", "mine", "x")
    assert address_of(store, "C0002") is None
    assert store.list_audit(entity_id="C0002") == []
