"""A/B serving of two intent model versions, split by a hash of the session id."""

from __future__ import annotations

from nlu.classifier import IntentPrediction
from nlu.parser import NLU, ab_bucket


class Fixed:
    """A stand-in classifier that always predicts one intent."""

    def __init__(self, intent: str) -> None:
        self.intent = intent

    def predict(self, texts):
        return [IntentPrediction(self.intent, "GENERAL", 0.9) for _ in texts]


def test_ab_split_follows_the_share_and_is_stable_per_session():
    nlu = NLU(
        Fixed("greeting"),
        version="1.0.0",
        candidate=Fixed("goodbye"),
        candidate_version="1.1.0",
        candidate_share=0.2,
    )
    versions = [nlu.parse("hi", session_id=f"session-{i}").model_version for i in range(2000)]
    share = versions.count("1.1.0") / len(versions)
    assert 0.17 < share < 0.23
    again = [nlu.parse("hi", session_id=f"session-{i}").model_version for i in range(2000)]
    assert again == versions
    candidate_session = versions.index("1.1.0")
    parse = nlu.parse("hi", session_id=f"session-{candidate_session}")
    assert (parse.intent, parse.model_version) == ("goodbye", "1.1.0")


def test_without_candidate_every_session_gets_the_serving_version():
    nlu = NLU(Fixed("greeting"), version="1.0.0", candidate_share=1.0)
    assert {nlu.parse("x", session_id=str(i)).model_version for i in range(50)} == {"1.0.0"}


def test_ab_bucket_is_in_unit_interval():
    assert all(0.0 <= ab_bucket(str(i)) < 1.0 for i in range(100))
