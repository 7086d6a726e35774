"""`support evals run`: exit code 1 and the failed gate when a gate fails, baseline deltas."""

from __future__ import annotations

import json

from typer.testing import CliRunner

from cli import cli


def run(tmp_path, *args):
    return CliRunner().invoke(
        cli,
        ["evals", "run", "--suite", "entities", "--report", str(tmp_path / "report"), *args],
        env={"DATA_DIR": str(tmp_path / "data"), "EVAL_LLM_BASE_URL": ""},
    )


def test_evals_run_failed_gate_exits_1_and_says_which_by_how_much(tmp_path):
    gates = tmp_path / "gates.toml"
    gates.write_text("[entities.gates]\ngolden_value_f1 = { min = 1.5 }\n")
    result = run(tmp_path, "--gates", str(gates), "--baseline", str(tmp_path / "none.json"))
    assert result.exit_code == 1, result.output
    value = json.loads((tmp_path / "report" / "report.json").read_text())["suites"]["entities"]
    f1 = value["metrics"]["golden_value_f1"]["value"]
    assert f"entities.golden_value_f1 = {f1:g} is under the minimum 1.5 (short by " in result.output
    assert "FAIL: 1 failed gate(s)" in result.output
    for name in ("report.json", "report.md", "report.html", "charts/entities-scores.png"):
        assert (tmp_path / "report" / name).is_file()


def test_evals_run_update_baseline_then_deltas_against_it(tmp_path):
    gates = tmp_path / "gates.toml"
    gates.write_text("[entities.gates]\ngolden_value_f1 = { min = 0.5 }\n")
    baseline = tmp_path / "baseline.json"
    baseline.write_text(
        json.dumps({"suites": {"intent": {"accuracy": 0.9}, "entities": {"corpus_span_f1": 0.5}}})
    )
    args = ["--gates", str(gates), "--baseline", str(baseline), "--json"]
    first = run(tmp_path, *args)
    assert first.exit_code == 0, first.output
    delta = json.loads(first.stdout)["suites"]["entities"]["metrics"]["corpus_span_f1"]["delta"]
    saved = json.loads(first.stdout)["suites"]["entities"]["metrics"]["corpus_span_f1"]["value"]
    assert delta == round(saved - 0.5, 4)

    updated = run(tmp_path, *args, "--update-baseline")
    assert updated.exit_code == 0, updated.output
    written = json.loads(baseline.read_text())["suites"]
    assert written["intent"] == {"accuracy": 0.9}
    assert written["entities"]["corpus_span_f1"] == saved

    again = run(tmp_path, *args)
    assert json.loads(again.stdout)["suites"]["entities"]["metrics"]["corpus_span_f1"]["delta"] == 0


def test_evals_run_unknown_suite_is_a_usage_error(tmp_path):
    result = CliRunner().invoke(cli, ["evals", "run", "--suite", "vibes"])
    assert result.exit_code == 2
    assert "--suite must be one of all, rag, intent, entities" in result.output


# -- --scripts-dir: the conversations suite on another folder of scripts (a held-out set) ----


SCRIPT = "name: {name}\ncustomer: C0001\nturns:\n  - say: where is my order?\n"


def scripts_folder(tmp_path, *names, text=SCRIPT):
    folder = tmp_path / "heldout"
    folder.mkdir()
    for name in names:
        (folder / f"{name}.yaml").write_text(text.format(name=name))
    return folder


def fake_run(monkeypatch):
    """Stand-ins for the run and its report: the requests made, no models loaded."""
    import evals.report
    import evals.run

    requests = []

    def run_evals(request):
        requests.append(request)
        return {"passed": True}

    monkeypatch.setattr(evals.run, "run_evals", run_evals)
    monkeypatch.setattr(evals.report, "write_report", lambda result, folder: {"html": "x"})
    monkeypatch.setattr(evals.report, "summary_text", lambda result: "ok")
    return requests


def run_conversations(tmp_path, *args):
    return CliRunner().invoke(
        cli,
        ["evals", "run", "--suite", "conversations", "--report", str(tmp_path / "r"), *args],
        env={"DATA_DIR": str(tmp_path / "data"), "EVAL_LLM_BASE_URL": ""},
    )


def test_scripts_dir_points_the_conversations_suite_at_that_folder(tmp_path, monkeypatch):
    requests = fake_run(monkeypatch)
    folder = scripts_folder(tmp_path, "heldout_refund", "heldout_cancel")
    result = run_conversations(tmp_path, "--scripts-dir", str(folder), "--script", "cancel")
    assert result.exit_code == 0, result.output
    [request] = requests
    assert request.data == {"conversations": folder}
    assert request.script == "cancel"  # matched in the held-out folder, not the default one


def test_without_scripts_dir_the_suite_keeps_its_own_folder(tmp_path, monkeypatch):
    requests = fake_run(monkeypatch)
    result = run_conversations(tmp_path)
    assert result.exit_code == 0, result.output
    assert requests[0].data == {}


def test_scripts_dir_problems_are_usage_errors_before_anything_runs(tmp_path, monkeypatch):
    requests = fake_run(monkeypatch)
    empty = tmp_path / "empty"
    empty.mkdir()
    result = run_conversations(tmp_path, "--scripts-dir", str(empty))
    assert result.exit_code == 2
    assert "no conversation scripts" in result.output

    bad = scripts_folder(tmp_path, "broken", text="name: {name}\nturns:\n  - said: hi\n")
    result = run_conversations(tmp_path, "--scripts-dir", str(bad))
    assert result.exit_code == 2
    assert "broken.yaml" in result.output

    result = run_conversations(tmp_path, "--scripts-dir", str(bad.parent / "missing"))
    assert result.exit_code == 2

    result = CliRunner().invoke(
        cli, ["evals", "run", "--suite", "entities", "--scripts-dir", str(empty)]
    )
    assert result.exit_code == 2
    assert "apply to the conversations suite" in result.output
    assert requests == []


# -- --kb: which help centre the graph suites answer from ------------------------------


def run_suite(tmp_path, suite, *args):
    return CliRunner().invoke(
        cli,
        ["evals", "run", "--suite", suite, "--report", str(tmp_path / "r"), *args],
        env={"DATA_DIR": str(tmp_path / "data"), "EVAL_LLM_BASE_URL": ""},
    )


def test_kb_is_pinned_to_the_demo_help_centre_unless_live_or_a_folder_is_named(
    tmp_path, monkeypatch
):
    from evals.help_centre import DEMO_KB

    requests = fake_run(monkeypatch)
    articles = tmp_path / "articles"
    articles.mkdir()
    (articles / "parking.md").write_text("# Parking\n\nPark in lot B.\n")
    for args in ([], ["--kb", "pinned"], ["--kb", "live"], ["--kb", str(articles)]):
        result = run_suite(tmp_path, "rag", *args)
        assert result.exit_code == 0, result.output
    assert [r.kb for r in requests] == [DEMO_KB, DEMO_KB, "live", articles]


def test_kb_problems_are_usage_errors_before_anything_runs(tmp_path, monkeypatch):
    requests = fake_run(monkeypatch)
    result = run_suite(tmp_path, "rag", "--kb", str(tmp_path / "missing"))
    assert result.exit_code == 2
    assert "--kb must be 'pinned', 'live' or a folder of articles" in result.output

    odd = tmp_path / "odd"
    odd.mkdir()
    (odd / "notes.docx").write_bytes(b"PK")
    result = run_suite(tmp_path, "escalation", "--kb", str(odd))
    assert result.exit_code == 2
    assert (
        "no article ingest can read" in result.output and "unsupported file type" in result.output
    )

    result = run_suite(tmp_path, "intent", "--kb", "live")
    assert result.exit_code == 2
    assert "--kb applies to the rag, escalation and conversations suites" in result.output
    assert requests == []
