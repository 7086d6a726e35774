"""Follow the serving intent model recorded in the store, so that `support nlu promote` on
one machine reaches every running worker without a restart.

Before a parse, at most every `every` seconds, the follower reads the version every worker
should serve. When it differs from the one this worker serves, it loads that version from
this worker's own registry (DATA_DIR/models) in a background thread: turns go on with the
old model meanwhile and the next parse after the load uses the new one. A worker whose
DATA_DIR lacks that version logs a warning once and keeps serving its current model.
"""

from __future__ import annotations

import logging
import threading
import time
from collections.abc import Callable
from typing import TYPE_CHECKING

from nlu.registry import UnknownVersion

if TYPE_CHECKING:
    from nlu.classifier import TextEncoder
    from nlu.parser import NLU
    from nlu.registry import ModelRegistry

log = logging.getLogger("support.nlu")

MODEL_NAME = "intent"
"""The name the intent model's serving version is kept under in the store."""

FOLLOW_EVERY_S = 5.0
"""Seconds between two reads of the serving version (a promotion reaches a worker within
this plus the load time)."""


class ServingFollower:
    """Switches an `NLU` to the version `wanted()` names; `poll` is its `follow` hook."""

    def __init__(
        self,
        registry: ModelRegistry,
        encoder: TextEncoder,
        wanted: Callable[[], str | None],
        *,
        every: float = FOLLOW_EVERY_S,
    ) -> None:
        self.registry = registry
        self.encoder = encoder
        self.wanted = wanted
        self.every = every
        self._lock = threading.Lock()
        self._checked = float("-inf")
        self._loading: threading.Thread | None = None
        self._missing: str | None = None
        """The last version this worker could not load (warned about once)."""

    def poll(self, nlu: NLU) -> None:
        """Start loading the wanted version when it is not the one `nlu` serves; cheap when
        called more often than `every` seconds, never raises."""
        with self._lock:
            now = time.monotonic()
            if now - self._checked < self.every or self._loading is not None:
                return
            self._checked = now
            try:
                version = self.wanted()
            except Exception as exc:  # store down: keep serving what we have
                log.warning("could not read the serving intent model version: %s", exc)
                return
            if not version or version == nlu.version or version == self._missing:
                return
            self._loading = threading.Thread(
                target=self._load, args=(nlu, version), name="nlu-follow", daemon=True
            )
            self._loading.start()

    def _load(self, nlu: NLU, version: str) -> None:
        try:
            classifier = self.registry.load(version, self.encoder)
        except (UnknownVersion, FileNotFoundError, OSError) as exc:
            self._missing = version
            log.warning(
                "intent model %s was promoted but this worker cannot load it from %s (%s): "
                "still serving %s; copy or train that version here, or promote one it has",
                version, self.registry.versions_dir, exc, nlu.version,
            )  # fmt: skip
        except Exception:
            self._missing = version
            log.warning("could not load intent model %s: still serving %s", version,
                        nlu.version, exc_info=True)  # fmt: skip
        else:
            previous = nlu.version
            nlu.serve(classifier, version)
            log.info("now serving intent model %s (was %s)", version, previous)
        finally:
            with self._lock:
                self._loading = None

    def wait(self, timeout: float | None = None) -> None:
        """Until a load under way is done (tests, shutdown)."""
        loading = self._loading
        if loading is not None:
            loading.join(timeout)
