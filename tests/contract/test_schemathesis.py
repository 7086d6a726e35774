"""The published OpenAPI tells the truth: schemathesis sends generated (and deliberately
malformed) requests to a live server, and every answer must have a documented status, the
documented content type and body schema (each SSE event included), and never be a 5xx.

Runs the pinned `schemathesis` CLI with a fixed seed and a bounded example count, so a run
is repeatable and takes seconds; a failure prints schemathesis' report with a curl command
that reproduces each finding.
"""

from __future__ import annotations

import json
import subprocess
import sys

import pytest

from app.auth import mint_token
from tests.reliability.live import LiveServer, copy_data_dir

pytest.importorskip(
    "schemathesis",
    reason="schemathesis is not installed (it is a dev dependency: pip install -e '.[dev]')",
)

CHECKS = ",".join(
    [
        "not_a_server_error",
        "status_code_conformance",
        "content_type_conformance",
        "response_schema_conformance",
    ]
)
EXAMPLES = 10
"""Generated requests per operation in the fuzzing phase; the coverage phase adds its own
boundary and negative cases (about 600 requests in all)."""
SEED = 16
SECRET = "s" * 40  # LiveServer's JWT_SECRET


@pytest.fixture(scope="module")
def live(built, tmp_path_factory):
    settings, _ = built
    data_dir = copy_data_dir(settings.data_dir, tmp_path_factory.mktemp("contract") / "data")
    # Flood limits off, so chat examples run turns rather than collect 429s (declared anyway).
    env = {"TURNS_PER_CLIENT_PER_MINUTE": "0", "SESSIONS_PER_CLIENT_PER_MINUTE": "0"}
    server = LiveServer(data_dir, env).start()
    yield server
    server.stop()


def config(live, built) -> str:
    """schemathesis.toml: a customer's token, an agent's for the agent API, and real ids so
    the generated requests reach past the 404s (a conversation with an escalation, an invoice)."""
    customer = mint_token("C0001", SECRET, 3600)
    agent = mint_token("ann", SECRET, 3600, role="agent")
    with live.client(headers={"Authorization": f"Bearer {customer}"}) as http:
        turn = http.post("/v1/chat", json={"message": "let me speak to a human"}).json()
    invoice = built[1].store.list_invoices("C0001")[0].id
    return f"""
headers = {{ Authorization = "Bearer {customer}" }}

[parameters]
"path.session_id" = "{turn["session_id"]}"
"path.escalation_id" = "{turn["escalation"]["id"]}"
"path.invoice_id" = "{invoice}"

[[operations]]
include-path-regex = "^/v1/(agent|admin)/"
headers = {{ Authorization = "Bearer {agent}" }}

[[operations]]
include-name = "GET /v1/sessions/{{session_id}}/events"
parameters = {{ "query.max_seconds" = 0.2 }}  # a stream lasts max_seconds

[[operations]]
include-name = "GET /v1/agent/events"
headers = {{ Authorization = "Bearer {agent}" }}
parameters = {{ "query.max_seconds" = 0.2 }}
"""


def test_openapi_every_answer_is_documented(live, built, tmp_path):
    (tmp_path / "schemathesis.toml").write_text(config(live, built))
    report = tmp_path / "report.json"
    run = subprocess.run(
        [
            *(sys.executable, "-m", "schemathesis.cli", "--config-file", "schemathesis.toml"),
            *("run", f"{live.url}/openapi.json", "--checks", CHECKS),
            *("--phases", "examples,coverage,fuzzing", "--max-examples", str(EXAMPLES)),
            *("--seed", str(SEED), "--workers", "1", "--request-timeout", "30"),
            *("--generation-database", "none", "--no-color"),
            *("--report", "json", "--report-json-path", str(report)),
        ],
        cwd=tmp_path,
        capture_output=True,
        text=True,
        timeout=300,
    )
    output = run.stdout[-12000:] + run.stderr[-4000:]
    assert report.exists(), output
    result = json.loads(report.read_text())
    assert (result["failures"], result["errors"]) == ([], []), output
    assert run.returncode == 0, output
    operations = sum(
        len(ops) for ops in live.client().get("/openapi.json").json()["paths"].values()
    )
    assert result["operations"]["tested"] == result["operations"]["total"] == operations, output
    assert result["test_cases"]["generated"] >= 10 * operations, output
