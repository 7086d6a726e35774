"""Off-topic messages through the chat API: each reply is judged from the response JSON,
first messages of fresh sessions and a second off-topic turn, on a throw-away store."""

import pytest
from typer.testing import CliRunner

from cli import cli
from evals.off_topic_chat import chat_arena, chat_off_topic, reply_outcome, second_turn_pairs
from evals.off_topic_data import BANKING77, NLUPP, OFF_TOPIC, SMALLTALK, Message
from prompts import render
from tools.store.catalog import SHOP_NAME


@pytest.fixture(scope="module")
def arena(built, tmp_path_factory):
    settings, services = built
    with chat_arena(settings, tmp_path_factory.mktemp("chat"), services=services) as arena:
        yield arena


def test_a_clearly_off_topic_message_is_declined(arena):
    judged = arena.say("what is the tallest mountain in Africa")
    assert judged["outcome"] == "declined", judged


def test_a_greeting_is_small_talk(arena):
    assert arena.say("hello")["outcome"] == "smalltalk"


def test_a_help_centre_question_is_acted_on_and_a_person_request_escalates(arena):
    judged = arena.say("What is your refund policy? How many days do I have to return something?")
    assert (judged["outcome"], judged["detail"]) == ("acted", "help_centre")
    judged = arena.say("I want to talk to a person")
    assert (judged["outcome"], judged["detail"]) == ("escalated", "explicit_request")


def test_report_scores_both_sides_and_a_second_off_topic_turn_gets_a_person(arena):
    messages = [
        Message("what is the tallest mountain in Africa", "trivia"),
        Message("how many moons does Jupiter have", "trivia"),
        Message("I want a refund for an item I bought", BANKING77, "get_refund", "request_refund"),
    ]
    report = chat_off_topic(arena, messages, pairs=1, seed=0)
    off = report["off_topic"]
    assert off["n"] == 2 and off["counts"]["declined"] == 2
    assert off["targets"]["declined"]["met"] and off["targets"]["acted"]["met"]
    assert off["by_domain"]["trivia"]["rates"]["declined"] == 1.0
    inside = report["in_scope"]
    assert inside["n"] == 1
    assert inside["counts"]["declined"] == 0
    second = report["second_turn"]
    assert second["n"] == 1
    assert second["person_on_second"]["count"] == 1
    assert second["second_escalation_reasons"] == {"repeated_fallback": 1}


def test_replies_are_judged_from_the_response():
    decline = render("out_of_scope", shop=SHOP_NAME)
    assert reply_outcome(200, {"reply": decline, "intent": "track_order"})[0] == "declined"
    assert reply_outcome(429, {})[0] == "error"
    limited = {"reply": "…", "actions": [{"tool": "create_escalation", "status": "limited"}]}
    assert reply_outcome(200, limited) == ("escalated", "ticket_limited")
    clarify = {"reply": "?", "intent": "track_order", "actions": [{"tool": "clarify"}]}
    assert reply_outcome(200, clarify)[0] == "clarified"
    verify = {"reply": "…", "intent": "get_refund", "actions": [{"tool": "verify_identity"}]}
    assert reply_outcome(200, verify) == ("acted", "verify")


def test_second_turn_pairs_are_two_different_off_topic_messages():
    messages = [Message(f"off {i}", "d") for i in range(5)]
    messages.append(Message("refund please", BANKING77, "get_refund", "request_refund"))
    pairs = second_turn_pairs(messages, 4, seed=2)
    assert len(pairs) == 4
    assert all(a != b for a, b in pairs)
    assert all("refund" not in a + b for a, b in pairs)
    assert pairs == second_turn_pairs(messages, 4, seed=2)


def test_command_refuses_a_missing_file_before_loading_anything(tmp_path):
    result = CliRunner().invoke(
        cli, ["evals", "off-topic-chat", "--path", str(tmp_path / "missing.txt")]
    )
    assert result.exit_code == 1
    assert "no such file" in result.output


def test_nlupp_small_talk_is_reported_apart_from_both_sides(arena):
    messages = [
        Message("how do I order a new debit card from my bank", NLUPP, OFF_TOPIC, "card"),
        Message("hello", NLUPP, SMALLTALK, "greet"),
    ]
    report = chat_off_topic(arena, messages, pairs=0)
    assert report["off_topic"]["n"] == 1
    assert "in_scope" not in report and "second_turn" not in report
    small = report["smalltalk"]
    assert small["n"] == 1 and small["counts"]["smalltalk"] == 1


def test_command_refuses_a_missing_nlupp_folder_before_loading_anything(tmp_path):
    result = CliRunner().invoke(cli, ["evals", "off-topic-chat", "--nlupp", str(tmp_path / "no")])
    assert result.exit_code == 1
    assert "no such folder" in result.output
