"""What a help-centre question asks for, and whether a passage sentence gives it.

"Is …?" wants a yes or a no, "how much" an amount, "how long" a duration, "how do I" the
steps. The offline composer leads with the sentence that carries what was asked, and
`unmentioned` finds the asked-about words a passage never uses ("weigh" in a question about
a camera whose article gives no weight), so a near miss is not quoted as the answer.
"""

from __future__ import annotations

import re
from typing import Literal

Ask = Literal["yes_no", "amount", "duration", "steps", "open"]

_LEAD_IN = re.compile(
    r"^\s*(?:(?:hi|hello|hey|hiya|ok|okay|so|um|quick (?:one|question)|question|sorry|"
    r"thanks|please|help)\b[\s,!.:;\-–—]*)+",
    re.I,
)
_DURATION_ASK = re.compile(
    r"\bhow (?:long|soon|quickly|fast)\b|\bhow many (?:more )?(?:business |working )?"
    r"(?:days|weeks|hours|months|years|minutes)\b|\bwhen (?:will|would|does|do|can|should|"
    r"is|are|did)\b|\bby when\b|\bwhat time\b|\bwithin how\b|\bhow late\b|\bcut-?off\b",
    re.I,
)
_AMOUNT_ASK = re.compile(
    r"\bhow (?:much|many|big|heavy|deep|far|large|high)\b|\bwhat(?:'s|s| is| are| does| do)? "
    r"(?:the |it |your |a )?(?:cost|price|fee|charge|limit|minimum|maximum|discount|rate|"
    r"percentage|amount)s?\b|\bhow expensive\b",
    re.I,
)
_STEPS_ASK = re.compile(
    r"\bhow (?:do|can|should|would|could) (?:i|we|you)\b|\bhow to\b|\bwhat (?:do|should|can) "
    r"i do\b|\bwhat are the steps\b|\bsteps\b|\bwalk me through\b",
    re.I,
)
_YES_NO_START = re.compile(
    r"^(?:is|are|am|was|were|can|could|do|does|did|will|would|should|shall|may|might|must|"
    r"has|have|had|isn't|aren't|can't|don't|doesn't|won't|any)\b",
    re.I,
)

_NUMBER_WORDS = r"(?:one|two|three|four|five|six|seven|eight|nine|ten|twelve|a few|a|an)"
_UNITS_OF_TIME = r"(?:business |working |calendar )?(?:days?|weeks?|months?|years?|hours?|minutes?)"
_DURATION = re.compile(
    rf"\b(?:\d+(?:[–-]\d+)?|{_NUMBER_WORDS})\s*[- ]?{_UNITS_OF_TIME}\b|\bsame day\b|"
    r"\bovernight\b|\bimmediately\b|\binstantly\b|\bstraight away\b|\bright away\b|"
    r"\bnever expire|\bdon't expire|\bnext business day\b|\b\d{1,2}(?::\d\d)?\s?(?:am|pm)\b|"
    r"\b\d{1,2}:\d\d\b",
    re.I,
)
_AMOUNT = re.compile(
    r"[$€£]\s?\d|\b\d+(?:[.,]\d+)?\s?(?:%|percent|usd|cad|dollars?|cents?|lbs?|kg|g|oz|"
    r"pounds|grams|feet|ft|meters|m|cm|mm|inches|in|w|mah|gb|tb|characters|digits)\b|"
    r"\bfree(?: of charge)?\b|\bno (?:cost|fee|charge)\b|\bup to \w+\b|\b\d+\b",
    re.I,
)
_NEGATION = re.compile(
    r"\b(?:not|no|never|cannot|can't|can ?not|don't|doesn't|didn't|won't|isn't|aren't|"
    r"wasn't|shouldn't|mustn't|unable|non-[a-z]+|nothing|none|neither|nor)\b",
    re.I,
)
_STEP_VERB = re.compile(
    r"^(?:go|open|select|choose|tap|click|enter|sign|press|hold|pick|add)\b", re.I
)

# Words that say what kind of answer is wanted, or are about any order, rather than name
# what is asked about: their absence from a passage says nothing.
_GENERIC = frozenset(
    "long fast soon quickly much many need needs needed get gets got getting way like time "
    "times send sent came come money number numbers back cost costs price prices offer offers "
    "bank address customer service possible able allowed ok okay want wanted know tell "
    "make made use used thing things stuff anything something work works working happen "
    "happens usually normally exactly actually really still again also just instead valid "
    "longer shorter days weeks months years hours minutes place placed spend spent pay paid "
    "cheaper faster sooner earlier later delivery deliver delivered bought buy buying order "
    "ordered mistake accident accidentally".split()
)


def ask_clause(question: str) -> str:
    """The part of a message that asks: greetings and lead-ins dropped, and of several
    sentences the last one that is a question ("hi! I ordered a tent. can I return it?")."""
    text = _LEAD_IN.sub("", question.strip())
    parts = [p.strip() for p in re.split(r"(?<=[.!?])\s+|\s+[–—-]\s+", text) if p.strip()]
    asking = [p for p in parts if p.endswith("?")]
    return (asking[-1] if asking else (parts[-1] if parts else text)).strip()


def classify_ask(question: str) -> Ask:
    """What kind of answer the question wants."""
    clause = ask_clause(question)
    if _DURATION_ASK.search(clause):
        return "duration"
    if _AMOUNT_ASK.search(clause):
        return "amount"
    if _STEPS_ASK.search(clause):
        return "steps"
    if _YES_NO_START.match(clause):
        return "yes_no"
    return "open"


def fits(ask: Ask, sentence: str, *, in_steps: bool = False) -> bool:
    """Whether a sentence carries the kind of fact asked for (an amount, a duration,
    a step); for yes/no and open questions any sentence may."""
    if ask == "duration":
        return bool(_DURATION.search(sentence))
    if ask == "amount":
        return bool(_AMOUNT.search(sentence))
    if ask == "steps":
        return in_steps or bool(_STEP_VERB.match(sentence))
    return True


def negated(text: str) -> bool:
    """Whether a sentence says no, not, never, can't …"""
    return bool(_NEGATION.search(text))


def asked_words(question: str) -> list[str]:
    """Content words of the question's ask, minus those that only say what kind of answer
    is wanted: "can I return used headphones?" -> ['return', 'used', 'headphones']."""
    from knowledge.lexical import content_words

    return [w for w in content_words(ask_clause(question)) if w not in _GENERIC]


_EXISTENCE = re.compile(
    r"^(?:is there|are there|do (?:you|u|you guys|they) (?:have|offer|sell|give|do|run)|"
    r"does (?:northwind|the shop|your shop|the store) (?:have|offer)|any)\b",
    re.I,
)


def asks_existence(question: str) -> bool:
    """'is there a student discount?', 'do you offer gift wrapping?': asked whether a thing
    exists. A sentence about its conditions ("… cannot be combined with other codes")
    does not answer it no."""
    return bool(_EXISTENCE.match(ask_clause(question)))


def focus_stem(question: str) -> str | None:
    """The stem of a yes/no question's predicate, its last asked-about word: "do gift cards
    *expire*?" -> 'expir'. A sentence that uses it is the one that says yes or no."""
    from knowledge.lexical import analyze

    if classify_ask(question) != "yes_no":
        return None
    words = asked_words(question)
    stems = analyze(words[-1]) if words else []
    return stems[0] if stems else None


def mentions(text: str, stem: str | None) -> bool:
    """Whether the text uses a word of that stem."""
    from knowledge.lexical import analyze

    return stem is not None and stem in analyze(text)


def negates(text: str, stem: str | None) -> bool:
    """Whether a negation comes just before the asked-about word ("we *don't* do direct
    exchanges"), rather than somewhere else in the sentence ("the student discount cannot
    be combined")."""
    from knowledge.lexical import analyze

    if stem is None:
        return False
    words = re.findall(r"[\w'-]+", text.lower())
    for n, word in enumerate(words):
        if stem in analyze(word):
            return any(_NEGATION.fullmatch(w) for w in words[max(0, n - 3) : n])
    return False
