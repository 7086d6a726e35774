"""Prompt and reply templates, kept as files; `render` is the one way to load them."""

from __future__ import annotations

import string
import tomllib
from functools import cache, lru_cache
from importlib import resources
from typing import Any


class _Strict(dict[str, Any]):
    def __missing__(self, key: str) -> str:
        raise KeyError(f"template placeholder {{{key}}} has no value")


@cache
def load_prompt(name: str) -> str:
    """Text of prompts/<name>.md."""
    return (resources.files("prompts") / f"{name}.md").read_text(encoding="utf-8")


@lru_cache(maxsize=1)
def _replies() -> dict[str, str]:
    raw = (resources.files("prompts") / "replies.toml").read_text(encoding="utf-8")
    return dict(tomllib.loads(raw))


def render(name: str, **values: Any) -> str:
    """Fill prompts/<name>.md, or the reply template `name` from replies.toml."""
    replies = _replies()
    template = replies[name] if name in replies else load_prompt(name)
    return string.Formatter().vformat(template, (), _Strict(values))
