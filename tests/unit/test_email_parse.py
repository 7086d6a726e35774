"""Reading inbound e-mail: the text a customer wrote this time, the thread it continues, and
refusals (with their SMTP codes) for mail the channel cannot take; the reply's threading."""

from __future__ import annotations

from email.message import EmailMessage

import pytest

from app.email.compose import compose_reply, reply_subject, sources
from app.email.parse import Rejected, parse_email, strip_html, trim_reply
from app.email.relay import host_port


def mail(text: str = "Where is my order?", **headers: str) -> EmailMessage:
    message = EmailMessage()
    message["From"] = headers.pop("From", "Ann <Ann@Example.com>")
    message["To"] = "support@shop.example"
    message["Subject"] = headers.pop("Subject", "Order")
    message["Message-ID"] = headers.pop("Message_ID", "<q1@example.com>")
    for name, value in headers.items():
        message[name.replace("_", "-")] = value
    message.set_content(text)
    return message


def test_parse_email_reads_sender_thread_and_text():
    found = parse_email(
        bytes(mail(In_Reply_To="<r2@shop>", References="<q1@x> <r1@shop> <r2@shop>")), 10_000
    )

    assert (found.sender, found.subject, found.message_id) == (
        "ann@example.com", "Order", "<q1@example.com>"
    )  # fmt: skip
    assert found.replies_to == ["<r2@shop>", "<r1@shop>", "<q1@x>"]
    assert found.text == "Where is my order?" and not found.automated


@pytest.mark.parametrize(
    ("text", "kept"),
    [
        ("Thanks!\n\nOn Tue, 1 Dec 2026 at 10:00, Support <s@shop.example> wrote:\n> Hello",
         "Thanks!"),
        ("Thanks!\nOn Tue, 1 Dec 2026 at 10:00, Support Team\n<s@shop.example> wrote:\n> Hi",
         "Thanks!"),
        ("Yes please\n\n-- \nAnn Lee\nACME", "Yes please"),
        ("Yes\n> quoted\n> more\nand this", "Yes\nand this"),
        ("Ok\n\n-----Original Message-----\nFrom: Support\nSent: today\n\nHello", "Ok"),
        ("Fine\n\nSent from my iPhone", "Fine"),
        ("On my order W1234567 the box was crushed.", "On my order W1234567 the box was crushed."),
    ],
)  # fmt: skip
def test_trim_reply_keeps_only_what_is_new(text, kept):
    assert trim_reply(text) == kept


def test_html_only_mail_is_read_as_its_visible_text():
    message = mail()
    message.set_content(
        "<html><head><style>p{}</style></head><body><p>Where is <b>W1234567</b>?</p>"
        "<script>alert(1)</script><blockquote>old</blockquote></body></html>",
        subtype="html",
    )

    assert parse_email(bytes(message), 10_000).text == "Where is W1234567?"
    assert strip_html("a &amp; b<br>c") == "a & b\nc"


def test_plain_text_is_preferred_and_attachments_only_named():
    message = mail("Plain words")
    message.add_alternative("<p>HTML words</p>", subtype="html")
    message.add_attachment(b"MZ\x90", maintype="application", subtype="octet-stream",
                           filename="run.exe")  # fmt: skip

    found = parse_email(bytes(message), 10_000)

    assert found.text == "Plain words"
    assert found.attachments == ["run.exe"]


@pytest.mark.parametrize(
    ("raw", "code"),
    [
        (b"To: s@shop.example\r\nSubject: x\r\n\r\nhello\r\n", "550 5.1.7"),
        (b"From: a@x.example, b@y.example\r\n\r\nhello\r\n", "550 5.1.7"),
        (b"From: not an address\r\n\r\nhello\r\n", "550 5.1.7"),
        (bytes(mail("> just a quote")), "550 5.6.0"),
        (bytes(mail("x" * 20_000)), "552 5.3.4"),
    ],
)
def test_parse_email_refuses_mail_it_cannot_answer(raw, code):
    with pytest.raises(Rejected) as refused:
        parse_email(raw, 10_000)

    assert refused.value.reply.startswith(code)


def test_automated_mail_is_marked():
    assert parse_email(bytes(mail(Auto_Submitted="auto-replied")), 10_000).automated
    assert parse_email(bytes(mail(Precedence="bulk")), 10_000).automated


def test_compose_reply_threads_under_the_customers_mail_with_sources():
    reply = compose_reply(
        from_address="support@shop.example", to="ann@example.com", subject="RE: Re: Order",
        text="It ships tomorrow. [1]", in_reply_to="<q2@x>", references=["<q1@x>", "<r1@shop>"],
        message_id="<r2@shop.example>",
        citations=[{"title": "Shipping", "url": "https://shop.example/help/shipping"},
                   {"title": "Shipping", "url": "https://shop.example/help/shipping"}],
    )  # fmt: skip

    assert reply["Subject"] == "Re: Order"
    assert reply["In-Reply-To"] == "<q2@x>"
    assert reply["References"] == "<q1@x> <r1@shop> <q2@x>"
    assert reply["Message-ID"] == "<r2@shop.example>"
    assert reply.get_content() == (
        "It ships tomorrow. [1]\n\nSources:\n[1] Shipping - https://shop.example/help/shipping\n"
    )
    assert reply_subject("") == "Re: your message"
    assert sources([]) == ""


def test_host_port_names_the_setting_when_malformed():
    assert host_port("127.0.0.1:2525", "X") == ("127.0.0.1", 2525)
    assert host_port("[::1]:25", "X") == ("::1", 25)
    with pytest.raises(ValueError, match="EMAIL_SMTP_RELAY='mail'"):
        host_port("mail", "EMAIL_SMTP_RELAY")
