"""The retrieval modes, in a module of their own so a caller can check one cheaply."""

from __future__ import annotations

from typing import Literal

Mode = Literal["hybrid", "dense", "bm25"]
MODES: tuple[Mode, ...] = ("hybrid", "dense", "bm25")
