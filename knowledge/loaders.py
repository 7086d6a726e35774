"""Read help-centre files into documents: Markdown, plain text, HTML, PDF and JSONL.

Each format has one parser: YAML front matter (``knowledge.frontmatter``) and headings for
Markdown (``knowledge.chunking``), trafilatura for HTML (main content only, converted to
Markdown so headings survive), pypdf for PDF (one section per page), ``json`` for JSONL
(one document per line). A file that cannot be read raises ``LoadError`` with a reason a
person can act on. Text is decoded by ``knowledge.encoding`` (declared charset, else
UTF-8, else detected).

``reviewed: true`` in a Markdown file's front matter (or a JSONL record) says the content
team has read the document: `support kb lint` does not flag its passages.
"""

from __future__ import annotations

import hashlib
import io
import json
import logging
import re
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, cast

from knowledge.chunking import Section, markdown_sections, text_sections
from knowledge.encoding import decode_html, decode_text
from knowledge.errors import LoadError
from knowledge.frontmatter import split_front_matter, text_field

FORMATS = {
    ".md": "markdown",
    ".markdown": "markdown",
    ".txt": "text",
    ".text": "text",
    ".html": "html",
    ".htm": "html",
    ".pdf": "pdf",
    ".jsonl": "jsonl",
}
"""File suffix -> format name; other files are reported and skipped."""

JSONL_ID_FIELDS = ("id", "doc_id", "document_id")


__all__ = ["FORMATS", "Document", "LoadError", "Loaded", "load_file"]


@dataclass(frozen=True)
class Document:
    """One help-centre document, ready to be chunked."""

    doc_id: str
    title: str
    url: str
    source: str
    """The file it came from, relative to the folder that was ingested."""
    format: str
    content_hash: str
    sections: list[Section] = field(repr=False)
    reviewed: bool = False
    """The content team has read it (front matter ``reviewed: true``): never lint-flagged."""


@dataclass
class Loaded:
    """What one file gave: its documents, and the reasons parts of it were skipped."""

    documents: list[Document] = field(default_factory=list)
    problems: list[str] = field(default_factory=list)
    """``'path: reason'`` (``'path:line: reason'`` for JSONL) per skipped part."""


def load_file(path: Path, source: str, doc_id: str) -> Loaded:
    """Parse one file; raises LoadError when none of it can be used."""
    kind = FORMATS.get(path.suffix.lower())
    if kind is None:
        raise LoadError(f"unsupported file type {path.suffix or '(no suffix)'!r}")
    try:
        raw = path.read_bytes()
    except OSError as exc:
        raise LoadError(f"cannot read ({exc.strerror or exc})") from exc
    if not raw.strip():
        raise LoadError("empty document")
    if kind == "jsonl":
        return _jsonl(raw, path, source, doc_id)
    parse = {"markdown": _markdown, "text": _text, "html": _html, "pdf": _pdf}[kind]
    title, url, sections, reviewed = parse(raw, doc_id)
    if not any("".join(s.lines).strip() for s in sections):
        raise LoadError("empty document")
    digest = hashlib.sha256(raw).hexdigest()
    return Loaded([Document(doc_id, title, url, source, kind, digest, sections, reviewed)])


def is_reviewed(meta: dict[str, Any]) -> bool:
    """Whether front matter (or a JSONL record) says ``reviewed: true``."""
    value = meta.get("reviewed")
    return value is True or str(value).strip().lower() in ("true", "yes", "1")


def humanise(doc_id: str) -> str:
    """A readable fallback title from an id: 'billing/vat-invoices' -> 'Vat invoices'."""
    words = re.sub(r"[-_]+", " ", doc_id.rsplit("/", 1)[-1]).strip()
    return words[:1].upper() + words[1:] if words else doc_id


def _clean_title(title: str) -> str:
    return " ".join(title.split())


def _first_h1(body: str) -> str:
    for section in markdown_sections(body, ""):
        if section.level == 1 and section.path:
            return section.path[0]
        if section.path:
            return ""
    return ""


Parsed = tuple[str, str, list[Section], bool]
"""Title, url, sections, and whether the document says it was reviewed."""


def _markdown(raw: bytes, doc_id: str) -> Parsed:
    meta, body = split_front_matter(decode_text(raw))
    title = text_field(meta, "title") or _clean_title(_first_h1(body) or humanise(doc_id))
    return title, text_field(meta, "url"), markdown_sections(body, title), is_reviewed(meta)


def _text(raw: bytes, doc_id: str) -> Parsed:
    title = humanise(doc_id)
    return title, "", text_sections(decode_text(raw), title), False


_BOILERPLATE = (
    "//nav | //aside | //script | //style | //noscript | //form | //template"
    " | //header[not(ancestor::article or ancestor::main)]"
    " | //footer[not(ancestor::article or ancestor::main)]"
    " | //*[@role='navigation' or @role='banner' or @role='contentinfo'"
    " or @role='complementary' or @role='search' or @aria-hidden='true']"
)
"""Page chrome that HTML marks as such; trafilatura's heuristics handle the rest."""


def _without_boilerplate(page: str) -> str:
    from lxml import html as lxml_html

    tree = lxml_html.document_fromstring(page)
    # lxml-stubs type xpath() as any XPath result; this expression selects elements only.
    elements = cast("list[lxml_html.HtmlElement]", tree.xpath(_BOILERPLATE))
    for element in elements:
        element.drop_tree()
    return lxml_html.tostring(tree, encoding="unicode")


def _html(raw: bytes, doc_id: str) -> Parsed:
    import trafilatura

    if b"\x00" in raw[:8192]:
        raise LoadError("binary file, not HTML")
    page = decode_html(raw)  # lxml would read undeclared UTF-8 as Latin-1: "215 Ã 130 cm"
    try:
        # Semantic page chrome goes first; trafilatura then finds the main content of
        # what is left, in recall mode so the short pages of a help centre keep their
        # headings, and writes Markdown so chunking sees the heading structure.
        markdown = trafilatura.extract(
            _without_boilerplate(page),
            output_format="markdown",
            include_formatting=True,
            include_tables=True,
            include_links=False,
            include_images=False,
            include_comments=False,
            favor_recall=True,
        )
        meta = trafilatura.extract_metadata(page)
    except Exception as exc:  # lxml and trafilatura raise many types on broken markup
        raise LoadError(f"unreadable HTML ({exc.__class__.__name__})") from exc
    if not markdown or not markdown.strip():
        raise LoadError("no main content found in the HTML")
    title = _clean_title((meta.title if meta else "") or _first_h1(markdown) or humanise(doc_id))
    url = (meta.url if meta else "") or ""
    return title, url, markdown_sections(markdown, title), False


def _pdf(raw: bytes, doc_id: str) -> Parsed:
    from pypdf import PdfReader

    logging.getLogger("pypdf").setLevel(logging.ERROR)  # it warns about every oddity
    try:
        reader = PdfReader(io.BytesIO(raw))
        if reader.is_encrypted and not reader.decrypt(""):
            raise LoadError("encrypted PDF")
        pages = [page.extract_text() or "" for page in reader.pages]
        info_title = reader.metadata.title if reader.metadata else None
    except LoadError:
        raise
    except Exception as exc:  # pypdf raises PdfReadError, ValueError, KeyError... on bad files
        raise LoadError(f"corrupt or unreadable PDF ({exc.__class__.__name__}: {exc})") from exc
    if not any(text.strip() for text in pages):
        raise LoadError("PDF has no extractable text (scanned images?)")
    title = _clean_title(str(info_title or "") or humanise(doc_id))
    sections: list[Section] = []
    for number, text in enumerate(pages, start=1):
        label = f"Page {number}" if len(pages) > 1 else ""
        sections += text_sections(text, title, label)
    return title, "", sections, False


def _jsonl(raw: bytes, path: Path, source: str, file_id: str) -> Loaded:
    loaded = Loaded()
    for number, line in enumerate(decode_text(raw).splitlines(), start=1):
        if not line.strip():
            continue
        try:
            loaded.documents.append(_jsonl_document(line, source, f"{file_id}/{number}"))
        except LoadError as exc:
            loaded.problems.append(f"{path}:{number}: {exc}")
    if not loaded.documents and not loaded.problems:
        raise LoadError("empty document")
    return loaded


def _jsonl_document(line: str, source: str, fallback_id: str) -> Document:
    try:
        record = json.loads(line)
    except json.JSONDecodeError as exc:
        raise LoadError(f"invalid JSON ({exc.msg})") from exc
    if not isinstance(record, dict):
        raise LoadError("not a JSON object")
    text = record.get("text")
    if not isinstance(text, str) or not text.strip():
        raise LoadError("no 'text'")
    doc_id = next((str(record[k]).strip() for k in JSONL_ID_FIELDS if record.get(k)), "")
    doc_id = doc_id or fallback_id
    title = _clean_title(str(record.get("title") or "")) or humanise(doc_id)
    url = str(record.get("url") or "")
    reviewed = is_reviewed(record)
    if str(record.get("format", "")).lower() == "markdown":
        meta, body = split_front_matter(text)
        sections = markdown_sections(body, title)
        reviewed = reviewed or is_reviewed(meta)
    else:
        sections = text_sections(text, title)
    fields = [doc_id, title, url, record.get("format"), text] + ([True] if reviewed else [])
    digest = hashlib.sha256(json.dumps(fields, ensure_ascii=False).encode("utf-8")).hexdigest()
    return Document(doc_id, title, url, source, "jsonl", digest, sections, reviewed)
