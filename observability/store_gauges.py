"""Gauges read from the store at scrape time: the escalation queue and agents' relabels.

They are computed afresh for every /metrics request (a registry of their own, rendered
after the process's metrics), so every worker of a multi-worker deployment reports the
same numbers, the store's, instead of what it happened to see itself.
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Iterator, Mapping

from prometheus_client import CollectorRegistry, generate_latest
from prometheus_client.core import GaugeMetricFamily
from prometheus_client.registry import Collector

UNCLAIMED = frozenset({"open", "handed_back"})
GAUGE_NAMES = frozenset(
    {
        "support_open_escalations",
        "support_unclaimed_escalations",
        "support_agent_labelled_turns",
        "support_agent_relabelled_turns",
    }
)


class StoreGauges(Collector):
    def __init__(
        self,
        unresolved: Mapping[tuple[str, str], int],
        relabels: tuple[int, int] | None,
        window: str,
    ) -> None:
        self.unresolved, self.relabels, self.window = unresolved, relabels, window

    def collect(self) -> Iterator[GaugeMetricFamily]:
        open_by_reason: dict[str, int] = defaultdict(int)
        unclaimed: dict[str, int] = defaultdict(int)
        for (reason, status), n in self.unresolved.items():
            open_by_reason[reason] += n
            if status in UNCLAIMED:
                unclaimed[reason] += n
        for name, doc, counts in (
            ("support_open_escalations",
             "Escalations not resolved yet (open, claimed or handed back), by reason.",
             open_by_reason),
            ("support_unclaimed_escalations",
             "Escalations waiting for a person (open or handed back), by reason.", unclaimed),
        ):  # fmt: skip
            family = GaugeMetricFamily(name, doc, labels=["reason"])
            for reason, n in sorted(counts.items()):
                family.add_metric([reason], n)
            yield family
        if self.relabels is None:
            return
        labelled, changed = self.relabels
        for name, doc, n in (
            ("support_agent_labelled_turns",
             "Customer turns agents gave an intent label in the trailing window.", labelled),
            ("support_agent_relabelled_turns",
             "Of those, turns whose label differs from the model's prediction.", changed),
        ):  # fmt: skip
            family = GaugeMetricFamily(name, doc, labels=["window"])
            family.add_metric([self.window], n)
            yield family


def render_store_gauges(
    unresolved: Mapping[tuple[str, str], int],
    relabels: tuple[int, int] | None = None,
    window: str = "7d",
) -> bytes:
    """The Prometheus text of these gauges, to append to `generate_latest()`."""
    registry = CollectorRegistry(auto_describe=False)
    registry.register(StoreGauges(unresolved, relabels, window))
    return generate_latest(registry)
