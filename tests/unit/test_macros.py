"""Saved replies: placeholders filled from the conversation, typos caught, starters added once."""

from __future__ import annotations

from app.macros import STARTER, add_starter_macros, render, unknown_placeholders, values
from tools.store.backend import SqlStore


def test_every_starter_reply_uses_only_known_placeholders():
    assert all(unknown_placeholders(text) == [] for text in STARTER.values())
    assert unknown_placeholders("Hi {customer_nmae}, re {order_id} {x}") == ["customer_nmae", "x"]


def test_filled_where_known_left_visible_where_not():
    filled = values({"name": "Ada Lovelace"}, "ann", {"id": "W1234567", "status": "shipped"})
    text, missing = render(STARTER["Tracking"], filled)
    assert text.startswith("Hi Ada, order W1234567 is shipped; it travels with {carrier}")
    assert missing == ["carrier", "tracking_number"]
    assert render("{agent_name}", values(None, "bob", None)) == ("bob", [])


def test_setup_adds_the_starters_once_and_never_over_an_agents_own(tmp_path):
    store = SqlStore.from_url(f"sqlite:///{tmp_path / 'store.sqlite'}")
    assert add_starter_macros(store) == len(STARTER)
    assert add_starter_macros(store) == 0
    own = SqlStore.from_url(f"sqlite:///{tmp_path / 'own.sqlite'}")
    own.add_macro("Mine", "Hello", "ann")
    assert add_starter_macros(own) == 0 and [m["name"] for m in own.list_macros()] == ["Mine"]
