"""Which model version every worker serves, kept in the store so that `support nlu promote`
on one machine reaches every running worker (each checks it every few seconds).

Synchronous, one transaction per call, database failures raised as `BackendUnavailable`.
"""

from __future__ import annotations

from tools.store.models import ServingModel, utcnow
from tools.store.records import SqlRecords


class ServingModelRecords(SqlRecords):
    """The serving version of each model, by name ('intent')."""

    def serving_model(self, name: str) -> str | None:
        """The version every worker should serve, or None when none was promoted."""
        with self._guard("serving_model"), self._reader() as s:
            row = s.get(ServingModel, name)
            return row.version if row else None

    def set_serving_model(self, name: str, version: str) -> None:
        """Make `version` the one every worker serves (they switch within seconds)."""
        with self._guard("set_serving_model"), self._writer.begin() as s:
            row = s.get(ServingModel, name, with_for_update=True)
            if row is None:
                s.add(ServingModel(name=name, version=version, promoted_at=utcnow()))
            else:
                row.version, row.promoted_at = version, utcnow()
