"""The Prometheus config rendered from METRICS_SCRAPE_TARGETS (`support ops prometheus-config`)."""

from __future__ import annotations

import yaml
from typer.testing import CliRunner

from cli.prometheus import ops_app
from observability.prometheus_config import PROMETHEUS_DIR, render, scrape_targets


def test_scrape_targets_come_from_the_setting_or_the_service_address():
    assert scrape_targets("", "127.0.0.1", 8000) == ["127.0.0.1:8000"]
    assert scrape_targets("", "0.0.0.0", 9000) == ["127.0.0.1:9000"]  # binds all: scrape local
    assert scrape_targets(" 10.0.0.5:8000, api-2.internal:8001,[::1]:8002 ", "x", 1) == [
        "10.0.0.5:8000", "api-2.internal:8001", "[::1]:8002",
    ]  # fmt: skip


def test_the_committed_config_is_the_rendering_of_the_default_setting():
    committed = (PROMETHEUS_DIR / "prometheus.yml").read_text(encoding="utf-8")
    assert committed == render(["127.0.0.1:8000"], source="empty: HOST:PORT")


def test_cli_writes_the_config_and_rules_for_the_configured_targets(tmp_path, monkeypatch):
    monkeypatch.setenv("DATA_DIR", str(tmp_path / "data"))
    monkeypatch.setenv("METRICS_SCRAPE_TARGETS", "10.0.0.5:8000,10.0.0.6:8000")
    result = CliRunner().invoke(ops_app, ["prometheus-config", "--out", str(tmp_path / "prom")])
    assert result.exit_code == 0, result.output
    config = yaml.safe_load((tmp_path / "prom" / "prometheus.yml").read_text())
    job = config["scrape_configs"][0]
    assert job["static_configs"][0]["targets"] == ["10.0.0.5:8000", "10.0.0.6:8000"]
    assert job["metrics_path"] == "/metrics"
    assert config["rule_files"] == ["alerts.yml"]
    assert (tmp_path / "prom" / "alerts.yml").read_text() == (
        PROMETHEUS_DIR / "alerts.yml"
    ).read_text()
    assert "10.0.0.5:8000, 10.0.0.6:8000" in result.output

    printed = CliRunner().invoke(ops_app, ["prometheus-config", "--print"])
    assert printed.exit_code == 0 and "10.0.0.6:8000" in printed.output


def test_a_bad_target_is_refused_with_a_clear_message(tmp_path, monkeypatch):
    monkeypatch.setenv("DATA_DIR", str(tmp_path / "data"))
    monkeypatch.setenv("METRICS_SCRAPE_TARGETS", "10.0.0.5:8000,localhost")
    result = CliRunner().invoke(ops_app, ["prometheus-config"])
    assert result.exit_code == 2
    assert "'localhost' is not host:port" in result.output
    assert not (tmp_path / "data" / "prometheus" / "prometheus.yml").exists()
