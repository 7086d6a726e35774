"""Where customers write (api, widget, email): the channel each open conversation is on,
remembered per worker so a turn's metrics carry it without another store read."""

from __future__ import annotations

from collections import OrderedDict

CHANNELS = ("api", "widget", "email")
"""The channels a conversation can be on (a bounded label set for the metrics)."""


class RecentChannels:
    """The channels of the most recently opened sessions, at most `size` of them."""

    def __init__(self, size: int = 10_000) -> None:
        self._size = size
        self._seen: OrderedDict[str, str] = OrderedDict()

    def remember(self, session_id: str, channel: str) -> None:
        self._seen[session_id] = channel if channel in CHANNELS else "api"
        self._seen.move_to_end(session_id)
        while len(self._seen) > self._size:
            self._seen.popitem(last=False)

    def get(self, session_id: str) -> str:
        """The session's channel; 'api' for one this worker has not opened."""
        return self._seen.get(session_id, "api")
