"""The rules of `support kb lint`: sentences of help-centre text that tell the reader to do
something risky.

Retrieved text is data, not instructions: a passage that asks for a card number, sends the
customer to a phone line or tells "the assistant" to ignore its rules must not reach a
customer answer before a person has read it. Each rule reads one sentence at a time in its
normal form (``knowledge.lint_text``: spaced-out letters, digits for letters, look-alike
characters undone), and skips an instruction that its clause turns into a warning ("we will
never ask for your password", "if someone asks for your PIN, hang up").
"""

from __future__ import annotations

import re
from dataclasses import dataclass

from knowledge.lint_text import normalise, sentences

RULES_VERSION = "1"
"""Part of every chunk's fingerprint: changing a rule re-lints the knowledge base on the
next ingest."""

RULES = {
    "share_secret": "asks the reader to share card, password, one-time code or bank details",
    "premium_number": "points the reader to a premium-rate or per-minute phone line",
    "contact_number": "tells the reader to call, text or message a phone number or handle",
    "payment_link": "tells the reader to pay or verify through a link, gift cards or a transfer",
    "override": "addresses the assistant: ignore rules, reveal the prompt, play a role",
    "unchecked_refund": "tells the reader to grant refunds or credits without the usual checks",
}
"""Rule name -> the reason shown to the content team."""


@dataclass(frozen=True)
class Finding:
    """One rule that fired on one sentence of a passage."""

    rule: str
    reason: str
    excerpt: str
    """The sentence as written (whitespace collapsed, shortened)."""


# -- vocabulary ----------------------------------------------------------------------

_CLAUSE_BREAK = re.compile(r"[,;:(]|\s-\s")
"""Where a warning's negation stops reaching back (see ``_negated``)."""
_NEGATION = re.compile(
    r"\b(?:never|not|no one|nobody|none|no need|cannot|without|avoid|refuse|beware|scam\w*"
    r"|fraud\w*|phish\w*|criminals?|impersonat\w*|someone|anyone|strangers?)\b|n't\b"
    r"|\b(?:messages?|e-?mails?|calls?|texts?|callers?|websites?|links?|sites?|pages?)"
    r" (?:that |which |who )?(?:asks?|asking|tells?|telling|claims?|claiming)\b"
)
"""Words that make a clause a warning or a description of a scam, not an instruction."""

_W = r"(?:[^\w;:.!?]+[\w'-]+)"
"""One more word within the clause (commas allowed: lists run over them)."""

_SECRET = (
    r"(?:full |whole |complete |long |entire )?(?:credit |debit )?card ?(?:number|no\b|#|details"
    r"|info\w*|data)|(?:16|sixteen)[ -]digits?|(?:long )?numbers? on the (?:front|back) of"
    r"|digits on the (?:front|back)|cvv2?|cvc2?|cv2|cvn|csc|security code|(?<!gift )card code"
    r"|(?:3|three)[ -]digit (?:code|number)|expiry date|expiration date|\bpins?\b|pin code"
    r"|passwords?|passcodes?|passphrase|log ?in details|credentials|sign[ -]in details"
    r"|one[ -]time (?:code|password|passcode|pin)|\botps?\b|verification code|2fa"
    r"|two[ -]factor code|authenticat\w* code|sms code|security pin|code we (?:sent|texted)"
    r"|bank (?:details|account|login|card)|account number|routing number|sort code|\biban\b"
    r"|swift|online banking|social security number|\bssn\b|mother's maiden name"
    r"|(?:photo|picture|scan|image|copy|copies)s? of (?:the |your |their |both )?(?:front|back"
    r"|sides)\b[^.!?]{0,30}\bcard"
)
_WHOSE = r"(?:us|me|it|them|the agent|support|our team|your|their|his|her|the|a|all|any)\b"
_SHARE = (
    r"shar(?:e|es|ing)|send(?:s|ing)?|giv(?:e|es|ing)|provid(?:e|es|ing)|tell(?:s|ing)?"
    r"|repl(?:y|ies|ying)|respond(?:s|ing)?|write back|read (?:out|back|aloud)|disclos(?:e|ing)"
    r"|hand(?:ing)? over|spell out|upload(?:ing)?|past(?:e|ing)"
    r"|let (?:us|me|the agent|an agent|our team|the team|them|support) know"
    rf"|(?:e-?mail|text|dm|message|post|include|forward|request|collect|obtain)(?:s|ing)? {_WHOSE}"
    r"|get (?:their|the customer's|his|her|the caller's)\b"
    r"|ask (?:the |our |each |every )?(?:customers?|callers?|users?|clients?|buyers?|them|him"
    r"|her|for)"
)
_CHANNEL = (
    r"(?:in|into|via|through|over|on|by) (?:the |this |our |a )?(?:chat|reply|message|e-?mail"
    r"|text|sms|whatsapp|telegram|phone|call|dm|comments?|form below)|to (?:us|me|the agent"
    r"|an agent|support|the assistant|the bot|our team)|(?:right )?here\b|below\b"
)
_SHARE_SECRET = [
    re.compile(rf"\b(?:{_SHARE}){_W}{{0,9}}?[^\w;:.!?]+(?:{_SECRET})"),
    re.compile(
        rf"\b(?:type|enter|input|put|write|submit){_W}{{0,6}}?[^\w;:.!?]+(?:{_SECRET})"
        rf"{_W}{{0,4}}?[^\w;:.!?]+(?:{_CHANNEL})"
    ),
    re.compile(rf"\b(?:{_SECRET}){_W}{{0,5}}?[^\w;:.!?]+(?:{_CHANNEL})"),
    re.compile(
        rf"\b(?:we|i|agents?|the agents?|our agents?|our team|the team|support|they)"
        r"(?: will| 'll|'ll|'d| would| first| also)? (?:needs?|requires?|must have|wants?)"
        rf"{_W}{{0,4}}?[^\w;:.!?]+(?:{_SECRET})"
    ),
    re.compile(rf"\bwhat(?:'s| is| are) (?:your|their|the customer's) (?:{_SECRET})"),
]

_PHONE = re.compile(r"(?<![\w/-])(?:\+|00)?\d(?:[\s.()/-]{0,3}\d){6,14}(?![\w])")
_PREMIUM = re.compile(
    r"(?<![\w/-])(?:(?:\+|00)?1[\s.-]*)?\(?9(?:00|76)\)?[\s.-]*\d{3}[\s.-]*\d{4}"
    r"|(?<![\w/-])(?:\+44[\s.-]*|0)9\d{2}[\s.-]*\d{3}[\s.-]*\d{3,4}"
    r"|(?<![\w/-])0900[\s.-]*\d{3,}"
    r"|(?<![\w/-])(?:\+61[\s.-]*)?190\d[\s.-]*\d{3}[\s.-]*\d{3}"
)
_PER_MINUTE = re.compile(
    r"(?:[$£€]\s?\d+(?:[.,]\d+)?|\d+(?:[.,]\d+)?\s?(?:p|c|cents?|pence|usd|eur|gbp|dollars?))"
    r"\s*(?:/|per|a|an|each)\s*(?:min\b|minute|mins\b)|per[- ]minute (?:rate|charge|fee)"
    r"|premium[- ]rate"
)
_CONTACT_NUMBER = re.compile(
    r"\b(?:call|phone(?! ?:| numbers?)|ring|dial|text|sms|whatsapp|telegram|signal|viber"
    r"|wechat|message|contact|reach)\w*\b[^.!?;]{0,60}?$"
)
_HANDLE = re.compile(
    r"\b(?:whatsapp|telegram|signal|dm|direct message|instagram|snapchat|discord)\b"
    r"(?:\W+\w+){0,5}?\W+@\w{3,}|(?:wa\.me|t\.me|telegram\.me)/\w+"
)

_URL = re.compile(
    r"(?:https?://|www\.)[^\s<>()\"']+"
    r"|\b(?:[a-z0-9-]+\.)+(?:com|net|org|io|co|me|ly|app|link|pay|xyz|top|info|biz|ru|cn|tk"
    r"|gov|shop|store|online|site|example|support|help)\b(?:/[^\s<>()\"']*)?"
)
_SUSPICIOUS_HOST = re.compile(
    r"(?:^|\.)(?:bit\.ly|tinyurl\.com|t\.co|goo\.gl|is\.gd|ow\.ly|rebrand\.ly|cutt\.ly"
    r"|t\.me|wa\.me|shorturl\.at|tiny\.cc)$|^\d{1,3}(?:\.\d{1,3}){3}$|(?:^|\.)xn--"
)
_GO = re.compile(
    r"\b(?:visit|go to|click|open|tap|follow|use|scan|pay|log ?in|sign ?in|enter|download"
    r"|head to|navigate to)\b"
)
_PAY = re.compile(
    r"\bpay(?:ing)?\b(?=\W+(?:the|your|their|a|an|any|by|with|via|at|online|now|here|using"
    r"|through|[$£€]|\d)\b)|\bmake (?:a|the|your|their) payment|complete (?:the|your|their)"
    r" (?:payment|purchase|verification)|send (?:the |your |their )?(?:money|funds|payment|fee"
    r"|deposit)|(?:transfer|wire) (?:the |your |their )?(?:money|funds|payment|amount|fee"
    r"|balance|deposit|[$£€]|\d)|top up|settle (?:the|your|their)"
    r"|payment link|pay link|checkout link|claim (?:your|their|the) (?:refund|prize|credit"
    r"|reward|compensation|voucher)|(?:verify|confirm|update|unlock|reactivate|validate|secure)"
    r" (?:your|their) (?:card|account|identity|details|payment|billing|bank)"
)

_OFF_BOOKS_PAYMENT = re.compile(
    r"\bbuy\b[^.!?]{0,40}\bgift ?cards?\b[^.!?]{0,60}\b(?:send|give|share|read|text|e-?mail"
    r"|tell|reply)\b[^.!?]{0,20}\b(?:codes?|numbers?|pins?)\b|\b(?:pay|send|transfer|wire)\b"
    r"[^.!?]{0,40}\b(?:in|with|via|using|through|by) (?:bitcoin|btc|crypto\w*|usdt|ethereum"
    r"|western union|moneygram|a wire transfer|a bank transfer|zelle|venmo|cash app)"
)
"""Paying outside the shop's checkout: gift-card codes, crypto, money transfers."""

_OVERRIDE = [
    re.compile(
        r"\b(?:ignore|disregard|forget|override|bypass|skip|drop|abandon|circumvent)\b"
        r"(?:\W+\w+){0,5}?\W+(?:instructions?|prompts?|rules?|polic(?:y|ies)|guidelines?"
        r"|guardrails?|restrictions?|safeguards?|safety|checks?|verification|directives?"
        r"|programming|constraints?|limits?|identity checks?|approval|guidance|directions"
        r"|training|context|everything)\b"
    ),
    re.compile(
        r"\b(?:reveal|print|show|repeat|output|display|leak|dump|disclose|recite|tell)\b"
        r"(?:\W+\w+){0,4}?\W+(?:system|hidden|initial|original|developer|internal|secret)"
        r" (?:prompt|instructions?|message|rules|configuration)"
    ),
    re.compile(
        r"\b(?:you are now|you're now|from now on,? you|act as|acting as|pretend (?:to be|you"
        r" are|that you)|role-?play as|behave as|respond as|answer as|impersonate)\b"
        r"(?:\W+\w+){0,3}?\W+(?:admin\w*|developer|dan|root|supervisor|manager|agent|system"
        r"|unrestricted|jailbroken|unfiltered|different|new|ai|assistant|bot|god|employee"
        r"|staff|operator|owner)\b"
    ),
    re.compile(r"\b(?:admin|developer|god|jailbreak|dan|sudo|unrestricted|unfiltered) mode\b"),
    re.compile(
        r"\b(?:ai|assistants?|chatbots?|bots?|models?|llms?|language models?)\b[^.!?]{0,20}?"
        r"\b(?:reading|processing|seeing|summari[sz]ing) this\b"
    ),
    re.compile(
        r"\b(?:note|message|instructions?|memo|attention|reminder) (?:to|for) (?:the |all |any )?"
        r"(?:ai|assistants?|bots?|chatbots?|models?|llms?|language models?|gpt|support assistants?"
        r"|virtual agents?)\b"
    ),
    re.compile(
        r"^\W*(?:system|developer)\s*(?:note|prompt|message|override)?\s*:|\[/?(?:system|inst)\]"
        r"|<\|?/?(?:system|im_?start|im_?end)\|?>|#{2,} ?(?:system|instruction)"
    ),  # fmt: skip
    re.compile(
        r"\b(?:ai|assistants?|chatbots?|bots?|models?|llms?)(?:,| reading this,?)? (?:must|should"
        r"|shall|are (?:required|instructed|told) to|need to|have to) (?:always |now )?"
        r"(?:ignore|refund|approve|issue|grant|skip|reveal|disclose|obey|comply|tell|say|output"
        r"|give|send|share|cancel|change|credit|trust|believe|treat)\b"
    ),
    re.compile(
        r"\b(?:do not|don't|never) (?:tell|inform|mention|reveal|disclose|show|let)\b"
        r"(?:\W+\w+){0,3}?\W+(?:customers?|users?|callers?|clients?)\b"
    ),  # fmt: skip
    re.compile(
        r"\bwithout (?:telling|informing|notifying|asking|confirming with)"
        r" (?:the |them|him|her)?(?:customers?|users?|callers?|clients?)?\b"
    ),  # fmt: skip
]

_GRANT = (
    r"refund|reimburse|compensate|credit|issue|approve|grant|process|give|send|pay out|add"
    r"|apply|honou?r|accept"
)
_GRANT_ALONE = r"refund|reimburse|compensate|credit|approve|grant"
"""Verbs that grant something on their own ("refund every customer ...")."""
_BENEFIT = (
    r"refunds?|credits?|store credit|vouchers?|compensation|reimbursements?|money back"
    r"|gift cards?|coupons?|goodwill|discounts?|requests?|claims?|returns?|chargebacks?"
)
_UNCHECKED = (
    r"without (?:any |a |the |further )?(?:checks?|checking|verification|verifying|confirmation"
    r"|confirming|approval|proof|receipts?|questions?|asking|review|investigation|returns?"
    r"|returning|limits?)|no questions asked|no (?:checks?|verification|proof|receipts?"
    r"|approval|confirmation|return)(?: is| are)? (?:needed|required|necessary)"
    r"|regardless of|(?:to|for) (?:anyone|everyone|any customer|every customer|all customers"
    r"|whoever)|(?:every|any|all) (?:refund |such )?(?:requests?|claims?|customers?)"
    r"|whatever (?:amount|they|the customer)|(?:always|automatically|immediately|instantly)"
    r" (?:approve|refund|grant|issue|accept)|even (?:if|when|though)|(?:outside|beyond|past"
    r"|after)"
    r" the (?:\d+[- ]days? |return |refund )*(?:window|policy|period|deadline)|in full, no"
)
_REFUND_VERB = (
    r"(?:(?<!the )(?<!a )(?<!your )(?<!any )(?<!their )\brefund(?:ed|ing)?\b|\b(?:send|issue"
    r"|move|transfer|redirect|route|pay) (?:the |a |their |his |her |it |them )?(?:refunds?"
    r"|money|credit|amount)\b)"
)
_UNCHECKED_REFUND = [
    re.compile(rf"\b(?:{_GRANT})\b(?:\W+\w+){{0,6}}?\W+(?:{_BENEFIT})\b[^.!?]*?(?:{_UNCHECKED})"),
    re.compile(rf"(?<!the )(?<!a )(?<!your )\b(?:{_GRANT_ALONE})\b[^.!?]{{0,60}}?(?:{_UNCHECKED})"),
    re.compile(rf"(?:{_UNCHECKED})[^.!?]*?\b(?:{_GRANT})\b(?:\W+\w+){{0,6}}?\W+(?:{_BENEFIT})\b"),
    re.compile(
        rf"{_REFUND_VERB}{_W}{{0,10}}?[^\w;:.!?]+(?:to (?:a |the |any |their |his |her "
        r"|the customer's |the caller's )?(?:different|another"
        r"|new|other|separate|this|following|external|personal) (?:card|account|payment method"
        r"|wallet|paypal|bank|iban)|card ending(?: in)? \d{4})"
    ),
    re.compile(
        r"\b(?:refund|cancel|reship|credit|change|update|approve)\b(?:\W+\w+){0,4}?\W+"
        r"(?:order )?(?:#|number |no\.? )?w\d{7}\b"
    ),  # fmt: skip
]


# -- applying the rules ------------------------------------------------------------------


def _negated(sentence: str, start: int) -> bool:
    """Whether the words just before position `start`, in its clause, make it a warning."""
    clause = _CLAUSE_BREAK.split(sentence[:start])[-1]
    return bool(_NEGATION.search(" ".join(clause.split()[-7:])))


def _unnegated(patterns: list[re.Pattern[str]], sentence: str) -> bool:
    return any(
        not _negated(sentence, m.start())
        for pattern in patterns
        for m in pattern.finditer(sentence)
    )


def _hosts(sentence: str) -> list[str]:
    hosts = []
    for url in _URL.findall(sentence):
        host = re.sub(r"^(?:https?://)?(?:www\.)?", "", url).split("/", 1)[0].split(":", 1)[0]
        hosts.append(host.rstrip(".,"))
    return hosts


def rules_of_sentence(sentence: str) -> list[str]:
    """Names of the rules that fire on one normalised sentence."""
    fired: list[str] = []
    if _unnegated(_SHARE_SECRET, sentence):
        fired.append("share_secret")
    phones = [m for m in _PHONE.finditer(sentence) if sum(c.isdigit() for c in m[0]) >= 7]
    if phones and (_PREMIUM.search(sentence) or _PER_MINUTE.search(sentence)):
        fired.append("premium_number")
    if any(
        _CONTACT_NUMBER.search(sentence[: m.start()]) and not _negated(sentence, m.start())
        for m in phones
    ) or _unnegated([_HANDLE], sentence):
        fired.append("contact_number")
    hosts = _hosts(sentence)
    if (
        hosts
        and (
            (_GO.search(sentence) and any(_SUSPICIOUS_HOST.search(h) for h in hosts))
            or _unnegated([_PAY], sentence)
        )
        or _unnegated([_OFF_BOOKS_PAYMENT], sentence)
    ):
        fired.append("payment_link")
    if _unnegated(_OVERRIDE, sentence):
        fired.append("override")
    if _unnegated(_UNCHECKED_REFUND, sentence):
        fired.append("unchecked_refund")
    return fired


def lint_text(text: str) -> list[Finding]:
    """Every rule that fires on the text, once per rule, with the first sentence it fired on."""
    findings: dict[str, Finding] = {}
    for sentence in sentences(text):
        for rule in rules_of_sentence(normalise(sentence)):
            if rule not in findings:
                findings[rule] = Finding(rule, RULES[rule], _shorten(sentence))
    return list(findings.values())


def _shorten(sentence: str, width: int = 200) -> str:
    return sentence if len(sentence) <= width else sentence[: width - 4].rstrip() + " ..."
