"""The Prometheus config that scrapes the service, rendered from METRICS_SCRAPE_TARGETS.

`support ops prometheus-config` writes it with the alert rules beside it;
observability/prometheus/prometheus.yml is the rendering for the default setting.
"""

from __future__ import annotations

import os
import re
from pathlib import Path

import yaml

PROMETHEUS_DIR = Path(__file__).parent / "prometheus"
ALERTS_FILE = PROMETHEUS_DIR / "alerts.yml"
_TARGET = re.compile(r"^(\[[0-9a-fA-F:.]+\]|[A-Za-z0-9](?:[A-Za-z0-9.-]*[A-Za-z0-9])?):(\d{1,5})$")
_ANY_ADDRESS = {"", "0.0.0.0", "::", "[::]"}
HEADER = """\
# Prometheus config for the support agent, rendered by `support ops prometheus-config`
# from METRICS_SCRAPE_TARGETS ({source}). Change the setting and render it again rather
# than editing this file. Run: prometheus --config.file=prometheus.yml
"""


def scrape_targets(setting: str, host: str, port: int) -> list[str]:
    """The host:port list of METRICS_SCRAPE_TARGETS, or this service's own address when
    empty (127.0.0.1 when it binds every interface). ValueError names a bad entry."""
    if not setting.strip():
        own = "127.0.0.1" if host.strip() in _ANY_ADDRESS else host.strip()
        return [f"{own}:{port}"]
    targets: list[str] = []
    for entry in (part.strip() for part in setting.split(",")):
        match = _TARGET.match(entry)
        if not match or not 0 < int(match[2]) < 65536:
            raise ValueError(
                f"METRICS_SCRAPE_TARGETS: {entry!r} is not host:port "
                "(e.g. 10.0.0.5:8000,10.0.0.6:8000)"
            )
        if entry not in targets:
            targets.append(entry)
    return targets


def render(targets: list[str], *, rule_file: str = "alerts.yml", source: str = "") -> str:
    """The config text: one job scraping /metrics of every target, the alert rules loaded."""
    config = {
        "global": {"scrape_interval": "15s", "evaluation_interval": "15s"},
        "rule_files": [rule_file],
        "scrape_configs": [
            {
                "job_name": "support-agent",
                "metrics_path": "/metrics",
                "static_configs": [{"targets": list(targets)}],
            }
        ],
    }
    body = yaml.safe_dump(config, sort_keys=False, default_flow_style=False)
    return HEADER.format(source=source or ", ".join(targets)) + body


def write(out_dir: Path, targets: list[str], *, source: str = "") -> Path:
    """Write prometheus.yml and a copy of the alert rules into `out_dir`; the config's path."""
    out_dir.mkdir(parents=True, exist_ok=True)
    _replace(out_dir / "alerts.yml", ALERTS_FILE.read_text(encoding="utf-8"))
    config = out_dir / "prometheus.yml"
    _replace(config, render(targets, source=source))
    return config


def _replace(path: Path, content: str) -> None:
    """Write whole or not at all: a reloading Prometheus never reads half a file."""
    partial = path.with_name(path.name + ".tmp")
    partial.write_text(content, encoding="utf-8")
    os.replace(partial, path)
