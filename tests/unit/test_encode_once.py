"""A turn encodes each distinct text once: the customer's message is read by the intent
classifier, retrieval and the composer, and runs through the model a single time; the
help-centre sentences an answer weighs are encoded once per process, not once per turn."""

from __future__ import annotations

import numpy as np
import pytest

import knowledge.embeddings as embeddings
from nlu.scope import as_float32


@pytest.fixture
def model_calls(monkeypatch) -> list[list[str]]:
    """The texts of every call that reaches the sentence-transformers model."""
    calls: list[list[str]] = []
    real = embeddings.unit_vectors

    def counted(model, texts, batch_size=64):
        calls.append(list(texts))
        return real(model, texts, batch_size)

    monkeypatch.setattr(embeddings, "unit_vectors", counted)
    return calls


def test_repeated_texts_are_encoded_once_and_come_back_in_order(encoder, model_calls):
    texts = ["a parcel went missing", "refund to my card", "a parcel went missing"]
    encoder.forget(texts)

    vectors = encoder.encode(texts)
    again = encoder.encode(["refund to my card"])

    assert [sorted(c) for c in model_calls] == [["a parcel went missing", "refund to my card"]]
    assert vectors.shape == (3, encoder.dimension)
    assert np.allclose(vectors[0], vectors[2]) and np.allclose(again[0], vectors[1])
    assert not np.allclose(vectors[0], vectors[1])


def test_the_cache_is_bounded_and_keeps_the_recently_used():
    cache = embeddings.VectorCache(size=2)
    cache.keep(["one", "two"], np.eye(2, dtype=np.float32))

    cache.found(["one"])  # used: "two" is now the oldest
    cache.keep(["three"], np.ones((1, 2), dtype=np.float32))

    assert len(cache) == 2
    assert cache.found(["two"])["two"] is None
    assert cache.found(["one"])["one"] is not None


def test_a_help_centre_turn_encodes_the_customer_message_once(client, token_for, model_calls):
    message = "what is your return policy for opened items?"
    embeddings.get_encoder("").forget([message])

    reply = client.post("/v1/chat", json={"message": message}, headers=token_for("C0001"))

    assert reply.status_code == 200 and reply.json()["citations"], reply.text
    encoded = [text for call in model_calls for text in call]
    assert encoded.count(message) == 1, model_calls


def test_float16_exemplars_are_converted_once_per_matrix():
    stored = np.ones((4, 3), dtype=np.float16)

    first, second = as_float32(stored), as_float32(stored)
    replaced = as_float32(np.zeros((4, 3), dtype=np.float16))  # a retrained gate's exemplars

    assert first is second and first.dtype == np.float32
    assert replaced is not first and not replaced.any()
