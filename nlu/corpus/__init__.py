"""The committed training data of the intent classifier and its readers.

intents.jsonl and background.txt are written by build_corpus.py from seeds.txt;
regenerate them with `python -m nlu.corpus.build_corpus`. negatives.txt is handwritten:
off-topic messages by domain for the out_of_scope class (never part of any evaluation).
"""

from __future__ import annotations

import hashlib
import json
from collections.abc import Sequence
from pathlib import Path

from nlu.taxonomy import INTENTS

CORPUS_DIR = Path(__file__).resolve().parent
CORPUS_PATH = CORPUS_DIR / "intents.jsonl"
BACKGROUND_PATH = CORPUS_DIR / "background.txt"
NEGATIVES_PATH = CORPUS_DIR / "negatives.txt"


def read_corpus(path: Path = CORPUS_PATH) -> tuple[list[str], list[str]]:
    """Texts and intent labels of a JSONL corpus of {"text", "intent", ...} rows."""
    texts, labels = [], []
    for number, line in enumerate(path.read_text(encoding="utf-8").splitlines(), 1):
        if not line.strip():
            continue
        row = json.loads(line)
        if row.get("intent") not in INTENTS:
            raise ValueError(f"{path}:{number}: unknown intent {row.get('intent')!r}")
        texts.append(str(row["text"]))
        labels.append(row["intent"])
    return texts, labels


def read_background(path: Path = BACKGROUND_PATH) -> list[str]:
    """Noise texts (fillers, keyboard mashes) for the classifier's hidden class."""
    return [line for line in path.read_text(encoding="utf-8").splitlines() if line.strip()]


def read_negatives(path: Path = NEGATIVES_PATH) -> list[tuple[str, str]]:
    """(domain, message) pairs of the handwritten off-topic set (`[domain]` headers, one
    message per line, `#` comments): the out_of_scope class's training messages."""
    pairs, domain = [], ""
    for number, raw in enumerate(path.read_text(encoding="utf-8").splitlines(), 1):
        line = raw.strip()
        if not line or line.startswith("#"):
            continue
        if line.startswith("[") and line.endswith("]"):
            domain = line[1:-1].strip()
            continue
        if not domain:
            raise ValueError(f"{path}:{number}: message before the first [domain] header")
        pairs.append((domain, line))
    return pairs


def data_sha256(texts: Sequence[str], labels: Sequence[str]) -> str:
    """Fingerprint of a labelled data set, independent of the file it came from."""
    digest = hashlib.sha256()
    for text, label in zip(texts, labels, strict=True):
        digest.update(json.dumps([text, label], ensure_ascii=False).encode() + b"\n")
    return digest.hexdigest()
