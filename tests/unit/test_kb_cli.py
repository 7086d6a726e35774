"""`support ingest` and `support kb search|stats|delete|gaps`, driven through typer's CliRunner."""

from __future__ import annotations

import json
import re

import pytest
import typer
from typer.testing import CliRunner

from cli import kb

runner = CliRunner()

REFUNDS = """---
title: How long do refunds take?
url: https://help.northwind.example/refund-timing
---
## Where the money goes

Refunds go to the original payment method and appear within 5–10 business days.
"""

PAIRING = """---
title: Headphones pairing
url: https://help.northwind.example/headphones-pairing
---
## Pairing mode

Hold the power button for 5 seconds until the light flashes blue and white.
"""

SUMMARY = re.compile(
    r"^(?:dry run, nothing written: would have |.*; it would have )?added (\d+), updated (\d+), "
    r"unchanged (\d+), deleted (\d+), chunks (\d+), skipped (\d+)(?:, failed \d+)? in \d+\.\d s$"
)


@pytest.fixture
def cli_env(settings, monkeypatch, tmp_path):
    """The CLI's load_settings() sees the test DATA_DIR and no .env file."""
    monkeypatch.chdir(tmp_path)
    monkeypatch.setenv("DATA_DIR", str(settings.DATA_DIR))
    monkeypatch.setenv("CHROMA_URL", "")
    monkeypatch.delenv("KB_COLLECTION", raising=False)
    monkeypatch.setenv("HOST", "127.0.0.1")
    monkeypatch.setenv("PORT", "9")  # no service there: `kb search` searches locally
    return settings


@pytest.fixture
def ingest_app() -> typer.Typer:
    """kb.ingest registered the way cli/__init__.py registers it."""
    app = typer.Typer()
    app.command("ingest")(kb.ingest)
    app.command("noop")(lambda: None)  # two commands keep `ingest` a sub-command
    return app


@pytest.fixture
def kb_dir(tmp_path):
    folder = tmp_path / "kb"
    folder.mkdir()
    (folder / "refund-timing.md").write_text(REFUNDS, encoding="utf-8")
    (folder / "headphones-pairing.md").write_text(PAIRING, encoding="utf-8")
    return folder


def _summary(output: str) -> tuple[int, ...]:
    match = SUMMARY.match(output.strip().splitlines()[-1])
    assert match, output
    return tuple(int(n) for n in match.groups())


def test_kb_cli_ingest_prints_summary_line_and_is_idempotent(cli_env, ingest_app, kb_dir, encoder):
    first = runner.invoke(ingest_app, ["ingest", str(kb_dir)])
    assert first.exit_code == 0, first.output
    assert _summary(first.stdout) == (2, 0, 0, 0, 2, 0)

    second = runner.invoke(ingest_app, ["ingest", str(kb_dir)])
    assert second.exit_code == 0, second.output
    assert _summary(second.stdout) == (0, 0, 2, 0, 0, 0)


def test_kb_cli_ingest_lists_skipped_files_on_stderr(cli_env, ingest_app, kb_dir, encoder):
    (kb_dir / "notes.docx").write_bytes(b"PK\x03\x04")

    result = runner.invoke(ingest_app, ["ingest", str(kb_dir)])

    assert result.exit_code == 0, result.output
    assert _summary(result.stdout) == (2, 0, 0, 0, 2, 1)
    assert result.stderr == f"skipped {kb_dir / 'notes.docx'}: unsupported file type '.docx'\n"


def _documents() -> set[str]:
    rows = json.loads(runner.invoke(kb.app, ["search", "refunds pairing", "--json"]).stdout)
    return {r["doc_id"] for r in rows}


def _stored() -> int:
    return json.loads(runner.invoke(kb.app, ["stats", "--json"]).stdout)["documents"]


def test_kb_cli_ingest_a_failed_file_writes_nothing_and_exits_1(
    cli_env, ingest_app, kb_dir, encoder
):
    (kb_dir / "empty.md").write_text("", encoding="utf-8")

    result = runner.invoke(ingest_app, ["ingest", str(kb_dir)])

    assert result.exit_code == 1
    assert result.stderr == f"failed {kb_dir / 'empty.md'}: empty document\n"
    assert result.stdout.startswith(
        "refused, nothing written: 1 file(s) failed (--keep-going ingests the others); "
        "it would have added 2,"
    )
    assert _stored() == 0


def test_kb_cli_ingest_keep_going_ingests_the_good_files_and_still_exits_1(
    cli_env, ingest_app, kb_dir, encoder
):
    (kb_dir / "empty.md").write_text("", encoding="utf-8")

    result = runner.invoke(ingest_app, ["ingest", str(kb_dir), "--keep-going"])

    assert result.exit_code == 1
    assert result.stderr == f"failed {kb_dir / 'empty.md'}: empty document\n"
    assert result.stdout.startswith("added 2, updated 0, unchanged 0, deleted 0, chunks 2,")
    assert ", failed 1 in " in result.stdout
    assert _documents() == {"refund-timing", "headphones-pairing"}


def test_kb_cli_ingest_broken_front_matter_is_a_clear_failure(cli_env, ingest_app, kb_dir, encoder):
    broken = kb_dir / "broken.md"
    broken.write_text("---\ntitle: [unclosed\n---\n## Gift wrap\n\nWe wrap gifts.\n", "utf-8")

    result = runner.invoke(ingest_app, ["ingest", str(kb_dir)])

    assert result.exit_code == 1
    assert result.stderr.splitlines() == [
        f"failed {broken}: front matter is not valid YAML: line 2: while parsing a flow "
        "sequence; line 3, column 1: expected ',' or ']', but got '<stream end>'"
    ]
    assert _stored() == 0  # no half-written record, no title "[unclosed"

    kept = runner.invoke(ingest_app, ["ingest", str(kb_dir), "--keep-going"])
    assert kept.exit_code == 1
    stats = json.loads(runner.invoke(kb.app, ["stats", "--json"]).stdout)
    assert stats["documents"] == 2
    rows = json.loads(runner.invoke(kb.app, ["search", "gift wrap", "--json"]).stdout)
    assert "[unclosed" not in {r["title"] for r in rows}
    assert "broken" not in {r["doc_id"] for r in rows}


def test_kb_cli_ingest_nothing_to_ingest_exits_1(cli_env, ingest_app, tmp_path):
    folder = tmp_path / "exports"
    folder.mkdir()
    (folder / "faq.docx").write_bytes(b"PK\x03\x04")

    result = runner.invoke(ingest_app, ["ingest", str(folder)])

    assert result.exit_code == 1
    assert result.stderr == f"skipped {folder / 'faq.docx'}: unsupported file type '.docx'\n"
    assert result.stdout.startswith(
        "refused, nothing written: no document to ingest under the paths given;"
    )


TENT_HTML = (
    "<html><head><title>Summit tent</title></head><body><main><h1>Summit tent</h1>"
    "<p>The Summit tent measures 215 × 130 cm when pitched and weighs 2.1 kg.</p>"
    "</main></body></html>"
)


@pytest.mark.parametrize("encoding", ["cp1252", "utf-8"])
def test_kb_cli_ingest_html_without_charset_is_not_garbled(
    cli_env, ingest_app, tmp_path, encoding, encoder
):
    folder = tmp_path / "pages"
    folder.mkdir()
    (folder / "summit-tent.html").write_bytes(TENT_HTML.encode(encoding))

    assert runner.invoke(ingest_app, ["ingest", str(folder)]).exit_code == 0
    result = runner.invoke(kb.app, ["search", "how big is the summit tent", "-k", "1", "--json"])

    (row,) = json.loads(result.stdout)
    assert "215 × 130 cm" in row["text"]
    assert "Ã" not in row["text"]


def test_kb_cli_ingest_json_is_one_parseable_object(cli_env, ingest_app, kb_dir, encoder):
    (kb_dir / "empty.md").write_text("", encoding="utf-8")

    result = runner.invoke(ingest_app, ["ingest", str(kb_dir), "--keep-going", "--json"])

    assert result.exit_code == 1
    report = json.loads(result.stdout)
    assert {k: report[k] for k in ("added", "unchanged", "deleted", "written", "refused")} == {
        "added": 2,
        "unchanged": 0,
        "deleted": 0,
        "written": True,
        "refused": None,
    }
    assert report["failed"] == [f"{kb_dir / 'empty.md'}: empty document"]


def test_kb_cli_ingest_missing_path_exits_1(cli_env, ingest_app, tmp_path):
    result = runner.invoke(ingest_app, ["ingest", str(tmp_path / "nope")])

    assert result.exit_code == 1
    assert result.stderr == f"error: no such file or folder: {tmp_path / 'nope'}\n"
    assert result.stdout == ""


def test_kb_cli_search_json_lists_passages(cli_env, ingest_app, kb_dir, encoder):
    runner.invoke(ingest_app, ["ingest", str(kb_dir)])

    result = runner.invoke(kb.app, ["search", "how long do refunds take", "-k", "2", "--json"])

    assert result.exit_code == 0, result.output
    rows = json.loads(result.stdout)
    assert [set(r) for r in rows] == [
        {"doc_id", "chunk_id", "title", "section", "source", "url", "score", "bm25", "text"}
    ] * 2
    assert rows[0]["doc_id"] == "refund-timing"
    assert rows[0]["chunk_id"] == "refund-timing#0"
    assert rows[0]["title"] == "How long do refunds take?"
    assert rows[0]["source"] == "refund-timing.md"
    assert rows[0]["section"] == "How long do refunds take? > Where the money goes"
    assert rows[0]["url"] == "https://help.northwind.example/refund-timing"
    assert rows[0]["score"] > rows[1]["score"]
    assert "5–10 business days" in rows[0]["text"]


def test_kb_cli_search_prints_readable_list(cli_env, ingest_app, kb_dir, encoder):
    runner.invoke(ingest_app, ["ingest", str(kb_dir)])

    result = runner.invoke(kb.app, ["search", "my headphones won't pair", "-k", "1"])

    assert result.exit_code == 0, result.output
    assert result.stderr == (
        "note: no service answered at http://127.0.0.1:9 (ConnectError); "
        "searching here (loads the models)\n"
    )
    lines = result.stdout.splitlines()
    assert re.fullmatch(
        r"1\. \[0\.\d{3}\] Headphones pairing > Pairing mode  \(headphones-pairing#0\)", lines[0]
    )
    assert lines[1] == (
        "   Hold the power button for 5 seconds until the light flashes blue and white."
    )


def test_kb_cli_search_empty_collection_exits_1(cli_env):
    result = runner.invoke(kb.app, ["search", "refund", "--local"])

    assert result.exit_code == 1
    assert result.stderr.startswith(
        "error: collection 'help_center' is empty; run: support ingest "
    )


def test_kb_cli_search_unreachable_chroma_server_exits_1(cli_env, monkeypatch):
    monkeypatch.setenv("CHROMA_URL", "http://127.0.0.1:1")

    result = runner.invoke(kb.app, ["search", "refund", "--local"])

    assert result.exit_code == 1
    assert result.stderr.startswith(
        "error: cannot open Chroma collection 'help_center' at http://127.0.0.1:1: "
    )
    assert len(result.stderr.splitlines()) == 1


def test_kb_cli_ingest_dry_run_then_delete_missing(cli_env, ingest_app, kb_dir, encoder):
    dry = runner.invoke(ingest_app, ["ingest", str(kb_dir), "--dry-run"])
    assert dry.exit_code == 0, dry.output
    assert dry.stdout.startswith("dry run, nothing written: would have added 2,")
    assert _summary(dry.stdout) == (2, 0, 0, 0, 2, 0)
    assert runner.invoke(kb.app, ["stats", "--json"]).stdout.count('"documents": 0') == 1

    for n in range(3):
        (kb_dir / f"note-{n}.md").write_text(f"# Note {n}\n\nShop note number {n}.\n", "utf-8")
    runner.invoke(ingest_app, ["ingest", str(kb_dir)])
    (kb_dir / "headphones-pairing.md").unlink()
    pruned = runner.invoke(ingest_app, ["ingest", str(kb_dir), "--delete-missing"])

    assert pruned.exit_code == 0, pruned.output
    assert pruned.stdout.splitlines()[0] == "delete headphones-pairing (headphones-pairing.md)"
    assert _summary(pruned.stdout) == (0, 0, 4, 1, 0, 0)


def test_kb_cli_ingest_delete_missing_refuses_to_empty_the_help_centre(
    cli_env, ingest_app, kb_dir, tmp_path, encoder
):
    for n in range(3):
        (kb_dir / f"note-{n}.md").write_text(f"# Note {n}\n\nShop note number {n}.\n", "utf-8")
    runner.invoke(ingest_app, ["ingest", str(kb_dir)])
    new = tmp_path / "new"
    new.mkdir()
    (new / "gift-wrap.md").write_text("# Gift wrap\n\nWe wrap gifts for $3.\n", "utf-8")

    dry = runner.invoke(ingest_app, ["ingest", str(new), "--delete-missing", "--dry-run"])
    real = runner.invoke(ingest_app, ["ingest", str(new), "--delete-missing"])

    plan = [
        "would delete headphones-pairing (headphones-pairing.md)",
        "would delete note-0 (note-0.md)",
        "would delete note-1 (note-1.md)",
        "would delete note-2 (note-2.md)",
        "would delete refund-timing (refund-timing.md)",
    ]
    refusal = (
        "--delete-missing would delete 5 of 5 documents (100%), more than the 20% allowed "
        "without --yes; it would have added 1,"
    )
    assert dry.exit_code == 1
    assert dry.stdout.splitlines()[:5] == plan
    assert dry.stdout.splitlines()[5].startswith(f"would be refused: {refusal}")
    assert real.exit_code == 1
    assert real.stdout.splitlines()[:5] == plan
    assert real.stdout.splitlines()[5].startswith(f"refused, nothing written: {refusal}")
    assert _stored() == 5

    confirmed = runner.invoke(ingest_app, ["ingest", str(new), "--delete-missing", "--yes"])

    assert confirmed.exit_code == 0, confirmed.output
    assert confirmed.stdout.splitlines()[:5] == [line.removeprefix("would ") for line in plan]
    assert _summary(confirmed.stdout) == (1, 0, 0, 5, 1, 0)
    assert _stored() == 1


def test_kb_cli_ingest_into_a_named_collection(cli_env, ingest_app, kb_dir, encoder):
    result = runner.invoke(ingest_app, ["ingest", str(kb_dir), "--collection", "drafts-kb"])
    assert result.exit_code == 0, result.output

    stats = json.loads(
        runner.invoke(kb.app, ["stats", "--collection", "drafts-kb", "--json"]).stdout
    )
    default = json.loads(runner.invoke(kb.app, ["stats", "--json"]).stdout)
    assert (stats["collection"], stats["documents"], default["documents"]) == ("drafts-kb", 2, 0)

    bad = runner.invoke(ingest_app, ["ingest", str(kb_dir), "--collection", "x"])
    assert bad.exit_code == 1
    assert bad.stderr.startswith("error: cannot open Chroma collection 'x' at ")


def test_kb_cli_stats_counts_documents_chunks_and_formats(cli_env, ingest_app, kb_dir, encoder):
    (kb_dir / "hours.txt").write_text("Open nine to five.\n", encoding="utf-8")
    runner.invoke(ingest_app, ["ingest", str(kb_dir)])

    result = runner.invoke(kb.app, ["stats"])

    assert result.exit_code == 0, result.output
    assert result.stdout.splitlines()[1:] == [
        "documents 3, chunks 3, source files 3",
        "formats markdown 2, text 1",
    ]
    as_json = json.loads(runner.invoke(kb.app, ["stats", "--json"]).stdout)
    assert {k: as_json[k] for k in ("documents", "chunks", "formats", "sources")} == {
        "documents": 3,
        "chunks": 3,
        "formats": {"markdown": 2, "text": 1},
        "sources": 3,
    }


def test_kb_cli_delete_removes_one_document(cli_env, ingest_app, kb_dir, encoder):
    runner.invoke(ingest_app, ["ingest", str(kb_dir)])

    result = runner.invoke(kb.app, ["delete", "refund-timing"])

    assert result.exit_code == 0, result.output
    assert result.stdout == "deleted refund-timing (1 chunks)\n"
    other = json.loads(runner.invoke(kb.app, ["delete", "headphones-pairing", "--json"]).stdout)
    assert other == {"deleted": "headphones-pairing", "chunks": 1}
    assert _stored() == 0
    again = runner.invoke(kb.app, ["delete", "refund-timing"])
    assert again.exit_code == 1
    assert again.stderr == "error: no document 'refund-timing' in collection 'help_center'\n"


def test_kb_cli_search_rejects_an_unknown_mode(cli_env, ingest_app, kb_dir, encoder):
    runner.invoke(ingest_app, ["ingest", str(kb_dir)])
    result = runner.invoke(kb.app, ["search", "refund", "--mode", "magic"])
    assert result.exit_code == 1
    assert result.stderr == "error: --mode must be one of hybrid, dense, bm25, not 'magic'\n"
