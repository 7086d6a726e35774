"""An inbound e-mail read into what the bot needs: who wrote, which thread it continues and
what they said, without quoted history, signatures, HTML or attachments.

A message the channel cannot take (no sender, unparseable, nothing said once the quoting is
trimmed, too large) raises `Rejected` with the SMTP reply to give; nothing is written then.
"""

from __future__ import annotations

import html
import re
from dataclasses import dataclass, field
from email import policy
from email.headerregistry import Address
from email.message import EmailMessage
from email.parser import BytesParser
from email.utils import getaddresses

MSG_ID = re.compile(r"<[^<>\s]{1,250}>")
"""One Message-ID as it appears in In-Reply-To and References."""
# "On Tue, 1 Dec 2026 at 10:00, Ann <ann@x> wrote:" (it may wrap onto a second line) and
# Outlook's "-----Original Message-----" / "From: ..." header block start quoted history.
QUOTE_HEADER = re.compile(
    r"^[ \t]*(On\b[^\n]{0,200}(\n[^\n]{0,200})?\bwrote:|-{2,}\s*Original Message\s*-{2,}|_{10,})"
    r"[ \t]*$",
    re.IGNORECASE | re.MULTILINE,
)
OUTLOOK_FROM = re.compile(r"^From: .+\n(Sent|Date): .+$", re.MULTILINE)
SIGNATURE = re.compile(r"^-- ?$", re.MULTILINE)  # RFC 3676: "-- " alone on a line
MOBILE_FOOTER = re.compile(r"^Sent from my \w+.*$", re.IGNORECASE | re.MULTILINE)
TAGS = re.compile(r"<[^>]*>")
DROPPED = re.compile(r"<(script|style|head)\b.*?</\1\s*>", re.IGNORECASE | re.DOTALL)
BREAKS = re.compile(r"<\s*(br|/p|/div|/li|/tr|/h\d)\s*/?>", re.IGNORECASE)


class Rejected(Exception):
    """An e-mail the channel refuses, with the SMTP reply that says why."""

    def __init__(self, reply: str) -> None:
        super().__init__(reply)
        self.reply = reply


@dataclass(frozen=True)
class InboundEmail:
    sender: str
    """The From address, lower case."""
    subject: str
    message_id: str
    """Its Message-ID, '<...>'; one is made up from its content when it has none."""
    replies_to: list[str] = field(default_factory=list)
    """In-Reply-To then References, newest first: the thread it continues."""
    text: str = ""
    """What the customer wrote this time (quotes, signature and HTML removed)."""
    attachments: list[str] = field(default_factory=list)
    """Names (or types) of the parts that were ignored."""
    automated: bool = False
    """Sent by a program (an out-of-office reply, a list): answering it would loop."""


def parse_email(raw: bytes, max_bytes: int) -> InboundEmail:
    """Read one inbound e-mail, or raise `Rejected`."""
    if len(raw) > max_bytes:
        raise Rejected(f"552 5.3.4 Message too big: at most {max_bytes} bytes")
    try:
        message = BytesParser(_class=EmailMessage, policy=policy.default).parsebytes(raw)
        sender = _sender(message)
        subject = " ".join(str(message.get("Subject", "")).split())[:255]
        message_id = _ids(message.get("Message-ID"))
        replies = _ids(message.get("In-Reply-To")) + list(reversed(_ids(message.get("References"))))
        body, attachments = _body(message)
        automated = str(message.get("Auto-Submitted", "no")).strip().lower() != "no" or str(
            message.get("Precedence", "")
        ).strip().lower() in ("bulk", "list", "junk", "auto_reply")
    except Rejected:
        raise
    except Exception as exc:  # any header or MIME structure the parser cannot read
        raise Rejected("550 5.6.0 Unreadable message: could not parse it") from exc
    text = trim_reply(body)
    if not text:
        raise Rejected("550 5.6.0 Empty message: no text after the quoted reply was trimmed")
    if not message_id:
        import hashlib

        digest = hashlib.sha256(raw).hexdigest()[:32]
        message_id = [f"<{digest}@inbound.invalid>"]
    return InboundEmail(
        sender=sender,
        subject=subject,
        message_id=message_id[0],
        replies_to=list(dict.fromkeys(replies)),
        text=text,
        attachments=attachments,
        automated=automated,
    )


def _sender(message: EmailMessage) -> str:
    found = [addr for _, addr in getaddresses([str(v) for v in message.get_all("From", [])])]
    found = [a for a in found if a and "@" in a]
    if len(found) != 1:
        raise Rejected("550 5.1.7 No single From address: cannot tell who wrote")
    address = found[0].strip().lower()
    try:
        Address(addr_spec=address)
    except (ValueError, IndexError) as exc:
        raise Rejected("550 5.1.7 Invalid From address") from exc
    return address


def _ids(value: object) -> list[str]:
    return MSG_ID.findall(str(value or ""))


def _body(message: EmailMessage) -> tuple[str, list[str]]:
    """The text/plain body (else the HTML one, stripped) and the names of the parts left
    out: attachments are never decoded, stored or opened."""
    attachments = [
        part.get_filename() or part.get_content_type()
        for part in message.walk()
        if not part.is_multipart() and part.get_content_disposition() == "attachment"
    ]
    chosen = message.get_body(preferencelist=("plain", "html"))
    if chosen is None:
        return "", attachments
    content = chosen.get_content()
    if not isinstance(content, str):
        return "", attachments
    if chosen.get_content_subtype() == "html":
        content = strip_html(content)
    return content, attachments


def strip_html(markup: str) -> str:
    """Visible text of an HTML body: scripts, styles and tags dropped, lines kept."""
    markup = DROPPED.sub(" ", markup)
    markup = re.sub(r"<blockquote\b.*?</blockquote\s*>", "\n", markup, flags=re.I | re.S)
    markup = BREAKS.sub("\n", markup)
    return html.unescape(TAGS.sub("", markup))


def trim_reply(text: str) -> str:
    """What is new in a reply: up to the quoted history or the signature, without '>'
    lines, whitespace tidied."""
    text = text.replace("\r\n", "\n").replace("\r", "\n")
    cut = len(text)
    for pattern in (QUOTE_HEADER, OUTLOOK_FROM, SIGNATURE, MOBILE_FOOTER):
        found = pattern.search(text)
        if found:
            cut = min(cut, found.start())
    lines = [ln.rstrip() for ln in text[:cut].split("\n") if not ln.lstrip().startswith(">")]
    kept = "\n".join(lines)
    kept = re.sub(r"\n{3,}", "\n\n", kept).strip()
    return kept
