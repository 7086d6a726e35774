"""Helpers every CLI module shares: settings, JSON output, one-line errors."""

from __future__ import annotations

import json
import sys
from typing import Any, NoReturn

import typer
from pydantic import ValidationError

from app.settings import Settings


def load_settings() -> Settings:
    """The settings, or one clear line per bad one (exit 2) instead of a traceback."""
    try:
        settings = Settings()
    except ValidationError as exc:
        wrong = "; ".join(
            f"{'.'.join(map(str, e['loc']))}={e.get('input')!r}: {e['msg']}" for e in exc.errors()
        )
        fail(f"bad setting (environment or .env): {wrong}", 2)
    settings.ensure_dirs()
    return settings


def print_json(value: Any) -> None:
    typer.echo(json.dumps(value, ensure_ascii=False, indent=2, default=str))


def fail(message: str, code: int = 1) -> NoReturn:
    """Print one clear line on stderr and exit non-zero."""
    print(f"error: {message}", file=sys.stderr)
    raise typer.Exit(code)
