"""The Composer protocol: turn a question and retrieved passages into a cited answer."""

from __future__ import annotations

import re
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Protocol

if TYPE_CHECKING:
    from knowledge.retrieval import Passage

DeltaSink = Callable[[str], None]

_CITE = re.compile(r"\[(\d+)\]")


@dataclass
class Answer:
    """A grounded answer and the passages it cites (in citation-number order)."""

    text: str
    citations: list[Passage] = field(default_factory=list)
    streamed: bool = False
    unanswered: list[str] = field(default_factory=list)
    """With no text: the asked-about words the passages never mention ("weigh")."""


class Composer(Protocol):
    """Writes the answer to a knowledge question from retrieved passages."""

    name: str

    async def answer(
        self,
        question: str,
        passages: Sequence[Passage],
        on_delta: DeltaSink | None = None,
        context: str = "",
    ) -> Answer:
        """The answer to `question` from `passages`; `context` is the customer's previous
        message, which a follow-up question may lean on (as retrieval does)."""
        ...


def cited_passages(text: str, passages: Sequence[Passage]) -> list[Passage]:
    """Passages referenced as [n] in text (1-based), first mention first, no repeats."""
    seen: list[int] = []
    for match in _CITE.finditer(text):
        n = int(match.group(1))
        if 1 <= n <= len(passages) and n not in seen:
            seen.append(n)
    return [passages[n - 1] for n in seen]


def number_passages(passages: Sequence[Passage]) -> str:
    """The passages as a numbered list for a prompt."""
    return "\n\n".join(
        f"[{i}] {p.title} — {p.section}\n{p.text}" for i, p in enumerate(passages, start=1)
    )
