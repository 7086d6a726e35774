"""Off-topic messages are rarely acted on by the shipped model (target ≤ 10 %); the routing
report tells accepted, small talk, declined and unclear apart, per domain; Banking77 is
read through a label -> scope mapping and scored on both sides; NLU++ through a module ->
scope rule, its dialogue-act-only messages reported apart as small talk."""

import json

import pytest
from typer.testing import CliRunner

from cli import cli
from evals.off_topic import off_topic_acceptance
from evals.off_topic_data import (
    ACT,
    BANKING77,
    NLUPP,
    OFF_TOPIC,
    SMALLTALK,
    DatasetError,
    Message,
    load_nlupp_scope,
    load_scope,
    nlupp_folds,
    nlupp_scope,
    read_banking77,
    read_domains,
    read_messages,
    read_nlupp,
)
from nlu.corpus import CORPUS_PATH
from nlu.taxonomy import INTENTS
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


@pytest.mark.parametrize(
    ("split", "text", "outcome"),
    [
        ({"out_of_scope": 0.9, "greeting": 0.1}, "tell me a joke", "declined"),
        ({"out_of_scope": 0.45, "track_order": 0.3, "get_refund": 0.25}, "hmm", "declined"),
        ({"track_order": 0.45, "out_of_scope": 0.3, "get_refund": 0.25}, "hmm", "unclear"),
        ({"greeting": 0.95, "out_of_scope": 0.05}, "hello there", "smalltalk"),
        ({"out_of_scope": 0.9, "greeting": 0.1}, "thanks a lot", "smalltalk"),
        ({"out_of_scope": 0.9, "greeting": 0.1}, "are you a bot?", "smalltalk"),
        ({"track_order": 0.9, "out_of_scope": 0.1}, "where's my parcel", "accepted"),
    ],
)
def test_each_message_gets_one_outcome_and_small_talk_is_not_accepted(split, text, outcome):
    report = off_topic_acceptance(SplitNLU(split), [text], 0.6)
    side = report["off_topic"]
    assert side["counts"][outcome] == 1
    assert sum(side["counts"].values()) == 1
    assert report["accepted_rate"] == (1.0 if outcome == "accepted" else 0.0)


def test_domain_headers_and_comments_split_the_report_per_domain(tmp_path):
    headed = tmp_path / "heldout.txt"
    headed.write_text(
        "# a comment\n\n[weather]\nwill it rain\n# another\nis it cold\n[cooking]\nboil an egg\n",
        encoding="utf-8",
    )
    plain = tmp_path / "plain.txt"
    plain.write_text("who won the cup\n", encoding="utf-8")
    messages = read_domains([headed, plain])
    assert [(m.text, m.domain) for m in messages] == [
        ("will it rain", "weather"),
        ("is it cold", "weather"),
        ("boil an egg", "cooking"),
        ("who won the cup", "plain"),
    ]
    assert read_messages(headed) == ["will it rain", "is it cold", "boil an egg"]
    report = off_topic_acceptance(SplitNLU({"out_of_scope": 0.9, "greeting": 0.1}), messages, 0.6)
    by_domain = report["off_topic"]["by_domain"]
    assert {d: v["n"] for d, v in by_domain.items()} == {"weather": 2, "cooking": 1, "plain": 1}
    assert by_domain["weather"]["rates"]["declined"] == 1.0


def test_the_banking77_mapping_covers_77_labels_and_keeps_few_in_scope():
    scope = load_scope()
    assert len(scope) == 77
    in_scope = {label: s.scope for label, s in scope.items() if s.scope != OFF_TOPIC}
    assert in_scope["request_refund"] == "get_refund"
    assert in_scope["Refund_not_showing_up"] == "track_refund"
    assert in_scope["transaction_charged_twice"] == "payment_issue"
    assert len(in_scope) <= 8
    assert set(in_scope.values()) <= set(INTENTS)
    assert all(s.reason for s in scope.values())
    assert scope["card_arrival"].scope == OFF_TOPIC


def test_a_mapping_with_an_unknown_intent_or_no_reason_is_refused(tmp_path):
    bad = tmp_path / "scope.toml"
    bad.write_text('[labels]\ncard_arrival = { scope = "bank_card", reason = "x" }\n')
    with pytest.raises(DatasetError, match="bank_card"):
        load_scope(bad)
    bad.write_text('[labels]\ncard_arrival = { scope = "off_topic" }\n')
    with pytest.raises(DatasetError, match="reason"):
        load_scope(bad)


def _banking_csv(tmp_path, extra=()):
    rows = [("I want a refund for an item", "request_refund")] * 4
    rows += [(f"has my new card been posted {i}", "card_arrival") for i in range(6)]
    rows += [("what is the euro rate today", "exchange_rate")] * 2
    rows += list(extra)
    path = tmp_path / "train.csv"
    path.write_text("text,category\n" + "".join(f'"{t}",{c}\n' for t, c in rows))
    return path


def test_banking77_rows_are_sampled_by_label_and_an_unknown_label_is_refused(tmp_path):
    scope = load_scope()
    sample = read_banking77(_banking_csv(tmp_path), scope, n=6, seed=1)
    assert len(sample) == 6
    assert sample == read_banking77(_banking_csv(tmp_path), scope, n=6, seed=1)
    by_label = {m.label: 0 for m in sample}
    for m in sample:
        by_label[m.label] += 1
    assert by_label == {"card_arrival": 3, "request_refund": 2, "exchange_rate": 1}
    assert {m.domain for m in sample} == {BANKING77}
    assert {m.expected for m in sample if m.label == "request_refund"} == {"get_refund"}
    unknown = _banking_csv(tmp_path, [("buy me a yacht", "yacht_purchase")])
    with pytest.raises(DatasetError, match="yacht_purchase"):
        read_banking77(unknown, scope, n=6)


def test_banking77_scores_both_sides():
    messages = [
        Message("has my card arrived", BANKING77, OFF_TOPIC, "card_arrival"),
        Message("I want a refund", BANKING77, "get_refund", "request_refund"),
    ]
    report = off_topic_acceptance(SplitNLU({"get_refund": 0.9, "out_of_scope": 0.1}), messages, 0.6)
    assert report["n"] == 1 and report["accepted_rate"] == 1.0
    inside = report["in_scope"]
    assert inside["n"] == 1
    assert inside["rates"]["accepted"] == 1.0
    assert inside["mapped_intent"] == {"count": 1, "rate": 1.0}


def test_command_reports_per_domain_over_several_files(built, monkeypatch, tmp_path):
    settings, _ = built
    monkeypatch.setenv("DATA_DIR", str(settings.data_dir))
    first = tmp_path / "a.txt"
    first.write_text("[sport]\nwho won the world cup in 2014\n[space]\nhow many moons has Mars\n")
    second = tmp_path / "b.txt"
    second.write_text("hello there\n")
    args = ["evals", "off-topic", "--path", str(first), "--path", str(second), "--json"]
    result = CliRunner().invoke(cli, args)
    assert result.exit_code == 0, result.output
    report = json.loads(result.stdout)
    assert report["n"] == 3
    side = report["off_topic"]
    assert set(side["by_domain"]) == {"sport", "space", "b"}
    assert side["by_domain"]["b"]["counts"]["smalltalk"] == 1
    assert sum(side["counts"].values()) == 3


def test_command_refuses_a_missing_file_and_an_unmapped_banking77_label(tmp_path):
    result = CliRunner().invoke(cli, ["evals", "off-topic", "--path", str(tmp_path / "no.txt")])
    assert result.exit_code == 1
    assert "no such file" in result.output
    csv_file = _banking_csv(tmp_path, [("buy me a yacht", "yacht_purchase")])
    result = CliRunner().invoke(cli, ["evals", "off-topic", "--banking77", str(csv_file)])
    assert result.exit_code == 1
    assert "yacht_purchase" in result.output


def test_the_nlupp_mapping_puts_refunds_in_scope_and_bank_and_hotel_topics_off():
    modules = load_nlupp_scope()
    assert modules["refund"].scope == "track_refund"
    assert [m for m, s in modules.items() if s.scope not in (OFF_TOPIC, ACT)] == ["refund"]
    assert {modules[m].scope for m in ("card", "loan", "pin", "limits", "check_in")} == {OFF_TOPIC}
    assert {modules[m].scope for m in ("affirm", "thank", "handoff", "how", "change")} == {ACT}
    assert all(s.reason for s in modules.values())


@pytest.mark.parametrize(
    ("intents", "scope"),
    [
        (["refund", "card", "arrival"], "track_refund"),
        (["refund"], "track_refund"),
        (["how_long", "pin", "arrival", "new"], OFF_TOPIC),
        (["room_service", "request_info"], OFF_TOPIC),
        (["affirm", "thank"], SMALLTALK),
        (["make_open_apply_setup_get_activate", "acknowledge"], SMALLTALK),
        ([], SMALLTALK),
    ],
)
def test_an_nlupp_message_is_in_scope_off_topic_or_small_talk_by_its_modules(intents, scope):
    assert nlupp_scope(intents, load_nlupp_scope()) == scope


def test_a_module_mapping_with_an_unknown_scope_or_no_reason_is_refused(tmp_path):
    bad = tmp_path / "scope.toml"
    bad.write_text('[modules]\ncard = { scope = "bank_card", reason = "x" }\n')
    with pytest.raises(DatasetError, match="bank_card"):
        load_nlupp_scope(bad)
    bad.write_text('[modules]\ncard = { scope = "off_topic", reason = " " }\n')
    with pytest.raises(DatasetError, match="empty reason"):
        load_nlupp_scope(bad)
    bad.write_text('[labels]\ncard_arrival = { scope = "act", reason = "x" }\n')
    with pytest.raises(DatasetError, match="act"):
        load_scope(bad)


def _nlupp_dir(tmp_path, extra=()):
    rows = [
        {"text": f"my card {i} has not arrived", "intents": ["card", "arrival"]} for i in range(6)
    ]
    rows += [{"text": "where is the refund from the shop", "intents": ["refund", "when"]}] * 2
    second = [{"text": f"yes please {i}", "intents": ["affirm"]} for i in range(3)]
    second += [{"text": "", "intents": ["thank"]}, *extra]
    folder = tmp_path / "nlupp"
    (folder / "banking").mkdir(parents=True)
    (folder / "banking" / "fold0.json").write_text(json.dumps(rows))
    (folder / "banking" / "fold1.json").write_text(json.dumps(second))
    (folder / "banking" / "notes.json").write_text("not a fold")
    return folder


def test_nlupp_rows_are_sampled_by_scope_and_all_read_when_n_is_larger(tmp_path):
    folder, modules = _nlupp_dir(tmp_path), load_nlupp_scope()
    assert [f.name for f in nlupp_folds(folder)] == ["fold0.json", "fold1.json"]
    everything = read_nlupp(folder, modules, n=100)
    assert len(everything) == 11  # the blank row is skipped
    assert {m.domain for m in everything} == {NLUPP}
    counts = {s: sum(m.expected == s for m in everything) for s in {m.expected for m in everything}}
    assert counts == {OFF_TOPIC: 6, "track_refund": 2, SMALLTALK: 3}
    assert {m.label for m in everything if m.expected == "track_refund"} == {"refund+when"}
    sample = read_nlupp(folder, modules, n=5, seed=3)
    assert len(sample) == 5
    assert sample == read_nlupp(folder, modules, n=5, seed=3)
    assert {m.expected for m in sample} == {OFF_TOPIC, "track_refund", SMALLTALK}
    assert sum(m.expected == OFF_TOPIC for m in sample) == 3


def test_nlupp_with_an_unknown_module_or_no_folds_is_refused(tmp_path):
    folder = _nlupp_dir(tmp_path, [{"text": "buy me a yacht", "intents": ["yacht"]}])
    with pytest.raises(DatasetError, match="yacht"):
        read_nlupp(folder, load_nlupp_scope(), n=10)
    with pytest.raises(DatasetError, match="fold"):
        read_nlupp(tmp_path, load_nlupp_scope(), n=10)


def test_nlupp_small_talk_is_reported_apart_and_not_scored():
    messages = [
        Message("my card is stuck", NLUPP, OFF_TOPIC, "card+wrong_notworking_notshowing"),
        Message("where is my refund", NLUPP, "track_refund", "refund"),
        Message("yes that's right", NLUPP, SMALLTALK, "affirm"),
    ]
    split = SplitNLU({"track_refund": 0.9, "out_of_scope": 0.1})
    report = off_topic_acceptance(split, messages, 0.6)
    assert report["n"] == 1 and report["off_topic"]["n"] == 1
    assert report["in_scope"]["n"] == 1
    assert report["in_scope"]["mapped_intent"]["count"] == 1
    assert report["smalltalk"]["n"] == 1
    assert report["smalltalk"]["counts"]["accepted"] == 1


def test_command_reads_nlupp_and_refuses_a_missing_folder_or_an_unknown_module(
    built, monkeypatch, tmp_path
):
    settings, _ = built
    monkeypatch.setenv("DATA_DIR", str(settings.data_dir))
    args = ["evals", "off-topic", "--nlupp", str(_nlupp_dir(tmp_path)), "--n", "50", "--json"]
    result = CliRunner().invoke(cli, args)
    assert result.exit_code == 0, result.output
    report = json.loads(result.stdout)
    assert (report["n"], report["in_scope"]["n"], report["smalltalk"]["n"]) == (6, 2, 3)
    assert set(report["off_topic"]["by_domain"]) == {NLUPP}
    result = CliRunner().invoke(cli, ["evals", "off-topic", "--nlupp", str(tmp_path / "no")])
    assert result.exit_code == 1
    assert "no such folder" in result.output
    bad = _nlupp_dir(tmp_path / "bad", [{"text": "a yacht", "intents": ["yacht"]}])
    result = CliRunner().invoke(cli, ["evals", "off-topic", "--nlupp", str(bad)])
    assert result.exit_code == 1
    assert "yacht" in result.output
