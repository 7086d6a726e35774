"""Heading-aware chunking and front matter parsing (tokenizer only, no model)."""

from __future__ import annotations

import pytest

from knowledge.chunking import chunk_markdown, parse_front_matter
from knowledge.tokens import get_tokenizer


@pytest.fixture(scope="module")
def tokenizer(tmp_path_factory):
    return get_tokenizer(str(tmp_path_factory.mktemp("tiktoken")))


DOC = """---
title: "Returns: the policy"
url: https://help.northwind.example/returns
---
You can return most items.

## Eligibility

Items must be returned within 30 days of delivery.

### Gift cards

Gift cards are non-refundable.

## How to return

```
# not a heading, just code
```

Start from Account > Orders.
"""


def test_parse_front_matter_reads_keys_and_strips_quotes():
    meta, body = parse_front_matter(DOC)
    assert meta == {"title": "Returns: the policy", "url": "https://help.northwind.example/returns"}
    assert body.startswith("You can return most items.")


def test_parse_front_matter_without_front_matter_returns_text_unchanged():
    text = "# Title\n\nBody --- with dashes\n"
    assert parse_front_matter(text) == ({}, text)
    unterminated = "---\ntitle: x\nno closing fence\n"
    assert parse_front_matter(unterminated) == ({}, unterminated)


def test_chunk_markdown_builds_heading_paths_and_prefixes_each_chunk(tokenizer):
    chunks = chunk_markdown(DOC, tokenizer=tokenizer)
    assert [c.section for c in chunks] == [
        "Returns: the policy",
        "Returns: the policy > Eligibility",
        "Returns: the policy > Eligibility > Gift cards",
        "Returns: the policy > How to return",
    ]
    assert [c.index for c in chunks] == [0, 1, 2, 3]
    assert chunks[2].text == (
        "### Returns: the policy > Eligibility > Gift cards\n\nGift cards are non-refundable."
    )
    # A '#' line inside a code fence is content, not a heading.
    assert "# not a heading, just code" in chunks[3].text


def test_chunk_markdown_takes_title_from_h1_and_skips_heading_only_sections(tokenizer):
    text = "# Care guide\n\n## Tent\n\n### Drying\n\nNever pack it wet.\n"
    chunks = chunk_markdown(text, tokenizer=tokenizer)
    assert [(c.section, c.text) for c in chunks] == [
        ("Care guide > Tent > Drying", "### Care guide > Tent > Drying\n\nNever pack it wet.")
    ]


def test_chunk_markdown_splits_long_section_within_max_tokens_with_overlap(tokenizer):
    sentences = [f"Step {i} tells you to check cable number {i} before pairing." for i in range(80)]
    text = "---\ntitle: Pairing\n---\n## Long section\n\n" + " ".join(sentences) + "\n"
    chunks = chunk_markdown(text, tokenizer=tokenizer, max_tokens=100, overlap=20)

    assert len(chunks) > 5
    for chunk in chunks:
        assert len(tokenizer.encode(chunk.text)) <= 100
        assert chunk.text.startswith("## Pairing > Long section\n\n")
        assert chunk.section == "Pairing > Long section"
    bodies = [c.text.split("\n\n", 1)[1] for c in chunks]
    # Consecutive chunks share at least one sentence, and nothing is lost.
    for previous, following in zip(bodies, bodies[1:], strict=False):
        assert following.split(". ")[0] + "." in previous
    joined = " ".join(bodies)
    assert all(sentence in joined for sentence in sentences)


def test_chunk_markdown_hard_splits_a_sentence_longer_than_the_limit(tokenizer):
    text = "## Wall\n\n" + " ".join(["word"] * 500) + "\n"
    chunks = chunk_markdown(text, tokenizer=tokenizer, max_tokens=64, overlap=8)
    assert len(chunks) >= 8
    assert all(len(tokenizer.encode(c.text)) <= 64 for c in chunks)


def test_chunk_markdown_rejects_overlap_not_smaller_than_half_the_limit(tokenizer):
    with pytest.raises(ValueError, match="overlap"):
        chunk_markdown("text", tokenizer=tokenizer, max_tokens=100, overlap=50)
