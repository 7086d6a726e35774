"""The support mailbox's inbound SMTP server (aiosmtpd), served on the app's own event loop
so each e-mail runs through the same chat service as the HTTP turns."""

from __future__ import annotations

import asyncio
import logging
from typing import TYPE_CHECKING, Any

from aiosmtpd.smtp import SMTP, Envelope, Session

from app.email.channel import EmailChannel
from app.email.relay import SmtpRelay, host_port

if TYPE_CHECKING:
    from app.agent_desk import AgentDesk
    from app.chat import ChatService
    from app.settings import Settings
    from tools.store.protocol import StoreBackend

log = logging.getLogger("support.email")


class InboundHandler:
    """aiosmtpd's handler: every accepted e-mail goes to the channel, whose answer is the
    SMTP reply (250, a 5xx refusal, or a 4xx 'retry later')."""

    def __init__(self, channel: EmailChannel) -> None:
        self._channel = channel

    async def handle_DATA(self, server: SMTP, session: Session, envelope: Envelope) -> str:
        raw = envelope.original_content or envelope.content or b""
        if isinstance(raw, str):
            raw = raw.encode("utf-8", "surrogateescape")
        return await self._channel.receive(raw, envelope.mail_from)


class EmailListener:
    """The SMTP server on EMAIL_SMTP_LISTEN, started and stopped by the app's lifespan."""

    def __init__(self, channel: EmailChannel, host: str, port: int, max_bytes: int) -> None:
        self.channel = channel
        self._host, self._port, self._max = host, port, max_bytes
        self._server: asyncio.Server | None = None

    async def start(self) -> None:
        handler = InboundHandler(self.channel)
        loop = asyncio.get_running_loop()
        self._server = await loop.create_server(
            lambda: SMTP(handler, data_size_limit=self._max, ident="support-agent", timeout=60),
            self._host,
            self._port,
        )

    @property
    def port(self) -> int:
        """The port it listens on (the one the OS chose for port 0)."""
        if self._server is None or not self._server.sockets:
            return self._port
        address: Any = self._server.sockets[0].getsockname()
        return int(address[1])

    async def stop(self) -> None:
        if self._server is not None:
            self._server.close()
            await self._server.wait_closed()
            self._server = None
        await self.channel.drain()


def email_channel(
    settings: Settings, chat: ChatService, store: StoreBackend, desk: AgentDesk
) -> EmailChannel | None:
    """The e-mail channel when replies can be sent (EMAIL_SMTP_RELAY and
    EMAIL_FROM_ADDRESS); agents' replies in e-mail conversations are then mailed too."""
    if not settings.email_configured:
        if settings.EMAIL_SMTP_LISTEN:
            log.error("EMAIL_SMTP_LISTEN is set but EMAIL_SMTP_RELAY or EMAIL_FROM_ADDRESS is "
                      "not: the support mailbox is not answered")  # fmt: skip
        return None
    try:
        host, port = host_port(settings.EMAIL_SMTP_RELAY, "EMAIL_SMTP_RELAY")
    except ValueError as exc:
        log.error("e-mail channel off: %s", exc)
        return None
    relay = SmtpRelay(host, port, settings.EMAIL_SMTP_USER, settings.EMAIL_SMTP_PASSWORD,
                      settings.EMAIL_SMTP_STARTTLS)  # fmt: skip
    channel = EmailChannel(chat, store, relay, settings)
    desk.on_agent_reply = channel.agent_replied
    return channel


async def start_email(
    settings: Settings, chat: ChatService, store: StoreBackend, desk: AgentDesk
) -> EmailListener | None:
    """The e-mail channel with its inbound listener started when EMAIL_SMTP_LISTEN is set;
    None when replies cannot be sent. A worker whose listener cannot bind (another worker
    of this host has the port) still mails its agents' replies."""
    channel = email_channel(settings, chat, store, desk)
    if channel is None:
        return None
    try:
        host, port = host_port(settings.EMAIL_SMTP_LISTEN or "127.0.0.1:0", "EMAIL_SMTP_LISTEN")
    except ValueError as exc:
        log.error("e-mail listener off: %s", exc)
        host, port = "", 0
    listener = EmailListener(channel, host, port, settings.EMAIL_MAX_BYTES)
    if not settings.EMAIL_SMTP_LISTEN or not host:
        return listener
    try:
        await listener.start()
    except OSError as exc:  # e.g. another worker of `support serve --workers N` has it
        log.warning("e-mail listener not started on %s: %s", settings.EMAIL_SMTP_LISTEN,
                    exc.strerror or exc)  # fmt: skip
        return listener
    log.info("support mailbox: SMTP on %s:%d", host, listener.port)
    return listener
