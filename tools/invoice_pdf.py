"""An invoice as a one-page PDF, written by hand (text only, the PDF core font Helvetica).

No PDF library: the document is a handful of objects and a cross-reference table, which
every PDF reader opens. Text outside Latin-1 is replaced by '?'.
"""

from __future__ import annotations

from tools.schemas import InvoiceView, OrderView, money
from tools.store.catalog import SHOP_NAME

PAGE_WIDTH, PAGE_HEIGHT = 595, 842  # A4 in points


def _escape(text: str) -> str:
    return text.replace("\\", "\\\\").replace("(", "\\(").replace(")", "\\)")


def invoice_lines(invoice: InvoiceView, order: OrderView, customer_name: str) -> list[str]:
    """The invoice's text, line by line (what the PDF shows)."""
    lines = [
        f"{SHOP_NAME} - Invoice {invoice.id}",
        "",
        f"Issued: {invoice.issued_at:%Y-%m-%d}    Status: {invoice.status}",
        f"Order: {order.id}    Placed: {order.created_at:%Y-%m-%d}",
        f"Bill to: {customer_name}",
        f"Ship to: {order.shipping_address}",
        "",
        "Items",
    ]
    for item in order.items:
        total = money(item.quantity * item.unit_price_cents)
        lines.append(f"  {item.quantity} x {item.name} ({item.sku})  {money(item.unit_price_cents)}"
                     f"  = {total}")  # fmt: skip
    lines += ["", f"Total: {money(invoice.amount_cents)}"]
    for payment in order.payments:
        lines.append(f"Paid with {payment.label}: {money(payment.amount_cents)} ({payment.status})")
    for refund in order.refunds:
        lines.append(f"Refund {refund.id}: {money(refund.amount_cents)} ({refund.status})")
    lines += ["", "All amounts in US dollars. Questions? Ask our assistant or support."]
    return lines


def render_invoice_pdf(invoice: InvoiceView, order: OrderView, customer_name: str) -> bytes:
    """The invoice as PDF bytes (starts with b'%PDF-1.4')."""
    text = ["BT", "/F1 11 Tf", "14 TL", f"50 {PAGE_HEIGHT - 60} Td"]
    for i, line in enumerate(invoice_lines(invoice, order, customer_name)):
        size = 16 if i == 0 else 11
        text.append(f"/F1 {size} Tf ({_escape(line)}) Tj T*")
    text.append("ET")
    stream = "\n".join(text).encode("latin-1", "replace")
    objects = [
        b"<< /Type /Catalog /Pages 2 0 R >>",
        b"<< /Type /Pages /Kids [3 0 R] /Count 1 >>",
        f"<< /Type /Page /Parent 2 0 R /MediaBox [0 0 {PAGE_WIDTH} {PAGE_HEIGHT}] "
        "/Resources << /Font << /F1 4 0 R >> >> /Contents 5 0 R >>".encode(),
        b"<< /Type /Font /Subtype /Type1 /BaseFont /Helvetica /Encoding /WinAnsiEncoding >>",
        b"<< /Length %d >>\nstream\n" % len(stream) + stream + b"\nendstream",
        f"<< /Title ({_escape(invoice.id)}) /Producer ({_escape(SHOP_NAME)}) >>".encode(),
    ]
    out = bytearray(b"%PDF-1.4\n%\xe2\xe3\xcf\xd3\n")
    offsets = []
    for number, body in enumerate(objects, start=1):
        offsets.append(len(out))
        out += b"%d 0 obj\n" % number + body + b"\nendobj\n"
    xref = len(out)
    out += b"xref\n0 %d\n0000000000 65535 f \n" % (len(objects) + 1)
    for offset in offsets:
        out += b"%010d 00000 n \n" % offset
    out += b"trailer\n<< /Size %d /Root 1 0 R /Info 6 0 R >>\n" % (len(objects) + 1)
    out += b"startxref\n%d\n%%%%EOF\n" % xref
    return bytes(out)
