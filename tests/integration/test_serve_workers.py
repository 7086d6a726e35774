"""`support serve --workers 2`: two processes on one port give one coherent service.

A real `support serve --workers 2` on a free loopback port, over a fresh Postgres database
(store and conversation memory) and the embedded help centre `support setup` wrote into
its DATA_DIR. Each answer names the worker process that gave it (`X-Worker: <pid>`); the
kernel hands each new connection to one of the two, so the tests open a connection per
request and send several conversations at once.

Skipped, with the reason, where Postgres (POSTGRES_TEST_URL) is not reachable.
"""

from __future__ import annotations

import os
import re
import subprocess
from collections.abc import Iterator
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass
from pathlib import Path

import httpx
import pytest

from bench.stack import (
    BASE_ENV,
    _bin,
    _libpq,
    _stop,
    _wait,
    bearer,
    free_port,
    fresh_database,
    postgres_reason,
    support,
)
from tools.store.backend import SqlStore

pytestmark = pytest.mark.postgres


@dataclass
class Served:
    url: str
    pid: int
    database_url: str


def _children(parent: int) -> set[int]:
    """Pids whose parent is `parent` (read from /proc)."""
    found = set()
    for stat in Path("/proc").glob("[0-9]*/stat"):
        try:
            fields = stat.read_text().rsplit(")", 1)[1].split()
        except OSError:
            continue
        if int(fields[1]) == parent:
            found.add(int(stat.parent.name))
    return found


@pytest.fixture(scope="module")
def served(tmp_path_factory, intent_cache_dir) -> Iterator[Served]:
    reason = postgres_reason()
    if reason:
        pytest.skip(reason)
    exe = _bin("support")
    assert exe is not None, "the support CLI is not installed (make install)"
    root = tmp_path_factory.mktemp("serve-workers")
    with fresh_database() as db:
        env = {
            **BASE_ENV,
            "DATA_DIR": str(root / "data"),
            "DATABASE_URL": db,
            "CHECKPOINT_URL": _libpq(db),
            "NLU_CACHE_DIR": str(intent_cache_dir) if intent_cache_dir else "off",
            "SESSIONS_PER_CLIENT_PER_MINUTE": "1000",
        }
        support(["setup"], env)
        port = free_port()
        log = root / "serve.log"
        with log.open("wb") as out:
            proc = subprocess.Popen(
                [exe, "serve", "--workers", "2", "--host", "127.0.0.1", "--port", str(port)],
                env={**os.environ, **env},
                stdout=out,
                stderr=subprocess.STDOUT,
            )
        url = f"http://127.0.0.1:{port}"
        try:
            _wait(lambda: _ready(url), 180, "support serve --workers 2", proc, log)
            yield Served(url, proc.pid, db)
        finally:
            _stop(proc)


def _ready(url: str) -> bool:
    try:
        return httpx.get(url + "/readyz", timeout=2).status_code == 200
    except httpx.HTTPError:
        return False


def _post(url: str, body: dict, headers: dict) -> httpx.Response:
    """One chat turn on a connection of its own (so either worker may take it)."""
    response = httpx.post(url + "/v1/chat", json=body, headers=headers, timeout=120)
    assert response.status_code == 200, response.text
    return response


def _cancel_and_confirm(url: str, customer: str, order_id: str) -> tuple[str, str, str, str]:
    """(worker of the offer, worker of the 'yes', the offer, the reply to 'yes')."""
    headers = bearer(customer)
    offer = _post(url, {"message": f"please cancel order {order_id}, ordered by mistake"}, headers)
    session_id = offer.json()["session_id"]
    yes = _post(url, {"message": "yes", "session_id": session_id}, headers)
    offer_by, yes_by = offer.headers["X-Worker"], yes.headers["X-Worker"]
    return offer_by, yes_by, offer.json()["reply"], yes.json()["reply"]


def _pending_orders(database_url: str, wanted: int) -> list[tuple[str, str]]:
    db = SqlStore.from_url(database_url)
    found = []
    for customer in db.list_customers(limit=500):
        for summary in db.list_orders(customer.id):
            if summary.status == "pending":
                found.append((customer.id, summary.id))
                break
        if len(found) == wanted:
            return found
    raise AssertionError(f"only {len(found)} demo customers have a pending order")


def test_serve_workers_two_processes_answer_on_one_port_and_share_conversations(served):
    orders = _pending_orders(served.database_url, 16)
    results: list[tuple[str, str, str, str]] = []
    with ThreadPoolExecutor(4) as pool:
        for batch in (orders[:8], orders[8:]):  # the second batch only if no turn crossed yet
            results += pool.map(lambda o: _cancel_and_confirm(served.url, *o), batch)
            if any(offer_by != yes_by for offer_by, yes_by, _, _ in results):
                break

    workers = {int(pid) for offer_by, yes_by, _, _ in results for pid in (offer_by, yes_by)}
    assert len(workers) == 2, workers
    assert workers <= _children(served.pid), "answered by processes `support serve` did not start"
    crossed = [r for r in results if r[0] != r[1]]
    assert crossed, "every conversation stayed on one worker; nothing checked across workers"
    db = SqlStore.from_url(served.database_url)
    for (customer, order_id), (_, _, offer, done) in zip(orders, results, strict=False):
        assert "Shall I go ahead?" in offer, offer
        assert done.startswith(f"Done: order {order_id} is cancelled."), done
        assert db.get_order(order_id).status == "cancelled", customer


def test_serve_workers_metrics_count_every_workers_requests(served):
    before = _chat_count(served.url)
    headers = bearer("C0002")
    with ThreadPoolExecutor(4) as pool:
        answers = list(pool.map(lambda _: _post(served.url, {"message": "hi"}, headers), range(8)))
    seen = {a.headers["X-Worker"] for a in answers}

    assert len(seen) == 2, seen  # both workers took some
    assert _chat_count(served.url) - before == 8  # whichever worker answers the scrape


def _chat_count(url: str) -> float:
    text = httpx.get(url + "/metrics", timeout=30).text
    found = re.search(
        r'^support_http_requests_total\{method="POST",route="/v1/chat",status="200"\} (\S+)$',
        text,
        re.MULTILINE,
    )
    return float(found.group(1)) if found else 0.0
