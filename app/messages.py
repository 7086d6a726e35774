"""A customer's message as the bot reads it, or a 4xx saying what is wrong with it."""

from __future__ import annotations

import re

from app.errors import InvalidMessage, MessageTooLong

CONTROL_CHARACTERS = re.compile(r"[\x00-\x08\x0b\x0c\x0e-\x1f\x7f-\x9f]")
"""Control characters other than tab and line breaks: read as spaces (a NUL byte would not
even fit in a PostgreSQL text column)."""


def clean_message(message: str, max_chars: int) -> str:
    """The message trimmed, control characters read as spaces; 422 when nothing is left or
    it holds a lone surrogate, 413 over `max_chars`."""
    text = CONTROL_CHARACTERS.sub(" ", message).strip()
    if not text:
        raise InvalidMessage("message must not be empty")
    try:
        text.encode("utf-8")
    except UnicodeEncodeError as exc:  # a lone surrogate such as "\ud800"
        raise InvalidMessage(
            f"message has a character that is not valid Unicode at position {exc.start}; "
            "send UTF-8 text"
        ) from exc
    if len(text) > max_chars:
        raise MessageTooLong(f"message is {len(text)} characters; the limit is {max_chars}")
    return text
