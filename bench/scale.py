"""Turns per second through haproxy with one worker, then two, on this machine, in one run.

Usage: python -m bench.scale [--turns 80] [--clients 4]
Starts the cluster bench/stack.py builds (a fresh Postgres database, a Chroma server,
two `support serve` workers, abuse limits off), then sends the same mix of turns through
a haproxy in front of worker a alone and through one balancing a and b round-robin:
`--clients` concurrent loopback clients, each holding a signed-in customer's
conversations (help-centre questions, order status, small talk; a new conversation every
four turns). Prints turns/s, p50 and p95 latency for each, and the 2-to-1 ratio.
Needs haproxy, Postgres (POSTGRES_TEST_URL) and the chroma CLI; says which is missing.
"""

from __future__ import annotations

import argparse
import os
import statistics
import tempfile
import threading
import time
from pathlib import Path

import httpx

from bench.stack import Cluster, bearer, cluster, haproxy, unavailable

LIMITS_OFF = {
    "TURNS_PER_CLIENT_PER_MINUTE": "0",
    "TURNS_PER_CUSTOMER_PER_MINUTE": "0",
    "SESSIONS_PER_CLIENT_PER_MINUTE": "0",
    "LOG_LEVEL": "WARNING",
}
CUSTOMERS = ["C0001", "C0002", "C0004", "C0006", "C0007", "C0008"]


def script(order_id: str) -> list[str]:
    """One conversation's messages: retrieval, a store read, retrieval, small talk."""
    return [
        "what is your return policy?",
        f"where is my order {order_id}?",
        "do you ship to Canada?",
        "thanks, that's all",
    ]


def drive(url: str, turns: int, clients: int, orders: dict[str, str]) -> tuple[float, list[float]]:
    """Send `turns` turns through url from `clients` threads: (wall seconds, latencies)."""
    remaining = [turns]
    lock = threading.Lock()
    latencies: list[float] = []
    failures: list[str] = []

    def client(index: int) -> None:
        customer = CUSTOMERS[index % len(CUSTOMERS)]
        headers = bearer(customer)
        messages = script(orders[customer])
        session_id, step = None, 0
        with httpx.Client(base_url=url, timeout=120) as http:
            while True:
                with lock:
                    if remaining[0] <= 0:
                        return
                    remaining[0] -= 1
                body = {"message": messages[step % len(messages)]}
                if session_id and step % len(messages):
                    body["session_id"] = session_id
                began = time.perf_counter()
                response = http.post("/v1/chat", json=body, headers=headers)
                took = time.perf_counter() - began
                with lock:
                    if response.status_code == 200:
                        latencies.append(took)
                    else:
                        failures.append(f"{response.status_code} {response.text[:200]}")
                if response.status_code == 200:
                    session_id = response.json()["session_id"]
                step += 1

    threads = [threading.Thread(target=client, args=(i,)) for i in range(clients)]
    began = time.perf_counter()
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    wall = time.perf_counter() - began
    if failures:
        print(f"  {len(failures)} turns failed, e.g. {failures[0]}")
    return wall, latencies


def machine_busy() -> tuple[float, float]:
    """(busy, total) CPU jiffies of the whole machine so far (Linux; zeros elsewhere)."""
    try:
        fields = [float(x) for x in Path("/proc/stat").read_text().split("\n")[0].split()[1:]]
    except OSError:
        return 0.0, 0.0
    idle = fields[3] + (fields[4] if len(fields) > 4 else 0.0)
    return sum(fields) - idle, sum(fields)


def measured(url: str, turns: int, clients: int, orders: dict[str, str]) -> dict[str, float]:
    """`drive` plus how busy the machine's CPUs were meanwhile."""
    busy_0, total_0 = machine_busy()
    wall, latencies = drive(url, turns, clients, orders)
    busy_1, total_1 = machine_busy()
    cuts = statistics.quantiles(latencies, n=20) if len(latencies) > 1 else latencies * 19
    return {
        "rate": len(latencies) / wall,
        "p50": statistics.median(latencies),
        "p95": cuts[18],
        "turns": len(latencies),
        "wall": wall,
        "busy": (busy_1 - busy_0) / (total_1 - total_0) if total_1 > total_0 else 0.0,
    }


def line(label: str, m: dict[str, float]) -> None:
    print(
        f"{label:10s} {m['rate']:6.2f} turns/s   p50 {m['p50'] * 1000:6.0f} ms"
        f"   p95 {m['p95'] * 1000:6.0f} ms   ({m['turns']:.0f} turns in {m['wall']:.1f} s;"
        f" CPUs {m['busy']:.0%} busy)"
    )


def customer_orders(stack: Cluster) -> dict[str, str]:
    from tools.store.backend import SqlStore

    store = SqlStore.from_url(stack.database_url)
    return {c: store.list_orders(c)[0].id for c in CUSTOMERS}


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--turns", type=int, default=80, help="turns per measurement")
    parser.add_argument("--clients", type=int, default=4, help="concurrent clients")
    args = parser.parse_args(argv)
    reason = unavailable()
    if reason:
        print(f"cannot start the cluster here: {reason}")
        return 1

    with tempfile.TemporaryDirectory(prefix="bench-scale-") as tmp:
        root = Path(tmp)
        started = time.perf_counter()
        with cluster(root, workers=2, env=LIMITS_OFF) as stack:
            up = time.perf_counter() - started
            print(f"cluster up in {up:.0f} s; {args.clients} clients, {args.turns} turns a run")
            orders = customer_orders(stack)
            warm = 2 * len(CUSTOMERS)
            drive(stack.url, warm, args.clients, orders)  # both workers warm
            with haproxy(stack.workers[:1], root) as one:
                single = measured(one, args.turns, args.clients, orders)
            double = measured(stack.url, args.turns, args.clients, orders)
    line("1 worker", single)
    line("2 workers", double)
    print(f"ratio 2/1: {double['rate'] / single['rate']:.2f}x on {os.cpu_count()} CPUs")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
