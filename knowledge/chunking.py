"""Heading-aware chunking: split at headings, then by tokens with overlap.

Documents of every format become a list of ``Section`` (heading path + prose):
Markdown and HTML (converted to Markdown) by their headings, a PDF by page, plain
text as one section. Every chunk starts with a Markdown heading line holding its
full heading path (``## Returns and refunds > Refund timing``), so it reads on
its own in a prompt or a citation, and consumers that want only the prose can
drop lines starting with ``#``.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from typing import Protocol

_HEADING = re.compile(r"^(#{1,6})\s+(.+?)\s*#*\s*$")
_FENCE = re.compile(r"^\s*(```|~~~)")
_LIST_OR_TABLE = re.compile(r"^\s*(?:[-*+]|\d+[.)]|\|)\s*")
_SENTENCE_END = re.compile(r"(?<=[.!?])\s+(?=[A-Z0-9\"'(\[*])")
SECTION_SEPARATOR = " > "


class Tokenizer(Protocol):
    """The part of a tiktoken ``Encoding`` the chunker uses."""

    def encode(self, text: str) -> list[int]: ...

    def decode(self, tokens: list[int]) -> str: ...


@dataclass(frozen=True)
class Chunk:
    """One retrievable piece of a document."""

    text: str
    """Heading line with the section path, a blank line, then the section's prose."""
    section: str
    """Heading path, ``'Title > H2 > H3'``."""
    index: int
    """Position of the chunk in its document, from 0."""


@dataclass
class Section:
    """Prose under one heading path."""

    path: list[str]
    """Headings from the document title down, ``['Returns', 'Refund timing']``."""
    level: int
    """Heading level the chunk text repeats (1 = ``#``)."""
    lines: list[str]
    """The prose, line by line."""


@dataclass
class _Unit:
    """A sentence, list item or table row, with the separator that precedes it."""

    sep: str
    text: str


def parse_front_matter(text: str) -> tuple[dict[str, str], str]:
    """Split ``---``-fenced ``key: value`` front matter from the Markdown body.

    Returns ({}, text) when the text has no front matter. Values lose surrounding
    quotes; lines that are not ``key: value`` are ignored.
    """
    text = text.lstrip("\ufeff")
    lines = text.splitlines(keepends=True)
    if not lines or lines[0].strip() != "---":
        return {}, text
    for end in range(1, len(lines)):
        if lines[end].strip() in ("---", "..."):
            break
    else:
        return {}, text
    meta: dict[str, str] = {}
    for line in lines[1:end]:
        key, sep, value = line.partition(":")
        if not sep or not key.strip() or line[:1].isspace():
            continue
        value = value.strip()
        if len(value) >= 2 and value[0] == value[-1] and value[0] in "\"'":
            value = value[1:-1]
        meta[key.strip().lower()] = value
    return meta, "".join(lines[end + 1 :])


def chunk_markdown(
    text: str,
    *,
    tokenizer: Tokenizer,
    max_tokens: int = 200,
    overlap: int = 30,
    title: str | None = None,
) -> list[Chunk]:
    """Chunks of a Markdown document, each at most ``max_tokens`` tokens long.

    Sections (text under a heading) are never merged; a section longer than
    ``max_tokens`` is split at sentence, list-item or table-row boundaries, and
    each continuation repeats up to ``overlap`` tokens from the end of the chunk
    before it. The title comes from ``title``, else the front matter, else a
    leading H1.
    """
    meta, body = parse_front_matter(text)
    title = title if title is not None else meta.get("title", "")
    return chunk_sections(
        markdown_sections(body, title), tokenizer=tokenizer, max_tokens=max_tokens, overlap=overlap
    )


def chunk_sections(
    sections: list[Section], *, tokenizer: Tokenizer, max_tokens: int = 200, overlap: int = 30
) -> list[Chunk]:
    """Chunks of the sections in order; see ``chunk_markdown`` for the rules."""
    if max_tokens < 32:
        raise ValueError("max_tokens must be at least 32")
    if not 0 <= overlap < max_tokens // 2:
        raise ValueError("overlap must be between 0 and max_tokens / 2")
    chunks: list[Chunk] = []
    for section in sections:
        prose = "\n".join(section.lines).strip()
        if not prose:
            continue
        path = SECTION_SEPARATOR.join(section.path)
        heading = f"{'#' * max(section.level, 1)} {path}" if path else ""
        for piece in _split(prose, heading, tokenizer, max_tokens, overlap):
            chunk_text = f"{heading}\n\n{piece}" if heading else piece
            chunks.append(Chunk(text=chunk_text, section=path, index=len(chunks)))
    return chunks


def text_sections(text: str, title: str, subtitle: str = "") -> list[Section]:
    """Plain text as one section under the title (and an optional sub-heading)."""
    path = [p for p in (title, subtitle) if p]
    return [Section(path=path, level=len(path) or 1, lines=text.splitlines())]


def markdown_sections(body: str, title: str) -> list[Section]:
    """The Markdown body cut at headings (outside code fences), each with its heading path."""
    stack: list[tuple[int, str]] = []
    current = Section(path=[title] if title else [], level=1, lines=[])
    sections = [current]
    in_fence = False
    for line in body.splitlines():
        if _FENCE.match(line):
            in_fence = not in_fence
        match = None if in_fence else _HEADING.match(line)
        if not match:
            current.lines.append(line)
            continue
        level, name = len(match.group(1)), match.group(2).strip()
        if level == 1 and (not title or name == title):
            # A leading H1 is the document title, not a section.
            title = title or name
            stack = []
            current = Section(path=[title], level=1, lines=[])
            sections.append(current)
            continue
        stack = [(lvl, text) for lvl, text in stack if lvl < level] + [(level, name)]
        path = ([title] if title else []) + [text for _, text in stack]
        current = Section(path=path, level=level, lines=[])
        sections.append(current)
    return sections


def _units(prose: str) -> list[_Unit]:
    """Sentences of paragraphs, and lines of lists and tables, in reading order."""
    units: list[_Unit] = []
    for b, block in enumerate(re.split(r"\n\s*\n", prose)):
        lines = [ln.rstrip() for ln in block.splitlines() if ln.strip()]
        if not lines:
            continue
        block_sep = "\n\n" if b and units else ""
        if any(_LIST_OR_TABLE.match(ln) for ln in lines):
            pieces, sep = lines, "\n"
        else:
            pieces, sep = _SENTENCE_END.split(" ".join(ln.strip() for ln in lines)), " "
        for i, piece in enumerate(pieces):
            units.append(_Unit(block_sep if i == 0 else sep, piece))
    return units


def _split(
    prose: str, heading: str, tokenizer: Tokenizer, max_tokens: int, overlap: int
) -> list[str]:
    """Pack the prose's units into pieces that fit beside the heading."""

    def size(piece: str) -> int:
        return len(tokenizer.encode(f"{heading}\n\n{piece}" if heading else piece))

    if size(prose) <= max_tokens:
        return [prose]
    budget = max_tokens - size("")
    if budget < 16:
        raise ValueError(f"max_tokens={max_tokens} leaves no room beside heading {heading!r}")
    overlap = min(overlap, budget // 2)  # a long heading path leaves less room to repeat text
    units: list[_Unit] = []
    for unit in _units(prose):
        units.extend(_hard_split(unit, tokenizer, budget - overlap))

    pieces: list[str] = []
    current: list[_Unit] = []
    for unit in units:
        candidate = current + [unit]
        if current and size(_join(candidate)) > max_tokens:
            pieces.append(_join(current))
            current = _tail(current, tokenizer, overlap) + [unit]
            while len(current) > 1 and size(_join(current)) > max_tokens:
                current = current[1:]
        else:
            current = candidate
    if current:
        pieces.append(_join(current))
    return pieces


def _join(units: list[_Unit]) -> str:
    return "".join((u.sep if i else "") + u.text for i, u in enumerate(units))


def _tail(units: list[_Unit], tokenizer: Tokenizer, overlap: int) -> list[_Unit]:
    """The last whole units of a chunk that fit in ``overlap`` tokens."""
    tail: list[_Unit] = []
    used = 0
    for unit in reversed(units):
        used += len(tokenizer.encode(unit.text)) + 1
        if used > overlap:
            break
        tail.insert(0, unit)
    return tail


def _hard_split(unit: _Unit, tokenizer: Tokenizer, limit: int) -> list[_Unit]:
    """A unit longer than ``limit`` tokens cut into windows, preferring word boundaries."""
    tokens = tokenizer.encode(unit.text)
    if len(tokens) <= limit:
        return [unit]
    parts: list[_Unit] = []
    for start in range(0, len(tokens), limit):
        text = tokenizer.decode(tokens[start : start + limit]).strip()
        if text:
            parts.append(_Unit(unit.sep if not parts else " ", text))
    return parts
