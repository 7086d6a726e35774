"""How far a customer turn is from its floor, by path, with a per-node breakdown.

Usage: python -m bench.turn [--repeat 30] [--paths order_status,help_centre]
                            [--from data]

Prepares a DATA_DIR like `support setup` (as `bench.per_turn` does), serves the API
in-process (FastAPI TestClient, SQLite store and conversation memory, abuse limits off)
and, in the same run:

- the **floor**: what any turn must do at least, one MiniLM encode of a short customer
  message + one Chroma k=5 query on the help-centre collection + one SQL read of the
  customer's orders, timed `--repeat` times over varied messages;
- each **path** (order status, help-centre answer, escalation, smalltalk, a confirmed
  write), `--repeat` fresh conversations, the lead-up turns uncounted: the measured
  turn's wall time over HTTP-in-process, p50 / p95, and both as a ratio of the floor's;
- the **nodes**: the mean milliseconds each graph node took in the measured turns (from
  `support_node_seconds`, the histogram every node is timed into), and what is left
  outside the nodes (HTTP, session, checkpoints, transcript, serialisation).

`--from DIR` copies a DATA_DIR `support setup` made (e.g. `data`) instead of preparing one
(a minute or more). To see where a turn's time goes, sample every thread with py-spy:
`py-spy record -f raw -o turn.raw -- python -m bench.turn --from data` (docs/performance.md).

Prints ratios first. Numbers are from the machine it runs on; say which when you quote them.
"""

from __future__ import annotations

import argparse
import shutil
import statistics
import tempfile
import time
from collections import defaultdict
from collections.abc import Iterator
from pathlib import Path

from fastapi.testclient import TestClient
from prometheus_client import REGISTRY

from app.auth import mint_token
from app.main import create_app
from app.settings import Settings
from bench.per_turn import bench_settings, demo_orders, paths, prepare
from graph.context import Services
from knowledge.embeddings import get_encoder

MESSAGES = (
    "where is my order?",
    "what is your return policy",
    "can I change my shipping address",
    "how long does a refund take",
    "my package arrived damaged",
    "do you ship to Canada",
    "I want to cancel my order",
    "what payment methods do you accept",
)
"""Short customer messages the floor encodes and queries with, in turn."""


def percentile(values: list[float], q: float) -> float:
    """The q-th percentile (0-100) by linear interpolation between closest ranks."""
    ordered = sorted(values)
    if not ordered:
        return 0.0
    pos = (len(ordered) - 1) * q / 100
    low = int(pos)
    high = min(low + 1, len(ordered) - 1)
    return ordered[low] + (ordered[high] - ordered[low]) * (pos - low)


def floor(services: Services, customer: str, repeat: int, warm: int = 3) -> list[float]:
    """Milliseconds of encode + Chroma k=5 + one SQL read, `repeat` times (after warm-ups)."""
    collection = services.retriever._collection  # type: ignore[attr-defined]
    encoder = get_encoder("")
    timings = []
    for i in range(repeat + warm):
        message = MESSAGES[i % len(MESSAGES)]
        encoder.forget([message])  # the floor pays for its encode
        began = time.perf_counter()
        vector = encoder.encode([message])[0]
        collection.query(query_embeddings=[vector.tolist()], n_results=5)
        services.store.list_orders(customer)
        if i >= warm:
            timings.append((time.perf_counter() - began) * 1000)
    return timings


def node_seconds() -> dict[str, float]:
    """Seconds each node has spent so far in this process (support_node_seconds_sum)."""
    found: dict[str, float] = {}
    for metric in REGISTRY.collect():
        if metric.name != "support_node_seconds":
            continue
        for sample in metric.samples:
            if sample.name.endswith("_sum"):
                found[sample.labels["node"]] = sample.value
    return found


def customers(services: Services) -> Iterator[tuple[str, dict[str, str]]]:
    """Demo customers with a delivered order, round and round, each with unused order ids
    (status -> id); a pending order, while one is left, is used up by the confirmed write."""
    used: set[str] = set()
    ids = [c.id for c in services.store.list_customers(limit=500)]
    while True:
        served = False
        for customer in ids:
            orders = demo_orders(services, customer, used)
            if "delivered" in orders:
                if "pending" in orders:
                    used.add(orders["pending"])
                served = True
                yield customer, orders
        if not served:
            raise RuntimeError("no demo customer has a delivered order")


def measure(
    settings: Settings, services: Services, names: list[str], repeat: int
) -> tuple[list[float], dict[str, list[float]], dict[str, dict[str, float]]]:
    """Floor milliseconds (interleaved with the turns, so both see the same machine);
    path -> measured turn milliseconds; path -> node -> mean milliseconds per turn."""
    floor_ms: list[float] = []
    walls: dict[str, list[float]] = defaultdict(list)
    spent: dict[str, dict[str, float]] = defaultdict(lambda: defaultdict(float))
    with TestClient(create_app(settings, services=services)) as client:

        def post(message: str, session_id: str | None, customer: str) -> str:
            token = mint_token(customer, settings.jwt_secret(), 3600)
            body = {"message": message, **({"session_id": session_id} if session_id else {})}
            response = client.post(
                "/v1/chat", json=body, headers={"Authorization": f"Bearer {token}"}
            )
            if response.status_code != 200:
                raise RuntimeError(f"{message!r}: {response.status_code} {response.text[:300]}")
            return str(response.json()["session_id"])

        for warm in ("hello", "what is your return policy?", "where is my order?"):
            post(warm, None, "C0001")
        pool = customers(services)
        for _ in range(repeat):
            customer, orders = next(pool)
            for path in paths({"pending": "", **orders}):
                if path.name not in names:
                    continue
                if path.name == "confirmed_write" and "pending" not in orders:
                    continue  # every pending order is cancelled: fewer of these
                session_id = None
                for message in path.lead:
                    session_id = post(message, session_id, customer)
                # a message seen before is encoded once per process: measure it cold
                get_encoder("").forget([path.turn])
                before = node_seconds()
                began = time.perf_counter()
                post(path.turn, session_id, customer)
                walls[path.name].append((time.perf_counter() - began) * 1000)
                for node, total in node_seconds().items():
                    delta = total - before.get(node, 0.0)
                    if delta > 0:
                        spent[path.name][node] += delta * 1000
            floor_ms += floor(services, customer, 2, warm=0)
    for name, nodes in spent.items():  # totals -> mean per measured turn
        for node in nodes:
            nodes[node] /= len(walls[name])
    return floor_ms, walls, spent


def report(
    floor_ms: list[float], walls: dict[str, list[float]], spent: dict[str, dict[str, float]]
) -> str:
    f50, f95 = percentile(floor_ms, 50), percentile(floor_ms, 95)
    lines = [
        f"floor (encode + Chroma k=5 + SQL read): p50 {f50:.1f} ms, p95 {f95:.1f} ms",
        "",
        f"{'path':16s}{'p50/floor':>10s}{'p95/floor':>10s}{'p50 ms':>9s}{'p95 ms':>9s}  "
        "top nodes (mean ms per turn); rest = outside the nodes",
    ]
    for name, found in walls.items():
        p50, p95 = percentile(found, 50), percentile(found, 95)
        nodes = sorted(spent[name].items(), key=lambda kv: -kv[1])
        inside = sum(ms for _, ms in nodes)
        rest = statistics.mean(found) - inside
        top = ", ".join(f"{node} {ms:.1f}" for node, ms in nodes[:4])
        lines.append(
            f"{name:16s}{p50 / f50:>9.1f}x{p95 / f95:>9.1f}x{p50:>9.1f}{p95:>9.1f}  "
            f"{top}; rest {rest:.1f}"
        )
    return "\n".join(lines)


def copied(source: Path, root: Path) -> tuple[Settings, Services]:
    """Settings and services over a copy of a DATA_DIR that `support setup` made."""
    from app.runtime import build_services
    from tools.store.db import create_schema, make_engine
    from tools.store.seed import seed_demo

    shutil.copytree(source, root, dirs_exist_ok=True)
    settings = bench_settings(root)
    for stale in root.glob("store.sqlite*"):  # a fresh demo store: every pending order
        stale.unlink()
    engine = make_engine(settings.database_url)
    create_schema(engine)
    seed_demo(engine)
    engine.dispose()
    return settings, build_services(settings, encoder=get_encoder(""))


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--repeat", type=int, default=30, help="conversations per path")
    parser.add_argument("--paths", default="", help="comma-separated path names (default all)")
    parser.add_argument("--from", dest="source", type=Path, help="copy this set-up DATA_DIR")
    args = parser.parse_args(argv)
    every = [p.name for p in paths({"delivered": "", "pending": ""})]
    names = [n for n in args.paths.split(",") if n] or every
    with tempfile.TemporaryDirectory(prefix="bench-turn-") as tmp:
        started = time.perf_counter()
        if args.source:
            settings, services = copied(args.source, Path(tmp))
        else:
            settings, services = prepare(Path(tmp))
        print(f"prepared in {time.perf_counter() - started:.0f} s; {args.repeat} turns per path")
        floor_ms, walls, spent = measure(settings, services, names, args.repeat)
    print(report(floor_ms, walls, spent))
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
