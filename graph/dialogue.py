"""Conversation repair, as pure functions: how a message relates to what came before.

A flow (refund, cancel, address change, order status) stays about its own steps; these
readings sit beside it and make it robust to how people really talk: a yes or no in any
common form, a correction ("no, the other order"), a reference to an order already
discussed ("that order", "it"), a request to repeat, and a message holding two requests.
The classify node applies them; nothing here touches the store or the models.
"""

from __future__ import annotations

import re
from collections.abc import Mapping, Sequence

from graph.picks import order_pick

# -- yes and no ----------------------------------------------------------------------------

_YES_WORDS = (
    r"y|yes|yeah|yea|yep|yup|ya|sure|ok|okay|k|kk|alright|all right|fine|"
    r"please|please do|go ahead|go for it|do it|do that|proceed|confirm|confirmed|correct|"
    r"that'?s right|that'?s fine|that'?s correct|sounds good|sounds great|"
    r"absolutely|definitely|of course|certainly|let'?s do it|let'?s do that|affirmative|"
    r"yes please|why not|deal|agreed|works for me|that works|go on|yess+|yas|ye"
)
_NO_WORDS = (
    r"n|no|nope|nah|no thanks|no thank you|don'?t|do not|dont|stop|cancel that|never ?mind|"
    r"not now|not yet|not today|no wait|wait|hold on|hang on|hold off|forget it|forget that|"
    r"scratch that|leave it|actually no|actually,? forget it|i changed my mind|"
    r"changed my mind|let me think|i'?ll think about it|not anymore|no need|skip it|"
    r"don'?t do it|do not do it|please don'?t|rather not|i'?d rather not|negative"
)
_FILLER = re.compile(
    r"^(?:\s|[,.!]|then|it|that|this|one|now|please|pls|thanks|thank you|so|just|and|"
    r"(?:refund|cancel|change|return|exchange|swap|update|switch|do)\s+(?:it|that|this|them|the "
    r"refund)(?:\s+one)?|the refund|for me|mate|buddy|go ahead|do it|proceed|with it|with that)*$",
    re.I,
)
_OPENER = (
    r"(?:(?:h+m+|u+m+|uh+|er+|well|actually|oh|ah|so|cool|great|perfect|awesome|nice|"
    r"wait)[\s,.!]+)*"
)
"""Hesitations before the answer: "hmm actually no, I'll keep it"."""
_YES_START = re.compile(
    rf"^\s*{_OPENER}(?:(?:{_YES_WORDS}|cool|great|perfect|awesome|nice)\b[\s,.!]*)+", re.I
)
_A_YES = re.compile(rf"\b(?:{_YES_WORDS})\b", re.I)
_NO_START = re.compile(rf"^\s*{_OPENER}(?:(?:{_NO_WORDS})\b[\s,.!]*)+", re.I)
_GO_ON = re.compile(
    r"^(?:just|simply|please|go ahead and|just go ahead and)\s+"
    r"(?:cancel|refund|return|do|proceed|go ahead)(?:\s+(?:it|that|this|them|the order))?"
    r"(?:\s+(?:then|please|anyway))?\W*$",
    re.I,
)
"""After a no, the offer itself: "no forget it, just cancel" drops the side request."""


def confirmation(message: str) -> bool | None:
    """True for a plain yes ("ok go ahead", "yep do it", "sure!"), False for a plain no
    ("no wait", "not now", "actually forget it"), None for anything else: a yes or no
    followed by a question or a new request ("ok, but how long does it take?") is not an
    answer to an offer."""
    text = message.strip()
    if "?" in text:
        # "ugh, a fee? fine. go ahead": a question, then a plain answer, is the answer
        last = re.split(r"[?]", text)[-1].strip(" .!,")
        return confirmation(last) if last else None
    for pattern, answer in ((_NO_START, False), (_YES_START, True)):
        found = pattern.match(text)
        if not found or (answer and not _A_YES.search(found[0])):
            continue  # "cool!" alone is not a yes; "ok cool, yes please" is
        rest = text[found.end() :]
        if answer is False and _GO_ON.match(rest.strip()):
            return True  # "no forget it, just cancel": no to the aside, yes to the offer
        if _FILLER.match(rest) or re.search(r"\d", rest):
            if _FILLER.match(rest):
                return answer
            continue
        # "sure thing", "yes mate": a word or two more is still a yes; a no may go on
        # ("no, I'll keep it"), unless it corrects what was offered (see `corrects`).
        if len(rest.split()) <= 2 or (answer is False and not corrects(rest)):
            return answer
    return None


def says_no_first(message: str) -> bool:
    """The message opens with a no ("no, the other order"): a decline or a correction."""
    return bool(_NO_START.match(message.strip()))


# -- references and corrections -----------------------------------------------------------

_OTHER = re.compile(
    r"\b(the other (one|order|purchase|package)|other order|not (that|this) (one|order)|"
    r"wrong order|different order|the previous (one|order)|the earlier (one|order)|"
    r"the first (one|order))\b",
    re.I,
)
_THAT = re.compile(
    r"\b(that|this|the same|said) (order|one|purchase|package|parcel|shipment)\b|"
    r"\b(it|its|it'?s|them|there)\b",
    re.I,
)
_MY_ORDER = re.compile(r"\b(my|the) (order|purchase|package|parcel|shipment|delivery)\b", re.I)
_INDEFINITE = re.compile(
    r"\b(an|another|a different|a new|some|any|all|my other) (order|purchase)s?\b|"
    r"\bmy orders\b|\borders\b",
    re.I,
)
_MEANT = re.compile(
    r"\b(i meant|i mean|meant|instead|rather)\b|^\W*(actually,? )?(just|only) (the|my)\b|"
    r"^\W*(no,? )?(the )?(first|second|third|last|2nd|3rd|other) (one|item|line)\b",
    re.I,
)
_NO_FIRST = re.compile(r"^\W*(wait,? )?(actually,? )?(no|nope|nah)\b", re.I)
_DONT = re.compile(
    r"\b(don'?t|do not|dont) (cancel|refund|return|change|exchange|swap|do (it|that))\b", re.I
)


def declines_then_asks(message: str) -> bool:
    """A no to the offer with a new request after it ("no dont cancel. could I get them in
    white instead?"): the offer is dropped first, then the rest is read on its own. A
    correction ("no, the other order") is not a decline."""
    if confirmation(message) is not None:
        return False
    return bool(_DONT.search(message)) or (bool(_NO_FIRST.match(message)) and not corrects(message))


def wants_other_order(message: str) -> bool:
    """ "No, the other order", "not that one", "wrong order": switch to another order."""
    return bool(_OTHER.search(message))


def corrects(message: str) -> bool:
    """A correction of what the bot just offered ("I meant the blue one", "the other
    order", "never mind, the shipped one"), as opposed to a plain no."""
    return bool(_OTHER.search(message) or _MEANT.search(message) or order_pick(message))


def referenced_order(message: str, remembered: Sequence[str]) -> tuple[str | None, list[str]]:
    """The order a message without an order number refers to, from the orders the
    conversation already looked at (`remembered`, least recent first).

    Returns (order, []) when one is meant, (None, candidates) when the customer must say
    which of several, (None, []) when the message refers to no order of the conversation
    (an indefinite "another order", nothing remembered, or an order described by status,
    recency or product, which the slot-filling node looks up: graph.picks).
    """
    if not remembered or _INDEFINITE.search(message):
        return None, []
    pick = order_pick(message)
    if pick and (pick.status or pick.recency or pick.product):
        return None, []  # "my most recent order", "the pending one": chosen from the store
    if wants_other_order(message):
        if len(remembered) >= 2:
            return remembered[-2], []
        return None, []
    if _THAT.search(message) or len(remembered) == 1:
        return remembered[-1], []
    return None, list(reversed(remembered))


# -- repeat --------------------------------------------------------------------------------

_REPEAT = re.compile(
    r"^\s*(sorry,? |pardon,? )?(can you |could you |please )?(say|repeat) (that|it|this)"
    r"( again)?( please)?\W*$|"
    r"^\s*(sorry,? )?(come again|pardon|what did you (just )?say|say again|repeat please|"
    r"what was that)\W*$",
    re.I,
)
_THANKS = re.compile(
    r"^\W*((ok|okay|cool|great|awesome|perfect|nice|ugh ok|alright|brilliant)\W+)?"
    r"(thanks|thank you|thx|ty|cheers|many thanks)( (so much|a lot|anyway|again|for that|"
    r"for your help))?\W*$",
    re.I,
)


def thanks(message: str) -> bool:
    """A plain thank-you ("cool thanks!!"): answered in kind, whatever is pending."""
    return bool(_THANKS.match(message))


def asks_to_repeat(message: str) -> bool:
    return bool(_REPEAT.match(message))


_HUMAN = re.compile(
    r"\b(talk|speak|chat)( to| with)? (someone|somebody|an? ((real|actual|live) )?(person|human|"
    r"manager|supervisor|agent|rep|representative))\b|\b((real|live) (person|human|agent)|"
    r"human agent|human being|your manager|a supervisor)\b",
    re.I,
)


def asks_for_a_person(message: str) -> bool:
    """ "can I talk to someone who can make an exception?": a person, whatever else is said."""
    return bool(_HUMAN.search(message)) and not asks_about_bot(message)


_ABOUT_BOT = re.compile(
    r"^\s*(who|what) (are|r) (you|u)\b|\b(are|r) (you|u) (a |an )?(bot|robot|human|person|real|"
    r"ai)\b|"
    r"\b(who|what) am i (talking|chatting|speaking) (to|with)\b|"
    r"\bis this (a |an )?(bot|robot|real person|human|person|machine|ai)\b|"
    r"\bam i (talking|chatting|speaking) (to|with) a (bot|person|human|machine)\b",
    re.I,
)


_YOU = r"(you|u|this (bot|assistant|chat)|the (bot|assistant))"
_CAPABILITIES = re.compile(
    r"^\W*((hi|hello|hey|ok|okay|so|and)\b\W*)*("
    rf"what (else )?(can|could|do) {_YOU} (do|help( me)?( out)?( with)?)|"
    rf"how (can|could|do|will) {_YOU} help( me)?( out)?|"
    r"what (kinds?|sorts?|types?) of (things|stuff|questions|requests|problems|issues) "
    rf"(can|could|do) ({_YOU}|i) (help( me)?( out)?( with)?|do|handle|ask( you)?( about)?)|"
    r"what can i ask( you)?( about)?|"
    r"what (are|r) (your|the bot'?s) (capabilities|features|abilities|skills|options)|"
    rf"what (are|r) (you|u) (able to do|able to help( me)? with|for|good at|capable of)|"
    r"what('?s| is) this (bot|chat|assistant|service)( for)?|"
    rf"what (is|are) {_YOU} (for|able to do)"
    r")(\s+(here|for me|exactly|today|then|again))*\W*$",
    re.I,
)
"""The whole message asks what the bot can do ("what can you do?"): a request that goes
on ("what can you do about my refund for W1?") is that request, not this question."""


def asks_about_bot(message: str) -> bool:
    """ "Who are you?", "are you a bot?", "what can you do?": the customer asks what they
    are talking to and what it can help with."""
    return bool(_ABOUT_BOT.search(message) or _CAPABILITIES.search(message.strip()))


# -- verbs that say what is wanted, when the classifier can't decide -----------------------

_CUES: tuple[tuple[str, re.Pattern[str]], ...] = (
    (
        "change_order",
        re.compile(
            r"\b(exchange|swap)\b|\binstead of\b|\bin (a |the )?(different |another )?"
            r"(colou?r|size|white|black|blue|red|green|grey|gray|silver|pink)\b",
            re.I,
        ),
    ),
    ("change_order", re.compile(r"\bpay\b.*\b(with|using|instead)\b", re.I)),
    (
        "get_refund",  # not "return shipping", "refund policy": nouns of help-centre questions
        re.compile(
            r"\b(return|refund)\b(?!\s+(shipping|postage|policy|window|label|fees?|costs?|"
            r"period|address|process|times?)\b)|\bsend\b.{0,30}\bback\b|\bmoney back\b",
            re.I,
        ),
    ),
    ("cancel_order", re.compile(r"\bcancel\b", re.I)),
    (
        "track_order",
        re.compile(
            r"\b(where is|where's|track|status of|arrived?|delivered|when'?s it (coming|arriving)|"
            r"when will (it|my \w+) (come|arrive|get here))\b",
            re.I,
        ),
    ),
)


_MISTAKE = re.compile(
    r"\b(order(ed)?|bought|purchased|placed)\b.{0,30}\b(by mistake|by accident|in error)\b|"
    r"\b(accidentally|mistakenly) (order(ed)?|bought|purchased|placed)\b|"
    r"\bdidn'?t mean to (order|buy|purchase)\b|\bordered (it |this |that )?twice\b",
    re.I,
)


def ordered_by_mistake(message: str) -> bool:
    """The message says an order was a mistake ("it was ordered by mistake"): a
    cancellation reason the policies accept, never a faulty product."""
    return bool(_MISTAKE.search(message))


def cue_intent(message: str, probabilities: Mapping[str, float], top: int = 3) -> str | None:
    """The intent a plain action verb names ("return the coffee set from W1"), when the
    classifier ranks it among its `top` readings, or a cancellation for an order made by
    mistake: a tie-breaker for unsure turns, never an override of a confident one."""
    ranked = [i for i, _ in sorted(probabilities.items(), key=lambda kv: -kv[1])[:top]]
    for intent, pattern in _CUES:
        if pattern.search(message) and intent in ranked:
            return intent
    if ordered_by_mistake(message):
        return "cancel_order"  # "it was ordered by mistake": the cancel branch asks which order
    return None


# -- several requests in one message --------------------------------------------------------

_SPLIT = re.compile(
    r"\s*(?:,\s*and\s+(?:also\s+)?|\s+and\s+(?:also\s+)?(?:then\s+)?|;\s*|\.\s+also\s+|"
    r",\s*(?:then|also)\s+|\s+(?:and\s+)?then\s+|\s+also\s+)",
    re.I,
)


def request_parts(message: str) -> list[str]:
    """Candidate requests of a message ("cancel W1 and tell me where W2 is" -> two), split
    at conjunctions; the caller keeps the split only when every part reads as a request."""
    parts = [p.strip(" ,.") for p in _SPLIT.split(message)]
    return [p for p in parts if p]


# -- clarification ------------------------------------------------------------------------

QUICK_REPLIES: Mapping[str, str] = {
    "track_order": "Where is my order?",
    "get_refund": "Return or refund an item",
    "track_refund": "Where is my refund?",
    "check_refund_policy": "The returns policy",
    "cancel_order": "Cancel an order",
    "change_order": "Change an order",
    "change_shipping_address": "Change the delivery address",
    "set_up_shipping_address": "Change the delivery address",
    "check_invoice": "Get an invoice",
    "get_invoice": "Get an invoice",
    "payment_issue": "A payment problem",
    "check_payment_methods": "Payment methods",
    "check_cancellation_fee": "Cancellation fees",
    "delivery_options": "Delivery options",
    "delivery_period": "Delivery times",
    "create_account": "My account",
    "delete_account": "My account",
    "edit_account": "My account",
    "recover_password": "Reset my password",
    "registration_problems": "My account",
    "switch_account": "My account",
    "complaint": "Make a complaint",
    "review": "Leave a review",
    "contact_customer_service": "Contact customer service",
    "newsletter_subscription": "The newsletter",
    "product_defect": "A faulty product",
    "technical_support": "Product help",
    "place_order": "Place an order",
}
"""How each intent is offered as a quick reply when the bot is unsure which one was meant."""
HUMAN_OPTION = "Talk to a person"
GENERIC_OPTIONS = ("track_order", "get_refund", "cancel_order")
"""Offered when no reading of a message stands out (the most common asks)."""
NOT_OFFERED = frozenset({"greeting", "goodbye", "out_of_scope", "contact_human_agent"})


def clarify_options(probabilities: Mapping[str, float], n: int = 3) -> list[str]:
    """The likeliest intents worth offering as quick replies (one per distinct label)."""
    ranked = sorted(probabilities.items(), key=lambda kv: -kv[1])
    chosen: list[str] = []
    labels: set[str] = set()
    for intent, _ in ranked:
        label = QUICK_REPLIES.get(intent)
        if intent in NOT_OFFERED or label is None or label in labels:
            continue
        chosen.append(intent)
        labels.add(label)
        if len(chosen) == n:
            break
    return chosen


def suggestions_for(options: Sequence[str]) -> list[str]:
    """The quick replies shown for clarification options (a person is always offered)."""
    return [QUICK_REPLIES[o] for o in options] + [HUMAN_OPTION]


_ORDINALS = {"first": 0, "1": 0, "one": 0, "second": 1, "2": 1, "two": 1, "third": 2,
             "3": 2, "three": 2, "last": -1}  # fmt: skip
_PICK = re.compile(
    r"^\s*(?:the\s+)?(first|second|third|last|1|2|3|one|two|three)(?:st|nd|rd)?"
    r"(?:\s+(?:one|option))?\W*$",
    re.I,
)


def picked_option(message: str, options: Sequence[str]) -> str | None:
    """The clarification option the customer picked: a quick reply's text, an ordinal
    ("the second one", "2"), or "person"; None when the message picks none."""
    text = re.sub(r"\s+", " ", message.strip().lower()).strip(" .!?")
    labels = suggestions_for(options)
    for intent, label in zip([*options, "contact_human_agent"], labels, strict=True):
        if text == label.lower().strip(" ?"):
            return intent
    if found := _PICK.match(text):
        index = _ORDINALS[found[1].lower()]
        return options[index] if -len(options) <= index < len(options) else None
    if re.fullmatch(r"(a |the )?(person|human|agent)", text):
        return "contact_human_agent"
    return None
