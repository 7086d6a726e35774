"""Build the intent training corpus (intents.jsonl) from the handwritten seeds.

Every seed phrasing in seeds.txt becomes one row: `handwritten` when it is used
verbatim, `template` when it has {slots} (filled with realistic values; a {product} is
the demo catalogue's or an everyday one, see products.py). Slotted seeds are then
refilled with other values (`template`, up to REFILLS per seed, leaving MIN_NOISE rows),
and `noise` rows vary the seeds (openers, closers, run-on lead-ins, typos, lowercasing,
dropped punctuation, chat shorthand) until each intent has TARGET rows.
background.txt holds noise (fillers, keyboard mashes) that the classifier trains as a
hidden class so gibberish gets a low confidence. The output is deterministic.

    python -m nlu.corpus.build_corpus            # rewrites both files
    python -m nlu.corpus.build_corpus --check    # exits 1 if either is stale
"""

from __future__ import annotations

import argparse
import json
import random
import re
import sys
from collections import Counter
from itertools import chain
from pathlib import Path
from typing import Any

from nlu.corpus import BACKGROUND_PATH, CORPUS_DIR, CORPUS_PATH
from nlu.corpus.products import product_mention
from nlu.taxonomy import INTENTS
from tools.store.catalog import CATALOG

SEEDS_PATH = CORPUS_DIR / "seeds.txt"
TARGET = 160
REFILLS = 1
"""Extra slot fillings of each seed with {slots}, before the noise variants."""
MIN_NOISE = 40
"""Rows of each intent kept for noise variants (refills stop short of them), so an intent
with many slotted seeds still sees openers, typos and shorthand."""
SEED = 2026
SLOT = re.compile(r"\{(\w+)\}")

# -- slot values -------------------------------------------------------------
DATES = (
    "yesterday", "today", "last week", "this morning", "two days ago", "last Friday",
    "on March 3", "on the 14th", "on 3/14/2026", "on 2026-03-01", "on Monday",
    "a few days ago", "on Feb 27", "last month",
)  # fmt: skip
AMOUNTS = (
    "$84.10", "$129", "84.10 USD", "20 dollars", "€15", "$49.99", "$12.50", "39 USD",
    "$250", "89 dollars", "£30", "$7.99",
)  # fmt: skip
EMAILS = (
    "jane.doe@example.com", "sam.lee@example.org", "m.garcia@mailbox.example",
    "tomk88@example.net", "priya.n@example.com",
)  # fmt: skip
PLAIN_INTENTS = ("greeting", "goodbye")
"""Intents varied by their own word lists instead of openers and closers."""

OPENERS = (
    "Hi, ", "Hello, ", "hey ", "Good morning, ", "Quick question: ", "Excuse me, ",
    "Hi there. ", "Um, ", "So ", "Hello Northwind, ", "Dear support, ", "ok so ",
)  # fmt: skip
LEAD_INS = (
    "I've been a customer for years and ", "sorry if this is a silly question but ",
    "I'm writing because ", "my wife asked me to sort this out so ",
    "I tried the website already and ", "not sure who to ask but ",
    "this is my first time ordering here and ", "I'm on my phone so sorry for typos but ",
)  # fmt: skip
CLOSERS = (
    " thanks", " Thank you!", " please", " pls", " asap", " thx", ". Thanks in advance.",
    " ??", "!", " if possible", ". Appreciate it", " thank u",
)  # fmt: skip
SHORTHAND = (
    (r"\byou\b", "u"), (r"\bplease\b", "pls"), (r"\byour\b", "ur"), (r"\bwant to\b", "wanna"),
    (r"\bI'm\b", "im"), (r"\bdon't\b", "dont"), (r"\bcan't\b", "cant"), (r"\bthanks\b", "thx"),
    (r"\bare\b", "r"), (r"\bbecause\b", "bc"),
)  # fmt: skip
GREETINGS = ("hi", "hello", "hey", "hiya", "good morning", "good afternoon", "hey there", "hallo")
ADDRESSEES = ("", " there", " team", " support", " Northwind", " everyone", " folks", " bot")
THANKS = ("thanks", "thank you", "thx", "ok thanks", "great, thanks", "perfect", "cool")
BYES = ("bye", "goodbye", "see you", "have a good one", "bye for now", "take care", "later")


BACKGROUND_SIZE = 150
FILLERS = (
    "umm", "uh", "erm", "meh", "huh", "ugh", "lol", "lmao", "omg", "...", "??", "?!", "!!!",
    "k", "idk", "whatever", "that one", "stuff", "something", "it", "the other one", "so",
    "well", "anyway", "blah blah", "test", "testing", "xyz", "abc", "a", "the", "and then",
    "i mean", "you know", "like", "wait", "nothing", "nvm", ":)", ":(", "123", "0000",
)  # fmt: skip
"""Vague fillers for the background class; no intent can be read from them."""


def build_background(size: int = BACKGROUND_SIZE) -> list[str]:
    """Noise the classifier learns to hold apart from every intent: fillers and mashes."""
    rng = random.Random(SEED)
    letters = "abcdefghijklmnopqrstuvwxyz"
    found = dict.fromkeys(FILLERS)
    while len(found) < size:
        if rng.random() < 0.7:
            words = rng.randint(1, 3)
            text = " ".join(
                "".join(rng.choice(letters) for _ in range(rng.randint(2, 8))) for _ in range(words)
            )
        else:
            text = rng.choice(letters) * rng.randint(3, 6)
            if rng.random() < 0.5:
                text += " " + rng.choice(letters) * rng.randint(2, 5)
        found.setdefault(text)
    return list(found)


def read_seeds(path: Path = SEEDS_PATH) -> dict[str, list[str]]:
    """Seed phrasings by intent, in file order; every intent of the taxonomy must appear."""
    seeds: dict[str, list[str]] = {}
    current: str | None = None
    for raw in path.read_text(encoding="utf-8").splitlines():
        line = raw.strip()
        if not line or line.startswith("#"):
            continue
        header = re.fullmatch(r"\[(\w+)\]", line)
        if header:
            current = header.group(1)
            if current not in INTENTS:
                raise ValueError(f"unknown intent in seeds: {current}")
            seeds[current] = []
        elif current is None:
            raise ValueError(f"seed line before any [intent] header: {line!r}")
        else:
            seeds[current].append(line)
    missing = set(INTENTS) - set(seeds)
    if missing:
        raise ValueError(f"intents without seeds: {sorted(missing)}")
    return seeds


def order_id(rng: random.Random) -> str:
    digits = f"{rng.randrange(1_000_000, 10_000_000)}"
    return rng.choice((f"W{digits}", f"W{digits}", f"#W{digits}", f"w{digits}", f"W {digits}"))


def invoice_id(rng: random.Random) -> str:
    value = f"INV-{rng.choice((2025, 2026, 2026))}-{rng.randrange(1, 100_000):05d}"
    return value.lower() if rng.random() < 0.2 else value


SLOT_TYPES = {
    "order": "order_id", "invoice": "invoice_id", "amount": "money", "product": "sku",
    "sku": "sku", "date": "date", "email": "email",
}  # fmt: skip
"""Entity type of each {slot}."""
AMOUNT_VALUES = {
    "$84.10": "84.10 USD", "$129": "129.00 USD", "84.10 USD": "84.10 USD",
    "20 dollars": "20.00 USD", "€15": "15.00 EUR", "$49.99": "49.99 USD",
    "$12.50": "12.50 USD", "39 USD": "39.00 USD", "$250": "250.00 USD",
    "89 dollars": "89.00 USD", "£30": "30.00 GBP", "$7.99": "7.99 USD",
}  # fmt: skip


def slot_value(slot: str, rng: random.Random) -> tuple[str, str | None, tuple[int, int] | None]:
    """(surface text, normalised value, entity span inside the text) of a random, realistic
    filling of one {slot}; the span is None where the text names no entity (a product
    outside the catalogue).

    Dates get no value: a relative date means a different day on every turn."""
    if slot == "order":
        text = order_id(rng)
        return text, "W" + re.sub(r"\D", "", text), (0, len(text))
    if slot == "invoice":
        text = invoice_id(rng)
        return text, text.upper(), (0, len(text))
    if slot == "amount":
        text = rng.choice(AMOUNTS)
        return text, AMOUNT_VALUES[text], (0, len(text))
    if slot == "product":
        mention = product_mention(rng)
        span = (mention.start, mention.end) if mention.sku else None
        return mention.text, mention.sku, span
    if slot == "sku":
        sku = rng.choice(CATALOG).sku
        return sku, sku, (0, len(sku))
    if slot == "date":
        text = rng.choice(DATES)
        lead = len(text) - len(text.removeprefix("on "))  # "on March 3": the date is "March 3"
        return text, None, (lead, len(text))
    if slot == "email":
        email = rng.choice(EMAILS)
        return email, email, (0, len(email))
    raise KeyError(f"unknown slot {{{slot}}}")


def fill(template: str, rng: random.Random) -> tuple[str, list[dict[str, Any]]]:
    """Template with every {slot} replaced by a random, realistic value, and the entity
    spans those values occupy: [{type, value, start, end}] with character offsets."""
    parts: list[str] = []
    entities: list[dict[str, Any]] = []
    at = 0
    length = 0
    for m in SLOT.finditer(template):
        literal = template[at : m.start()]
        parts.append(literal)
        length += len(literal)
        text, value, span = slot_value(m.group(1), rng)
        if span is not None:
            entities.append(
                {"type": SLOT_TYPES[m.group(1)], "value": value, "start": length + span[0],
                 "end": length + span[1]}
            )  # fmt: skip
        parts.append(text)
        length += len(text)
        at = m.end()
    parts.append(template[at:])
    return "".join(parts), entities


def typo(text: str, rng: random.Random) -> str:
    """One keyboard slip (swap, drop or double a letter) in one plain word."""
    words = text.split(" ")
    spots = [i for i, w in enumerate(words) if w.isalpha() and len(w) >= 4]
    if not spots:
        return text
    i = rng.choice(spots)
    w = words[i]
    j = rng.randrange(1, len(w) - 1)
    kind = rng.randrange(3)
    if kind == 0:
        w = w[:j] + w[j + 1] + w[j] + w[j + 2 :]
    elif kind == 1:
        w = w[:j] + w[j + 1 :]
    else:
        w = w[:j] + w[j] + w[j:]
    words[i] = w
    return " ".join(words)


def vary(template: str, intent: str, rng: random.Random) -> str:
    """A noisy rewording of a seed template (slots still unfilled)."""
    text = template
    if intent in PLAIN_INTENTS:
        if intent == "greeting" and rng.random() < 0.6:
            text = rng.choice(GREETINGS) + rng.choice(ADDRESSEES) + rng.choice(("", "!", ",", "."))
        elif intent == "goodbye" and rng.random() < 0.6:
            text = f"{rng.choice(THANKS)}{rng.choice((', ', ' ', '! '))}{rng.choice(BYES)}"
    else:
        roll = rng.random()
        if roll < 0.3:
            text = rng.choice(OPENERS) + text[0].lower() + text[1:]
        elif roll < 0.45 and not text.endswith("?"):
            text = rng.choice(LEAD_INS) + text[0].lower() + text[1:]
        if rng.random() < 0.35:
            text = text.rstrip(".?!") + rng.choice(CLOSERS)
    if rng.random() < 0.25:
        pattern, short = rng.choice(SHORTHAND)
        text = re.sub(pattern, short, text, flags=re.I)
    if rng.random() < 0.35:
        text = typo(text, rng)
    if rng.random() < 0.35:
        text = text.lower()
    if rng.random() < 0.35:
        text = text.rstrip(".?!")
    return text


def norm_key(text: str) -> str:
    return re.sub(r"[^a-z0-9]+", " ", text.lower()).strip()


def _source(template: str) -> str:
    return "template" if SLOT.search(template) else "handwritten"


def build(seeds: dict[str, list[str]], target: int = TARGET) -> list[dict[str, Any]]:
    """All rows, intent by intent: the seeds, their refills, then noise variants.

    Each row is {text, intent, source, entities}: `entities` are the spans of the slot
    values filled in (handwritten rows have none)."""
    rows: list[dict[str, Any]] = []
    seen: set[str] = set()
    for index, intent in enumerate(INTENTS):
        rng = random.Random(SEED * 100 + index)
        count = 0
        slotted = [t for t in seeds[intent] if SLOT.search(t)]
        candidates = chain(
            ((*fill(t, rng), _source(t)) for t in seeds[intent]),
            ((*fill(t, rng), "refill") for _ in range(REFILLS) for t in slotted),
            (
                (*fill(vary(rng.choice(seeds[intent]), intent, rng), rng), "noise")
                for _ in range(target * 50)
            ),
        )
        for text, entities, source in candidates:
            if count >= target and source != "handwritten":
                break
            if source == "refill":
                if count >= target - MIN_NOISE:
                    continue
                source = "template"
            key = norm_key(text)
            if key and key not in seen:
                seen.add(key)
                rows.append(
                    {"text": text, "intent": intent, "source": source, "entities": entities}
                )
                count += 1
    return rows


def render(rows: list[dict[str, Any]]) -> str:
    return "".join(json.dumps(row, ensure_ascii=False) + "\n" for row in rows)


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--check", action="store_true", help="fail if intents.jsonl is stale")
    parser.add_argument("--out", type=Path, default=CORPUS_PATH)
    args = parser.parse_args(argv)
    text = render(build(read_seeds()))
    background = "".join(line + "\n" for line in build_background())
    if args.check:
        stale = [
            path
            for path, wanted in ((args.out, text), (BACKGROUND_PATH, background))
            if not path.exists() or path.read_text(encoding="utf-8") != wanted
        ]
        for path in stale:
            print(f"{path} is stale: run python -m nlu.corpus.build_corpus")
        return 1 if stale else 0
    args.out.write_text(text, encoding="utf-8")
    BACKGROUND_PATH.write_text(background, encoding="utf-8")
    counts = Counter(json.loads(line)["intent"] for line in text.splitlines())
    print(f"wrote {sum(counts.values())} rows to {args.out}")
    print(f"wrote {BACKGROUND_SIZE} background texts to {BACKGROUND_PATH}")
    for intent in INTENTS:
        print(f"  {intent:26s} {counts[intent]}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
