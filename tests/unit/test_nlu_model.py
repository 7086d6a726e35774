"""The trained intent model on the real corpus and encoder: classifier, parser and CLI.

The model trained on the committed corpus comes from the model cache that `support setup`
fills (trained here only when the cache has no model for this corpus, code and encoder):
the metrics it carries are those its training measured. The tests of training itself
(tiny corpora, fine-tuning, the CLI's `train`) train their own models.
"""

from __future__ import annotations

import json
import shutil
from datetime import date

import joblib
import pytest
import torch
from sklearn.linear_model import LogisticRegression
from typer.testing import CliRunner

from app.settings import Settings
from cli.nlu import app
from graph.routing import declines_unsure
from nlu.classifier import MODEL_VERSION, IntentClassifier
from nlu.corpus import CORPUS_PATH, read_background, read_corpus, read_negatives
from nlu.corpus.build_corpus import norm_key
from nlu.finetune import ENCODER_DIR, FinetuneConfig
from nlu.parser import NLU
from nlu.registry import ModelRegistry, load_default, trained_default
from nlu.taxonomy import INTENTS

runner = CliRunner()

NAMED_IN_THE_BRIEF = [
    ("I want to talk to a person", "contact_human_agent"),
    ("where is my order W1234567", "track_order"),
    ("what is your refund policy", "check_refund_policy"),
    ("hello", "greeting"),
]
FRESH = [  # none of these is in the corpus (checked below)
    ("my headphones are broken", "product_defect"),
    ("the tent arrived with a broken pole", "product_defect"),
    ("how do I connect the earbuds to my phone", "technical_support"),
    ("how long does shipping take to Texas", "delivery_period"),
    ("do you deliver on saturdays", "delivery_options"),
    ("when will my refund show up?", "track_refund"),
    ("I want my money back for the backpack", "get_refund"),
    ("can I return the lamp after 40 days?", "check_refund_policy"),
    ("is there a fee if I cancel?", "check_cancellation_fee"),
    ("I was charged twice for my order", "payment_issue"),
    ("show me invoice INV-2026-00042", "check_invoice"),
    ("I need an invoice for my accountant", "get_invoice"),
    ("I'd like to change the address on order W7654321", "change_shipping_address"),
    ("log into my other account", "switch_account"),
    ("I can't sign up, the page errors", "registration_problems"),
    ("what are your phone hours", "contact_customer_service"),
    ("I want to stop getting your emails", "newsletter_subscription"),
    ("I'd love to purchase a fitness watch from you", "place_order"),
    ("what's the weather in Paris", "out_of_scope"),
    ("write a python function to sort a list", "out_of_scope"),
]
ITEM_LEVEL = [  # requests naming an item, the way customers of the imported store write them
    ("Hi, the headphones from W4520484 are not what I expected, I want a refund", "get_refund"),
    ("return the Water Bottle from #W2611340", "get_refund"),
    (
        "I'd like to return the Headphones (over-ear, wireless, blue) and the Vacuum Cleaner "
        "(robotic, bagged, cordless) from order #W7342738",
        "get_refund",
    ),
    ("exchange the headphones for the blue ones", "change_order"),
    ("change the payment method of W5507320 to my paypal", "change_order"),
]
OFF_TOPIC_FRESH = [  # everyday requests and other businesses' questions, in no training file
    "put cereal on the grocery list",
    "what's the forecast for Boston this weekend",
    "turn off the bedroom lights",
    "book a table for two at an italian place tonight",
    "how many tablespoons are in a cup",
    "do you have a favourite movie",
    "my landlord won't return my deposit",
    "cancel my dentist appointment on thursday",
]
GIBBERISH = ["asdfgh", "hmm", "the thing", "qwop zxv", "blorp"]
FLOOR = Settings(_env_file=None).ESCALATION_THRESHOLD
"""The confidence floor the service trains its models for."""


@pytest.fixture(scope="module")
def trained(tmp_path_factory, encoder, intent_cache_dir):
    """(models_dir, metrics, classifier) after one trained_default on the committed corpus."""
    models_dir = tmp_path_factory.mktemp("models")
    metrics = trained_default(models_dir, encoder, intent_cache_dir, confidence_floor=FLOOR)
    return models_dir, metrics, load_default(models_dir, encoder)


def test_nlu_test_sentences_are_not_training_data():
    texts, _ = read_corpus()
    seen = {norm_key(t) for t in [*texts, *read_background()]}
    seen |= {norm_key(t) for _, t in read_negatives()}
    assert [t for t, _ in FRESH + ITEM_LEVEL if norm_key(t) in seen] == []
    assert [t for t in OFF_TOPIC_FRESH if norm_key(t) in seen] == []
    assert [t for t in GIBBERISH if norm_key(t) in seen] == []


def test_nlu_model_metrics_on_the_held_out_split(trained):
    _, metrics, _ = trained
    n = metrics["n_examples"]
    assert metrics["n_train"] + metrics["n_val"] + metrics["n_test"] == n
    # 70/15/15 of the corpus; the negatives' validating domains join the validation part
    corpus = n - metrics["n_negatives"]
    assert abs(metrics["n_val"] - metrics["n_val_negatives"] - 0.15 * corpus) <= len(INTENTS)
    assert abs(metrics["n_test"] - 0.15 * corpus) <= len(INTENTS)
    assert metrics["n_negatives"] >= 1000 and metrics["negative_domains"] >= 30
    gate = metrics["scope_gate"]  # chosen on validation messages the head never trained on
    assert gate["val_in_scope_rejected"] <= 0.01 and gate["val_off_topic_caught"] >= 0.8
    assert metrics["test_accuracy"] >= 0.92
    assert metrics["test_macro_f1"] >= 0.90
    assert metrics["test_in_scope_confident_fraction"] >= 0.80
    assert metrics["test_in_scope_confident_accuracy"] >= 0.95
    assert max(metrics["gibberish_confidence"].values()) < 0.6


@pytest.mark.parametrize(("text", "intent"), NAMED_IN_THE_BRIEF + FRESH + ITEM_LEVEL)
def test_nlu_model_predicts_fresh_sentences_confidently(trained, text, intent):
    prediction = trained[2].predict([text])[0]
    assert (prediction.intent, prediction.confidence >= 0.6) == (intent, True)


@pytest.mark.parametrize("text", OFF_TOPIC_FRESH)
def test_nlu_model_reads_unseen_off_topic_requests_as_off_topic(trained, text):
    # declined by the bot: out_of_scope outright, or no intent sure and the gate says so
    p = trained[2].predict([text])[0]
    confident_off_topic = p.intent == "out_of_scope" and p.confidence >= FLOOR
    unsure_declined = p.confidence < FLOOR and declines_unsure(p.probabilities, p.off_topic, [])
    assert confident_off_topic or unsure_declined, (p.intent, p.confidence, p.off_topic)


def test_nlu_model_gives_gibberish_low_confidence(trained):
    confidences = {
        t: p.confidence for t, p in zip(GIBBERISH, trained[2].predict(GIBBERISH), strict=True)
    }
    assert {t: c for t, c in confidences.items() if c >= 0.6} == {}


def test_nlu_model_save_load_round_trip_predicts_identically(trained, encoder, tmp_path):
    _, _, clf = trained
    texts = [t for t, _ in FRESH] + GIBBERISH
    clf.save(tmp_path / "copy")
    again = IntentClassifier.load(tmp_path / "copy", encoder)
    assert again.predict(texts) == clf.predict(texts)
    meta = json.loads((tmp_path / "copy" / "metadata.json").read_text())
    assert meta["version"] == MODEL_VERSION == "0.2.0"
    assert set(meta) >= {"version", "created", "data_sha256", "params", "metrics", "intents"}
    assert sorted(meta["intents"]) == sorted(INTENTS)
    assert len(meta["data_sha256"]) == 64
    assert meta["params"]["C"] == meta["metrics"]["C"]
    assert meta["params"]["lexical"] is True and meta["params"]["finetune"] is None
    assert meta["metrics"]["lexical_features"] == again.lexical.size > 1000
    assert meta["metrics"]["train_threads"] == 2 and meta["metrics"]["train_seconds"] > 0


def test_nlu_load_default_without_a_model_says_how_to_train(tmp_path, encoder):
    with pytest.raises(
        FileNotFoundError, match="intent model not trained: run `support nlu train`"
    ):
        load_default(tmp_path, encoder)


def test_nlu_parse_to_dict_has_the_public_shape(trained):
    nlu = NLU(trained[2])
    text = "Where is my order #W1234567? I ordered it yesterday"
    parsed = nlu.parse(text, today=date(2026, 3, 18)).to_dict()
    assert list(parsed) == ["text", "intent", "category", "confidence", "entities"]
    assert (parsed["text"], parsed["intent"], parsed["category"]) == (text, "track_order", "ORDER")
    assert parsed["confidence"] == round(parsed["confidence"], 4) >= 0.6
    assert parsed["entities"] == [
        {"type": "order_id", "value": "W1234567", "start": 18, "end": 27},
        {"type": "date", "value": "2026-03-17", "start": 42, "end": 51},
    ]


def test_nlu_parse_many_matches_parse_one_by_one(trained):
    nlu = NLU(trained[2])
    texts = ["hello", "refund $20 for W7654321 please", "bye"]
    today = date(2026, 3, 18)
    batch = [p.to_dict() for p in nlu.parse_many(texts, today=today)]
    single = [nlu.parse(t, today=today).to_dict() for t in texts]
    for b, s in zip(batch, single, strict=True):  # batching pads: floats may differ by 1e-6
        assert b["confidence"] == pytest.approx(s["confidence"], abs=1e-3)
        assert {**b, "confidence": 0} == {**s, "confidence": 0}


@pytest.fixture
def cli_env(settings, monkeypatch):
    """The CLI reads settings from the environment: point it at the temp DATA_DIR."""
    monkeypatch.setenv("DATA_DIR", str(settings.DATA_DIR))
    return settings


def test_nlu_cli_predict_writes_one_json_line_per_message(trained, cli_env):
    shutil.copytree(trained[0] / "intent", cli_env.models_dir / "intent")
    result = runner.invoke(app, ["predict"], input="hello\n\n  \nwhere is my order W1234567\n")
    assert result.exit_code == 0, result.output
    lines = [json.loads(line) for line in result.stdout.splitlines()]
    assert [(r["text"], r["intent"]) for r in lines] == [
        ("hello", "greeting"),
        ("where is my order W1234567", "track_order"),
    ]
    assert all(list(r) == ["text", "intent", "category", "confidence", "entities"] for r in lines)
    assert lines[1]["entities"] == [
        {"type": "order_id", "value": "W1234567", "start": 18, "end": 26}
    ]


def test_nlu_cli_predict_without_a_model_fails_with_one_line(cli_env):
    result = runner.invoke(app, ["predict"], input="hello\n")
    assert result.exit_code == 1
    assert result.stdout == ""
    assert result.stderr.count("\n") == 1
    assert "intent model not trained: run `support nlu train`" in result.stderr


def test_nlu_cli_train_registers_a_version_and_promotes_only_when_asked(trained, cli_env, tmp_path):
    shutil.copytree(trained[0] / "intent", cli_env.models_dir / "intent")
    rows = [json.loads(line) for line in CORPUS_PATH.read_text().splitlines()]
    small = [r for i in INTENTS for r in [r for r in rows if r["intent"] == i][:12]]
    data = tmp_path / "small.jsonl"
    data.write_text("".join(json.dumps(r) + "\n" for r in small))

    result = runner.invoke(app, ["train", "--data", str(data)])

    assert result.exit_code == 0, result.output
    out = json.loads(result.stdout)
    assert (out["version"], out["serving"]) == ("1.1.0", "1.0.0")
    assert out["metrics"]["n_examples"] - out["metrics"]["n_negatives"] == 12 * len(INTENTS)
    registry = ModelRegistry(cli_env.models_dir)
    assert registry.metadata("1.1.0")["metrics"] == out["metrics"]
    assert (registry.folder("1.1.0") / "confusion.png").read_bytes()[:4] == b"\x89PNG"
    report = json.loads((registry.folder("1.1.0") / "report.json").read_text())
    assert set(report["per_intent"]) == set(INTENTS)
    assert len(report["confusion"]["matrix"]) == len(INTENTS)

    listed = runner.invoke(app, ["models", "--json"])
    assert [(r["version"], r["serving"]) for r in json.loads(listed.stdout)] == [
        ("1.0.0", True),
        ("1.1.0", False),
    ]
    assert runner.invoke(app, ["promote", "1.1.0"]).stdout == "serving intent model 1.1.0\n"
    assert registry.serving() == "1.1.0"
    missing = runner.invoke(app, ["promote", "9.9.9"])
    assert missing.exit_code == 1 and "no intent model version '9.9.9'" in missing.stderr
    assert [p.name for p in cli_env.models_dir.iterdir()] == ["intent"]


def test_nlu_cli_train_rejects_a_missing_corpus(cli_env, tmp_path):
    result = runner.invoke(app, ["train", "--data", str(tmp_path / "nope.jsonl")])
    assert result.exit_code == 1
    assert "no such corpus file" in result.stderr


TINY = {
    "track_order": ["where is my order", "track my package", "has my parcel shipped yet",
                    "order status please", "where is my delivery", "is my order on its way"],
    "recover_password": ["I forgot my password", "reset my password", "password reset link",
                         "can't remember my password", "my password doesn't work",
                         "help me recover my password"],
    "greeting": ["hello", "hi there", "good morning", "hey", "hiya", "good afternoon"],
}  # fmt: skip
TINY_PROBES = ["where's my parcel", "forgot password", "hi!", "qwzx plm"]


def tiny_data() -> tuple[list[str], list[str]]:
    return [t for ts in TINY.values() for t in ts], [i for i, ts in TINY.items() for _ in ts]


def test_nlu_model_without_tfidf_is_embeddings_only(encoder):
    clf = IntentClassifier()
    metrics = clf.train(
        *tiny_data(),
        encoder,
        confidence_floor=FLOOR,
        lexical=False,
        background=(),
        test_share=0.0,
    )
    assert clf.lexical is None and metrics["lexical_features"] == 0
    assert (metrics["n_train"], metrics["n_val"], "test_accuracy" in metrics) == (15, 3, False)
    assert [p.intent for p in clf.predict(TINY_PROBES[:3])] == list(TINY)


def test_nlu_model_fine_tuned_round_trips_through_the_registry(encoder, tmp_path):
    clf = IntentClassifier()
    config = FinetuneConfig(epochs=1, batch_size=8)
    lines = []
    metrics = clf.train(
        *tiny_data(),
        encoder,
        confidence_floor=FLOOR,
        C=16.0,
        background=(),
        finetune=config,
        progress=lines.append,
    )
    assert lines and lines[-1].startswith("fine-tuning epoch 1/1: loss ")
    assert metrics["finetune_seconds"] > 0 and len(metrics["embedding_weights"]) == 2
    tuned = clf.tuned.encode(TINY_PROBES)
    assert tuned.shape == (4, 384) and not (tuned == encoder.encode(TINY_PROBES)).all()
    # The word-embedding table stays as shipped; the transformer layers moved.
    words = [
        m.get_input_embeddings().weight
        for m in (clf.tuned._model[0].auto_model, encoder.transformer)
    ]
    assert torch.equal(*words)

    registry = ModelRegistry(tmp_path)
    version = registry.register(clf)
    folder = registry.folder(version)
    assert (folder / ENCODER_DIR / "modules.json").is_file()
    assert registry.listing()[0]["finetuned"] is True
    again = registry.load(version, encoder)
    assert again.metadata["params"]["finetune"] == config.to_dict()
    assert again.predict(TINY_PROBES) == pytest.approx(clf.predict(TINY_PROBES))
    assert [p.intent for p in again.predict(TINY_PROBES[:3])] == list(TINY)


def test_nlu_model_fine_tuning_needs_a_model_folder(encoder):
    class Bare:
        def encode(self, texts):
            return encoder.encode(texts)

    with pytest.raises(ValueError, match="fine-tuning needs an encoder loaded from a model"):
        IntentClassifier().train(
            *tiny_data(), Bare(), confidence_floor=FLOOR, finetune=FinetuneConfig(epochs=1)
        )


def test_nlu_model_reads_a_version_0_1_0_folder(encoder, tmp_path):
    """Models saved before the TF-IDF block (an embeddings-only head) still serve."""
    texts, labels = tiny_data()
    head = LogisticRegression(C=16, max_iter=2000).fit(encoder.encode(texts), labels)
    joblib.dump({"head": head, "temperature": 1.0}, tmp_path / "head.joblib")
    meta = {"version": "0.1.0", "params": {"C": 16}, "intents": list(TINY)}
    (tmp_path / "metadata.json").write_text(json.dumps(meta))
    old = IntentClassifier.load(tmp_path, encoder)
    assert [p.intent for p in old.predict(TINY_PROBES[:3])] == list(TINY)
    meta["version"] = "0.0.9"
    (tmp_path / "metadata.json").write_text(json.dumps(meta))
    with pytest.raises(ValueError, match="has version '0.0.9', expected 0.2.0: retrain it"):
        IntentClassifier.load(tmp_path, encoder)
