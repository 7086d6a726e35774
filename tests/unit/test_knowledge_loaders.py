"""Each help-centre format parses into titled, sectioned documents; bad files say why."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from knowledge.loaders import LoadError, load_file

HTML = """<!doctype html><html><head><title>Returns policy</title>
<link rel="canonical" href="https://help.northwind.example/returns"></head><body>
<nav><ul><li><a href="/">Home</a></li>
<li><a href="/careers">Careers at Northwind</a></li></ul></nav>
<header><p>Sign in to your Northwind account</p></header>
<main><article>
<h1>Returns policy</h1>
<p>You can return most items within 30 days of delivery for a full refund.</p>
<h2>Refund timing</h2>
<p>Refunds appear on your statement within 5 to 10 business days after we receive the item.</p>
<h3>Gift cards</h3>
<p>Gift cards are non-refundable and never expire.</p>
</article></main>
<footer><p>Copyright 2026 Northwind Outfitters. Privacy. Terms of use.</p></footer>
</body></html>"""


def _sections(doc) -> list[tuple[str, str]]:
    return [(" > ".join(s.path), " ".join("\n".join(s.lines).split())) for s in doc.sections]


def _write(tmp_path: Path, name: str, content: str | bytes) -> Path:
    path = tmp_path / name
    if isinstance(content, bytes):
        path.write_bytes(content)
    else:
        path.write_text(content, encoding="utf-8")
    return path


def make_pdf(pages: list[str], title: str | None = None) -> bytes:
    """A real PDF with one text page per entry, written by fpdf2."""
    from fpdf import FPDF

    pdf = FPDF()
    if title:
        pdf.set_title(title)
    pdf.set_font("helvetica", size=12)
    for text in pages:
        pdf.add_page()
        pdf.multi_cell(0, 8, text)
    return bytes(pdf.output())


def test_load_file_markdown_uses_front_matter_and_headings(tmp_path):
    path = _write(
        tmp_path,
        "returns.md",
        "---\ntitle: Returns\nurl: https://help.example/returns\n---\nIntro line.\n\n"
        "## Timing\n\nFive to ten days.\n",
    )
    (doc,) = load_file(path, "returns.md", "returns").documents
    assert (doc.doc_id, doc.title, doc.url, doc.source, doc.format) == (
        "returns",
        "Returns",
        "https://help.example/returns",
        "returns.md",
        "markdown",
    )
    assert _sections(doc) == [("Returns", "Intro line."), ("Returns > Timing", "Five to ten days.")]


def test_load_file_plain_text_is_one_section_titled_from_the_file_name(tmp_path):
    path = _write(tmp_path, "store-hours.txt", "# not a heading in plain text\nOpen 9 to 5.\n")
    (doc,) = load_file(path, "store-hours.txt", "store-hours").documents
    assert (doc.title, doc.format, doc.url) == ("Store hours", "text", "")
    assert _sections(doc) == [("Store hours", "# not a heading in plain text Open 9 to 5.")]


def test_load_file_html_keeps_main_content_and_drops_navigation(tmp_path):
    path = _write(tmp_path, "returns.html", HTML)
    (doc,) = load_file(path, "returns.html", "returns").documents
    assert (doc.title, doc.url, doc.format) == (
        "Returns policy",
        "https://help.northwind.example/returns",
        "html",
    )
    sections = _sections(doc)
    assert [path for path, _ in sections if _] == [
        "Returns policy",
        "Returns policy > Refund timing",
        "Returns policy > Refund timing > Gift cards",
    ]
    text = " ".join(body for _, body in sections)
    assert "5 to 10 business days" in text and "never expire" in text
    for boilerplate in ("Careers", "Sign in", "Copyright", "Terms of use"):
        assert boilerplate not in text


def test_load_file_pdf_gives_a_section_per_page(tmp_path):
    path = _write(
        tmp_path,
        "warranty.pdf",
        make_pdf(["The warranty lasts two years.", "Claims need the order number."], "Warranty"),
    )
    (doc,) = load_file(path, "warranty.pdf", "warranty").documents
    assert (doc.title, doc.format) == ("Warranty", "pdf")
    assert _sections(doc) == [
        ("Warranty > Page 1", "The warranty lasts two years."),
        ("Warranty > Page 2", "Claims need the order number."),
    ]


def test_load_file_jsonl_reads_one_document_per_line_and_reports_bad_lines(tmp_path):
    lines = [
        json.dumps(
            {"id": "gift-cards", "title": "Gift cards", "url": "https://x/g", "text": "Ok."}
        ),
        "",
        json.dumps({"document_id": "faq-7", "text": "Seven.", "title": "\r\n\tFAQ  7\r\n"}),
        json.dumps({"text": "No id here."}),
        "{not json",
        json.dumps({"id": "empty", "text": "   "}),
        json.dumps(["a", "list"]),
    ]
    path = _write(tmp_path, "faq.jsonl", "\n".join(lines) + "\n")

    loaded = load_file(path, "faq.jsonl", "faq")

    assert [(d.doc_id, d.title, d.url, d.source) for d in loaded.documents] == [
        ("gift-cards", "Gift cards", "https://x/g", "faq.jsonl"),
        ("faq-7", "FAQ 7", "", "faq.jsonl"),
        ("faq/4", "4", "", "faq.jsonl"),
    ]
    assert loaded.problems == [
        f"{path}:5: invalid JSON (Expecting property name enclosed in double quotes)",
        f"{path}:6: no 'text'",
        f"{path}:7: not a JSON object",
    ]
    # The hash is per document: editing one line changes only that document's hash.
    lines[0] = lines[0].replace('"Ok."', '"Changed."')
    path.write_text("\n".join(lines) + "\n", encoding="utf-8")
    again = load_file(path, "faq.jsonl", "faq").documents
    assert again[0].content_hash != loaded.documents[0].content_hash
    assert again[1].content_hash == loaded.documents[1].content_hash


@pytest.mark.parametrize(
    ("name", "content", "reason"),
    [
        ("empty.md", "  \n", "empty document"),
        ("front-matter-only.md", "---\ntitle: x\n---\n", "empty document"),
        ("blob.txt", b"\x89PNG\r\n\x1a\n\x00\x00\x00\rIHDR", "binary file, not text"),
        (
            "broken.md",
            "---\ntitle: [unclosed\n---\nBody.\n",
            "front matter is not valid YAML: line 2: while parsing a flow sequence; "
            "line 3, column 1: expected ',' or ']', but got '<stream end>'",
        ),
        (
            "open.md",
            "---\ntitle: x\nBody.\n",
            "front matter opened with '---' on line 1 is never closed with '---'",
        ),
        (
            "list.md",
            "---\n- a\n- b\n---\nBody.\n",
            "front matter must be 'key: value' lines, not a YAML list",
        ),
        ("image.png", b"\x89PNG", "unsupported file type '.png'"),
        (
            "nav-only.html",
            "<html><body><nav><a href='/'>Home</a></nav></body></html>",
            "no main content found in the HTML",
        ),
    ],
)
def test_load_file_bad_file_raises_a_readable_reason(tmp_path, name, content, reason):
    with pytest.raises(LoadError) as error:
        load_file(_write(tmp_path, name, content), name, "doc")
    assert str(error.value) == reason


def test_load_file_corrupt_pdf_is_reported_not_raised_raw(tmp_path):
    good = make_pdf(["Some text."])
    path = _write(tmp_path, "broken.pdf", good[: len(good) // 3])
    with pytest.raises(LoadError, match=r"^corrupt or unreadable PDF \("):
        load_file(path, "broken.pdf", "broken")


def test_load_file_pdf_without_text_is_reported(tmp_path):
    from fpdf import FPDF

    pdf = FPDF()
    pdf.add_page()
    path = _write(tmp_path, "scan.pdf", bytes(pdf.output()))
    with pytest.raises(LoadError, match="no extractable text"):
        load_file(path, "scan.pdf", "scan")


TENT_PAGE = """<html><head><title>Summit tent</title></head><body><main>
<h1>Summit tent</h1>
<p>The Summit tent measures 215 × 130 cm when pitched and weighs 2.1 kg.</p>
<p>Ceci est un résumé très détaillé: the fly sheet is rated to 3000 mm.</p>
</main></body></html>"""


@pytest.mark.parametrize("encoding", ["utf-8", "cp1252", "latin-1"])
def test_load_file_html_without_declared_charset_is_decoded_not_garbled(tmp_path, encoding):
    path = _write(tmp_path, "tent.html", TENT_PAGE.encode(encoding))

    (doc,) = load_file(path, "tent.html", "tent").documents

    text = " ".join(line for s in doc.sections for line in s.lines)
    assert "215 × 130 cm" in text
    assert "résumé très détaillé" in text
    assert "Ã" not in text


def test_load_file_html_declared_charset_is_honoured(tmp_path):
    page = TENT_PAGE.replace("<head>", '<head><meta charset="windows-1251">')
    page = page.replace("Ceci est un résumé très détaillé", "Палатка лёгкая")
    path = _write(tmp_path, "tent.html", page.replace(" × ", " x ").encode("cp1251"))

    (doc,) = load_file(path, "tent.html", "tent").documents

    assert "Палатка лёгкая" in " ".join(line for s in doc.sections for line in s.lines)


def test_load_file_html_in_utf8_mislabelled_latin1_is_read_as_utf8(tmp_path):
    page = TENT_PAGE.replace("<head>", '<head><meta charset="iso-8859-1">')
    path = _write(tmp_path, "tent.html", page.encode("utf-8"))

    (doc,) = load_file(path, "tent.html", "tent").documents

    text = " ".join(line for s in doc.sections for line in s.lines)
    assert "215 × 130 cm" in text and "Ã" not in text


def test_load_file_text_and_markdown_in_a_legacy_code_page_are_decoded(tmp_path):
    md = _write(
        tmp_path, "cafe.md", "# Café\n\nOpen Monday – Friday, prices in €.\n".encode("cp1252")
    )
    txt = _write(tmp_path, "size.txt", "Größe: 215 × 130 cm.\n".encode("cp1252"))

    (doc,) = load_file(md, "cafe.md", "cafe").documents
    (text,) = load_file(txt, "size.txt", "size").documents

    assert doc.title == "Café"
    assert "Monday – Friday, prices in €." in " ".join(ln for s in doc.sections for ln in s.lines)
    assert "Größe: 215 × 130 cm." in " ".join(text.sections[0].lines)


def test_load_file_front_matter_is_yaml(tmp_path):
    path = _write(
        tmp_path,
        "returns.md",
        '---\ntitle: "Returns: the short version"\nurl: https://help.example/r\n'
        "reviewed: yes\ntags: [returns, refunds]\n---\nReturn within 30 days.\n",
    )

    (doc,) = load_file(path, "returns.md", "returns").documents

    assert (doc.title, doc.url, doc.reviewed) == (
        "Returns: the short version",
        "https://help.example/r",
        True,
    )
