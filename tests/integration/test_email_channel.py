"""The support mailbox end to end: e-mails sent to the app's own SMTP listener, replies
caught by a local SMTP sink (aiosmtpd) standing in for the relay."""

from __future__ import annotations

import smtplib
import socket
import threading
import time
from collections.abc import Iterator
from email import message_from_bytes, policy
from email.message import EmailMessage

import pytest
from aiosmtpd.controller import Controller
from fastapi.testclient import TestClient
from sqlalchemy import func, select
from sqlalchemy.orm import Session

from app.main import create_app
from tools.store.email_threads import EmailThread
from tools.store.models import ChatSession
from tools.store.turnlog import TurnRecord

SUPPORT = "support@shop.example"


class Sink:
    """An SMTP server keeping every message it is handed."""

    def __init__(self) -> None:
        self.messages: list[EmailMessage] = []
        self.envelopes: list[tuple[str, list[str]]] = []
        self._arrived = threading.Condition()

    async def handle_DATA(self, server, session, envelope) -> str:
        with self._arrived:
            parsed = message_from_bytes(envelope.original_content, policy=policy.default)
            self.messages.append(parsed)  # type: ignore[arg-type]
            self.envelopes.append((envelope.mail_from, list(envelope.rcpt_tos)))
            self._arrived.notify_all()
        return "250 OK"

    def wait(self, count: int, timeout: float = 30.0) -> list[EmailMessage]:
        deadline = time.monotonic() + timeout
        with self._arrived:
            while len(self.messages) < count:
                left = deadline - time.monotonic()
                assert left > 0, f"{len(self.messages)} of {count} e-mails arrived"
                self._arrived.wait(left)
        return self.messages


@pytest.fixture
def sink() -> Iterator[tuple[Sink, int]]:
    handler = Sink()
    with socket.socket() as probe:  # a free port (the controller checks it by connecting)
        probe.bind(("127.0.0.1", 0))
        port = probe.getsockname()[1]
    controller = Controller(handler, hostname="127.0.0.1", port=port)
    controller.start()
    try:
        yield handler, port
    finally:
        controller.stop()


def mailbox(app_settings, services, sink, **extra) -> Iterator[tuple[TestClient, int, Sink]]:
    handler, port = sink
    settings = app_settings.model_copy(
        update={
            "EMAIL_SMTP_LISTEN": "127.0.0.1:0",
            "EMAIL_FROM_ADDRESS": SUPPORT,
            "EMAIL_SMTP_RELAY": f"127.0.0.1:{port}",
            "EMAIL_MAX_BYTES": 20000,
            **extra,
        }
    )
    with TestClient(create_app(settings, services=services)) as client:
        yield client, client.app.state.email.port, handler


@pytest.fixture
def box(app_settings, services, sink):
    yield from mailbox(app_settings, services, sink)


@pytest.fixture
def trusting_box(app_settings, services, sink):
    yield from mailbox(app_settings, services, sink, EMAIL_TRUST_SENDER=True)


def email(
    sender: str,
    text: str,
    subject: str = "Returns",
    msg_id: str = "<q1@customer.example>",
    in_reply_to: str | None = None,
    references: str | None = None,
) -> EmailMessage:
    message = EmailMessage()
    message["From"] = f"Customer <{sender}>"
    message["To"] = SUPPORT
    message["Subject"] = subject
    message["Message-ID"] = msg_id
    if in_reply_to:
        message["In-Reply-To"] = in_reply_to
    if references:
        message["References"] = references
    message.set_content(text)
    return message


def send(port: int, message: EmailMessage | bytes, envelope_from: str | None = None) -> None:
    with smtplib.SMTP("127.0.0.1", port, timeout=60) as smtp:
        if isinstance(message, bytes):
            smtp.sendmail(envelope_from or "x@customer.example", [SUPPORT], message)
        else:
            smtp.send_message(message, from_addr=envelope_from)


def rows(services) -> dict[str, int]:
    with Session(services.store.engine) as s:
        return {
            model.__tablename__: s.scalar(select(func.count()).select_from(model)) or 0
            for model in (ChatSession, EmailThread, TurnRecord)
        }


def session_of(services, message_id: str) -> str:
    with Session(services.store.engine) as s:
        row = s.get(EmailThread, message_id)
        assert row is not None, f"{message_id} was not recorded"
        return row.session_id


def test_a_question_is_answered_in_thread_and_a_reply_continues_the_session(box, services):
    client, port, sink = box
    send(port, email("ann@customer.example", "Hi,\n\nWhat is your refund policy for returns?"
                     "\n\n-- \nAnn\nSent with love"))  # fmt: skip

    [answer] = sink.wait(1)
    assert answer["In-Reply-To"] == "<q1@customer.example>"
    assert answer["References"] == "<q1@customer.example>"
    assert answer["Subject"] == "Re: Returns"
    assert answer["To"] == "ann@customer.example" and answer["From"] == SUPPORT
    body = answer.get_content().replace("\r\n", "\n")
    assert "30 days" in body and "\nSources:\n[1] " in body
    session = session_of(services, "<q1@customer.example>")
    assert services.store.session_owner(session) == (None, "email")
    assert session_of(services, answer["Message-ID"]) == session

    quoted = "\n".join("> " + line for line in body.splitlines())
    send(port, email("ann@customer.example",
                     f"And do you ship to Canada?\n\nOn Sun, 6 Dec 2026, Support wrote:\n{quoted}",
                     subject="Re: Re: Returns", msg_id="<q2@customer.example>",
                     in_reply_to=answer["Message-ID"],
                     references=f"<q1@customer.example> {answer['Message-ID']}"))  # fmt: skip

    second = sink.wait(2)[1]
    assert second["Subject"] == "Re: Returns"
    assert second["In-Reply-To"] == "<q2@customer.example>"
    assert second["References"].split() == [
        "<q1@customer.example>", answer["Message-ID"], "<q2@customer.example>"
    ]  # fmt: skip
    assert session_of(services, "<q2@customer.example>") == session
    said = [ln["content"] for ln in client.portal.call(box_chat(client).transcript, session)
            if ln["role"] == "customer"]  # fmt: skip
    assert said == ["Hi,\n\nWhat is your refund policy for returns?", "And do you ship to Canada?"]


def box_chat(client):
    return client.app.state.chat


def test_malformed_mail_is_refused_with_5xx_and_nothing_is_written(box, services):
    _, port, sink = box
    before = rows(services)
    no_from = b"To: support@shop.example\r\nSubject: hi\r\nMessage-ID: <n1@x>\r\n\r\nhello\r\n"
    only_quote = bytes(email("ann@customer.example", "> an old line\n> another", msg_id="<n2@x>"))
    oversize = bytes(email("ann@customer.example", "where is my parcel? " * 2000, msg_id="<n3@x>"))

    for raw, code in ((no_from, 550), (only_quote, 550), (oversize, 552)):
        # too big: refused at MAIL FROM when the client declares its SIZE, else after DATA
        with pytest.raises(smtplib.SMTPResponseException) as refused:
            send(port, raw)
        assert refused.value.smtp_code == code, refused.value

    assert rows(services) == before
    assert sink.messages == []


def test_an_attachment_is_ignored_and_the_text_answered(box, services):
    client, port, sink = box
    message = email("bo@customer.example", "What is your refund policy for returns?",
                    msg_id="<a1@customer.example>")  # fmt: skip
    message.add_attachment(b"MZ\x90\x00 not a program you want", maintype="application",
                           subtype="x-msdownload", filename="invoice.exe")  # fmt: skip

    send(port, message)

    [answer] = sink.wait(1)
    assert "30 days" in answer.get_content()
    session = session_of(services, "<a1@customer.example>")
    lines = client.portal.call(box_chat(client).transcript, session)
    assert [ln["content"] for ln in lines if ln["role"] == "customer"] == [
        "What is your refund policy for returns?"
    ]
    assert not any("invoice.exe" in ln["content"] or "MZ" in ln["content"] for ln in lines)


def test_an_untrusted_sender_claiming_a_customers_address_must_verify(box, services):
    _, port, sink = box
    customer = services.store.get_customer("C0001")
    order = services.store.list_orders("C0001")[0].id
    send(port, email(customer.email, f"Where is my order {order}?", msg_id="<u1@x>"),
         envelope_from=customer.email)  # fmt: skip

    [answer] = sink.wait(1)
    session = session_of(services, "<u1@x>")
    assert services.store.session_owner(session) == (None, "email")
    assert services.store.session_identity(session).acting_customer_id is None
    body = answer.get_content().lower()
    assert "check it's you" in body, body
    assert services.store.get_order(order).status not in body

    # Verifying in the thread, as in an anonymous chat, opens the orders to this conversation.
    proof = email(customer.email, f"It's {customer.email}, order {order}", msg_id="<u2@x>",
                  in_reply_to=answer["Message-ID"])  # fmt: skip
    send(port, proof, envelope_from=customer.email)
    verified = sink.wait(2)[1]
    assert session_of(services, "<u2@x>") == session
    assert services.store.session_identity(session).acting_customer_id == "C0001"
    assert order in verified.get_content(), verified.get_content()


def test_a_trusted_sender_is_the_customer_and_a_stranger_cannot_join_the_thread(
    trusting_box, services
):
    _, port, sink = trusting_box
    customer = services.store.get_customer("C0001")
    order = services.store.list_orders("C0001")[0]
    send(port, email(customer.email, f"Where is my order {order.id}?", msg_id="<t1@x>"),
         envelope_from=customer.email)  # fmt: skip

    [answer] = sink.wait(1)
    session = session_of(services, "<t1@x>")
    assert services.store.session_owner(session) == ("C0001", "email")
    assert order.id in answer.get_content()

    # Someone else answering that thread starts a conversation of their own.
    intruder = email("mallory@evil.example", "Cancel it please", msg_id="<m1@x>",
                     in_reply_to=answer["Message-ID"])  # fmt: skip
    send(port, intruder, envelope_from="mallory@evil.example")
    sink.wait(2)
    stranger = session_of(services, "<m1@x>")
    assert stranger != session
    assert services.store.session_owner(stranger) == (None, "email")
    assert sink.envelopes[1][1] == ["mallory@evil.example"]


def test_an_email_escalation_reaches_the_desk_and_the_agents_reply_is_mailed(
    box, services, agent_headers
):
    client, port, sink = box
    send(port, email("cy@customer.example", "I want to talk to a person", msg_id="<e1@x>"))
    [ack] = sink.wait(1)

    rows_ = client.get("/v1/agent/escalations", headers=agent_headers()).json()
    session = session_of(services, "<e1@x>")
    [row] = [r for r in rows_ if r["session_id"] == session]
    assert row["channel"] == "email"
    sent = client.post(f"/v1/agent/escalations/{row['id']}/reply", headers=agent_headers(),
                       json={"text": "Hello, this is Ann from support."})  # fmt: skip
    assert sent.status_code == 200, sent.text

    mailed = sink.wait(2)[1]
    assert mailed.get_content().strip() == "Hello, this is Ann from support."
    assert mailed["In-Reply-To"] == ack["Message-ID"]
    assert mailed["To"] == "cy@customer.example"
    assert session_of(services, mailed["Message-ID"]) == session
