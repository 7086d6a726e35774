"""Operations over HTTP and the CLI: /metrics, the KPI report, the drift check."""

from __future__ import annotations

import json

from typer.testing import CliRunner

from app.auth import mint_token
from cli import cli
from nlu.registry import ModelRegistry
from tests.api.helpers import chat
from tools.store.turnlog import TurnRecord, turns_since, write_turn


def agent_headers(settings) -> dict[str, str]:
    token = mint_token("ann", settings.jwt_secret(), 600, role="agent")
    return {"Authorization": f"Bearer {token}"}


def test_turns_show_up_in_metrics_kpis_and_the_redacted_turn_log(client, app_settings, services):
    first = chat(client, "What is your refund policy for returns?")
    sid = first["session_id"]
    second = chat(client, "thanks, my email is jane.doe@example.com", session_id=sid)
    third = chat(client, "I want to talk to a person")
    escalated = [first["escalated"] or second["escalated"], third["escalated"]]
    assert escalated[1]

    text = client.get("/metrics").text
    assert "support_turns_total{" in text
    assert 'support_escalations_total{reason="explicit_request"}' in text
    assert "support_node_seconds_bucket{" in text and 'node="classify"' in text

    logged = turns_since(services.store.engine, None)
    assert len(logged) == 3
    assert logged[1].message == "thanks, my email is [email]"
    assert logged[0].intent and logged[0].latency_ms is not None

    assert client.get("/v1/admin/kpi").status_code == 401
    customer = {"Authorization": f"Bearer {mint_token('C0001', app_settings.jwt_secret(), 600)}"}
    assert client.get("/v1/admin/kpi", headers=customer).status_code == 403
    kpi = client.get("/v1/admin/kpi", headers=agent_headers(app_settings)).json()
    assert kpi["conversations"] == 2 and kpi["turns"] == 3
    assert kpi["escalation_rate"] == sum(escalated) / 2
    assert kpi["containment_rate"] == 1 - sum(escalated) / 2
    assert kpi["escalations_by_reason"]["explicit_request"] == 1
    assert kpi["aht_seconds"] is not None


def test_kpi_and_drift_cli(app_settings, services, monkeypatch):
    monkeypatch.setenv("DATA_DIR", str(app_settings.data_dir))
    monkeypatch.setenv("DATABASE_URL", app_settings.database_url)
    runner = CliRunner()
    quiet = runner.invoke(cli, ["drift", "check", "--json"])
    assert quiet.exit_code == 0, quiet.output
    assert json.loads(quiet.output)["token_shift"] is None  # no traffic yet: nothing to say

    engine = services.store.engine
    for i in range(30):
        coin = ("eth", "btc", "sol")[i % 3]
        message = f"how do I stake {coin} tokens in my wallet"
        write_turn(engine, TurnRecord(session_id=f"s{i}", message=message, latency_ms=20))
    drifted = runner.invoke(cli, ["drift", "check", "--window", "1d"])
    assert drifted.exit_code == 1, drifted.output
    assert "DRIFT" in drifted.output and "stake" in drifted.output

    # --retrain trains a candidate on the corpus and registers it without serving it.
    registry = ModelRegistry(app_settings.models_dir)
    serving, before = registry.serving(), {m["version"] for m in registry.listing()}
    retrained = runner.invoke(cli, ["drift", "check", "--window", "1d", "--retrain", "--json"])
    assert retrained.exit_code == 1, retrained.output  # still flagged: the drift is real
    candidate = json.loads(retrained.stdout)["candidate"]
    assert candidate["version"] not in before and candidate["test_accuracy"] > 0.9
    assert f"NLU_CANDIDATE_VERSION={candidate['version']}" in candidate["next"]
    assert {m["version"] for m in registry.listing()} == before | {candidate["version"]}
    assert registry.serving() == serving

    kpi = runner.invoke(cli, ["kpi", "--since", "7d", "--json"])
    assert kpi.exit_code == 0, kpi.output
    assert json.loads(kpi.output)["conversations"] == 30
    bad = runner.invoke(cli, ["kpi", "--since", "last tuesday"])
    assert bad.exit_code == 2 and "neither a span" in bad.output
