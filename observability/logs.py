"""Structured JSON logs with session and turn ids, and personal data redacted.

`configure_logging()` installs one JSON handler on the root logger. Every record gets the
current session and turn id (set by `log_context` around a turn), and e-mail addresses,
payment card numbers (13-19 digits passing the Luhn check, spaces or dashes allowed) and
phone numbers are replaced by `[email]`, `[card]` and `[phone]` in the message and in
any string field, so a customer's details never reach the log store.
"""

from __future__ import annotations

import contextvars
import json
import logging
import re
import sys
from collections.abc import Iterator
from contextlib import contextmanager
from datetime import UTC, datetime
from typing import Any

import phonenumbers

_session: contextvars.ContextVar[str | None] = contextvars.ContextVar("session_id", default=None)
_turn: contextvars.ContextVar[str | None] = contextvars.ContextVar("turn_id", default=None)

_EMAIL = re.compile(r"[\w.+-]+@[\w-]+(?:\.[\w-]+)+")
_CARD = re.compile(r"(?<![\w-])(?:\d[ -]?){12,18}\d(?![\w-])")
_RESERVED = set(vars(logging.makeLogRecord({}))) | {"message", "asctime"}


def _luhn(digits: str) -> bool:
    total = 0
    for i, ch in enumerate(reversed(digits)):
        d = int(ch) * (2 if i % 2 else 1)
        total += d - 9 if d > 9 else d
    return total % 10 == 0


def _card(match: re.Match[str]) -> str:
    digits = re.sub(r"\D", "", match[0])
    return "[card]" if 13 <= len(digits) <= 19 and _luhn(digits) else match[0]


def redact(text: str) -> str:
    """text with e-mails, card numbers and phone numbers replaced by placeholders."""
    text = _EMAIL.sub("[email]", text)
    text = _CARD.sub(_card, text)
    # Phone numbers as libphonenumber finds them (valid numbers, US default region).
    for match in reversed(list(phonenumbers.PhoneNumberMatcher(text, "US"))):
        text = text[: match.start] + "[phone]" + text[match.end :]
    return text


def _clean(value: Any) -> Any:
    if isinstance(value, str):
        return redact(value)
    if isinstance(value, dict):
        return {k: _clean(v) for k, v in value.items()}
    if isinstance(value, list | tuple):
        return [_clean(v) for v in value]
    return value


class JsonFormatter(logging.Formatter):
    """One JSON object per line: time, level, logger, message, ids and extra fields."""

    def format(self, record: logging.LogRecord) -> str:
        entry: dict[str, Any] = {
            "time": datetime.fromtimestamp(record.created, UTC).isoformat(timespec="milliseconds"),
            "level": record.levelname.lower(),
            "logger": record.name,
            "message": redact(record.getMessage()),
        }
        session, turn = _session.get(), _turn.get()
        if session:
            entry["session_id"] = session
        if turn:
            entry["turn_id"] = turn
        for key, value in vars(record).items():
            if key not in _RESERVED and not key.startswith("_"):
                entry[key] = _clean(value)
        if record.exc_info:
            entry["exception"] = redact(self.formatException(record.exc_info))
        return json.dumps(entry, ensure_ascii=False, default=str)


@contextmanager
def log_context(session_id: str | None, turn_id: str | None) -> Iterator[None]:
    """Tag every record logged inside the block (also in awaited code) with these ids."""
    s, t = _session.set(session_id), _turn.set(turn_id)
    try:
        yield
    finally:
        _session.reset(s)
        _turn.reset(t)


def configure_logging(level: str = "INFO", *, json_logs: bool = True) -> None:
    """Route all logs (uvicorn's too) through one handler on stderr, JSON by default."""
    handler = logging.StreamHandler(sys.stderr)
    handler.setFormatter(
        JsonFormatter() if json_logs else logging.Formatter("%(levelname)s %(name)s %(message)s")
    )
    root = logging.getLogger()
    root.handlers[:] = [handler]
    root.setLevel(level.upper())
    for name in ("uvicorn", "uvicorn.error", "uvicorn.access"):
        logging.getLogger(name).handlers[:] = []
        logging.getLogger(name).propagate = True
