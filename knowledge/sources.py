"""The help-centre files under the paths given to ingest or lint, with their document ids."""

from __future__ import annotations

import re
from collections.abc import Iterable
from dataclasses import dataclass
from pathlib import Path

from knowledge.loaders import FORMATS


@dataclass(frozen=True)
class SourceFile:
    """A supported file found under one of the paths given to ingest."""

    path: Path
    source: str
    """Path relative to the folder it was found in (POSIX separators)."""
    doc_id: str


def doc_id_for(relative: Path) -> str:
    """Stable id from a relative path: 'Billing/Invoices & VAT.md' -> 'billing/invoices-vat'."""
    parts = [*relative.parent.parts, relative.stem]
    slugs = [re.sub(r"[^a-z0-9]+", "-", part.lower()).strip("-") for part in parts]
    return "/".join(s for s in slugs if s) or "document"


def _hidden(relative: Path) -> bool:
    return any(part.startswith(".") for part in relative.parts)


def find_files(paths: Iterable[Path]) -> tuple[list[SourceFile], list[str]]:
    """Files under the paths (folders searched recursively, hidden ones ignored) and skips.

    Files of an unsupported type are reported, not silently dropped, so the content team
    sees a .docx that was never ingested.
    """
    found: list[SourceFile] = []
    skipped: list[str] = []
    resolved: set[Path] = set()
    for path in paths:
        if path.is_dir():
            candidates = [
                (p, p.relative_to(path))
                for p in sorted(path.rglob("*"))
                if p.is_file() and not _hidden(p.relative_to(path))
            ]
            if not candidates:
                skipped.append(f"{path}: no files")
        elif path.is_file():
            candidates = [(path, Path(path.name))]
        else:
            skipped.append(f"{path}: does not exist")
            continue
        for file, rel in candidates:
            if file.suffix.lower() not in FORMATS:
                skipped.append(f"{file}: unsupported file type {file.suffix or '(no suffix)'!r}")
                continue
            if file.resolve() not in resolved:  # the same file named twice is read once
                resolved.add(file.resolve())
                found.append(SourceFile(file, rel.as_posix(), doc_id_for(rel)))
    return found, skipped
