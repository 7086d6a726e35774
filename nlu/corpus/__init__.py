"""The committed training data of the intent classifier and its readers.

intents.jsonl and background.txt are written by build_corpus.py from seeds.txt;
regenerate them with `python -m nlu.corpus.build_corpus`.
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


def data_sha256(texts: Sequence[str], labels: Sequence[str]) -> str:
    """Fingerprint of a labelled data set, independent of the file it came from."""
    digest = hashlib.sha256()
    for text, label in zip(texts, labels, strict=True):
        digest.update(json.dumps([text, label], ensure_ascii=False).encode() + b"\n")
    return digest.hexdigest()
