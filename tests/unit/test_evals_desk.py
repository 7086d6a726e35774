"""The desk suite: suggested replies to escalated conversations, scored by rules."""

from __future__ import annotations

import json

import pytest

from app.suggest import FALLBACK_SUGGESTION
from evals.desk_checks import judge, states
from evals.run import RunRequest, run_evals
from evals.suites.desk import DATA_PATH, DEV2, heldout_path, load_conversations


def row(id_, split, bind, lines, concern, facts, absent=()):
    return {
        "id": id_,
        "split": split,
        "customer_id": "C0001",
        "bind": bind,
        "lines": lines,
        "concern": concern,
        "facts": facts,
        "absent": list(absent),
        "reference": "...",
    }


SHIPPED = {"order": {"customer": "C0001", "status": "shipped"}}
PROCESSING = {"order": {"customer": "C0001", "status": "processing"}}
THREE = [
    row("late", "dev", SHIPPED, ["my order {order.id} is late", "I want a human"],
        "late_delivery", ["{order.id}", "{order.carrier}", "{order.tracking}"]),
    row("cancel", "dev", PROCESSING, ["please cancel {order.id}", "no, get me a person"],
        "cancel", ["{order.id}", "$5.00"]),
    # Nothing in the store or the help centre says this: the rules must notice.
    row("invented", "test", SHIPPED, ["where is {order.id}?", "agent please"],
        "where_is_order", ["{order.tracking}", "free overnight upgrade"]),
]  # fmt: skip


def test_the_desk_suite_plays_and_scores_three_conversations(built, tmp_path):
    settings, services = built
    data = tmp_path / "desk.jsonl"
    data.write_text("".join(json.dumps(r) + "\n" for r in THREE))
    # A second development file beside it adds "dev" rows: in the customer's own words.
    more = row(
        "typed",
        "dev",
        SHIPPED,
        ["hi wheres my order?? its been a week. tracking says nothing", "ok"],
        "where_is_order",
        ["{order.id}", "{order.tracking}"],
    )
    (tmp_path / "desk_dev2.jsonl").write_text(json.dumps(more) + "\n")

    report = run_evals(
        RunRequest(
            ["desk"],
            settings,
            baseline_path=tmp_path / "no-baseline.json",
            data={"desk": data},
            services=services,
        )
    )

    suite = report["suites"]["desk"]
    assert suite["error"] is None
    played = {c["id"]: c for c in suite["details"]["conversations"]}
    late, cancel, invented = played["late"], played["cancel"], played["invented"]
    assert played["typed"]["addressed"], (played["typed"]["said"], played["typed"]["reply"])
    assert late["recall"] == 1.0 and late["addressed"], late
    assert "Sorry for the wait" in late["reply"] and late["reference"] == "..."
    assert cancel["recall"] == 1.0 and cancel["addressed"], (cancel["said"], cancel["reply"])
    assert invented["missing"] == ["free overnight upgrade"] and invented["recall"] == 0.5
    metrics = suite["metrics"]
    assert metrics["fact_recall_dev"]["value"] == 1.0 and metrics["fact_recall_dev"]["n"] == 3
    assert metrics["fact_recall_test"]["value"] == 0.5
    assert metrics["addressed_rate"]["value"] == 1.0


def test_the_projects_desk_conversations_load_with_a_held_apart_split():
    convos = load_conversations(DATA_PATH)
    splits = [c.split for c in convos]
    assert len(convos) >= 40 and splits.count("test") >= 15
    assert len({c.concern for c in convos}) >= 12


def test_the_second_development_file_is_all_dev_rows_of_their_own():
    second = load_conversations(heldout_path(DATA_PATH, DEV2), ("dev",))
    first = {c.id for c in load_conversations(DATA_PATH)}
    assert len(second) >= 40 and not first & {c.id for c in second}
    assert len({c.concern for c in second}) >= 12
    with pytest.raises(ValueError, match="split 'dev' is not one of heldout"):
        load_conversations(heldout_path(DATA_PATH, DEV2), ("heldout",))


@pytest.mark.parametrize(
    ("change", "message"),
    [
        ({"concern": "vibes"}, "concern 'vibes' is not one of"),
        ({"split": "train"}, "split 'train' is not one of dev, test"),
        ({"facts": ["{other.id}"]}, "no binding 'other'"),
        ({"bind": {"order": {"colour": "red"}}}, "unknown criteria ['colour']"),
    ],
)
def test_a_malformed_desk_conversation_is_refused_with_its_line(tmp_path, change, message):
    data = tmp_path / "desk.jsonl"
    data.write_text(json.dumps(THREE[0]) + "\n" + json.dumps({**THREE[1], **change}) + "\n")
    with pytest.raises(ValueError, match="desk.jsonl:2: ") as err:
        load_conversations(data)
    assert message in str(err.value)


def test_the_rules_normalise_numbers_and_ids():
    assert states("a refund of $5.00, within a 30-day window", "$5")
    assert states("within 30 days", "30-day") and states("5–10 business days", "5-10 business days")
    assert states("tracking 1Z 97LF 7103", "1Z97LF7103")
    assert not states("$5.50", "$5.00") and not states("W12345678", "W1234567")


def test_the_rules_say_why_a_reply_does_not_address_the_last_message():
    facts = ["W7490238", "1Z97LF710304280698"]
    about_other = judge(
        "Order W5507320 is processing: it gets a tracking number when it ships.",
        concern="late_delivery",
        facts=facts,
        about="W7490238",
        absent=["W5507320"],
    )
    assert not about_other.addressed and about_other.recall == 0.0
    assert "does not name order W7490238" in about_other.why_not
    assert "states 'W5507320', which the last message is not about" in about_other.why_not
    holding = judge(
        FALLBACK_SUGGESTION,
        concern="cancel",
        facts=["W1"],
        about=None,
        fallback=FALLBACK_SUGGESTION,
    )
    assert not holding.addressed and "the holding reply although the facts exist" in holding.why_not
    good = judge(
        "Your order W7490238 shipped with UPS; the tracking number is 1Z97LF710304280698.",
        concern="late_delivery",
        facts=facts,
        about="W7490238",
    )
    assert good.addressed and good.recall == 1.0 and good.length_ok
