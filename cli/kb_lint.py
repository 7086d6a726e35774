"""`support kb lint`: list help-centre passages that tell the reader to do something risky."""

from __future__ import annotations

import sys
from pathlib import Path
from typing import Annotated

import typer

from cli.common import fail, load_settings, print_json


def lint(
    paths: Annotated[
        list[Path] | None,
        typer.Argument(help="Files or folders (recursive); default: the KB_DIR setting."),
    ] = None,
    as_json: Annotated[bool, typer.Option("--json", help="Print JSON.")] = False,
) -> None:
    """Flag passages that ask the reader to share card numbers, passwords or codes, call or
    pay somewhere, ignore the rules or grant refunds without checks. Exits 1 when any are
    found.

    Ingest stores the same flags, and flagged passages are never used in an answer. After
    reading an article, mark it `reviewed: true` in its front matter to clear its flags.

    Example: support kb lint knowledge/demo_kb imports/vendor-faq.jsonl --json
    """
    from knowledge.ingest import find_files
    from knowledge.lint import lint_files
    from knowledge.tokens import get_tokenizer

    settings = load_settings()
    paths = paths or [Path(settings.KB_DIR)]
    missing = [str(p) for p in paths if not p.exists()]
    if missing:
        fail(f"no such file or folder: {', '.join(missing)}")
    files, skipped = find_files(paths)
    report = lint_files(files, get_tokenizer(str(settings.tiktoken_cache_dir)))
    report.skipped = skipped + report.skipped
    if as_json:
        print_json(report.public())
    else:
        for reason in report.skipped:
            print(f"skipped {reason}", file=sys.stderr)
        for passage in report.flagged:
            typer.echo(passage.line())
            for finding in passage.findings:
                typer.echo(f"   {finding.rule}: {finding.excerpt}")
        typer.echo(
            f"{len(report.flagged)} flagged passages in {report.passages} passages of "
            f"{report.documents} documents ({report.reviewed} reviewed, not linted)"
        )
    if report.flagged:
        raise typer.Exit(1)
