"""Lexical (BM25) search over chunk texts: bm25s scoring, Snowball stems, English stop words."""

from __future__ import annotations

import re
from functools import lru_cache

import numpy as np

_WORD = re.compile(r"\w+", flags=re.UNICODE)


@lru_cache(maxsize=1)
def _stemmer():
    import Stemmer

    return Stemmer.Stemmer("english")


# What is left of "doesn't", "aren't" ... once the word pattern splits at the apostrophe.
_CONTRACTIONS = "does did doing don doesn didn isn aren wasn weren won wouldn shouldn couldn"


# Chat shorthand and fillers: they carry no topic ("ok so how do i return smth").
_CHAT = (
    "whats hows wheres whos whens whys im ive youre ur pls plz thx thanks thank hi "
    "hello hey ok okay yeah yep smth sth cant dont doesnt didnt isnt arent wasnt werent "
    "wont wouldnt shouldnt couldnt guys"
)


@lru_cache(maxsize=1)
def _stop_words() -> frozenset[str]:
    from sklearn.feature_extraction.text import ENGLISH_STOP_WORDS

    return frozenset(ENGLISH_STOP_WORDS) | frozenset(_CONTRACTIONS.split() + _CHAT.split())


def content_words(text: str) -> list[str]:
    """Lower-cased words without stop words and single letters."""
    stop = _stop_words()
    return [w for w in _WORD.findall(text.lower()) if w not in stop and (len(w) > 1 or w.isdigit())]


def analyze(text: str) -> list[str]:
    """Lower-cased word stems without stop words: 'Refunds are taking' -> ['refund', 'take']."""
    return _stemmer().stemWords(content_words(text))


def misspelt(word: str, known: list[str]) -> bool:
    """Whether `word` is one slip away from a known word: two neighbouring letters swapped
    ('refnud' - 'refund'), one letter wrong, or, in words of six letters or more, one
    letter missing or extra ('invoics'). Shorter words never are: too many real words lie
    one edit apart ('weigh' is not a typo of 'weight', nor 'wrap' of 'trap')."""
    from rapidfuzz import process
    from rapidfuzz.distance import DamerauLevenshtein

    if len(word) < 5:
        return False
    close = process.extract(
        word, known, scorer=DamerauLevenshtein.distance, score_cutoff=1, limit=None
    )
    return any(len(c) == len(word) or min(len(c), len(word)) >= 6 for c, _, _ in close)


class LexicalIndex:
    """BM25 over a fixed list of texts; rebuild it when the texts change."""

    def __init__(self, ids: list[str], texts: list[str], docs: list[str] | None = None) -> None:
        """`docs` gives each text's document id (default: the text's own id)."""
        import bm25s

        self.ids = list(ids)
        self._docs = dict(zip(self.ids, docs or self.ids, strict=True))
        self._bm25 = bm25s.BM25()
        self._vocab: set[str] = set()
        self._words: list[str] = []
        """Every content word as written (lower-cased), to tell a typo from a new word."""
        if self.ids:
            words = [content_words(t) for t in texts]
            stemmer = _stemmer()
            tokens = [stemmer.stemWords(w) or [""] for w in words]  # bm25s needs a token each
            self._bm25.index(tokens, show_progress=False)
            self._vocab = set(self._bm25.vocab_dict)
            self._words = sorted({w for text_words in words for w in text_words})

    def doc_of(self, id_: str) -> str:
        """The document an indexed text belongs to."""
        return self._docs[id_]

    def __len__(self) -> int:
        return len(self.ids)

    def unknown_words(self, text: str) -> list[str]:
        """Words of `text` whose stem no indexed text contains: 'do you offer gift
        wrapping?' -> ['wrapping'] when no article mentions wrapping. Words with a digit
        (order numbers, years, model numbers) are not topic words and never count, nor
        do typos of known words ('refnud', see `misspelt`)."""
        words = list(dict.fromkeys(content_words(text)))
        stems = _stemmer().stemWords(words)
        return [
            word
            for word, stem in zip(words, stems, strict=True)
            if stem not in self._vocab
            and not any(c.isdigit() for c in word)
            and not misspelt(word, self._words)
        ]

    def search(self, query: str, k: int) -> list[tuple[str, float]]:
        """Up to k (id, BM25 score) pairs with a positive score, best first."""
        if not self.ids or k <= 0:
            return []
        terms = [t for t in analyze(query) if t in self._vocab and t]
        if not terms:
            return []
        scores = self._bm25.get_scores(terms)
        top = np.argsort(-scores, kind="stable")[:k]
        return [(self.ids[i], float(scores[i])) for i in top if scores[i] > 0]
