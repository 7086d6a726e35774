"""Off-topic messages are rarely acted on by the shipped model (target ≤ 10 %)."""

import json

from evals.off_topic import off_topic_acceptance, read_messages
from nlu.corpus import CORPUS_PATH
from tests.fakes import SplitNLU


def test_off_topic_set_is_not_in_the_training_corpus():
    corpus = {json.loads(line)["text"].lower() for line in CORPUS_PATH.read_text().splitlines()}
    messages = read_messages()
    assert len(messages) >= 50
    assert not [m for m in messages if m.lower() in corpus]


def test_shipped_model_accepts_at_most_ten_percent_of_off_topic_messages(built):
    _, services = built
    report = off_topic_acceptance(services.nlu, read_messages(), threshold=0.6)
    assert report["accepted_rate"] <= 0.10, report["accepted"]


def test_a_message_the_help_centre_intents_share_counts_as_accepted():
    split = {"delivery_period": 0.4, "delivery_options": 0.3, "out_of_scope": 0.25}
    report = off_topic_acceptance(SplitNLU(split), ["when does the post office close"], 0.6)
    assert report["accepted_rate"] == 1.0
    assert report["accepted"][0]["intent"] == "delivery_period"
    assert report["accepted"][0]["confidence"] == 0.7
    unsure = SplitNLU({"delivery_period": 0.4, "out_of_scope": 0.5})
    assert off_topic_acceptance(unsure, ["x"], 0.6)["accepted_rate"] == 0.0
