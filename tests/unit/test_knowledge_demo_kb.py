"""The demo help centre is well-formed: front matter, length, chunk sizes."""

from __future__ import annotations

import re
from pathlib import Path

import pytest

from app.settings import Settings
from knowledge.chunking import chunk_markdown, parse_front_matter
from knowledge.tokens import get_tokenizer

KB_DIR = Settings.model_fields["KB_DIR"].default
ARTICLES = sorted(Path(KB_DIR).glob("*.md"))


def test_demo_kb_has_at_least_22_articles():
    assert len(ARTICLES) >= 22


@pytest.mark.parametrize("path", ARTICLES, ids=lambda p: p.stem)
def test_demo_kb_article_has_front_matter_and_real_sections(path: Path):
    meta, body = parse_front_matter(path.read_text(encoding="utf-8"))
    assert meta["title"]
    assert meta["url"] == f"https://help.northwind.example/{path.stem}"
    assert re.search(r"^## \S", body, flags=re.MULTILINE), "no H2 section"
    assert 150 <= len(body.split()) <= 600


def test_demo_kb_chunks_fit_the_default_limit(tmp_path):
    tokenizer = get_tokenizer(str(tmp_path / "tiktoken"))
    for path in ARTICLES:
        chunks = chunk_markdown(path.read_text(encoding="utf-8"), tokenizer=tokenizer)
        assert chunks, path.name
        assert all(len(tokenizer.encode(c.text)) <= 200 for c in chunks), path.name
