"""`GET /v1/admin/kb/gaps` and `support kb gaps` asking the running service for it.

The service has the encoder loaded, so the CLI gets its groups without loading a model;
the answer is used only when the service reads the same store and help centre.
"""

from __future__ import annotations

import json
import socket
import threading
import time

import pytest
from typer.testing import CliRunner

from app.auth import mint_token
from app.main import create_app
from cli import kb

QUESTIONS = [("a", "do you price match other stores"), ("b", "price match?")]


@pytest.fixture
def gaps_logged(services):
    """Two missing-knowledge escalations about price matching in the service's store."""
    for session, question in QUESTIONS:
        services.store.create_escalation(
            session_id=f"gaps-{session}",
            customer_id=None,
            reason="missing_knowledge",
            intent=None,
            confidence=None,
            entities=[],
            transcript=[{"role": "customer", "content": question}],
        )


def test_kb_gaps_endpoint_needs_an_agent_token_and_groups_the_questions(
    client, app_settings, token_for, gaps_logged
):
    agent = {
        "Authorization": f"Bearer {mint_token('ann', app_settings.jwt_secret(), 600, role='agent')}"
    }

    assert client.get("/v1/admin/kb/gaps").status_code == 401
    assert client.get("/v1/admin/kb/gaps", headers=token_for("C0001")).status_code == 403
    assert client.get("/v1/admin/kb/gaps", params={"limit": 0}, headers=agent).status_code == 422
    found = client.get("/v1/admin/kb/gaps", headers=agent)

    assert found.status_code == 200, found.text
    body = found.json()
    price = [g for g in body["groups"] if "price match" in g["question"]]
    assert [(g["count"], g["escalated"]) for g in price] == [(2, 2)]
    assert body["questions"] >= 2 and body["groups_total"] == len(body["groups"])


@pytest.fixture
def served(app_settings, services):
    """The app under a real uvicorn server in a thread; its port."""
    import uvicorn

    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        port = sock.getsockname()[1]
    server = uvicorn.Server(
        uvicorn.Config(
            create_app(app_settings, services=services),
            host="127.0.0.1",
            port=port,
            log_level="warning",
        )
    )
    thread = threading.Thread(target=server.run, daemon=True)
    thread.start()
    deadline = time.monotonic() + 30
    while not server.started and time.monotonic() < deadline:
        time.sleep(0.05)
    assert server.started, "uvicorn did not start"
    yield port
    server.should_exit = True
    thread.join(timeout=10)


def test_kb_gaps_cli_asks_the_running_service(
    served, app_settings, gaps_logged, monkeypatch, tmp_path
):
    monkeypatch.chdir(tmp_path)
    for name, value in {
        "DATA_DIR": str(app_settings.DATA_DIR),
        "DATABASE_URL": app_settings.database_url,
        "JWT_SECRET": app_settings.jwt_secret(),
        "CHROMA_URL": "",
        "HOST": "127.0.0.1",
        "PORT": str(served),
    }.items():
        monkeypatch.setenv(name, value)
    monkeypatch.delenv("KB_COLLECTION", raising=False)
    monkeypatch.delenv("KB_MIN_SCORE", raising=False)

    asked = CliRunner().invoke(kb.app, ["gaps", "--json"])
    here = CliRunner().invoke(kb.app, ["gaps", "--json", "--local"])

    assert asked.exit_code == 0, asked.output
    assert asked.stderr == ""  # no "grouping here" note: the service answered
    assert json.loads(asked.stdout) == json.loads(here.stdout)
    assert any("price match" in g["question"] for g in json.loads(asked.stdout)["groups"])

    monkeypatch.setenv("DATABASE_URL", f"sqlite:///{tmp_path / 'other.sqlite'}")
    other = CliRunner().invoke(kb.app, ["gaps", "--json"])
    assert other.stderr.startswith(f"note: the service at http://127.0.0.1:{served} reads another")
