"""Drift: recent customer language and agent-labelled accuracy against the training data."""

from __future__ import annotations

import random

from nlu.corpus import read_corpus
from nlu.drift import MIN_MESSAGES, STOP_WORDS, f1_drop, token_shift, words

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
    labels = ["track_order"] * 20 + ["get_refund"] * 20
    good = f1_drop(labels, labels, reference_macro_f1=0.97)
    assert good.judged and not good.flagged and good.recent_macro_f1 == 1.0
    worse = ["track_order"] * 20 + ["get_refund"] * 14 + ["track_order"] * 6
    bad = f1_drop(labels, worse, reference_macro_f1=0.97)
    assert bad.judged and bad.flagged and bad.drop is not None and bad.drop > 0.05


def test_one_relabel_is_too_few_to_judge():
    # One wrong label is an F1 of 0.000: it says nothing, and the check says so.
    one = f1_drop(["track_order"], ["get_refund"], reference_macro_f1=0.97)
    assert not one.judged and not one.flagged and one.recent_macro_f1 is None
    assert one.note == "too few relabels (n=1, need 30) to judge drift"
    assert f1_drop([], [], reference_macro_f1=0.97).note == (
        "too few relabels (n=0, need 30) to judge drift"
    )
    # the minimum is a parameter (DRIFT_MIN_RELABELS in the CLI)
    assert f1_drop(["track_order"] * 5, ["track_order"] * 5, 0.97, min_turns=5).judged


def test_token_shift_ignores_stop_words_and_digits():
    assert words("Does it ship 2nd-day? Yes, order W1234567 is 10 days late") == [
        "ship", "day", "order", "days", "late",
    ]  # fmt: skip
    chatty = [
        f"yes is it does {n} {coin} wallet stake, is it? yes it does"
        for n in range(10)
        for coin in ("eth", "btc", "sol")
    ]
    result = token_shift(chatty, TEXTS)
    assert result is not None and result.flagged
    assert not set(result.top_new_words) & STOP_WORDS, result.top_new_words
    assert not any(ch.isdigit() for w in result.top_new_words for ch in w)
    assert {"wallet", "stake"} <= set(result.top_new_words)
