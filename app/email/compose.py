"""The reply e-mail: the bot's (or an agent's) answer in the customer's thread, its sources
listed, with a Message-ID of its own so the customer's next reply finds the conversation."""

from __future__ import annotations

import re
import uuid
from collections.abc import Sequence
from email.message import EmailMessage
from email.utils import formatdate
from typing import Any

RE_PREFIX = re.compile(r"^\s*(re|aw|sv|fwd?)\s*:\s*", re.IGNORECASE)
MAX_REFERENCES = 20
"""References kept in a reply (the oldest and the newest ones, as RFC 5322 suggests)."""


def new_message_id(from_address: str) -> str:
    """A Message-ID nobody can guess: it is what lets a reply continue its conversation."""
    domain = from_address.rsplit("@", 1)[-1] or "localhost"
    return f"<{uuid.uuid4().hex}@{domain}>"


def reply_subject(subject: str) -> str:
    """'Re: ' and the original subject, without stacking 'Re: Re: '."""
    base = subject
    while RE_PREFIX.match(base):
        base = RE_PREFIX.sub("", base, count=1)
    return f"Re: {base.strip() or 'your message'}"


def sources(citations: Sequence[dict[str, Any]]) -> str:
    """A 'Sources:' list of the help-centre articles the answer cites (once each)."""
    seen: dict[str, str] = {}
    for c in citations:
        where = c.get("url") or c.get("source") or ""
        seen.setdefault(str(c.get("title") or c.get("doc_id")), str(where))
    if not seen:
        return ""
    lines = [f"[{i}] {title}" + (f" - {url}" if url else "") for i, (title, url) in
             enumerate(seen.items(), start=1)]  # fmt: skip
    return "Sources:\n" + "\n".join(lines)


def compose_reply(
    *,
    from_address: str,
    to: str,
    subject: str,
    text: str,
    citations: Sequence[dict[str, Any]] = (),
    in_reply_to: str,
    references: Sequence[str],
    message_id: str,
) -> EmailMessage:
    """A plain-text reply threaded under `in_reply_to` (RFC 5322 In-Reply-To/References)."""
    chain = [r for r in dict.fromkeys([*references, in_reply_to]) if r]
    if len(chain) > MAX_REFERENCES:
        chain = chain[:1] + chain[-(MAX_REFERENCES - 1) :]
    body = text.strip()
    listed = sources(citations)
    if listed:
        body += "\n\n" + listed
    message = EmailMessage()
    message["From"] = from_address
    message["To"] = to
    message["Subject"] = reply_subject(subject)
    message["Date"] = formatdate(localtime=False, usegmt=True)
    message["Message-ID"] = message_id
    message["In-Reply-To"] = in_reply_to
    message["References"] = " ".join(chain)
    message["Auto-Submitted"] = "auto-replied"  # RFC 3834: no auto-reply loops
    message.set_content(body + "\n")
    return message
