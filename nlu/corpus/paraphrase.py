"""LLM paraphrases of the handwritten seeds: an optional way to grow the corpus.

Each seed phrasing is sent to an OpenAI-compatible chat endpoint (any model: a hosted
one, or a local server) asking for rewordings that keep its {slot} placeholders. Every
line of the answer is checked before it becomes a row: the same placeholders as the seed,
3-200 characters, not a copy of a phrasing we already have. Accepted lines get their
slots filled exactly like template rows (so they carry entity spans) and are recorded
with provenance: source `llm_paraphrase`, the model name and the seed they came from.

The committed corpus never contains these rows (it must rebuild without a network);
`support nlu paraphrase --out FILE` writes corpus + paraphrases for `support nlu train
--data FILE`.
"""

from __future__ import annotations

import random
import re
from collections import Counter
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any

from nlu.corpus.build_corpus import SLOT, fill, norm_key
from prompts import render

if TYPE_CHECKING:
    from openai import OpenAI
    from openai.types.chat import ChatCompletionMessageParam

SOURCE = "llm_paraphrase"
MIN_CHARS, MAX_CHARS = 3, 200
_BULLET = re.compile(r"^\s*(?:[-*•]|\d{1,2}[.)])\s*")


@dataclass
class ParaphraseStats:
    """What the endpoint returned and what was kept, for the command's summary."""

    seeds: int = 0
    proposed: int = 0
    accepted: int = 0
    rejected: Counter[str] = field(default_factory=Counter)
    failed_seeds: list[str] = field(default_factory=list)

    def to_dict(self) -> dict[str, Any]:
        return {
            "seeds": self.seeds,
            "proposed": self.proposed,
            "accepted": self.accepted,
            "rejected": dict(self.rejected),
            "failed_seeds": len(self.failed_seeds),
        }


def reply_lines(reply: str) -> list[str]:
    """Candidate utterances in a model's answer: one per line, bullets and quotes removed."""
    lines = []
    for raw in reply.splitlines():
        line = _BULLET.sub("", raw).strip().strip('"“”').strip()
        if line:
            lines.append(line)
    return lines


def verdict(candidate: str, seed: str, seen: set[str]) -> str:
    """'ok', or why a candidate line is not a usable paraphrase of seed."""
    if not MIN_CHARS <= len(candidate) <= MAX_CHARS:
        return "length"
    if Counter(SLOT.findall(candidate)) != Counter(SLOT.findall(seed)):
        return "placeholders"
    if "{" in SLOT.sub("", candidate) or "}" in SLOT.sub("", candidate):
        return "placeholders"
    if norm_key(candidate) in seen:
        return "duplicate"
    return "ok"


def paraphrase(
    client: OpenAI,
    model: str,
    seeds: Mapping[str, Sequence[str]],
    *,
    per_seed: int = 3,
    existing: Iterable[str] = (),
    rng_seed: int = 2026,
    max_tokens: int = 400,
) -> tuple[list[dict[str, Any]], ParaphraseStats]:
    """Rows of accepted paraphrases of every seed, and the tally of what was rejected.

    `existing` are texts already in the corpus (never repeated). A seed whose request
    fails (endpoint error, timeout) is counted in `failed_seeds` and skipped: one bad
    answer never loses the rest of the run.
    """
    import openai

    rng = random.Random(rng_seed)
    seen = {norm_key(text) for text in existing}
    stats = ParaphraseStats()
    rows: list[dict[str, Any]] = []
    for intent, phrasings in seeds.items():
        for seed in phrasings:
            stats.seeds += 1
            seen.add(norm_key(seed))
            messages: list[ChatCompletionMessageParam] = [
                {"role": "system", "content": render("paraphrase_system")},
                {
                    "role": "user",
                    "content": render("paraphrase_user", intent=intent, seed=seed, count=per_seed),
                },
            ]
            try:
                completion = client.chat.completions.create(
                    model=model, messages=messages, temperature=0.8, max_tokens=max_tokens
                )
            except openai.OpenAIError:
                stats.failed_seeds.append(seed)
                continue
            reply = (completion.choices[0].message.content or "") if completion.choices else ""
            for candidate in reply_lines(reply)[:per_seed]:
                stats.proposed += 1
                why = verdict(candidate, seed, seen)
                if why != "ok":
                    stats.rejected[why] += 1
                    continue
                seen.add(norm_key(candidate))
                text, entities = fill(candidate, rng)
                rows.append(
                    {"text": text, "intent": intent, "source": SOURCE, "entities": entities,
                     "model": model, "seed": seed}
                )  # fmt: skip
                stats.accepted += 1
    return rows, stats
