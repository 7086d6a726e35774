"""Billing: the invoice PDF for its owner only, masked payment methods, duplicate-charge
disputes (stated, then opened on a yes) and the cancellation fee of an order."""

from __future__ import annotations

from tests.api.helpers import chat, order_of
from tools.store.db import session_factory
from tools.store.models import Payment


def test_invoice_pdf_downloads_for_its_owner_only(client, services, token_for):
    invoice = services.store.list_invoices("C0001")[0]
    response = client.get(f"/v1/invoices/{invoice.id}", headers=token_for("C0001"))
    assert response.status_code == 200
    assert response.headers["content-type"] == "application/pdf"
    assert response.headers["content-disposition"] == f'attachment; filename="{invoice.id}.pdf"'
    body = response.content
    assert body.startswith(b"%PDF-1.4") and body.rstrip().endswith(b"%%EOF")
    assert f"Invoice {invoice.id}".encode() in body
    assert f"Order: {invoice.order_id}".encode() in body

    theirs = services.store.list_invoices("C0002")[0].id
    other = client.get(f"/v1/invoices/{theirs}", headers=token_for("C0001"))
    assert other.status_code == 404
    assert other.json()["error"]["code"] == "invoice_not_found"
    assert client.get(f"/v1/invoices/{invoice.id}").status_code == 401


def test_chat_invoice_answer_links_the_pdf(client, services, token_for):
    invoice = services.store.list_invoices("C0001")[0]
    out = chat(client, f"can I download the invoice {invoice.id}?", token_for("C0001"))
    assert f"Download the PDF at /v1/invoices/{invoice.id}" in out["reply"]


def test_chat_payment_methods_on_file_are_masked(client, services, token_for):
    out = chat(client, "what payment methods do I have on file?", token_for("C0001"))
    wallet = services.store.list_payment_methods("C0001")
    assert wallet
    assert out["reply"].startswith("Payment methods on your account: ")
    for method in wallet:
        assert method.label in out["reply"]
    assert out["actions"] == [
        {"tool": "payment_methods", "status": "ok", "detail": f"{len(wallet)} on file"}
    ]


def test_chat_general_payment_question_gets_the_help_centre(client, token_for):
    out = chat(client, "what payment methods do you accept?", token_for("C0001"))
    assert out["citations"] and "payment" in out["citations"][0]["doc_id"]
    assert [a["tool"] for a in out["actions"]] == ["search_knowledge"]


def _charge_twice(services, order_id: str) -> None:
    order = services.store.get_order(order_id)
    first = order.payments[0]
    with session_factory(services.store.engine).begin() as s:
        s.add(
            Payment(
                id="PAY-DUP-1",
                order_id=order_id,
                method=first.method,
                brand=first.brand,
                last4=first.last4,
                amount_cents=first.amount_cents,
                status="captured",
            )
        )


def test_duplicate_charge_is_offered_as_dispute_and_opened_on_yes(client, services, token_for):
    headers = token_for("C0001")
    order_id = order_of(services, "C0001", "shipped")
    _charge_twice(services, order_id)
    offer = chat(client, f"I was charged twice for order {order_id}", headers)
    assert offer["intent"] == "payment_issue"
    assert "$147.00" in offer["reply"] and "looks like a duplicate" in offer["reply"]
    assert services.store.list_disputes("C0001") == []
    done = chat(client, "yes", headers, offer["session_id"])
    [dispute] = services.store.list_disputes("C0001")
    assert (dispute.order_id, dispute.payment_id, dispute.amount_cents, dispute.status) == (
        order_id,
        "PAY-DUP-1",
        14700,
        "open",
    )
    assert done["reply"].startswith(f"Done: dispute {dispute.id} is open")
    assert services.store.list_audit(entity_id=dispute.id)[0].action == "dispute.open"


def test_charge_without_duplicate_is_explained_and_opens_nothing(client, services, token_for):
    order_id = order_of(services, "C0001", "shipped")
    out = chat(client, f"I was charged twice for order {order_id}", token_for("C0001"))
    assert "there's no duplicate charge from us" in out["reply"]
    assert out["actions"][-1] == {
        "tool": "find_duplicate_charge",
        "status": "none",
        "detail": order_id,
    }
    assert services.store.list_disputes() == []


def test_cancellation_fee_of_an_order_comes_from_the_policy(client, services, token_for):
    headers = token_for("C0001")
    processing = order_of(services, "C0001", "processing")
    out = chat(client, f"is there a cancellation fee for order {processing}?", headers)
    assert out["reply"].startswith(f"Cancelling order {processing} (processing) costs $5.00; ")
    shipped = order_of(services, "C0001", "shipped")
    out = chat(client, f"is there a cancellation fee for order {shipped}?", headers)
    assert out["reply"] == f"Order {shipped} is shipped, so it can no longer be cancelled."
