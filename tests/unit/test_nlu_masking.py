"""Concrete values are masked before intent classification (issue 18: long messages)."""

from __future__ import annotations

import doctest
from pathlib import Path

import pytest

import nlu.masking
from nlu.masking import (
    MASKING_VERSION,
    OUTSIDE_CODE,
    PLACEHOLDERS,
    Span,
    find_spans,
    mask,
    mask_many,
)


def test_masking_doctests_hold():
    assert doctest.testmod(nlu.masking).failed == 0


@pytest.mark.parametrize(
    ("text", "kind", "value"),
    [
        ("where is order #W7654321 now", "order_id", "#W7654321"),
        ("status of order number 4455667 please", "order_id", "4455667"),
        ("send me INV-2026-00042 again", "invoice_id", "INV-2026-00042"),
        ("my parcel 1Z999AA10123456784 is stuck", "tracking_number", "1Z999AA10123456784"),
        ("you charged me $84.10 twice", "money", "$84.10"),
        ("write to sam.lee@example.org instead", "email", "sam.lee@example.org"),
        ("call me on +1 202 555 0143 tomorrow", "phone", "+1 202 555 0143"),
        ("hi, my name is Jordan Rivera and I need help", "person_name", "Jordan Rivera"),
        ("I placed it on March 3 and nothing came", "date", "March 3"),
        (
            "ship it to 12 Oak Lane, Apt 3, Portland, OR 97205 please",
            "address",
            "12 Oak Lane, Apt 3, Portland, OR 97205",
        ),
        (
            "return the Garden Chair (teak, folding, natural) please",
            "product",
            "Garden Chair (teak, folding, natural)",
        ),
        ("return the red kettle (1.5L, steel) please", "product", "red kettle (1.5L, steel)"),
        ("the slippers (size 9, wool) are too small", "product", "slippers (size 9, wool)"),
        ("is the Aurora Wireless Headphones in stock", "product", "Aurora Wireless Headphones"),
        ("they sent it (size 9, wool) too late", "variants", " (size 9, wool)"),
    ],
)
def test_each_type_is_found_with_its_span(text, kind, value):
    spans = [s for s in find_spans(text) if s.type == kind]
    assert [text[s.start : s.end] for s in spans] == [value]


def test_every_span_type_has_a_placeholder():
    spans = find_spans(
        "Hello, my name is Jordan Rivera. Please send order W1234567 (the Desk Fan (white, "
        "quiet) and the Floor Rug (wool, 2x3m)) to 9 Elm Street, Austin, TX 78704 instead, "
        "I paid $40 on 3/14/2026, mail jr@example.com or call +1 202 555 0143."
    )
    assert {s.type for s in spans} <= set(PLACEHOLDERS)
    assert {"person_name", "order_id", "product", "address", "money", "date", "email", "phone"} <= {
        s.type for s in spans
    }
    assert all(a.end <= b.start for a, b in zip(spans, spans[1:], strict=False))


def test_a_list_of_products_becomes_one_product():
    text = (
        "I'd like to return the Desk Fan (white, quiet), the Floor Rug (wool, 2x3m) and "
        "the Cake Tin (round) from order #W1234567"
    )
    assert find_spans(text)[0] == Span(text.index("Desk"), text.index(" from"), "product")
    assert mask(text) == "I'd like to return the [product] from order [order_id]"


def test_a_long_request_masks_to_about_its_short_form():
    long = (
        "Hello, this is Jordan Rivera. I need order W8343509 (the Desk Fan (white, quiet) "
        "and the Floor Rug (wool, 2x3m)) delivered to 629 Sunset Drive, Suite 581, San Diego, "
        "CA 92159 instead of 377 Maple Drive, Suite 683, Denver, CO 80263."
    )
    assert mask(long) == (
        "Hello, this is [name]. I need order [order_id] (the [product]) delivered to "
        "[address] instead of [address]."
    )


@pytest.mark.parametrize(
    "text",
    [
        "I want to return the Desk Fan (white, quiet) from #W1234567",
        "ship order W1234567 to 9 Elm Street, Austin, TX 78704",
        "my name is Jordan Rivera, mail jr@example.com, I paid $40 yesterday",
        "refund (please)",
        "where is my order",
        "",
    ],
)
def test_masking_is_idempotent(text):
    once = mask(text)
    assert mask(once) == once


def test_words_that_carry_the_intent_are_kept():
    for text in (
        "I want a refund",
        "how do I change my shipping address?",
        "cancel my order please",
        "what payment methods do you accept (cards, PayPal)?",
    ):
        masked = mask(text)
        for word in ("refund", "change", "shipping", "address", "cancel", "payment"):
            assert (word in text) == (word in masked)


def test_mask_many_and_version():
    texts = ["cancel order W1234567", "hello"]
    assert mask_many(texts) == ["cancel order [order_id]", "hello"]
    assert isinstance(MASKING_VERSION, int) and MASKING_VERSION >= 1


def test_the_model_cache_key_covers_the_masking_code(encoder, monkeypatch, tmp_path):
    import nlu.cache
    from nlu.cache import NLU_DIR, training_inputs, training_key

    assert Path(nlu.masking.__file__).resolve().parent == NLU_DIR  # hashed with nlu/*.py
    before = training_inputs(encoder)
    assert before is not None and before["masking_code_sha256"]
    edited = tmp_path / "addresses.py"
    edited.write_text(OUTSIDE_CODE[0].read_text() + "\n# edited\n")
    monkeypatch.setattr(nlu.cache, "OUTSIDE_CODE", (edited, *OUTSIDE_CODE[1:]))
    nlu.cache._masking_digest.cache_clear()
    try:
        assert training_key(training_inputs(encoder)) != training_key(before)
    finally:
        monkeypatch.undo()
        nlu.cache._masking_digest.cache_clear()


def test_models_saved_without_masking_load_with_masking_off(tmp_path):
    import json

    import joblib

    from nlu.classifier import HEAD_FILE, META_FILE, MODEL_VERSION, IntentClassifier

    assert IntentClassifier().masking is True
    joblib.dump({"head": None, "temperature": 1.0}, tmp_path / HEAD_FILE)
    for params, expected in (({}, False), ({"masking": MASKING_VERSION}, True)):
        meta = {"version": MODEL_VERSION, "params": {"finetune": None, **params}}
        (tmp_path / META_FILE).write_text(json.dumps(meta))
        assert IntentClassifier.load(tmp_path, encoder=None).masking is expected  # type: ignore[arg-type]
