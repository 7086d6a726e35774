"""Text as the lint rules read it: sentences, and a normal form without disguises.

Poisoned help-centre text hides its instructions from keyword filters: letters spaced out
(``c a r d``), digits for letters (``p4ssw0rd``), Cyrillic look-alikes, zero-width
characters, full-width forms, Markdown emphasis, digits spelled out. ``normalise`` undoes
those; ``sentences`` cuts the text where an instruction ends.
"""

from __future__ import annotations

import re
import unicodedata

# -- normalisation -------------------------------------------------------------------

_INVISIBLE = re.compile("[\u00ad\u034f\u180e\u200b-\u200f\u202a-\u202e\u2060-\u2064\ufeff]")
_LOOKALIKES = str.maketrans(
    "аеорсхуіјѕԁɡոһкмтвнАЕОРСХУІЈЅКМТВНΑΒΕΗΙΚΜΝΟΡΤΥΧαορνκ",
    "aeopcxyijsdgnhkmtbhAEOPCXYIJSKMTBHABEHIKMNOPTYXaopvk",
)
_PUNCT = str.maketrans({"’": "'", "‘": "'", "“": '"', "”": '"', "–": "-", "—": "-", "‑": "-"})
_EMPHASIS = re.compile(r"[*_`~]+")
# three or more single letters kept apart by spaces or dots: "c a r d", "C.V.V", "p-i-n"
_SPACED = re.compile(r"(?<![a-z0-9])[a-z](?:[ .\-_/|·•]{1,3}[a-z](?![a-z0-9])){2,}")
_LEET_WORD = re.compile(r"[a-z0-9@$]*[0-9@$][a-z0-9@$]*")
_LEET = str.maketrans("0134579@$", "oieastgas")
_DIGIT_WORDS = {
    "zero": "0", "oh": "0", "one": "1", "two": "2", "three": "3", "four": "4",
    "five": "5", "six": "6", "seven": "7", "eight": "8", "nine": "9",
}  # fmt: skip
_SPELLED = re.compile(
    r"\b(?:(?:zero|oh|one|two|three|four|five|six|seven|eight|nine)[\s,-]+){3,}"
    r"(?:zero|oh|one|two|three|four|five|six|seven|eight|nine)\b"
)


def _deleet(match: re.Match[str]) -> str:
    word = match[0]
    letters = sum(c.isalpha() for c in word)
    if letters < 2 or word[0].isdigit() or word[0] == "@":  # a number, a handle
        return word
    return word.translate(_LEET)


def normalise(text: str) -> str:
    """Lower-case text with the common disguises undone, for matching (not for display)."""
    text = unicodedata.normalize("NFKC", _INVISIBLE.sub("", text)).translate(_LOOKALIKES)
    text = _EMPHASIS.sub("", text.translate(_PUNCT).lower())
    text = _SPACED.sub(lambda m: re.sub(r"[^a-z]", "", m[0]), text)
    text = _LEET_WORD.sub(_deleet, text)
    text = _SPELLED.sub(
        lambda m: "".join(_DIGIT_WORDS[w] for w in re.findall(r"[a-z]+", m[0])), text
    )
    return " ".join(text.split())


# -- sentences -----------------------------------------------------------------------

# A sentence ends at . ! ? (not after a lone letter, as in "e.g." or "c. v. v."), a blank
# line, or a line break before a list item, table row or heading (a wrapped line goes on).
# A warning's negation reaches back only to the last , ; : or dash, so "this is not a
# scam: send us ..." and "don't worry, send us ..." still instruct.
_SENTENCE = re.compile(
    r"(?<=[.!?])(?<!\b[A-Za-z][.!?])\s+|\n\s*\n\s*|\n(?=\s*(?:[-*+]\s|\d+[.)]\s|\||#))"
)


def sentences(text: str) -> list[str]:
    """The text's sentences, whitespace collapsed; Markdown heading marks dropped."""
    found = []
    for piece in _SENTENCE.split(text):
        piece = " ".join(piece.lstrip("#").split())
        if piece:
            found.append(piece)
    return found
