"""Each inbound e-mail run as one turn of its conversation, and the reply mailed back in the
customer's thread.

Threading: an e-mail whose In-Reply-To / References name an e-mail of a conversation, sent
from the same address as that conversation's, continues it; anything else (a new e-mail, or
someone else replying to a forwarded thread) starts a new conversation on the "email"
channel. Identity: the From address names the customer only when EMAIL_TRUST_SENDER says the
mail server in front authenticated it (and the envelope sender agrees); otherwise the sender
is anonymous and verifies like an anonymous chat (e-mail + order number).
"""

from __future__ import annotations

import asyncio
import logging
import smtplib
from typing import TYPE_CHECKING, Any

from app.email.compose import compose_reply, new_message_id
from app.email.parse import InboundEmail, Rejected, parse_email
from app.email.relay import SmtpRelay
from app.errors import ApiError, RateLimited, UnknownSession
from app.limits import check_turn
from tools.errors import BackendUnavailable

if TYPE_CHECKING:
    from app.chat import ChatService
    from app.settings import Settings
    from tools.store.protocol import StoreBackend


log = logging.getLogger("support.email")

RETRY_LATER = "451 4.3.0 Temporarily unable to answer; please retry"


class EmailChannel:
    """Answers the support mailbox through the chat service; mails agents' replies."""

    def __init__(
        self, chat: ChatService, store: StoreBackend, relay: SmtpRelay, settings: Settings
    ) -> None:
        self._chat = chat
        self._store = store
        self._relay = relay
        self._settings = settings
        self._from = settings.EMAIL_FROM_ADDRESS
        self._sending: set[asyncio.Task[None]] = set()

    async def receive(self, raw: bytes, envelope_from: str | None = None) -> str:
        """Handle one inbound e-mail; the SMTP reply to give its sender's server. A 5xx
        refusal writes nothing; a 4xx asks the server to retry later."""
        try:
            mail = parse_email(raw, self._settings.EMAIL_MAX_BYTES)
            message = self._chat.validate_message(mail.text)
        except Rejected as refused:
            log.info("e-mail refused: %s", refused.reply)
            return refused.reply
        except ApiError as exc:  # too long for one message
            return f"552 5.3.4 {exc}"
        if mail.sender == self._from.lower():
            return "550 5.7.1 Mail from the support address itself is not answered"
        if mail.automated:  # out-of-office and list mail: answering would loop
            log.info("automated e-mail from a sender not answered")
            return "250 2.0.0 Automated message noted, not answered"
        if mail.attachments:
            log.info("e-mail attachments ignored (never stored or opened): %s",
                     ", ".join(a[:60] for a in mail.attachments[:10]))  # fmt: skip
        try:
            return await self._answer(mail, message, envelope_from)
        except RateLimited as exc:
            return f"451 4.7.1 Too many messages from this sender; retry in {exc.retry_after} s"
        except (BackendUnavailable, ApiError):
            log.warning("e-mail turn could not run", exc_info=True)
            return RETRY_LATER

    async def _answer(self, mail: InboundEmail, message: str, envelope_from: str | None) -> str:
        store = self._store
        if await asyncio.to_thread(store.email_known, mail.message_id):
            return "250 2.0.0 Already answered"  # the same e-mail delivered twice
        customer = await self._customer(mail.sender, envelope_from)
        session = await self._session(mail, customer)
        result: dict[str, Any] | None = await self._chat.run_turn(
            session, customer, message, f"email:{mail.sender}"
        )
        await asyncio.to_thread(
            store.record_email, mail.message_id, session, mail.sender, "in", mail.subject
        )
        reply = (result or {}).get("reply") or ""
        if reply:  # empty while an agent owns the conversation: the agent answers
            await self._mail(session, mail.sender, mail.subject, reply, mail.message_id,
                             mail.replies_to, (result or {}).get("citations") or [])  # fmt: skip
        return "250 2.0.0 Answered"

    async def _customer(self, sender: str, envelope_from: str | None) -> str | None:
        """The customer the sender is, when the mail server vouches for the From address."""
        if not self._settings.EMAIL_TRUST_SENDER:
            return None
        if (envelope_from or "").strip().lower() != sender:
            log.info("envelope and From differ: the sender is treated as anonymous")
            return None
        return await asyncio.to_thread(self._store.customer_by_email, sender)

    async def _session(self, mail: InboundEmail, customer: str | None) -> str:
        """The conversation this e-mail continues, else a new one on the e-mail channel."""
        found = await asyncio.to_thread(self._store.email_session, mail.replies_to, mail.sender)
        settings, client = self._settings, f"email:{mail.sender}"
        await asyncio.to_thread(check_turn, self._store, settings, customer_id=customer,
                                client=client, new_session=found is None)  # fmt: skip
        if found is not None:
            try:
                return await self._chat.open_session(found, customer)
            except UnknownSession:  # whom the thread belongs to changed: start anew
                log.info("e-mail thread's owner differs: a new conversation starts")
        return await self._chat.open_session(None, customer, "email")

    async def _mail(
        self,
        session: str,
        to: str,
        subject: str,
        text: str,
        in_reply_to: str,
        references: list[str],
        citations: list[dict[str, Any]],
    ) -> bool:
        """Send `text` into the thread and record its Message-ID first, so the customer's
        answer continues the conversation. False (logged) when the relay refused it."""
        message_id = new_message_id(self._from)
        message = compose_reply(
            from_address=self._from, to=to, subject=subject, text=text, citations=citations,
            in_reply_to=in_reply_to, references=list(reversed(references)),
            message_id=message_id,
        )  # fmt: skip
        await asyncio.to_thread(self._store.record_email, message_id, session, to, "out",
                                str(message["Subject"]))  # fmt: skip
        try:
            await self._relay.send(message)
        except (OSError, smtplib.SMTPException):
            log.error("reply to an e-mail could not be sent (it is in the transcript)",
                      exc_info=True)  # fmt: skip
            return False
        return True

    # -- agents' replies -------------------------------------------------------------
    def agent_replied(self, session_id: str, text: str) -> None:
        """Mail an agent's reply to the customer when the conversation is an e-mail one
        (in the background: the agent's request does not wait for the relay)."""
        task = asyncio.get_running_loop().create_task(self._mail_agent_reply(session_id, text))
        self._sending.add(task)
        task.add_done_callback(self._sending.discard)

    async def _mail_agent_reply(self, session_id: str, text: str) -> None:
        try:
            thread = await asyncio.to_thread(self._store.email_thread_of, session_id)
            if not thread:
                return  # not an e-mail conversation
            last = thread[-1]
            ids = [m["message_id"] for m in thread]
            await self._mail(session_id, last["sender"], last["subject"], text, ids[-1],
                             list(reversed(ids[:-1])), [])  # fmt: skip
        except Exception:  # the reply is in the transcript whatever the relay does
            log.error("agent reply could not be mailed", exc_info=True)

    async def drain(self) -> None:
        """Wait for agents' replies still being mailed (at shutdown)."""
        if self._sending:
            await asyncio.gather(*self._sending, return_exceptions=True)
