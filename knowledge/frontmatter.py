"""Front matter of a Markdown article: the ``---``-fenced YAML block at its top.

Parsed with a YAML parser, so quoting, lists and ``reviewed: true`` mean what YAML says;
a block that is not valid YAML, not a mapping, or never closed is an error naming the
file's line, never read as text (``title: [unclosed`` used to become the title).
"""

from __future__ import annotations

from typing import Any

import yaml

from knowledge.errors import LoadError

FENCES = ("---", "...")


def split_front_matter(text: str) -> tuple[dict[str, Any], str]:
    """(front matter, body); ({}, text) without front matter. Raises LoadError with
    'front matter is not valid YAML: line N, column M: ...' (lines of the file)."""
    text = text.lstrip("\ufeff")
    lines = text.splitlines(keepends=True)
    if not lines or lines[0].strip() != "---":
        return {}, text
    end = next((i for i in range(1, len(lines)) if lines[i].strip() in FENCES), None)
    if end is None:
        raise LoadError("front matter opened with '---' on line 1 is never closed with '---'")
    block = "".join(lines[1:end])
    try:
        meta = yaml.safe_load(block) if block.strip() else {}
    except yaml.YAMLError as exc:
        raise LoadError(f"front matter is not valid YAML: {_where(exc)}") from exc
    if meta is None:
        meta = {}
    if not isinstance(meta, dict):
        raise LoadError(
            f"front matter must be 'key: value' lines, not a YAML {type(meta).__name__}"
        )
    return {str(k).strip().lower(): v for k, v in meta.items()}, "".join(lines[end + 1 :])


def text_field(meta: dict[str, Any], key: str) -> str:
    """A front-matter value as one line of text ('' when absent or null); a list or
    mapping where text belongs is an error."""
    value = meta.get(key)
    if value is None:
        return ""
    if isinstance(value, (dict, list)):
        raise LoadError(f"front matter {key!r} must be text, not a YAML {type(value).__name__}")
    return " ".join(str(value).split())


def _where(exc: yaml.YAMLError) -> str:
    """'line 3, column 8: <problem>' in the file's numbering (the block starts on line 2)."""
    mark = getattr(exc, "problem_mark", None)
    problem = getattr(exc, "problem", None) or str(exc).splitlines()[0]
    where = str(problem)
    if mark is not None:
        where = f"line {mark.line + 2}, column {mark.column + 1}: {problem}"
    context, context_mark = getattr(exc, "context", None), getattr(exc, "context_mark", None)
    if context and context_mark is not None and context_mark.line != getattr(mark, "line", None):
        return f"line {context_mark.line + 2}: {context}; {where}"
    return where
