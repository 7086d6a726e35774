"""Prometheus alert rules: valid, unit-tested with promtool, and on metrics /metrics exports."""

from __future__ import annotations

import re
import shutil
import subprocess

import pytest
import yaml

from observability.metrics import exported_metric_names
from observability.prometheus_config import ALERTS_FILE, PROMETHEUS_DIR

PROMTOOL = shutil.which("promtool")
needs_promtool = pytest.mark.skipif(
    PROMTOOL is None, reason="promtool not installed (`make promtool`: Debian's prometheus)"
)


def rules() -> list[dict]:
    groups = yaml.safe_load(ALERTS_FILE.read_text(encoding="utf-8"))["groups"]
    return [rule for group in groups for rule in group["rules"]]


def test_each_alert_the_operators_asked_for_exists_on_exported_metrics():
    found = {rule["alert"]: rule["expr"] for rule in rules()}
    assert {
        "SupportEscalationRateHigh", "SupportTurnLatencyHigh", "SupportHttp5xxRateHigh",
        "SupportIntentDrift", "SupportEscalationQueueBacklog",
    } <= set(found)  # fmt: skip
    exported = exported_metric_names()
    for name, expr in found.items():
        used = set(re.findall(r"\bsupport_[a-z0-9_]+\b", expr))
        assert used and used <= exported, (name, used - exported)


@needs_promtool
def test_promtool_checks_the_rules_and_the_rendered_config():
    for args in (["check", "rules", "alerts.yml"], ["check", "config", "prometheus.yml"]):
        done = subprocess.run(
            [PROMTOOL, *args], cwd=PROMETHEUS_DIR, capture_output=True, text=True, check=False
        )
        assert done.returncode == 0, done.stdout + done.stderr


@needs_promtool
def test_promtool_unit_tests_of_the_alert_rules_pass():
    done = subprocess.run(
        [PROMTOOL, "test", "rules", "alerts_test.yml"],
        cwd=PROMETHEUS_DIR, capture_output=True, text=True, check=False,
    )  # fmt: skip
    assert done.returncode == 0, done.stdout + done.stderr
    assert "SUCCESS" in done.stdout
