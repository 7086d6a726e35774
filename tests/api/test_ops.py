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
    assert kpi["period"] == "all time" and kpi["since"] is None
    # No agent has handled anything yet: no AHT; the bot's own speed is named as such.
    assert kpi["aht_seconds"] is None and kpi["handled_escalations"] == 0
    assert kpi["bot_response_seconds"] is not None
    contained = [n for n, e in ((2, first["escalated"] or second["escalated"]),) if not e]
    assert kpi["resolved_conversations"] == len(contained)
    if contained:  # the two-turn conversation stayed with the bot: two turns to resolution
        assert kpi["effort_turns_median"] == 2.0


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
    assert json.loads(kpi.output)["period"].startswith("since ")
    bad = runner.invoke(cli, ["kpi", "--since", "last tuesday"])
    assert bad.exit_code == 2 and "neither a span" in bad.output


def agent_post(client, settings, url: str, **json_body):
    response = client.post(url, headers=agent_headers(settings), json=json_body or None)
    assert response.status_code == 200, response.text
    return response.json()


def metric_lines(client, prefix: str) -> list[str]:
    return [ln for ln in client.get("/metrics").text.splitlines() if ln.startswith(prefix)]


def test_http_metrics_use_route_templates_and_status_codes(client):
    sid = chat(client, "hello")["session_id"]
    assert client.get(f"/v1/sessions/{sid}").status_code == 200
    assert client.get("/v1/sessions/no-such-session").status_code in (403, 404)
    assert client.get("/no/such/page").status_code == 404
    client.get("/metrics")

    lines = metric_lines(client, "support_http_requests_total{")
    assert any(
        'method="GET"' in ln and 'route="/v1/sessions/{session_id}"' in ln
        and 'status="200"' in ln for ln in lines
    ), lines  # fmt: skip
    assert any('route="/v1/chat"' in ln and 'status="200"' in ln for ln in lines), lines
    assert any('route="<unmatched>"' in ln and 'status="404"' in ln for ln in lines), lines
    assert not any(sid in ln or "no-such-session" in ln or "/no/such" in ln for ln in lines)
    assert not any('route="/metrics"' in ln for ln in lines)  # scrapes are left out
    assert metric_lines(client, "support_http_request_seconds_bucket{")


def test_open_escalations_gauge_follows_the_desk_and_aht_comes_from_it(client, app_settings):
    assert not metric_lines(client, 'support_open_escalations{reason="explicit_request"}')
    out = chat(client, "I want to talk to a person")
    assert out["escalated"]
    esc = out["escalation"]["id"]
    gauge = 'support_open_escalations{reason="explicit_request"} 1.0'
    waiting = 'support_unclaimed_escalations{reason="explicit_request"} 1.0'
    assert metric_lines(client, gauge) and metric_lines(client, waiting)

    url = f"/v1/agent/escalations/{esc}"
    agent_post(client, app_settings, f"{url}/claim")
    assert metric_lines(client, gauge) and not metric_lines(client, waiting)  # a person has it
    agent_post(client, app_settings, f"{url}/resolve")
    assert not metric_lines(client, "support_open_escalations{")

    kpi = client.get("/v1/admin/kpi", headers=agent_headers(app_settings)).json()
    assert kpi["handled_escalations"] == 1 and kpi["aht_seconds"] is not None
    assert kpi["containment_rate"] == 0.0 and kpi["resolved_conversations"] == 1
    assert kpi["effort_turns_median"] == 1.0  # one customer turn, then a person resolved it


def test_kpi_cli_prints_a_table_with_the_period(app_settings, services, monkeypatch):
    monkeypatch.setenv("DATA_DIR", str(app_settings.data_dir))
    monkeypatch.setenv("DATABASE_URL", app_settings.database_url)
    for i in range(3):
        write_turn(services.store.engine, TurnRecord(session_id=f"k{i}", message="hi",
                                                     latency_ms=900))  # fmt: skip
    runner = CliRunner()
    table = runner.invoke(cli, ["kpi"])
    assert table.exit_code == 0, table.output
    lines = table.output.splitlines()
    assert lines[0].split() == ["metric", "value", "what", "it", "means"]
    rows = {ln.split("  ")[0].strip(): ln for ln in lines[2:]}
    assert "all time" in rows["period"] and "None" not in table.output
    assert "{" not in table.output  # not a Python dict
    assert "no hand-off claimed and resolved" in rows["AHT"] and "n/a" in rows["AHT"]
    assert "0.9 s" in rows["bot response time"] and "not AHT" in rows["bot response time"]
    assert "100.0 %" in rows["containment"] and "without a person" in rows["containment"]
    assert "median 1, mean 1" in rows["customer effort (turns)"]

    since = runner.invoke(cli, ["kpi", "--since", "2026-12-01"])
    assert since.exit_code == 0, since.output
    assert "since 2026-12-01 00:00 UTC" in since.output

    data = json.loads(runner.invoke(cli, ["kpi", "--json"]).output)
    assert {"period", "aht_seconds", "bot_response_seconds", "containment_rate",
            "effort_turns_median", "effort_turns_mean", "first_contact_resolution",
            "csat_mean", "escalation_rate"} <= set(data)  # fmt: skip
    assert data["bot_response_seconds"] == 0.9 and data["aht_seconds"] is None


def test_drift_counts_relabels_only_and_says_when_they_are_too_few(
    client, app_settings, services, monkeypatch
):
    first = chat(client, "hello")
    out = chat(client, "I want to talk to a person", session_id=first["session_id"])
    url = f"/v1/agent/escalations/{out['escalation']['id']}"
    package = client.get(url, headers=agent_headers(app_settings)).json()
    turn = next(i for i, ln in enumerate(package["transcript"]) if ln["role"] == "customer")
    agent_post(client, app_settings, f"{url}/relabel", turn=turn, intent="track_order")
    edited = package["suggested_reply"] + " I have also checked your order."
    agent_post(client, app_settings, f"{url}/reply", text=edited, suggestion="edited")
    kinds = [r["kind"] for r in services.store.list_corrections()]
    assert kinds == ["relabel", "edited_reply"]  # an edited reply is stored, but is no label

    monkeypatch.setenv("DATA_DIR", str(app_settings.data_dir))
    monkeypatch.setenv("DATABASE_URL", app_settings.database_url)
    runner = CliRunner()
    checked = runner.invoke(cli, ["drift", "check", "--json"])
    assert checked.exit_code == 0, checked.output  # one relabel flags nothing
    report = json.loads(checked.output)
    assert report["relabels"] == 1 and report["relabels_changed"] == 1
    assert report["f1"]["judged"] is False and report["f1"]["flagged"] is False
    assert report["f1"]["recent_macro_f1"] is None

    text = runner.invoke(cli, ["drift", "check"])
    assert text.exit_code == 0, text.output
    assert "too few relabels (n=1, need 30) to judge drift" in text.output
    assert "0.000" not in text.output

    judged = runner.invoke(cli, ["drift", "check", "--min-relabels", "1", "--json"])
    f1 = json.loads(judged.output)["f1"]
    assert f1["judged"] and f1["turns"] == 1  # the edited reply is not a second labelled turn
    # the /metrics gauges count the same labelled turns
    assert metric_lines(client, 'support_agent_labelled_turns{window="7d"} 1.0')
    assert metric_lines(client, 'support_agent_relabelled_turns{window="7d"} 1.0')
