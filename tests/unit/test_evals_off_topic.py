"""Off-topic messages are rarely acted on by the shipped model (target ≤ 10 %)."""

import json

from evals.off_topic import off_topic_acceptance, read_messages
from graph.nlu.corpus import CORPUS_PATH


def test_off_topic_set_is_not_in_the_training_corpus():
    corpus = {json.loads(line)["text"].lower() for line in CORPUS_PATH.read_text().splitlines()}
    messages = read_messages()
    assert len(messages) >= 50
    assert not [m for m in messages if m.lower() in corpus]


def test_shipped_model_accepts_at_most_ten_percent_of_off_topic_messages(built):
    _, services = built
    report = off_topic_acceptance(services.nlu, read_messages(), threshold=0.6)
    assert report["accepted_rate"] <= 0.10, report["accepted"]
