"""Bytes of a help-centre file to text: the declared charset, else UTF-8, else detected.

A file that is valid UTF-8 is UTF-8. Otherwise an HTML page's declared charset
(``<meta charset>``, ``http-equiv`` Content-Type, an XML declaration) is honoured when the
bytes decode with it. Anything else is detected by charset-normalizer; among the code pages that fit
equally well, Windows-1252 wins, as browsers decide for an undeclared Western page
(charset-normalizer alone reads "très" saved in cp1252 as "trčs", cp1250). ISO-8859-1
and ASCII labels mean Windows-1252 too, as in every browser.
"""

from __future__ import annotations

import codecs
import re

from knowledge.errors import LoadError

_DECLARED = re.compile(
    rb"""<meta[^>]+charset\s*=\s*["']?\s*([A-Za-z0-9_.:-]+)"""
    rb"""|<\?xml[^>]+encoding\s*=\s*["']([A-Za-z0-9_.:-]+)""",
    re.IGNORECASE,
)
_XML_DECLARATION = re.compile(r"^\s*<\?xml[^>]*\?>", re.IGNORECASE)
_WESTERN = "cp1252"
_AS_WESTERN = {"latin_1", "iso8859_1", "ascii", "cp1252"}


def decode_text(raw: bytes) -> str:
    """A text or Markdown file's text (UTF-8 first, else detected); LoadError for binary
    data or bytes no encoding explains."""
    if raw.startswith((codecs.BOM_UTF16_LE, codecs.BOM_UTF16_BE)):
        try:
            return raw.decode("utf-16")
        except UnicodeDecodeError as exc:
            raise LoadError("not valid UTF-16 text") from exc
    _reject_binary(raw)
    try:
        return raw.decode("utf-8-sig")
    except UnicodeDecodeError:
        return _detected(raw)


def decode_html(raw: bytes) -> str:
    """An HTML page's text: UTF-8 when the bytes are valid UTF-8 (whatever the page
    declares: a legacy page is almost never valid UTF-8, while UTF-8 pages mislabelled
    ISO-8859-1 are common and would read "215 Ã\x97 130 cm"), else its declared charset,
    else detected. An XML declaration is dropped (lxml refuses text that declares one)."""
    text = None
    if not raw.startswith((codecs.BOM_UTF16_LE, codecs.BOM_UTF16_BE)):
        declared = declared_charset(raw)
        if declared and not _fits(raw, "utf-8"):
            try:
                text = raw.decode(declared)
            except UnicodeDecodeError:
                text = None  # the page lies about its charset: find the one that fits
    if text is None:
        text = decode_text(raw)
    elif "\x00" in text[:8192]:
        raise LoadError("binary file, not HTML")
    return _XML_DECLARATION.sub("", text.lstrip("\ufeff"), count=1)


def declared_charset(raw: bytes) -> str | None:
    """The Python codec of the charset an HTML page declares in its first 4 KB, or None
    (no declaration, or one Python does not know)."""
    match = _DECLARED.search(raw[:4096])
    if not match:
        return None
    label = (match.group(1) or match.group(2)).decode("ascii").lower()
    try:
        name = codecs.lookup(label).name.replace("-", "_")
    except LookupError:
        return None
    if name in _AS_WESTERN:
        return _WESTERN if _fits(raw, _WESTERN) else "latin_1"
    return "utf-8-sig" if name == "utf_8" else name


def _fits(raw: bytes, encoding: str) -> bool:
    try:
        raw.decode(encoding)
    except UnicodeDecodeError:
        return False
    return True


def _detected(raw: bytes) -> str:
    from charset_normalizer import from_bytes

    matches = from_bytes(raw)
    best = matches.best()
    if best is None:
        raise LoadError("cannot tell the text encoding (not UTF-8, no charset fits)")
    candidates = {m.encoding for m in matches} | set(best.could_be_from_charset)
    if _WESTERN in candidates and _fits(raw, _WESTERN):
        return raw.decode(_WESTERN)
    return str(best)


def _reject_binary(raw: bytes) -> None:
    if b"\x00" in raw[:8192]:
        raise LoadError("binary file, not text")
