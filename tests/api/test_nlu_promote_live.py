"""`support nlu promote` reaches a running service: the next turns are served by the promoted
intent model without a restart; a worker that lacks that version keeps its own."""

from __future__ import annotations

import dataclasses
import logging
import shutil

import pytest
from fastapi.testclient import TestClient
from typer.testing import CliRunner

from app.main import create_app
from app.runtime import build_nlu
from cli import nlu as nlu_cli
from nlu.registry import ModelRegistry

runner = CliRunner()


@pytest.fixture
def worker(app_settings, tmp_path):
    """This worker's own DATA_DIR: a copy of the built models with a second version."""
    settings = app_settings.model_copy(update={"DATA_DIR": tmp_path / "worker"})
    shutil.copytree(app_settings.models_dir, settings.models_dir)
    registry = ModelRegistry(settings.models_dir)
    second = registry.register_copy(registry.folder(registry.serving() or ""))
    return settings, registry.serving(), second


def served_by(client) -> str:
    return client.post("/v1/chat", json={"message": "hello"}).json()["model_version"]


def test_a_running_service_switches_to_the_promoted_intent_model(
    worker, app_settings, services, encoder, monkeypatch
):
    settings, first, second = worker
    nlu = build_nlu(settings, encoder, store=services.store, follow_every=0.0)
    app = create_app(app_settings, services=dataclasses.replace(services, nlu=nlu))
    monkeypatch.setenv("DATA_DIR", str(settings.DATA_DIR))
    monkeypatch.setenv("DATABASE_URL", app_settings.database_url)

    with TestClient(app) as client:
        before = served_by(client)
        promoted = runner.invoke(nlu_cli.app, ["promote", second])
        served_by(client)  # this turn notices the promotion and starts loading it
        nlu.follow.__self__.wait(30)
        after = served_by(client)

    assert promoted.exit_code == 0, promoted.output
    assert (before, after) == (first, second)
    assert services.store.serving_model("intent") == second


def test_a_worker_without_the_promoted_version_warns_and_keeps_serving(
    worker, app_settings, services, encoder, caplog
):
    settings, first, _ = worker
    nlu = build_nlu(settings, encoder, store=services.store, follow_every=0.0)
    app = create_app(app_settings, services=dataclasses.replace(services, nlu=nlu))
    services.store.set_serving_model("intent", "7.0.0")  # promoted on a machine that has it

    with caplog.at_level(logging.WARNING, logger="support.nlu"), TestClient(app) as client:
        served_by(client)
        nlu.follow.__self__.wait(30)
        after = served_by(client)

    assert after == first
    warned = [r.getMessage() for r in caplog.records if "7.0.0" in r.getMessage()]
    assert len(warned) == 1 and f"still serving {first}" in warned[0]


def test_a_worker_starting_after_a_promotion_serves_the_promoted_version(worker, services, encoder):
    settings, first, second = worker
    services.store.set_serving_model("intent", second)

    nlu = build_nlu(settings, encoder, store=services.store)

    assert (first, nlu.version) == ("1.0.0", second)
