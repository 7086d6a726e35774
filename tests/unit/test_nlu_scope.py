"""Off-topic detection: the negatives corpus, the scope gate, and how routing uses it.

The gate's numbers on outside data come from `support evals off-topic` and
`support evals off-topic-chat`; these tests pin the mechanics on small examples.
"""

from __future__ import annotations

import re

import numpy as np
import pytest

from evals.off_topic_data import read_messages
from graph.routing import decide_route, declines_unsure, repeated_fallback
from nlu.corpus import NEGATIVES_PATH, read_corpus, read_negatives
from nlu.scope import ScopeGate, knn_similarity

HELDOUT = NEGATIVES_PATH.parents[2] / "evals" / "data" / "off_topic_heldout.txt"


def _norm(text: str) -> str:
    return re.sub(r"[^a-z0-9 ]", "", text.lower()).strip()


def test_negatives_are_broad_enough_to_learn_what_is_not_shop_business():
    pairs = read_negatives()
    domains = {domain for domain, _ in pairs}
    assert len(pairs) >= 1000 and len(domains) >= 30
    assert len({_norm(text) for _, text in pairs}) == len(pairs)  # no repeats


def test_held_apart_negatives_never_appear_in_training():
    held = read_messages(HELDOUT)
    texts, _ = read_corpus()
    trained = {_norm(t) for t in texts} | {_norm(t) for _, t in read_negatives()}
    assert len(held) >= 800
    assert not [t for t in held if _norm(t) in trained]


def test_negatives_file_needs_a_domain_before_its_first_message(tmp_path):
    bad = tmp_path / "negatives.txt"
    bad.write_text("# comment\nbook a flight to Lisbon\n[travel]\n")
    with pytest.raises(ValueError, match="before the first"):
        read_negatives(bad)


def _cluster(centre: np.ndarray, n: int, rng: np.random.Generator) -> np.ndarray:
    v = centre + 0.15 * rng.standard_normal((n, centre.size))
    out: np.ndarray = v / np.linalg.norm(v, axis=1, keepdims=True)
    return out


def test_knn_similarity_is_high_near_the_exemplars_and_low_far_away():
    rng = np.random.default_rng(0)
    a, b = np.eye(8)[0], np.eye(8)[1]
    exemplars = _cluster(a, 20, rng)
    near, far = (
        knn_similarity(_cluster(a, 5, rng), exemplars),
        knn_similarity(_cluster(b, 5, rng), exemplars),
    )
    assert near.min() > 0.8 and far.max() < 0.3


def test_gate_rejects_an_unseen_kind_of_request_and_keeps_in_scope_ones():
    rng = np.random.default_rng(1)
    shop, chores, travel = np.eye(16)[0], np.eye(16)[1], np.eye(16)[2]
    inside, outside = _cluster(shop, 60, rng), _cluster(chores, 60, rng)
    # validation: in-scope messages the head is sure of, off-topic ones of a new domain
    val = np.vstack([_cluster(shop, 100, rng), _cluster(travel, 40, rng)])
    p_out = np.r_[rng.uniform(0.0, 0.2, 100), rng.uniform(0.2, 0.6, 40)]
    p_in = np.r_[rng.uniform(0.7, 1.0, 100), rng.uniform(0.1, 0.5, 40)]
    off = np.r_[np.zeros(100, bool), np.ones(40, bool)]
    gate, rates = ScopeGate.fit(inside, outside, val, p_out, p_in, off)
    assert rates["val_in_scope_rejected"] <= 0.01
    assert gate.unsure_threshold <= gate.threshold
    fresh_travel = _cluster(travel, 10, rng)
    assert gate.off_topic(fresh_travel, np.full(10, 0.4), np.full(10, 0.3)).all()
    fresh_shop = _cluster(shop, 10, rng)
    assert not gate.off_topic(fresh_shop, np.full(10, 0.05), np.full(10, 0.9)).any()


def test_gate_needs_both_kinds_of_validation_message():
    v = np.eye(4)[:2]
    with pytest.raises(ValueError, match="in-scope and off-topic"):
        ScopeGate.fit(v, v, v, np.zeros(2), np.ones(2), np.zeros(2, bool))


HELP_CENTRE_SPLIT = {"product_defect": 0.35, "technical_support": 0.3, "out_of_scope": 0.2}


def test_an_off_topic_reading_gets_no_help_centre_guess():
    # the help-centre intents together clear the threshold: answered from the KB ...
    kb = decide_route("product_defect", 0.35, HELP_CENTRE_SPLIT, 0.6)
    assert kb.route == "knowledge"
    # ... unless the scope gate reads the message as off-topic: then no intent is sure
    gated = decide_route("product_defect", 0.35, HELP_CENTRE_SPLIT, 0.6, off_topic=True)
    assert (gated.route, gated.reason) == ("escalate", "low_confidence")
    # a side question while an offer waits still goes to the help centre
    held = decide_route("product_defect", 0.35, HELP_CENTRE_SPLIT, 0.6, off_topic=True, held=True)
    assert held.route == "knowledge"


def test_unsure_noise_gets_a_question_back_and_unsure_off_topic_the_fallback():
    # "hmm": the head's hidden noise class holds most of the probability
    assert not declines_unsure({"out_of_scope": 0.1, "greeting": 0.05}, False, [])
    # "what's the tallest mountain": out_of_scope is the likeliest reading
    assert declines_unsure({"out_of_scope": 0.45, "place_order": 0.3, "review": 0.2}, False, [])
    # "add milk to my shopping list": the gate says off-topic, the head leans place_order
    split = {"place_order": 0.45, "out_of_scope": 0.35, "delivery_options": 0.1}
    assert declines_unsure(split, True, []) and not declines_unsure(split, False, [])
    # ... but never a message naming one of the shop's orders
    assert not declines_unsure(split, True, [{"type": "order_id", "value": "W1234567"}])


def test_a_second_declined_message_in_a_row_gets_a_person():
    said = [
        {"role": "customer", "content": "add milk to my list"},
        {"role": "assistant", "content": "I'm sorry, I can only help with ...", "declined": True},
    ]
    assert repeated_fallback(True, said)
    assert not repeated_fallback(False, said)  # this one was understood
    # read as off-topic but answered from the help centre: not a fallback
    answered = [said[0], {**said[1], "declined": False}]
    assert not repeated_fallback(True, answered)
    # after the classify node the transcript already ends with this message
    now = [*said, {"role": "customer", "content": "and the weather?"}]
    assert repeated_fallback(True, now, includes_this_message=True)
    # transcripts from before replies recorded it still count the fallback intent
    assert repeated_fallback(True, [{"role": "customer", "intent": "out_of_scope"}])
