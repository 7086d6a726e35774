"""Answer-quality metrics that need no LLM: fact recall, citations, groundedness, ROUGE-L."""

from __future__ import annotations

import os
import re
from collections.abc import Sequence

GROUNDED_CONTAINMENT = 0.8
"""Share of a sentence's tokens that must occur in the passages for it to count as grounded."""

_DASHES = re.compile(r"[\u2010-\u2015\u2212-]")
_QUOTES = str.maketrans({"\u2018": "'", "\u2019": "'", "\u201c": '"', "\u201d": '"'})
_CITATION = re.compile(r"\[\d+\]")
_SENTENCE_END = re.compile(r"(?<=[.!?])\s+")
_TOKEN = re.compile(r"[a-z0-9]+")


def normalise(text: str) -> str:
    """Lower case, curly quotes made straight, every dash read as a space, spaces collapsed."""
    text = _DASHES.sub(" ", text.translate(_QUOTES).lower())
    return " ".join(text.split())


def fact_present(fact: str, answer: str) -> bool:
    """Whether the answer states the fact; ``a|b`` in a fact accepts either wording.

    Matching is on normalised text and respects word edges, so '5 years' does not
    match '15 years' and 'us' does not match 'use'.
    """
    text = normalise(answer)
    for option in fact.split("|"):
        wanted = normalise(option)
        if not wanted:
            continue
        left = r"(?<![a-z0-9])" if wanted[0].isalnum() else ""
        right = r"(?![a-z0-9])" if wanted[-1].isalnum() else ""
        if re.search(left + re.escape(wanted) + right, text):
            return True
    return False


def fact_recall(answer: str, facts: Sequence[str]) -> float:
    """Fraction of the facts the answer states (1.0 when there are no facts)."""
    if not facts:
        return 1.0
    return sum(fact_present(f, answer) for f in facts) / len(facts)


def citation_precision(cited_doc_ids: Sequence[str], relevant_ids: Sequence[str]) -> float | None:
    """Fraction of cited passages that come from a relevant document; None if nothing is cited."""
    if not cited_doc_ids:
        return None
    relevant = set(relevant_ids)
    return sum(doc_id in relevant for doc_id in cited_doc_ids) / len(cited_doc_ids)


def tokens(text: str) -> list[str]:
    """Word tokens of normalised text, citation markers removed."""
    return _TOKEN.findall(normalise(_CITATION.sub(" ", text)))


def groundedness(answer: str, passage_texts: Sequence[str]) -> float | None:
    """Fraction of answer sentences whose tokens are >= 80 % found in the passages.

    A cheap proxy for "says nothing the passages don't": a paraphrase passes, an
    invented number or policy usually does not. None for an answer with no words.
    """
    vocabulary = {t for text in passage_texts for t in tokens(text)}
    sentences = [t for s in _SENTENCE_END.split(answer.strip()) if (t := tokens(s))]
    if not sentences:
        return None
    grounded = [
        sum(t in vocabulary for t in sent) / len(sent) >= GROUNDED_CONTAINMENT for sent in sentences
    ]
    return sum(grounded) / len(grounded)


class RougeL:
    """ROUGE-L F1 through ragas 0.3.1's RougeScore (no LLM, no network)."""

    def __init__(self) -> None:
        os.environ.setdefault("RAGAS_DO_NOT_TRACK", "true")
        from ragas.dataset_schema import SingleTurnSample
        from ragas.metrics import RougeScore

        self._sample = SingleTurnSample
        self._metric = RougeScore(rouge_type="rougeL", mode="fmeasure")

    async def score(self, answer: str, reference: str) -> float:
        if not answer.strip():
            return 0.0
        sample = self._sample(response=answer, reference=reference)
        return float(await self._metric.single_turn_ascore(sample))
