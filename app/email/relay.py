"""Sending e-mail through the configured SMTP relay (smtplib, in a worker thread)."""

from __future__ import annotations

import asyncio
import smtplib
import ssl
from dataclasses import dataclass
from email.message import EmailMessage


def host_port(value: str, setting: str) -> tuple[str, int]:
    """'host:port' (IPv6 as '[::1]:25') split, or ValueError naming the setting."""
    host, sep, port = value.strip().rpartition(":")
    if not sep or not host or not port.isdigit() or not 0 <= int(port) < 65536:
        raise ValueError(f"{setting}={value!r}: expected host:port, e.g. 127.0.0.1:2525")
    return host.strip("[]"), int(port)


@dataclass(frozen=True)
class SmtpRelay:
    """The SMTP server replies leave through (EMAIL_SMTP_RELAY and its credentials)."""

    host: str
    port: int
    user: str = ""
    password: str = ""
    starttls: bool = False
    timeout: float = 30.0

    def send_now(self, message: EmailMessage) -> None:
        """Hand one message to the relay; raises OSError / smtplib.SMTPException."""
        with smtplib.SMTP(self.host, self.port, timeout=self.timeout) as smtp:
            if self.starttls:
                smtp.starttls(context=ssl.create_default_context())
            if self.user:
                smtp.login(self.user, self.password)
            smtp.send_message(message)

    async def send(self, message: EmailMessage) -> None:
        await asyncio.to_thread(self.send_now, message)
