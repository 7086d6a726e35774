"""Lexical features beside the sentence embedding: TF-IDF of words and character n-grams.

MiniLM embeddings blur near-synonymous intents ("card arrival" vs "card delivery
estimate"); the exact words and sub-words that tell them apart survive in TF-IDF. The
classifier's head sees `[embedding_weight * embedding, lexical_weight * tfidf]`.
"""

from __future__ import annotations

from collections.abc import Sequence

import numpy as np
from scipy import sparse


class LexicalFeatures:
    """TF-IDF of word 1-2-grams and char_wb 2-5-grams, each block L2-normalised and the
    pair scaled so that the lexical half has unit length, like the embedding."""

    def __init__(self) -> None:
        from sklearn.feature_extraction.text import TfidfVectorizer  # seconds: when training

        self.words = TfidfVectorizer(ngram_range=(1, 2), sublinear_tf=True, dtype=np.float32)
        self.chars = TfidfVectorizer(
            analyzer="char_wb", ngram_range=(2, 5), min_df=2, sublinear_tf=True, dtype=np.float32
        )
        self.fitted = False

    def fit(self, texts: Sequence[str]) -> LexicalFeatures:
        """Learn both vocabularies and their IDF weights from the training texts only."""
        self.words.fit(texts)
        self.chars.fit(texts)
        self.fitted = True
        return self

    def transform(self, texts: Sequence[str]) -> sparse.csr_matrix:
        if not self.fitted:
            raise RuntimeError("lexical features are not fitted: call fit() first")
        blocks = [self.words.transform(texts), self.chars.transform(texts)]
        return (sparse.hstack(blocks, format="csr") * np.float32(1 / np.sqrt(2))).tocsr()

    @property
    def size(self) -> int:
        return len(self.words.vocabulary_) + len(self.chars.vocabulary_) if self.fitted else 0


def combine(
    vectors: np.ndarray,
    lexical: sparse.csr_matrix | None,
    embedding_weight: float = 1.0,
) -> sparse.csr_matrix | np.ndarray:
    """The head's input: the weighted embedding, then the lexical block when there is one."""
    if lexical is None:
        return vectors
    weighted = sparse.csr_matrix(vectors * np.float32(embedding_weight))
    return sparse.hstack([weighted, lexical], format="csr")
