"""Drift: recent customer language and agent-labelled accuracy against the training data."""

from __future__ import annotations

import random

from nlu.corpus import read_corpus
from nlu.drift import MIN_MESSAGES, f1_drop, token_shift

TEXTS, _ = read_corpus()


def test_messages_like_the_training_data_are_not_flagged():
    sample = random.Random(3).sample(TEXTS, 120)
    result = token_shift(sample, TEXTS)
    assert result is not None and not result.flagged
    assert result.shift < 0.05


def test_a_new_topic_is_flagged_and_its_words_named():
    crypto = [
        f"how do I stake my {coin} tokens from the {place} wallet"
        for coin in ("eth", "btc", "sol", "ada", "dot")
        for place in ("exchange", "hardware", "mobile", "web")
    ]
    result = token_shift(crypto, TEXTS)
    assert result is not None and result.flagged
    assert result.shift > 0.15
    assert {"stake", "tokens", "wallet"} <= set(result.top_new_words)


def test_too_few_messages_say_nothing():
    assert token_shift(TEXTS[: MIN_MESSAGES - 1], TEXTS) is None


def test_f1_drop_is_flagged_beyond_five_points():
    labels = ["track_order"] * 10 + ["get_refund"] * 10
    good = f1_drop(labels, labels, reference_macro_f1=0.97)
    assert good is not None and not good.flagged and good.recent_macro_f1 == 1.0
    worse = ["track_order"] * 10 + ["get_refund"] * 7 + ["track_order"] * 3
    bad = f1_drop(labels, worse, reference_macro_f1=0.97)
    assert bad is not None and bad.flagged and bad.drop > 0.05
    assert f1_drop([], [], reference_macro_f1=0.97) is None
