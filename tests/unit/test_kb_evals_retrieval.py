"""`support evals retrieval`: QA formats, the metrics, and a run on a tiny document set."""

from __future__ import annotations

import json

import pytest
from typer.testing import CliRunner

from cli import evals as evals_cli
from evals.retrieval import DatasetError, QAItem, read_qa, score

runner = CliRunner()

DOCS = [
    {"id": "refunds", "title": "Refund timing", "text": "Refunds reach your card in 5 to 10 days."},
    {"id": "pairing", "title": "Pairing", "text": "Hold the power button to pair headphones."},
    {"id": "vouchers", "title": "Store credit", "text": "Kestrel vouchers combine with credit."},
    {"id": "delivery", "title": "Delivery", "text": "Standard delivery takes three to five days."},
    {"id": "express", "title": "Express", "text": "Express parcels arrive the next business day."},
]
QA = [
    {"question": "when will my refund show up on my card", "relevant_ids": ["refunds"]},
    {"question": "how do I pair my headphones", "relevant_ids": ["pairing"]},
    {"question": "when does my Kestrel parcel arrive", "relevant_ids": ["vouchers"]},
    {"question": "how fast is express", "relevant_ids": ["express", "delivery"]},
]


def _jsonl(path, rows) -> str:
    path.write_text("".join(json.dumps(r) + "\n" for r in rows), encoding="utf-8")
    return str(path)


def test_score_recall_mrr_and_hit_rate():
    items = [QAItem("q1", ("a",)), QAItem("q2", ("b", "c")), QAItem("q3", ("z",))]
    rankings = [["a", "x"], ["x", "c", "b"], ["x", "y"]]
    assert score(items, rankings) == pytest.approx(
        {"recall": (1 + 1 + 0) / 3, "mrr": (1 + 1 / 2 + 0) / 3, "hit_rate": 2 / 3}
    )


def test_read_qa_reads_plain_and_mtrag_lines(tmp_path):
    mtrag = {
        "input": [
            {"speaker": "user", "text": "Tell me about boating."},
            {"speaker": "agent", "text": "Sure."},
            {"speaker": "user", "text": " What is Brianna's Law? "},
        ],
        "contexts": [{"document_id": "d1", "text": "..."}, {"document_id": "d2"}],
    }
    unanswerable = {**mtrag, "contexts": []}
    path = tmp_path / "qa.jsonl"
    _jsonl(path, [QA[0], mtrag, unanswerable])

    items, skipped = read_qa(path)

    assert items == [
        QAItem("when will my refund show up on my card", ("refunds",)),
        QAItem("What is Brianna's Law?", ("d1", "d2"), context="Tell me about boating."),
    ]
    assert skipped == 1


def test_read_qa_names_the_bad_line(tmp_path):
    path = tmp_path / "qa.jsonl"
    path.write_text(json.dumps(QA[0]) + '\n{"text": "no question"}\n', encoding="utf-8")
    with pytest.raises(DatasetError, match=r"qa.jsonl:2: expected question \+ relevant_ids"):
        read_qa(path)


def test_evals_retrieval_cli_reports_every_mode_on_a_tiny_set(tmp_path, settings, monkeypatch):
    monkeypatch.setenv("DATA_DIR", str(settings.DATA_DIR))
    docs = _jsonl(tmp_path / "docs.jsonl", DOCS)
    qa = _jsonl(tmp_path / "qa.jsonl", QA)
    off_topic = tmp_path / "off.txt"
    off_topic.write_text("# comment\nwhat is the capital of France\n", encoding="utf-8")

    args = ["retrieval", "--docs", docs, "--qa", qa, "-k", "1", "--off-topic", str(off_topic)]
    result = runner.invoke(evals_cli.app, [*args, "--json"])

    assert result.exit_code == 0, result.output
    report = json.loads(result.stdout)
    assert (report["documents"], report["chunks"], report["questions"]) == (5, 5, 4)
    modes = report["modes"]
    assert set(modes) == {"hybrid", "bm25", "dense", "hybrid_gain_points"}
    # Dense misses the Kestrel question at k=1 (the name means nothing to it); BM25 does not.
    assert modes["hybrid"]["hit_rate"] >= modes["dense"]["hit_rate"]
    assert modes["hybrid_gain_points"] == pytest.approx(
        100 * (modes["hybrid"]["recall"] - max(modes["bm25"]["recall"], modes["dense"]["recall"]))
    )
    decision = report["no_context_decision"]
    assert decision["threshold"] == settings.KB_MIN_SCORE
    assert decision["off_topic_declined"] == 1.0

    # Text output, and --min-gain turns the measured gain into an exit code.
    gated = runner.invoke(evals_cli.app, [*args, "--min-gain", "101"])
    lines = gated.stdout.splitlines()
    assert lines[1].split() == ["mode", "recall@1", "MRR@1", "hit@1", "ms/query"]
    assert [line.split()[0] for line in lines[2:5]] == ["hybrid", "bm25", "dense"]
    assert lines[5].startswith("hybrid recall@1 vs the better single mode: ")
    assert gated.exit_code == 1
    assert gated.stderr.splitlines()[-1].startswith("error: hybrid gain ")
    assert gated.stderr.splitlines()[-1].endswith(" points is under 101.0")
