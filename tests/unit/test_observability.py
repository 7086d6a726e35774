"""Logs, metrics, traces and the committed Grafana dashboard."""

from __future__ import annotations

import asyncio
import json
import logging
import re
from pathlib import Path

import pytest
from prometheus_client import REGISTRY

from observability import tracing
from observability.logs import JsonFormatter, log_context, redact
from observability.metrics import exported_metric_names, record_feedback, record_turn
from observability.store_gauges import render_store_gauges

DASHBOARD = Path(__file__).parents[2] / "observability" / "grafana" / "dashboard.json"


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("mail me at jane.doe@example.com", "mail me at [email]"),
        ("card 4111 1111 1111 1111 please", "card [card] please"),
        ("card 4111-1111-1111-1111", "card [card]"),
        ("call +1 202-555-0143 or (415) 555-2671", "call [phone] or [phone]"),
        # identifiers the bot needs in logs stay readable
        ("order W1234567, INV-2026-00042, 1Z999AA10123456784", None),
        ("refund 84.10 on 2026-03-01", None),
        ("16 digits failing Luhn: 4111111111111112", None),
    ],
)
def test_redact_hides_personal_data_only(text, expected):
    assert redact(text) == (expected or text)


def test_json_log_lines_carry_ids_and_are_redacted():
    record = logging.makeLogRecord(
        {"name": "support.chat", "levelname": "INFO", "levelno": 20, "msg": "turn from %s",
         "args": ("jane@example.com",), "detail": {"phone": "+1 202 555 0143"}}
    )  # fmt: skip
    with log_context("s-123", "t-9"):
        line = json.loads(JsonFormatter().format(record))
    assert line["message"] == "turn from [email]"
    assert line["session_id"] == "s-123" and line["turn_id"] == "t-9"
    assert line["detail"] == {"phone": "[phone]"}
    assert line["level"] == "info" and line["logger"] == "support.chat"


def value(name: str, **labels: str) -> float:
    return REGISTRY.get_sample_value(name, labels) or 0.0


def test_record_turn_counts_what_a_dashboard_shows():
    before = value("support_escalations_total", reason="explicit_request")
    turns = value(
        "support_turns_total", route="escalate", intent="contact_human_agent",
        model_version="1.0.0", escalated="true", channel="api",
    )  # fmt: skip
    record_turn(
        {"route": "escalate", "intent": "contact_human_agent", "model_version": "1.0.0",
         "confidence": 0.93, "sentiment": {"label": "negative", "score": -0.4},
         "escalation": {"id": "E1", "reason": "explicit_request"},
         "actions": [{"tool": "create_escalation", "status": "ok", "detail": ""}],
         "retrieval_score": 0.41},
        0.12,
    )  # fmt: skip
    assert value("support_escalations_total", reason="explicit_request") == before + 1
    assert (
        value(
            "support_turns_total",
            route="escalate",
            intent="contact_human_agent",
            model_version="1.0.0",
            escalated="true",
            channel="api",
        )  # fmt: skip
        == turns + 1
    )
    assert value("support_tool_calls_total", tool="create_escalation", outcome="ok") >= 1
    guessed = value("support_help_centre_guesses_total", outcome="answered")
    record_turn({"route": "knowledge", "intent": "product_defect", "confidence": 0.76,
                 "help_centre_guess": True, "retrieval_score": 0.8}, 0.05)  # fmt: skip
    assert value("support_help_centre_guesses_total", outcome="answered") == guessed + 1
    count = value("support_feedback_rating_count")
    record_feedback(4)
    assert value("support_feedback_rating_count") == count + 1


def test_every_dashboard_panel_queries_metrics_the_app_exports():
    dashboard = json.loads(DASHBOARD.read_text(encoding="utf-8"))
    exported = exported_metric_names()
    titles = [p["title"] for p in dashboard["panels"]]
    for needed in ("Response time", "Escalation rate", "Intent mix", "Confusion matrix",
                   "Sentiment", "CSAT"):  # fmt: skip
        assert any(t.startswith(needed) for t in titles), needed
    for panel in dashboard["panels"]:
        assert panel["targets"], panel["title"]
        for target in panel["targets"]:
            names = set(re.findall(r"\bsupport_[a-z_]+\b", target["expr"]))
            assert names, (panel["title"], target["expr"])
            assert names <= exported, (panel["title"], names - exported)


def test_traced_node_makes_a_span_per_call():
    tracing.configure_tracing("memory")
    assert tracing.memory_exporter is not None

    async def classify(state):
        return {"intent": "greeting"}

    wrapped = tracing.traced_node("classify", classify)
    assert asyncio.run(wrapped({})) == {"intent": "greeting"}
    assert [s.name for s in tracing.memory_exporter.get_finished_spans()][-1] == "node.classify"
    with pytest.raises(ValueError, match="TRACING_EXPORTER"):
        tracing.configure_tracing("zipkin")


def test_http_requests_are_counted_by_route_template_and_status():
    from observability.http_metrics import record_request

    labels = {"method": "GET", "route": "/v1/sessions/{session_id}", "status": "404"}
    before = value("support_http_requests_total", **labels)
    record_request("get", "/v1/sessions/{session_id}", 404, 0.02)
    assert value("support_http_requests_total", **labels) == before + 1
    odd = value("support_http_requests_total", method="other", route="<unmatched>", status="405")
    record_request("BREW", None, 405, 0.001)  # no route, a made-up method: bounded labels
    assert (
        value("support_http_requests_total", method="other", route="<unmatched>", status="405")
        == odd + 1
    )
    scrapes = value("support_http_request_seconds_count", method="GET", route="/metrics")
    record_request("GET", "/metrics", 200, 0.001)  # scrapes are not traffic
    assert value("support_http_request_seconds_count", method="GET", route="/metrics") == scrapes


def test_store_gauges_count_unresolved_and_waiting_escalations_by_reason():
    from prometheus_client.parser import text_string_to_metric_families

    text = render_store_gauges(
        {("explicit_request", "open"): 2, ("explicit_request", "claimed"): 1,
         ("low_confidence", "handed_back"): 1},
        relabels=(40, 12),
    ).decode()  # fmt: skip
    samples = {
        (s.name, tuple(sorted(s.labels.items()))): s.value
        for family in text_string_to_metric_families(text)
        for s in family.samples
    }
    assert samples[("support_open_escalations", (("reason", "explicit_request"),))] == 3
    assert samples[("support_unclaimed_escalations", (("reason", "explicit_request"),))] == 2
    assert samples[("support_unclaimed_escalations", (("reason", "low_confidence"),))] == 1
    assert samples[("support_agent_labelled_turns", (("window", "7d"),))] == 40
    assert samples[("support_agent_relabelled_turns", (("window", "7d"),))] == 12
    names = {name for name, _ in samples}
    assert names <= exported_metric_names()
