"""Helpers every CLI module shares: settings, JSON output, one-line errors."""

from __future__ import annotations

import json
import sys
from typing import Any, NoReturn

import typer

from app.settings import Settings


def load_settings() -> Settings:
    settings = Settings()
    settings.ensure_dirs()
    return settings


def print_json(value: Any) -> None:
    typer.echo(json.dumps(value, ensure_ascii=False, indent=2, default=str))


def fail(message: str, code: int = 1) -> NoReturn:
    """Print one clear line on stderr and exit non-zero."""
    print(f"error: {message}", file=sys.stderr)
    raise typer.Exit(code)
