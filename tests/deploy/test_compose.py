"""deploy/compose.yaml, its proxy and Prometheus configs, validated with real tools where
they are installed (the compose spec's parser, docker compose / docker-compose `config`,
haproxy -c, promtool) and checked for the wiring a user relies on."""

from __future__ import annotations

import json
import os
import shutil
import subprocess
from pathlib import Path

import pytest
import yaml

from observability import prometheus_config
from tests.deploy.tools import (
    COMPOSE,
    COMPOSE_ENV,
    COMPOSE_SPEC,
    DEPLOY,
    DOCKER_COMPOSE_V1,
    HAPROXY,
    HAPROXY_CFG,
    PROMTOOL,
    ROOT,
    docker_compose_v2,
    interpolate,
    skip_without,
)

API_SERVICES = ["api-1", "api-2"]


@pytest.fixture(scope="module")
def compose() -> dict:
    """The compose file as compose reads it: interpolated, anchors and merge keys resolved."""
    return yaml.safe_load(interpolate(COMPOSE.read_text(encoding="utf-8"), COMPOSE_ENV))


def services_only(model: dict) -> dict:
    return {key: value for key, value in model.items() if not key.startswith("x-")}


@skip_without(COMPOSE_SPEC, "compose-spec not installed (dev extras)")
def test_compose_file_follows_the_compose_spec(compose):
    from compose_spec import PyCompose

    parsed = PyCompose.from_json(json.dumps(services_only(compose)))
    assert set(parsed.service_names()) == set(compose["services"])
    parsed.to_spec()  # and the spec's pydantic model (generated from its JSON schema)


@skip_without(COMPOSE_SPEC, "compose-spec not installed (dev extras)")
def test_compose_spec_check_would_reject_a_misspelt_key(compose):
    from compose_spec import PyCompose

    broken = services_only(compose)
    broken["services"]["api-1"] = {**broken["services"]["api-1"], "helthcheck": {}}
    with pytest.raises(ValueError, match="helthcheck"):
        PyCompose.from_json(json.dumps(broken))


def compose_clis() -> list[list[str]]:
    clis = []
    v2 = docker_compose_v2()
    if v2:
        clis.append(v2)
    if DOCKER_COMPOSE_V1:
        clis.append([DOCKER_COMPOSE_V1])
    return clis


@pytest.mark.skipif(
    not compose_clis(),
    reason="neither `docker compose` (docker CLI's compose plugin) nor docker-compose is "
    "installed (`make compose-cli`: Debian's docker-compose 1.29)",
)
def test_compose_cli_config_accepts_the_file_and_demands_the_secrets():
    base = {k: v for k, v in os.environ.items() if k not in COMPOSE_ENV}
    for cli in compose_clis():
        args = [*cli, "-f", str(COMPOSE), "config", "-q"]
        done = subprocess.run(
            args, env={**base, **COMPOSE_ENV}, cwd=DEPLOY, capture_output=True, text=True,
            check=False, timeout=60,
        )  # fmt: skip
        assert done.returncode == 0, (cli, done.stdout + done.stderr)
        missing = {**base, **COMPOSE_ENV}
        del missing["JWT_SECRET"]
        done = subprocess.run(
            args, env=missing, cwd=DEPLOY, capture_output=True, text=True, check=False,
            timeout=60,
        )  # fmt: skip
        assert done.returncode != 0 and "JWT_SECRET" in done.stdout + done.stderr, cli


def test_both_replicas_wait_for_the_migration_and_share_one_store_and_secret(compose):
    services = compose["services"]
    assert "redis" not in services  # the service keeps nothing in Redis
    migrate = services["migrate"]
    assert "support db upgrade" in " ".join(migrate["command"])
    assert "support ingest" in " ".join(migrate["command"])
    environments = [services[name]["environment"] for name in API_SERVICES]
    for name in API_SERVICES:
        api = services[name]
        assert api["depends_on"]["migrate"]["condition"] == "service_completed_successfully"
        assert api["read_only"] is True and api["command"] == ["serve"]
        assert api["environment"]["DATABASE_URL"].startswith("postgresql+psycopg://")
        assert api["environment"]["CHECKPOINT_URL"].startswith("postgresql://")
        assert api["environment"]["CHROMA_URL"] == "http://chroma:8000"
        assert "ports" not in api  # reachable only through the proxy
    for key in ("JWT_SECRET", "DATABASE_URL", "CHECKPOINT_URL"):
        assert len({env[key] for env in environments}) == 1, key
    assert environments[0]["JWT_SECRET"] == COMPOSE_ENV["JWT_SECRET"]
    assert migrate["environment"]["DATABASE_URL"] == environments[0]["DATABASE_URL"]
    assert services["llm"]["profiles"] == ["llm"]


def test_mounted_configs_exist_and_grafana_gets_the_repository_dashboard(compose):
    for name, service in compose["services"].items():
        for volume in service.get("volumes", []):
            source = volume.split(":")[0]
            if source.startswith("."):
                assert (DEPLOY / source).resolve().exists(), (name, source)
    grafana = {v.split(":")[1]: (DEPLOY / v.split(":")[0]).resolve()
               for v in compose["services"]["grafana"]["volumes"] if v.startswith(".")}  # fmt: skip
    provisioning = grafana["/etc/grafana/provisioning"]
    provider = yaml.safe_load((provisioning / "dashboards" / "support.yml").read_text())
    dashboards = grafana[provider["providers"][0]["options"]["path"]]
    assert dashboards == ROOT / "observability" / "grafana"
    assert json.loads((dashboards / "dashboard.json").read_text())["uid"] == "support-agent"
    assert compose["services"]["grafana"]["environment"]["PROMETHEUS_URL"] == (
        "http://prometheus:9090"
    )


def test_prometheus_config_is_the_rendering_that_scrapes_each_replica(compose):
    setting = ",".join(f"{name}:8000" for name in API_SERVICES)
    targets = prometheus_config.scrape_targets(setting, "0.0.0.0", 8000)
    expected = prometheus_config.render(targets, source=setting)
    assert (DEPLOY / "prometheus" / "prometheus.yml").read_text(encoding="utf-8") == expected
    for name in API_SERVICES:
        assert compose["services"][name]["environment"]["METRICS_SCRAPE_TARGETS"] == setting
    mounts = [v.split(":")[:2] for v in compose["services"]["prometheus"]["volumes"]]
    assert ["../observability/prometheus/alerts.yml", "/etc/prometheus/alerts.yml"] in mounts


@skip_without(PROMTOOL, "promtool not installed (`make promtool`: Debian's prometheus)")
def test_promtool_accepts_the_compose_prometheus_config(tmp_path: Path):
    shutil.copy(DEPLOY / "prometheus" / "prometheus.yml", tmp_path)
    shutil.copy(prometheus_config.ALERTS_FILE, tmp_path)
    done = subprocess.run(
        [PROMTOOL, "check", "config", "prometheus.yml"], cwd=tmp_path,
        capture_output=True, text=True, check=False, timeout=60,
    )  # fmt: skip
    assert done.returncode == 0, done.stdout + done.stderr


@skip_without(HAPROXY, "haproxy not installed (`make haproxy`: Debian's haproxy)")
def test_haproxy_accepts_its_config():
    done = subprocess.run(
        [HAPROXY, "-c", "-f", str(HAPROXY_CFG)], capture_output=True, text=True, check=False,
        timeout=60,
    )  # fmt: skip
    assert done.returncode == 0, done.stdout + done.stderr
    assert "Configuration file is valid" in done.stdout + done.stderr


def test_proxy_balances_the_replicas_that_answer_readyz(compose):
    lines = [line.split() for line in HAPROXY_CFG.read_text(encoding="utf-8").splitlines()]
    servers = [words[1:3] for words in lines if words[:1] == ["server"]]
    assert servers == [[name, f"{name}:8000"] for name in API_SERVICES]
    assert ["option", "httpchk", "GET", "/readyz"] in lines
    assert ["bind", ":8080"] in lines
    assert compose["services"]["proxy"]["ports"] == ["8000:8080"]
