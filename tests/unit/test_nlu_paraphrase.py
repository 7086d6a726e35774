"""LLM paraphrasing of the seeds, against a scripted OpenAI-compatible endpoint."""

from __future__ import annotations

import httpx
from openai import OpenAI
from typer.testing import CliRunner

from cli import cli
from nlu.corpus.paraphrase import SOURCE, paraphrase, reply_lines, verdict
from tests.fakes import ScriptedChatEndpoint


def client_for(endpoint: ScriptedChatEndpoint) -> OpenAI:
    http = httpx.Client(transport=endpoint.transport)
    return OpenAI(base_url="http://llm.test/v1", api_key="k", http_client=http, max_retries=0)


def test_reply_lines_strip_numbering_bullets_and_quotes():
    reply = '1. "Where is {order}?"\n- has {order} shipped yet\n\n  * any news on {order}  '
    assert reply_lines(reply) == [
        "Where is {order}?",
        "has {order} shipped yet",
        "any news on {order}",
    ]


def test_verdict_keeps_placeholders_and_rejects_copies():
    seen = {"where is order order"}
    assert verdict("has {order} shipped?", "where is {order}", seen) == "ok"
    assert verdict("has it shipped?", "where is {order}", seen) == "placeholders"
    assert verdict("{order} or {invoice}?", "where is {order}", seen) == "placeholders"
    assert verdict("where is order {order}", "where is order {order}", seen) == "duplicate"
    assert verdict("x" * 300, "where is {order}", seen) == "length"


def test_paraphrases_become_rows_with_provenance_and_entity_spans():
    endpoint = ScriptedChatEndpoint(
        "1. Has {order} shipped yet?\n2. where is {order} now\n3. tell me about my parcel",
        "Could I get a refund?\nrefund please",
    )
    seeds = {"track_order": ["Where is {order}?"], "get_refund": ["I want a refund"]}
    rows, stats = paraphrase(client_for(endpoint), "tiny-model", seeds, per_seed=3)
    endpoint.assert_done()
    assert [r["intent"] for r in rows] == ["track_order", "track_order", "get_refund", "get_refund"]
    assert all(r["source"] == SOURCE and r["model"] == "tiny-model" for r in rows)
    assert rows[0]["seed"] == "Where is {order}?"
    span = rows[0]["entities"][0]
    assert span["type"] == "order_id"
    assert (
        rows[0]["text"][span["start"] : span["end"]].upper().replace(" ", "").lstrip("#")
        == (span["value"])
    )
    assert stats.to_dict() == {
        "seeds": 2, "proposed": 5, "accepted": 4, "rejected": {"placeholders": 1},
        "failed_seeds": 0,
    }  # fmt: skip
    assert "Where is {order}?" in endpoint.requests[0]["messages"][1]["content"]


def test_a_failing_request_skips_that_seed_only():
    endpoint = ScriptedChatEndpoint(RuntimeError("overloaded"), "hello there\nhey you")
    seeds = {"greeting": ["hi", "good morning"]}
    rows, stats = paraphrase(client_for(endpoint), "m", seeds, per_seed=2)
    assert [r["text"] for r in rows] == ["hello there", "hey you"]
    assert stats.failed_seeds == ["hi"]


def test_cli_needs_an_endpoint(tmp_path, monkeypatch):
    monkeypatch.setenv("OPENAI_BASE_URL", "")
    monkeypatch.setenv("DATA_DIR", str(tmp_path / "data"))
    result = CliRunner().invoke(cli, ["nlu", "paraphrase", "--out", str(tmp_path / "c.jsonl")])
    assert result.exit_code == 1
    assert "set OPENAI_BASE_URL and LLM_MODEL" in result.output
    assert not (tmp_path / "c.jsonl").exists()
