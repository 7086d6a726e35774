"""Prometheus metrics of the service, exported at /metrics.

Metric objects are created once per process in the default registry (what
`prometheus_client.generate_latest()` serves). Label values are bounded sets (intents,
routes, reasons, node and tool names, model versions), never ids or free text.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from prometheus_client import Counter, Histogram

LATENCY_BUCKETS = (0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1.0, 2.5, 5.0, 10.0, 30.0)
UNIT_BUCKETS = tuple(round(x * 0.1, 1) for x in range(1, 11))
SENTIMENT_BUCKETS = (-0.75, -0.5, -0.25, -0.05, 0.05, 0.25, 0.5, 0.75, 1.0)

TURNS = Counter(
    "support_turns_total",
    "Customer turns answered, by route, intent, the model version that classified them and "
    "the channel the customer wrote on (api, widget, email).",
    ["route", "intent", "model_version", "escalated", "channel"],
)
TURN_SECONDS = Histogram(
    "support_turn_seconds",
    "End-to-end time of one turn, by channel (api, widget, email).",
    ["channel"],
    buckets=LATENCY_BUCKETS,
)
TURN_CHANNELS = ("api", "widget", "email")
"""The channel label's values; anything else is counted as 'api'."""
NODE_SECONDS = Histogram(
    "support_node_seconds", "Time spent in each graph node.", ["node"], buckets=LATENCY_BUCKETS
)
INTENT_CONFIDENCE = Histogram(
    "support_intent_confidence",
    "Confidence of the intent classifier per turn.",
    ["intent"],
    buckets=UNIT_BUCKETS,
)
SENTIMENT = Counter("support_sentiment_total", "Turns by sentiment label.", ["label"])
SENTIMENT_SCORE = Histogram(
    "support_sentiment_score", "Sentiment score (-1..1) per turn.", buckets=SENTIMENT_BUCKETS
)
ESCALATIONS = Counter("support_escalations_total", "Escalations by reason.", ["reason"])
TOOL_CALLS = Counter(
    "support_tool_calls_total", "Tool calls by tool and outcome.", ["tool", "outcome"]
)
TOOL_FAILURES = Counter(
    "support_tool_failures_total", "Tool calls that failed on the backend.", ["tool"]
)
RETRIEVAL_SCORE = Histogram(
    "support_retrieval_top_score",
    "Similarity of the best knowledge passage per knowledge turn.",
    buckets=UNIT_BUCKETS,
)
LLM_TOKENS = Counter("support_llm_tokens_total", "LLM tokens by kind.", ["kind"])
LLM_SECONDS = Histogram(
    "support_llm_seconds", "Time of one LLM completion.", buckets=LATENCY_BUCKETS
)
LLM_FALLBACKS = Counter(
    "support_llm_fallbacks_total",
    "Answers the offline composer wrote because the LLM endpoint failed, by reason "
    "(timeout, connection, server_error, refused, other).",
    ["reason"],
)
FEEDBACK = Counter("support_feedback_total", "Customer satisfaction ratings (1-5).", ["rating"])
FEEDBACK_RATING = Histogram(
    "support_feedback_rating",
    "Customer satisfaction ratings (1-5); sum/count is the mean CSAT.",
    buckets=(1, 2, 3, 4, 5),
)
HELP_CENTRE_GUESSES = Counter(
    "support_help_centre_guesses_total",
    "Turns no single intent was sure of, sent to the knowledge base on the help-centre "
    "intents' summed probability, by whether they were answered or escalated.",
    ["outcome"],
)
CORRECTIONS = Counter(
    "support_agent_corrections_total",
    "Intent labels set by agents, beside what the model predicted (a confusion matrix).",
    ["predicted", "actual"],
)

WEBHOOK_NOTICES = Counter(
    "support_webhook_notices_total",
    "Escalation webhook notices by outcome: sent (taken on some try), retried (one per "
    "retry), dead_lettered (kept for `support ops webhooks`), replayed (a dead letter sent).",
    ["outcome"],
)


def record_turn(state: Mapping[str, Any], seconds: float, channel: str = "api") -> None:
    """Count one finished turn from the graph's final state, on its conversation's channel."""
    intent = str(state.get("intent") or "none")
    escalation = state.get("escalation") or None
    channel = channel if channel in TURN_CHANNELS else "api"
    TURNS.labels(
        route=str(state.get("route") or "none"),
        intent=intent,
        model_version=str(state.get("model_version") or "none"),
        escalated=str(bool(escalation)).lower(),
        channel=channel,
    ).inc()
    TURN_SECONDS.labels(channel=channel).observe(seconds)
    if state.get("confidence") is not None:
        INTENT_CONFIDENCE.labels(intent=intent).observe(float(state["confidence"]))
    sentiment = state.get("sentiment") or {}
    if sentiment:
        SENTIMENT.labels(label=str(sentiment.get("label", "neutral"))).inc()
        SENTIMENT_SCORE.observe(float(sentiment.get("score", 0.0)))
    if escalation:
        ESCALATIONS.labels(reason=str(escalation.get("reason", "unknown"))).inc()
    for act in state.get("actions") or []:
        tool, outcome = str(act.get("tool", "unknown")), str(act.get("status", "unknown"))
        TOOL_CALLS.labels(tool=tool, outcome=outcome).inc()
        if outcome in {"error", "failed", "unavailable"}:
            TOOL_FAILURES.labels(tool=tool).inc()
    if state.get("retrieval_score") is not None:
        RETRIEVAL_SCORE.observe(float(state["retrieval_score"]))
    if state.get("help_centre_guess"):
        HELP_CENTRE_GUESSES.labels(outcome="escalated" if escalation else "answered").inc()


def record_feedback(rating: int) -> None:
    FEEDBACK.labels(rating=str(rating)).inc()
    FEEDBACK_RATING.observe(rating)


def record_correction(predicted: str, actual: str) -> None:
    CORRECTIONS.labels(predicted=predicted or "none", actual=actual).inc()


def record_llm_call(seconds: float, prompt_tokens: int, completion_tokens: int) -> None:
    LLM_SECONDS.observe(seconds)
    LLM_TOKENS.labels(kind="prompt").inc(prompt_tokens)
    LLM_TOKENS.labels(kind="completion").inc(completion_tokens)


def record_llm_fallback(reason: str) -> None:
    LLM_FALLBACKS.labels(reason=reason).inc()


def record_webhook_notice(outcome: str) -> None:
    """Count one notice event: sent, retried, dead_lettered or replayed."""
    WEBHOOK_NOTICES.labels(outcome=outcome).inc()


def exported_metric_names() -> set[str]:
    """Every series name /metrics exports (histograms with _bucket/_sum/_count): this
    module's, the HTTP metrics and the gauges read from the store at scrape time."""
    from observability.http_metrics import HTTP_METRICS
    from observability.store_gauges import GAUGE_NAMES

    names: set[str] = set(GAUGE_NAMES)
    for metric in (
        TURNS, TURN_SECONDS, NODE_SECONDS, INTENT_CONFIDENCE, SENTIMENT, SENTIMENT_SCORE,
        ESCALATIONS, TOOL_CALLS, TOOL_FAILURES, RETRIEVAL_SCORE, LLM_TOKENS, LLM_SECONDS,
        LLM_FALLBACKS, FEEDBACK, FEEDBACK_RATING, CORRECTIONS, HELP_CENTRE_GUESSES,
        WEBHOOK_NOTICES, *HTTP_METRICS,
    ):  # fmt: skip
        for family in metric.describe():
            suffixes = ("_total",) if family.type == "counter" else ("_bucket", "_sum", "_count")
            names.update(family.name + suffix for suffix in suffixes)
    return names
