"""The channel of each conversation (api, widget, email): recorded when it starts, kept for
its life, shown on the desk, and the KPIs and turn metrics split by it."""

from __future__ import annotations

from prometheus_client import REGISTRY
from typer.testing import CliRunner

from cli import cli
from tests.api.helpers import chat


def channel_of(services, session_id: str) -> str:
    owner = services.store.session_owner(session_id)
    assert owner is not None
    return owner[1]


def widget_turns() -> float:
    total = 0.0
    for family in REGISTRY.collect():
        if family.name == "support_turns":
            total += sum(
                s.value
                for s in family.samples
                if s.name == "support_turns_total" and s.labels.get("channel") == "widget"
            )
    return total


def test_channel_is_recorded_for_api_and_widget_sessions_and_kept(client, services):
    before = widget_turns()
    api = chat(client, "What is your refund policy for returns?")
    widget = client.post(
        "/v1/chat", json={"message": "do you ship to Canada?", "channel": "widget"}
    ).json()
    # A later message naming another channel does not move the conversation.
    again = client.post(
        "/v1/chat",
        json={"message": "thanks", "session_id": widget["session_id"], "channel": "api"},
    )

    assert again.status_code == 200, again.text
    assert channel_of(services, api["session_id"]) == "api"
    assert channel_of(services, widget["session_id"]) == "widget"
    assert widget_turns() == before + 2


def test_a_client_cannot_claim_the_email_channel(client):
    response = client.post("/v1/chat", json={"message": "hello", "channel": "email"})

    assert response.status_code == 422
    assert "channel" in response.text


def test_kpis_split_by_channel_over_http_and_the_cli(
    client, services, agent_headers, app_settings, monkeypatch
):
    chat(client, "What is your refund policy for returns?")
    widget = client.post("/v1/chat", json={"message": "hello", "channel": "widget"}).json()
    escalated = client.post(
        "/v1/chat",
        json={"message": "I want to talk to a person", "session_id": widget["session_id"]},
    ).json()
    assert escalated["escalated"] is True
    client.post("/v1/feedback", json={"session_id": widget["session_id"], "rating": 2})

    kpi = client.get("/v1/admin/kpi", headers=agent_headers()).json()

    assert kpi["conversations"] == 2
    by = kpi["by_channel"]
    assert set(by) == {"api", "widget", "email"}
    assert (by["api"]["conversations"], by["api"]["escalation_rate"]) == (1, 0.0)
    assert (by["widget"]["conversations"], by["widget"]["escalation_rate"]) == (1, 1.0)
    assert by["widget"]["csat_mean"] == 2.0 and by["api"]["csat_mean"] is None
    assert by["api"]["first_contact_resolution"] == 1.0
    assert by["email"]["conversations"] == 0 and by["email"]["escalation_rate"] is None

    monkeypatch.setenv("DATA_DIR", str(app_settings.data_dir))
    monkeypatch.setenv("DATABASE_URL", app_settings.database_url)
    printed = CliRunner().invoke(cli, ["kpi"])
    assert printed.exit_code == 0, printed.output
    table = printed.output.split("by channel\n", 1)[1].splitlines()
    assert table[0].split() == ["channel", "conversations", "escalation", "rate", "FCR", "CSAT",
                                "AHT"]  # fmt: skip
    assert table[2].split()[:3] == ["api", "1", "0.0"]
    assert table[3].split()[:3] == ["widget", "1", "100.0"]


def test_the_desk_queue_and_package_show_the_channel(client, agent_headers):
    opened = client.post("/v1/chat", json={"message": "hello", "channel": "widget"}).json()
    out = chat(client, "I want to talk to a person", session_id=opened["session_id"])
    escalation = out["escalation"]["id"]

    rows = client.get("/v1/agent/escalations", headers=agent_headers()).json()
    package = client.get(f"/v1/agent/escalations/{escalation}", headers=agent_headers())

    assert [r["channel"] for r in rows if r["id"] == escalation] == ["widget"]
    assert package.status_code == 200, package.text
    assert package.json()["channel"] == "widget"
