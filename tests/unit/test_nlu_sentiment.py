"""Sentiment labels and scores a support lead would expect."""

import pytest

from graph.nlu.sentiment import SentimentAnalyzer

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
