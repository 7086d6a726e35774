"""The 70/15/15 split (85/15 without an internal test part) keeps every intent's share in
each part (stratified, seeded)."""

from collections import Counter

import numpy as np

from nlu.classifier import _split
from nlu.corpus import read_corpus


def test_split_is_stratified_70_15_15_and_disjoint():
    _, labels = read_corpus()
    y = np.asarray(labels)
    train, val, test = _split(y)
    assert len(set(train) | set(val) | set(test)) == len(y)
    assert not (set(train) & set(val) or set(train) & set(test) or set(val) & set(test))
    total = Counter(y)
    for part, share in ((train, 0.70), (val, 0.15), (test, 0.15)):
        counts = Counter(y[part])
        for intent, n in total.items():
            assert abs(counts[intent] - share * n) <= 1.5, (intent, counts[intent], share * n)


def test_split_is_the_same_every_time():
    _, labels = read_corpus()
    y = np.asarray(labels)
    first, second = _split(y), _split(y)
    assert all((a == b).all() for a, b in zip(first, second, strict=True))


def test_split_without_internal_test_is_stratified_85_15():
    _, labels = read_corpus()
    y = np.asarray(labels)
    train, val, test = _split(y, test_share=0.0)
    assert len(test) == 0 and len(train) + len(val) == len(y)
    assert not set(train) & set(val)
    for intent, n in Counter(y).items():
        assert abs(Counter(y[val])[intent] - 0.15 * n) <= 1.5, intent
