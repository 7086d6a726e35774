"""Sentiment labels and scores a support lead would expect."""

import pytest

from nlu.sentiment import SentimentAnalyzer

analyzer = SentimentAnalyzer()


@pytest.mark.parametrize(
    ("text", "label"),
    [
        ("This is ridiculous, I am furious, worst service ever!!", "negative"),
        ("thanks so much, that was great help", "positive"),
        ("where is my order W1234567", "neutral"),
    ],
)
def test_sentiment_label(text, label):
    assert analyzer.analyze(text).label == label


def test_sentiment_score_orders_by_strength():
    mild = analyzer.analyze("the box was a bit damaged").score
    strong = analyzer.analyze("I hate this, it is terrible and useless, awful service").score
    assert -1.0 <= strong < mild < 0.0


@pytest.mark.parametrize(
    "text",
    [
        "I am furious",  # VADER: -0.57, above the -0.7 escalation threshold
        "I'm so angry, my package is lost AGAIN and nobody cares",
        "I'm fed up with waiting",  # VADER: neutral
        "this is unacceptable",
    ],
)
def test_a_customer_saying_they_are_angry_is_flagged(text):
    assert analyzer.analyze(text).angry is True


@pytest.mark.parametrize(
    "text",
    [
        "I'm not angry, just confused where my parcel is",
        "I was angry but the agent fixed it, thanks!",
        "my package is lost",
        "is it acceptable to return it opened?",
    ],
)
def test_negated_resolved_or_calm_messages_are_not_flagged_angry(text):
    assert analyzer.analyze(text).angry is False
