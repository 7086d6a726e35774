"""Dependencies that fail under the service, or are down when it starts: every fault is a
clear answer, and the service recovers without a restart when the dependency returns.

- store down: 503 with Retry-After on every route that needs it;
- Chroma down: the help-centre turn escalates `tool_failure` saying the help centre could
  not be searched, and the connection stays usable;
- LLM endpoint dead, failing or slow: the offline composer answers the same turn;
- store, conversation memory or Chroma down at start-up: the process starts, /readyz
  names what is missing, and it turns ready once they are back.

Postgres goes away through a TCP proxy the tests stop and start; Chroma is a real
`chroma run` server stopped and restarted on the same port and data.
"""

from __future__ import annotations

import dataclasses
import http.server
import shutil
import subprocess
import sys
import threading
import time
from collections.abc import Callable, Iterator
from pathlib import Path

import httpx
import pytest
from fastapi.testclient import TestClient
from prometheus_client import REGISTRY

from app.auth import mint_token
from app.main import create_app
from app.runtime import build_composer
from tests.reliability.live import LiveServer, copy_data_dir, free_port
from tests.reliability.proxy import TcpProxy
from tools.store.backend import SqlStore
from tools.store.db import create_schema, make_engine
from tools.store.seed import seed_demo
from tools.store.turnlog import turns_since

STORE_DOWN = "our conversation store is not answering right now"
HELP_CENTRE_DOWN = "Sorry, I couldn't search our help centre just now"
QUESTION = "what is your return policy?"


def seeded_postgres(url: str) -> None:
    engine = make_engine(url)
    try:
        create_schema(engine)
        seed_demo(engine)
    finally:
        engine.dispose()


def wait_for(probe: Callable[[], bool], seconds: float, what: str) -> None:
    deadline = time.monotonic() + seconds
    while not probe():
        if time.monotonic() > deadline:
            raise AssertionError(f"{what} did not happen within {seconds} s")
        time.sleep(0.5)


def no_unhandled_errors(server: LiveServer) -> bool:
    """No request ended in a 500 or a connection dropped by an exception."""
    log = server.log_path.read_text(errors="replace")
    return "Exception in ASGI application" not in log and "unhandled error on" not in log


def ready(http: httpx.Client) -> bool:
    return http.get("/readyz").status_code == 200


def fallbacks(reason: str) -> float:
    return REGISTRY.get_sample_value("support_llm_fallbacks_total", {"reason": reason}) or 0.0


# -- the store down under a running service: every route ---------------------------------

NO_STORE = {
    ("GET", "/healthz"),
    ("GET", "/metrics"),
    ("GET", "/console"),
    ("GET", "/v1/admin/kb/search"),  # the help centre only: answers with the store down
}


def store_requests(session_id: str, escalation_id: str) -> dict[tuple[str, str], dict]:
    """One request per route that needs the store: (method, route path) -> httpx kwargs."""
    esc = f"/v1/agent/escalations/{escalation_id}"
    return {
        ("GET", "/readyz"): {"url": "/readyz"},
        ("POST", "/v1/chat"): {"url": "/v1/chat", "json": {"message": "where is my order?"}},
        ("POST", "/v1/chat/stream"): {"url": "/v1/chat/stream", "json": {"message": "hi"}},
        ("GET", "/v1/sessions/{session_id}"): {"url": f"/v1/sessions/{session_id}"},
        ("GET", "/v1/sessions/{session_id}/events"): {
            "url": f"/v1/sessions/{session_id}/events?max_seconds=1"
        },
        ("GET", "/v1/invoices/{invoice_id}"): {"url": "/v1/invoices/INV-2026-00001"},
        ("POST", "/v1/feedback"): {
            "url": "/v1/feedback",
            "json": {"session_id": session_id, "rating": 5},
        },
        ("GET", "/v1/admin/kpi"): {"url": "/v1/admin/kpi"},
        ("GET", "/v1/admin/kb/gaps"): {"url": "/v1/admin/kb/gaps"},
        ("GET", "/v1/agent/escalations"): {"url": "/v1/agent/escalations"},
        ("GET", "/v1/agent/escalations/{escalation_id}"): {"url": esc},
        ("POST", "/v1/agent/escalations/{escalation_id}/claim"): {"url": f"{esc}/claim"},
        ("POST", "/v1/agent/escalations/{escalation_id}/reply"): {
            "url": f"{esc}/reply",
            "json": {"text": "Hello, Ann here."},
        },
        ("POST", "/v1/agent/escalations/{escalation_id}/suggestion/reject"): {
            "url": f"{esc}/suggestion/reject"
        },
        ("POST", "/v1/agent/escalations/{escalation_id}/relabel"): {
            "url": f"{esc}/relabel",
            "json": {"turn": 0, "intent": "track_order"},
        },
        ("POST", "/v1/agent/escalations/{escalation_id}/handback"): {"url": f"{esc}/handback"},
        ("POST", "/v1/agent/escalations/{escalation_id}/resolve"): {"url": f"{esc}/resolve"},
        ("POST", "/v1/agent/escalations/{escalation_id}/assign"): {
            "url": f"{esc}/assign",
            "json": {"agent": "bob"},
        },
        ("POST", "/v1/agent/escalations/{escalation_id}/reopen"): {"url": f"{esc}/reopen"},
        ("POST", "/v1/agent/escalations/{escalation_id}/notes"): {
            "url": f"{esc}/notes",
            "json": {"text": "private"},
        },
        ("POST", "/v1/agent/escalations/{escalation_id}/actions"): {
            "url": f"{esc}/actions",
            "json": {"action": "cancel", "order_id": "W0000001", "reason": "ordered by mistake"},
        },
        ("POST", "/v1/agent/escalations/{escalation_id}/macros/{macro_id}/render"): {
            "url": f"{esc}/macros/1/render",
            "json": {},
        },
        ("GET", "/v1/agent/macros"): {"url": "/v1/agent/macros"},
        ("POST", "/v1/agent/macros"): {
            "url": "/v1/agent/macros",
            "json": {"name": "n", "text": "t"},
        },
        ("DELETE", "/v1/agent/macros/{macro_id}"): {"url": "/v1/agent/macros/1"},
        ("GET", "/v1/agent/events"): {"url": "/v1/agent/events?max_seconds=1"},
        ("POST", "/v1/agent/approvals/{approval_id}/decide"): {
            "url": "/v1/agent/approvals/APR-1/decide",
            "json": {"approve": True},
        },
    }


@pytest.mark.postgres
def test_store_down_every_route_answers_503_with_retry_after(
    postgres_url, built, app_settings, token_for
):
    _, shared = built
    seeded_postgres(postgres_url)
    proxy = TcpProxy(("127.0.0.1", 5432)).start()
    services = dataclasses.replace(shared, store=SqlStore.from_url(proxy.url_for(postgres_url)))
    customer = token_for("C0001")
    agent = {
        "Authorization": "Bearer " + mint_token("ann", app_settings.jwt_secret(), 3600, "agent")
    }
    try:
        with TestClient(create_app(app_settings, services=services)) as client:
            asked = client.post("/v1/chat", json={"message": "I want to talk to a human"},
                                headers=customer).json()  # fmt: skip
            session_id, escalation_id = asked["session_id"], asked["escalation"]["id"]
            requests = store_requests(session_id, escalation_id)
            paths = client.app.openapi()["paths"]  # every route but /metrics and /console
            routes = {(method.upper(), path) for path, ops in paths.items() for method in ops}
            assert routes - NO_STORE == set(requests), "a route is missing from this test"

            proxy.stop()
            answers = {}
            for (method, path), kwargs in requests.items():
                headers = agent if "/agent/" in path or path.startswith("/v1/admin/") else customer
                answers[(method, path)] = client.request(method, headers=headers, **kwargs)
            alive = [
                client.get(path, params={"q": "refund"}, headers=agent).status_code
                for _, path in sorted(NO_STORE)
            ]

            proxy.start()
            wait_for(lambda: client.get("/readyz").status_code == 200, 30, "/readyz 200")
            after = client.post("/v1/chat", json={"message": "where is my order?",
                                "session_id": session_id}, headers=customer)  # fmt: skip
    finally:
        proxy.stop()

    for (_, path), response in answers.items():
        assert response.status_code == 503, (path, response.text)
        assert response.headers["Retry-After"] == ("5" if path == "/readyz" else "30"), path
    for (_, path), response in answers.items():
        if path != "/readyz":
            assert response.json()["error"]["code"] == "store_unavailable", path
            assert response.json()["error"]["message"].startswith(STORE_DOWN), path
    ready_message = answers[("GET", "/readyz")].json()["error"]["message"]
    assert f"store (postgresql+psycopg://postgres@127.0.0.1:{proxy.port}/test" in ready_message
    assert alive == [200] * len(NO_STORE)
    assert after.status_code == 200 and after.json()["session_id"] == session_id


# -- the LLM endpoint dead, failing or slow: the offline composer answers ---------------


class _Endpoint(http.server.BaseHTTPRequestHandler):
    """A chat endpoint that answers 500 at once, or sleeps past the client's timeout."""

    behaviour = "fail"
    hits: list[str] = []

    def do_POST(self) -> None:  # noqa: N802 (http.server's naming)
        self.hits.append(self.path)
        if self.behaviour == "slow":
            time.sleep(6)
        self.send_response(500)
        self.send_header("Content-Type", "application/json")
        self.end_headers()
        self.wfile.write(b'{"error": {"message": "model crashed"}}')

    def log_message(self, *args) -> None:
        pass


@pytest.fixture
def llm_endpoint() -> Iterator[Callable[[str], tuple[str, list[str]]]]:
    """`serve(behaviour)` -> (base URL, paths the endpoint was asked for)."""
    servers: list[http.server.ThreadingHTTPServer] = []

    def serve(behaviour: str) -> tuple[str, list[str]]:
        if behaviour == "dead":
            return f"http://127.0.0.1:{free_port()}/v1", []  # nothing listens there
        handler = type("Endpoint", (_Endpoint,), {"behaviour": behaviour, "hits": []})
        server = http.server.ThreadingHTTPServer(("127.0.0.1", 0), handler)
        server.daemon_threads = True
        threading.Thread(target=server.serve_forever, daemon=True).start()
        servers.append(server)
        return f"http://127.0.0.1:{server.server_address[1]}/v1", handler.hits

    yield serve
    for server in servers:
        server.shutdown()
        server.server_close()


@pytest.mark.parametrize(
    ("behaviour", "reason"), [("dead", "connection"), ("fail", "server_error"), ("slow", "timeout")]
)
def test_llm_down_offline_composer_answers_the_turn(
    behaviour, reason, llm_endpoint, app_settings, services, encoder
):
    offline = TestClient(create_app(app_settings, services=services))
    with offline:
        expected = offline.post("/v1/chat", json={"message": QUESTION}).json()
    url, hits = llm_endpoint(behaviour)
    llm = app_settings.model_copy(
        update={"OPENAI_BASE_URL": url, "LLM_MODEL": "m", "LLM_TIMEOUT_SECONDS": 1.0}
    )
    with_llm = dataclasses.replace(services, composer=build_composer(llm, encoder))
    before = fallbacks(reason)
    with TestClient(create_app(llm, services=with_llm)) as client:
        began = time.monotonic()
        out = client.post("/v1/chat", json={"message": QUESTION})
        seconds = time.monotonic() - began
        ready = client.get("/readyz").json()

    assert out.status_code == 200, out.text
    body = out.json()
    assert body["escalated"] is False and body["escalation"] is None
    assert body["reply"] == expected["reply"] and body["reply"]
    assert body["citations"] == expected["citations"]
    assert fallbacks(reason) == before + 1
    assert ready["composer"] == "openai"
    if behaviour != "dead":
        assert hits == ["/v1/chat/completions"]  # tried once, no retry
    if behaviour == "slow":
        assert seconds < 5, "the turn waited for the slow endpoint instead of its timeout"


# -- start-up with the store and conversation memory down -------------------------------


@pytest.mark.postgres
def test_start_with_postgres_down_then_recover_then_lose_it_mid_run(built, postgres_url, tmp_path):
    settings, _ = built
    seeded_postgres(postgres_url)
    proxy = TcpProxy(("127.0.0.1", 5432))  # not started: Postgres is "down"
    store_url = proxy.url_for(postgres_url)
    memory_url = store_url.replace("postgresql+psycopg://", "postgresql://")
    data_dir = copy_data_dir(settings.data_dir, tmp_path / "data")
    server = LiveServer(data_dir, {"DATABASE_URL": store_url, "CHECKPOINT_URL": memory_url})
    token = {"Authorization": "Bearer " + mint_token("C0001", "s" * 40, 3600)}
    server.start(ready_path="/healthz")
    try:
        with server.client() as http:
            not_ready = http.get("/readyz")
            refused = http.post("/v1/chat", json={"message": "where is my order?"}, headers=token)

            proxy.start()
            wait_for(lambda: ready(http), 60, "/readyz 200 after Postgres came back")
            first = http.post("/v1/chat", json={"message": "where is my order?"}, headers=token)
            session_id = first.json()["session_id"]

            proxy.stop()
            lost = http.post("/v1/chat", json={"message": "the first one",
                             "session_id": session_id}, headers=token)  # fmt: skip
            lost_read = http.get(f"/v1/sessions/{session_id}", headers=token)
            lost_ready = http.get("/readyz")

            proxy.start()
            wait_for(lambda: ready(http), 60, "/readyz 200 after Postgres came back again")
            again = http.post("/v1/chat", json={"message": "thanks", "session_id": session_id},
                              headers=token)  # fmt: skip
            transcript = http.get(f"/v1/sessions/{session_id}", headers=token).json()
    finally:
        server.stop()
        proxy.stop()

    assert not_ready.status_code == 503 and not_ready.headers["Retry-After"] == "5"
    message = not_ready.json()["error"]["message"]
    assert f"store (postgresql+psycopg://postgres@127.0.0.1:{proxy.port}/test" in message
    assert f"conversation memory (postgresql://postgres@127.0.0.1:{proxy.port}/test" in message
    for response in (refused, lost, lost_read):
        assert response.status_code == 503, response.text
        assert response.headers["Retry-After"] == "30"
        assert response.json()["error"]["message"].startswith(STORE_DOWN)
    assert lost_ready.status_code == 503 and "store (" in lost_ready.json()["error"]["message"]
    assert first.status_code == 200 and again.status_code == 200, (first.text, again.text)

    # The transcript, the store and the replies agree: the refused turn left no trace.
    lines = [(line["role"], line["content"]) for line in transcript["transcript"]]
    assert lines == [
        ("customer", "where is my order?"),
        ("assistant", first.json()["reply"]),
        ("customer", "thanks"),
        ("assistant", again.json()["reply"]),
    ]
    engine = make_engine(postgres_url)
    try:
        assert SqlStore(engine).get_session(session_id) == (session_id, "C0001")
        logged = [row.message for row in turns_since(engine, None) if row.session_id == session_id]
    finally:
        engine.dispose()
    assert logged == ["where is my order?", "thanks"]
    assert no_unhandled_errors(server)


# -- Chroma down at start-up, back, then stopped and restarted under the service ---------


class ChromaServer:
    """A `chroma run` server on a fixed port and folder, started and stopped at will."""

    def __init__(self, path: Path) -> None:
        executable = shutil.which("chroma") or str(Path(sys.executable).parent / "chroma")
        if not Path(executable).exists():
            pytest.skip("the chroma CLI (from the chromadb package) is not installed")
        self.executable, self.path, self.port = executable, path, free_port()
        self.url = f"http://127.0.0.1:{self.port}"
        self.address = ["--host", "127.0.0.1", "--port", str(self.port)]
        self.proc: subprocess.Popen | None = None

    def start(self) -> None:
        log = (self.path / "chroma.log").open("ab")
        self.proc = subprocess.Popen(
            [self.executable, "run", "--path", str(self.path / "db"), *self.address],
            stdout=log,
            stderr=subprocess.STDOUT,
        )

        def up() -> bool:
            try:
                return httpx.get(f"{self.url}/api/v2/heartbeat", timeout=1).status_code == 200
            except httpx.HTTPError:
                if self.proc is not None and self.proc.poll() is not None:
                    pytest.skip(f"chroma run exited: {(self.path / 'chroma.log').read_text()}")
                return False

        wait_for(up, 60, "chroma run answering")

    def stop(self) -> None:
        if self.proc is not None and self.proc.poll() is None:
            self.proc.terminate()
            try:
                self.proc.wait(15)
            except subprocess.TimeoutExpired:
                self.proc.kill()
                self.proc.wait(5)


def ingest_into(settings, chroma_url: str) -> None:
    from knowledge.ingest import ingest_paths
    from knowledge.tokens import get_tokenizer
    from knowledge.vectorstore import open_collection

    remote = settings.model_copy(update={"CHROMA_URL": chroma_url})
    tokenizer = get_tokenizer(str(settings.tiktoken_cache_dir))
    ingest_paths([settings.KB_DIR], open_collection(remote.knowledge), tokenizer)


def test_chroma_down_at_start_and_mid_run_escalates_then_recovers(built, tmp_path):
    settings, _ = built
    chroma = ChromaServer(tmp_path)
    data_dir = copy_data_dir(settings.data_dir, tmp_path / "data")
    server = LiveServer(data_dir, {"CHROMA_URL": chroma.url}).start(ready_path="/healthz")
    try:
        with server.client() as http:
            not_ready = http.get("/readyz")
            down_at_start = http.post("/v1/chat", json={"message": QUESTION})
            same_connection = http.get("/healthz")

            chroma.start()
            ingest_into(settings, chroma.url)
            wait_for(lambda: ready(http), 30, "/readyz 200 after Chroma came up")
            answered = http.post("/v1/chat", json={"message": QUESTION})

            chroma.stop()
            lost = http.post("/v1/chat", json={"message": QUESTION})
            lost_transcript = http.get(f"/v1/sessions/{lost.json()['session_id']}")

            chroma.start()
            wait_for(lambda: ready(http), 30, "/readyz 200 after Chroma restarted")
            back = http.post("/v1/chat", json={"message": QUESTION})
    finally:
        server.stop()
        chroma.stop()

    assert not_ready.status_code == 503
    assert not_ready.json()["error"]["message"] == (
        f"not ready: knowledge base (Chroma at {chroma.url}) unreachable"
    )
    for failed in (down_at_start, lost):
        assert failed.status_code == 200, failed.text
        body = failed.json()
        assert body["escalated"] is True and body["escalation"]["reason"] == "tool_failure"
        assert body["reply"].startswith(HELP_CENTRE_DOWN)
        assert "order system" not in body["reply"]
        assert body["actions"][0]["tool"] == "search_knowledge"
        assert body["actions"][0]["status"] == "error"
    assert same_connection.status_code == 200 and lost_transcript.status_code == 200
    assert lost_transcript.json()["transcript"][-1]["content"] == lost.json()["reply"]
    store = SqlStore.from_url(f"sqlite:///{data_dir / 'store.sqlite'}")
    for failed in (down_at_start, lost):
        assert store.get_escalation(failed.json()["escalation"]["id"]).reason == "tool_failure"
    for good in (answered, back):
        assert good.status_code == 200 and good.json()["escalated"] is False, good.text
        assert good.json()["citations"], good.text
    assert back.json()["reply"] == answered.json()["reply"]
    assert no_unhandled_errors(server)
