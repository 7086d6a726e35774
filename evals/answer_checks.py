"""What a customer notices in a help-centre answer, measured without an LLM.

The QA rows (JSON lines) carry a question, a reference answer, the facts a correct answer
states, the relevant articles, and optionally what kind of answer was asked for (`ask`),
the words whose presence shows the *first* sentence answers it (`answer_first`), and
whether an answer is expected at all (`expects`: "answer", or "not_in_passage" when the
help centre covers the topic but never states the asked property).
"""

from __future__ import annotations

import json
import re
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path
from statistics import fmean, median
from typing import Any

from evals.metrics import fact_present, normalise

_CITATION = re.compile(r"\s*\[\d+\]")
_FIRST_SENTENCE = re.compile(r"(?<=[^\d\s][.!?])\s+|\n")


@dataclass(frozen=True)
class QAItem:
    """One question with its reference answer, required facts and relevant doc ids."""

    question: str
    reference: str
    facts: list[str]
    relevant_ids: list[str]
    ask: str = "open"
    answer_first: str = ""
    expects: str = "answer"


def load_qa(path: Path) -> list[QAItem]:
    """The QA items of a JSON-lines file (blank lines ignored)."""
    items = []
    for n, line in enumerate(path.read_text(encoding="utf-8").splitlines(), start=1):
        if not line.strip():
            continue
        try:
            row = json.loads(line)
            items.append(
                QAItem(
                    row["question"],
                    row["reference"],
                    row["facts"],
                    row["relevant_ids"],
                    row.get("ask", "open"),
                    row.get("answer_first", ""),
                    row.get("expects", "answer"),
                )
            )
        except (json.JSONDecodeError, KeyError, TypeError, AttributeError) as exc:
            raise ValueError(f"{path}:{n}: not a QA row ({exc})") from exc
    return items


def first_sentence(answer: str) -> str:
    """The first sentence (or list line) of an answer, citation markers removed."""
    text = _CITATION.sub("", answer).strip()
    return _FIRST_SENTENCE.split(text, maxsplit=1)[0] if text else ""


def answers_first(answer: str, keywords: str) -> bool | None:
    """Whether the first sentence holds one of the `a|b|c` keywords (word edges
    respected); None when the row names none."""
    if not keywords.strip():
        return None
    return fact_present(keywords, first_sentence(answer))


def visible_length(answer: str) -> int:
    """Characters a customer reads: citation markers not counted."""
    return len(normalise(_CITATION.sub("", answer)))


def _mean(values: Sequence[float | None]) -> float | None:
    present = [v for v in values if v is not None]
    return fmean(present) if present else None


def summarise(items: Sequence[QAItem], rows: Sequence[dict[str, Any]]) -> dict[str, Any]:
    """Per-composer figures over scored rows (each with answer, fact_recall, cited,
    citation_precision, groundedness, answer_first): answerable rows and not-in-passage
    rows apart, fact recall per kind of ask too."""
    pairs = list(zip(items, rows, strict=True))
    wanted = [(i, r) for i, r in pairs if i.expects == "answer"]
    missing = [r for i, r in pairs if i.expects != "answer"]
    answered = [r for r in rows if r["answer"]]
    by_ask: dict[str, list[float]] = {}
    for item, row in wanted:
        by_ask.setdefault(item.ask, []).append(row["fact_recall"])
    return {
        "fact_recall": _mean([r["fact_recall"] for _, r in wanted]),
        "fact_recall_by_ask": {ask: fmean(v) for ask, v in sorted(by_ask.items())},
        "answer_first": _mean(
            [float(r["answer_first"]) for _, r in wanted if r["answer_first"] is not None]
        ),
        "median_length": median(visible_length(r["answer"]) for r in answered)
        if answered
        else None,
        "citation_precision": _mean([r["citation_precision"] for r in rows]),
        "cited_rate": _mean([float(bool(r["cited"])) for r in answered]),
        "groundedness": _mean([r["groundedness"] for r in rows]),
        "empty_rate": 1 - len(answered) / len(rows),
        "unanswered_when_answerable": _mean([float(not r["answer"]) for _, r in wanted]),
        "says_not_stated": _mean([float(not r["answer"]) for r in missing]),
        "not_stated_rows": len(missing),
    }
