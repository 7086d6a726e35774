"""Throughput and latency over HTTP with 1, 4 and 16 concurrent clients, beside the floor.

Usage: python -m bench.http [--workers 2] [--turns 40] [--url http://127.0.0.1:8000]

Starts `support serve --workers N` on a free loopback port over a copy of this checkout's
DATA_DIR (run `support setup` first; SQLite store and memory, embedded Chroma, abuse
limits off), or drives an already-running service with `--url` (its settings from this
environment: the JWT secret to sign tokens, the store to find demo customers). Then, in one
run:

- the **floor**: one MiniLM encode of a short message + one Chroma k=5 query + one SQL
  read (`bench.turn.floor`), measured in this process while the server idles;
- for 1, 4 and 16 clients (httpx async, one connection pool each, every client a demo
  customer of its own): conversations drawn in turn from order status, help-centre
  questions, smalltalk and an escalation, several turns each, until the level's turns are
  sent; turns/s, p50/p95/p99 of a turn, each beside the floor;
- the ratio of 16-client to 1-client throughput;
- SSE: time from POST /v1/chat/stream to its first event (`meta`) and its first `delta`;
- the server's resident memory, summed over the serving process and its workers (/proc;
  not with --url).

The load clients run on the same machine and take CPU from the server: say so, and which
machine, when quoting the numbers.
"""

from __future__ import annotations

import argparse
import asyncio
import contextlib
import os
import shutil
import subprocess
import tempfile
import time
from collections import Counter
from collections.abc import Iterator
from pathlib import Path
from types import SimpleNamespace
from typing import Any

import httpx

from app.auth import mint_token
from app.settings import Settings
from bench.stack import BASE_ENV, JWT_SECRET, _bin, _stop, _tail, _wait, free_port
from bench.turn import floor, percentile
from tools.store.backend import SqlStore

LEVELS = (1, 4, 16)
LIMITS_OFF = {
    "TURNS_PER_CLIENT_PER_MINUTE": "0",
    "TURNS_PER_CUSTOMER_PER_MINUTE": "0",
    "SESSIONS_PER_CLIENT_PER_MINUTE": "0",
    "TICKETS_PER_CLIENT": "0",
    "TICKETS_PER_CUSTOMER": "0",
    "LOG_LEVEL": "WARNING",
}


def conversations(order_id: str) -> list[list[str]]:
    """The mix every client cycles through: order status, help centre, smalltalk, escalation."""
    return [
        ["hi", f"where is my order {order_id}?", "thanks, that's all"],
        ["what is your return policy?", "how long does a refund take?"],
        ["hello there", "thanks, bye"],
        ["my parcel arrived broken and nobody answers my emails", "I want to talk to a human"],
    ]


@contextlib.contextmanager
def server(workers: int, source: Path) -> Iterator[tuple[str, int, Settings]]:
    """(url, pid, settings) of `support serve --workers N` over a copy of source."""
    exe = _bin("support")
    if exe is None:
        raise SystemExit("the support CLI is not installed (make install)")
    if not (source / "models").is_dir():
        raise SystemExit(f"no set-up DATA_DIR at {source}: run `support setup` first")
    with tempfile.TemporaryDirectory(prefix="bench-http-") as tmp:
        data = Path(shutil.copytree(source, Path(tmp) / "data", ignore=_skip))
        port, log = free_port(), Path(tmp) / "serve.log"
        env = {**os.environ, **BASE_ENV, **LIMITS_OFF, "DATA_DIR": str(data)}
        for name in ("DATABASE_URL", "CHECKPOINT_URL", "CHROMA_URL"):
            env.pop(name, None)  # the copy's SQLite store and memory, its embedded Chroma
        args = ["serve", "--workers", str(workers), "--host", "127.0.0.1", "--port", str(port)]
        with log.open("wb") as out:
            proc = subprocess.Popen([exe, *args], env=env, stdout=out, stderr=subprocess.STDOUT)
        url = f"http://127.0.0.1:{port}"
        try:
            _wait(lambda: len(_workers_seen(url)) >= workers, 240, "support serve", proc, log)
            settings = Settings(_env_file=None, DATA_DIR=data, JWT_SECRET=JWT_SECRET)
            yield url, proc.pid, settings
        finally:
            _stop(proc)
            if proc.returncode not in (0, -15):
                print(f"server exited with {proc.returncode}:\n{_tail(log)}")


def _skip(folder: str, names: list[str]) -> set[str]:
    return {n for n in names if n in ("test-artifacts", "jwt_secret")}


def _workers_seen(url: str, tries: int = 12) -> set[str]:
    """Worker pids answering /readyz 200 over fresh connections ('1' without X-Worker)."""
    seen = set()
    for _ in range(tries):
        try:
            answer = httpx.get(url + "/readyz", timeout=2)
        except httpx.HTTPError:
            return seen
        if answer.status_code == 200:
            seen.add(answer.headers.get("x-worker", "1"))
    return seen


def rss_mb(pid: int) -> list[float]:
    """Resident MB of pid and each of its descendants (/proc), pid first."""
    parents: dict[int, int] = {}
    for stat in Path("/proc").glob("[0-9]*/stat"):
        with contextlib.suppress(OSError, IndexError, ValueError):
            parents[int(stat.parent.name)] = int(stat.read_text().rsplit(")", 1)[1].split()[1])
    tree, frontier = [pid], [pid]
    while frontier:
        frontier = [p for p, parent in parents.items() if parent in frontier]
        tree += frontier
    sizes = []
    for p in tree:
        with contextlib.suppress(OSError):
            for line in Path(f"/proc/{p}/status").read_text().splitlines():
                if line.startswith("VmRSS:"):
                    sizes.append(int(line.split()[1]) / 1024)
    return sizes


def customers(settings: Settings, wanted: int) -> list[tuple[str, str]]:
    """(customer id, a delivered order of theirs) for `wanted` demo customers."""
    store = SqlStore.from_url(settings.database_url)
    found = []
    for customer in store.list_customers(limit=500):
        delivered = [o.id for o in store.list_orders(customer.id) if o.status == "delivered"]
        if delivered:
            found.append((customer.id, delivered[0]))
        if len(found) == wanted:
            return found
    raise SystemExit(f"only {len(found)} demo customers with a delivered order")


async def load(url: str, secret: str, people: list[tuple[str, str]], turns: int) -> dict:
    """`len(people)` clients sending `turns` turns in all; latencies (ms), wall, errors."""
    left = [turns]
    latencies: list[float] = []
    errors: list[str] = []
    served: Counter[str] = Counter()

    async def client(customer: str, order_id: str) -> None:
        token = mint_token(customer, secret, 3600)
        headers = {"Authorization": f"Bearer {token}"}
        async with httpx.AsyncClient(base_url=url, headers=headers, timeout=120) as http:
            while True:
                for script in conversations(order_id):
                    session_id = None
                    for message in script:
                        if left[0] <= 0:
                            return
                        left[0] -= 1
                        body: dict[str, Any] = {"message": message}
                        if session_id:
                            body["session_id"] = session_id
                        began = time.perf_counter()
                        answer = await http.post("/v1/chat", json=body)
                        latencies.append((time.perf_counter() - began) * 1000)
                        served[answer.headers.get("x-worker", "1")] += 1
                        if answer.status_code != 200:
                            errors.append(f"{answer.status_code} {answer.text[:120]}")
                            break
                        session_id = answer.json()["session_id"]

    began = time.perf_counter()
    await asyncio.gather(*(client(c, o) for c, o in people))
    wall = time.perf_counter() - began
    return {"ms": latencies, "wall": wall, "errors": errors, "served": sorted(served.values())}


async def sse(url: str, secret: str, customer: str, samples: int) -> tuple[list, list]:
    """Milliseconds to the first event and to the first `delta` of /v1/chat/stream."""
    headers = {"Authorization": f"Bearer {mint_token(customer, secret, 3600)}"}
    first, delta = [], []
    async with httpx.AsyncClient(base_url=url, headers=headers, timeout=120) as http:
        for i in range(samples):
            question = ("what is your return policy?", "do you ship to Canada?")[i % 2]
            began = time.perf_counter()
            async with http.stream("POST", "/v1/chat/stream", json={"message": question}) as r:
                seen = False
                async for line in r.aiter_lines():
                    if not line.startswith("event:"):
                        continue
                    ms = (time.perf_counter() - began) * 1000
                    if not seen:
                        first.append(ms)
                        seen = True
                    if line.split(":", 1)[1].strip() == "delta":
                        delta.append(ms)
                        break
    return first, delta


def measure_floor(settings: Settings, customer: str, samples: int) -> list[float]:
    """bench.turn.floor over this DATA_DIR's help centre and store (no full services), with
    the model threads a worker uses (MODEL_THREADS)."""
    from app.runtime import limit_threads
    from knowledge.vectorstore import open_collection

    limit_threads(settings.MODEL_THREADS)

    parts = SimpleNamespace(
        retriever=SimpleNamespace(_collection=open_collection(settings.knowledge)),
        store=SqlStore.from_url(settings.database_url),
    )
    return floor(parts, customer, samples)  # type: ignore[arg-type]


def run(url: str, settings: Settings, pid: int | None, args: argparse.Namespace) -> None:
    secret = settings.jwt_secret()
    people = customers(settings, max(LEVELS))
    floor_ms = measure_floor(settings, people[0][0], args.floor_samples)
    f50, f95 = percentile(floor_ms, 50), percentile(floor_ms, 95)
    asyncio.run(load(url, secret, people[:4], 16))  # warm-up: first-call costs stay out
    rows = {
        n: asyncio.run(load(url, secret, people[:n], args.turns * max(1, n // 2))) for n in LEVELS
    }
    first, delta = asyncio.run(sse(url, secret, people[1][0], args.sse_samples))
    rss = rss_mb(pid) if pid else []

    rate = {n: len(r["ms"]) / r["wall"] for n, r in rows.items()}
    load_avg = " / ".join(f"{x:.1f}" for x in os.getloadavg())
    print(f"bench.http: {args.workers if pid else '?'} worker(s); {os.cpu_count()} CPUs here, "
          f"load average {load_avg} (1 / 5 / 15 min) at the end")  # fmt: skip
    print(f"16 vs 1 client throughput: {rate[16] / rate[1]:.2f}x")
    for n, r in rows.items():
        p50, p95 = percentile(r["ms"], 50), percentile(r["ms"], 95)
        print(f"{n:>2} clients: p50 {p50 / f50:.1f}x floor p50, p95 {p95 / f95:.1f}x floor p95")
    print(f"floor (encode + Chroma k=5 + SQL read): p50 {f50:.1f} ms, p95 {f95:.1f} ms")
    print(f"{'clients':>7} {'turns':>6} {'turns/s':>8} {'p50 ms':>8} {'p95 ms':>8} "
          f"{'p99 ms':>8} {'errors':>6}")  # fmt: skip
    for n, r in rows.items():
        ms = r["ms"]
        cells = (percentile(ms, 50), percentile(ms, 95), percentile(ms, 99))
        print(f"{n:>7} {len(ms):>6} {rate[n]:>8.1f} " + " ".join(f"{c:>8.0f}" for c in cells)
              + f" {len(r['errors']):>6}")  # fmt: skip
        if len(r["served"]) > 1:
            print(f"        turns per worker: {' / '.join(map(str, r['served']))}")
        for error in sorted(set(r["errors"]))[:3]:
            print(f"        e.g. {error}")
    print(f"SSE first event: p50 {percentile(first, 50):.0f} ms, p95 {percentile(first, 95):.0f} "
          f"ms; first delta: p50 {percentile(delta, 50):.0f} ms, "
          f"p95 {percentile(delta, 95):.0f} ms ({len(first)} streams)")  # fmt: skip
    if rss:
        each = " + ".join(f"{mb:.0f}" for mb in rss)
        print(f"server RSS: {sum(rss):.0f} MB = {each} MB (`support serve`, then its children)")


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(
        prog="python -m bench.http", description=__doc__.split("\n")[0]
    )
    parser.add_argument("--workers", type=int, default=1, help="worker processes (default 1)")
    parser.add_argument("--url", help="drive this running service instead of starting one")
    parser.add_argument(
        "--turns",
        type=int,
        default=40,
        help="turns sent with 1 client; N clients send N/2 times as many",
    )
    parser.add_argument("--floor-samples", type=int, default=50)
    parser.add_argument("--sse-samples", type=int, default=10)
    args = parser.parse_args(argv)
    if args.url:
        run(args.url.rstrip("/"), Settings(), None, args)
        return 0
    with server(args.workers, Settings().data_dir) as (url, pid, settings):
        run(url, settings, pid, args)
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
