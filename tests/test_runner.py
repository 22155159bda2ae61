"""End-to-end runs: the report folder contract, atomic output, failures keeping the last report."""

from __future__ import annotations

import hashlib
import json
import os
import re
import shutil
from pathlib import Path

import nbformat
import pandas as pd
import pytest
from conftest import ROOT

from playbook.cli import main
from playbook.exceptions import StepFailed
from playbook.report.runner import run_pilot

pytestmark = pytest.mark.notebooks

PARAMS = 'workspace = ""\ncache_dir = ""\noutput_dir = ""\nlanguage = "en"'


def _notebook(path: Path, *sources: str, params: str = PARAMS) -> None:
    nb = nbformat.v4.new_notebook()
    nb.metadata["kernelspec"] = {
        "name": "python3",
        "display_name": "Python 3",
        "language": "python",
    }
    cell = nbformat.v4.new_code_cell(params)
    cell.metadata["tags"] = ["parameters"]
    nb.cells = [cell] + [nbformat.v4.new_code_cell(s) for s in sources]
    nbformat.write(nb, path)


def _notebooks_with(tmp_path: Path, **extra: tuple[str, ...]) -> Path:
    folder = tmp_path / "notebooks"
    folder.mkdir()
    shutil.copy(ROOT / "notebooks" / "00_data_intake.ipynb", folder)
    for name, sources in extra.items():
        _notebook(folder / f"{name}.ipynb", *sources)
    return folder


@pytest.fixture(scope="module")
def full_run(small_sample: Path, tmp_path_factory):
    out = tmp_path_factory.mktemp("reports")
    result = run_pilot(small_sample, out=out, jobs=2)
    return result, out


def test_report_folder_contract(full_run, small_sample: Path) -> None:
    result, _ = full_run
    folder = result.report_dir
    for name in ("index.html", "summary.json", "manifest.json", "alerts.csv"):
        assert (folder / name).is_file(), name
    for step in ("00_data_intake", "01_journey_map", "02_stage_rates"):
        assert (folder / f"{step}.html").is_file()
        assert (folder / "executed" / f"{step}.ipynb").is_file()
    assert any((folder / "figures").glob("*.png"))
    assert any((folder / "tables").glob("*.csv"))
    assert not any(p.name.startswith(".") for p in folder.iterdir())
    assert (folder.parent / "LATEST").read_text().strip() == folder.name
    assert (folder.parent / "latest").resolve() == folder.resolve()


def test_summary_json_matches_the_data(full_run, small_sample: Path) -> None:
    result, _ = full_run
    summary = json.loads((result.report_dir / "summary.json").read_text(encoding="utf-8"))
    assert summary["schema_version"] == "1.2"
    deals = pd.read_csv(small_sample / "deals.csv")
    assert summary["kpis"]["deals"]["value"] == len(deals)
    resolved = deals["status"].isin(["won", "lost"])
    won = (deals["status"] == "won").sum()
    rate = summary["kpis"]["win_rate"]
    assert rate["n"] == resolved.sum()
    assert rate["value"] == pytest.approx(won / resolved.sum(), abs=1e-6)
    assert rate["ci_low"] < rate["value"] < rate["ci_high"]
    assert summary["steps"] == {"00_data_intake": "ok"} or all(
        v == "ok" for v in summary["steps"].values()
    )
    for entry in summary["kpis"].values():
        assert set(entry) == {"value", "n", "ci_low", "ci_high", "unit"}
    ids = ["lead", "intent", "proposal", "negotiation", "signed"]
    contract = {
        "from",
        "to",
        "entered",
        "advanced",
        "lost",
        "open",
        "rate",
        "ci_low",
        "ci_high",
        "median_dwell_days",
        "p90_dwell_days",
    }
    pairs = [(s["from"], s["to"]) for s in summary["stages"]]
    assert pairs == list(zip(ids, ids[1:], strict=False))
    for stage in summary["stages"]:
        assert contract <= set(stage)
        assert stage["entered"] == stage["advanced"] + stage["lost"] + stage["open"]
        assert stage["ci_low"] <= stage["rate"] <= stage["ci_high"]
    assert summary["stages"][0]["entered"] == len(deals)
    keys = {
        "kind",
        "severity",
        "dimension",
        "value",
        "stage",
        "metric",
        "observed",
        "baseline",
        "ci_low",
        "ci_high",
        "evidence",
    }
    for finding in summary["findings"]:
        assert keys <= set(finding) and finding["severity"] in (1, 2, 3)
    severities = [f["severity"] for f in summary["findings"]]
    assert severities == sorted(severities, reverse=True)


def test_manifest_hashes_every_input(full_run, small_sample: Path) -> None:
    result, _ = full_run
    manifest = json.loads((result.report_dir / "manifest.json").read_text(encoding="utf-8"))
    expected = {
        p.relative_to(small_sample).as_posix(): hashlib.sha256(p.read_bytes()).hexdigest()
        for p in small_sample.rglob("*")
        if p.suffix in (".csv", ".yml", ".md")  # .md: the content library's files
    }
    assert manifest["inputs"] == expected
    assert manifest["versions"]["pandas"] == pd.__version__
    assert manifest["steps"][0]["ok"] is True
    assert manifest["timings"]["total_s"] > 0


def test_html_is_code_free_and_self_contained(full_run) -> None:
    result, _ = full_run
    for page in result.report_dir.glob("*.html"):
        text = page.read_text(encoding="utf-8")
        assert "from playbook import" not in text, f"code shown in {page.name}"
        assert not re.search(r"""(src|href)\s*=\s*["']?(https?:)?//""", text), page.name
        assert "<script" not in text.lower(), page.name
    index = (result.report_dir / "index.html").read_text(encoding="utf-8")
    assert 'href="00_data_intake.html"' in index


def test_client_data_cannot_inject_markup(small_sample: Path, tmp_path: Path) -> None:
    ws = tmp_path / "evil"
    shutil.copytree(small_sample, ws)
    deals = pd.read_csv(ws / "deals.csv", dtype=str, keep_default_na=False)
    evil = "<script>alert(1)</script>"
    first_owner = deals["owner_id"].iloc[0]
    deals.loc[deals["owner_id"] == first_owner, "owner_id"] = evil
    deals.to_csv(ws / "deals.csv", index=False)
    (ws / "pilot.yml").write_text(
        (ws / "pilot.yml").read_text(encoding="utf-8").replace("name: ", "name: <b>x</b>", 1),
        encoding="utf-8",
    )
    result = run_pilot(ws, out=tmp_path / "out", jobs=1)
    shown = False
    for page in result.report_dir.glob("*.html"):
        text = page.read_text(encoding="utf-8")
        assert "<script" not in text.lower(), page.name
        assert "<b>x</b>" not in text
        shown = shown or "&lt;script&gt;alert(1)&lt;/script&gt;" in text
    assert shown, "the rep's name should be shown, escaped"
    for path in result.report_dir.rglob("*"):
        assert result.report_dir in path.resolve().parents or path == result.report_dir


def test_failing_step_keeps_the_last_good_report(
    small_sample: Path, tmp_path: Path, capsys
) -> None:
    notebooks = _notebooks_with(tmp_path)
    out = tmp_path / "out"
    good = run_pilot(small_sample, out=out, notebooks=notebooks)
    before = {p: p.read_bytes() for p in good.report_dir.rglob("*") if p.is_file()}
    _notebook(
        notebooks / "01_broken.ipynb",
        "x = 1",
        "raise ValueError('bad thing happened')",
        "print('never')",
    )
    with pytest.raises(StepFailed) as info:
        run_pilot(small_sample, out=out, notebooks=notebooks)
    message = str(info.value)
    assert "01_broken" in message and "ValueError: bad thing happened" in message
    assert "code cell 3 (raise ValueError" in message
    after = {p: p.read_bytes() for p in good.report_dir.rglob("*") if p.is_file()}
    assert before == after
    base = good.report_dir.parent
    assert (base / "LATEST").read_text().strip() == good.report_dir.name
    failed = [p for p in base.iterdir() if p.name.startswith("failed-")]
    assert len(failed) == 1 and (failed[0] / "executed" / "01_broken.ipynb").is_file()
    assert not [p for p in base.iterdir() if p.name.startswith(".tmp-")]


def test_cli_run_exit_codes(small_sample: Path, tmp_path: Path, capsys, monkeypatch) -> None:
    notebooks = _notebooks_with(tmp_path, **{"01_broken": ("1/0",)})
    monkeypatch.setenv("PLAYBOOK_NOTEBOOKS", str(notebooks))
    code = main(["run", str(small_sample), "--out", str(tmp_path / "out"), "--only", "01"])
    err = capsys.readouterr().err
    assert code == 1
    assert "ZeroDivisionError" in err and "Traceback" not in err
    assert main(["run", str(small_sample), "--only", "99_nope"]) == 2
    assert "unknown step" in capsys.readouterr().err
    assert main(["run", str(tmp_path / "missing")]) == 2


def test_kernel_death_and_timeout_fail_the_step(small_sample: Path, tmp_path: Path) -> None:
    notebooks = tmp_path / "nbs"
    notebooks.mkdir()
    _notebook(notebooks / "01_dies.ipynb", "import os", "os._exit(1)")
    _notebook(notebooks / "02_hangs.ipynb", "import time", "time.sleep(60)")
    with pytest.raises(StepFailed) as info:
        run_pilot(small_sample, out=tmp_path / "out", notebooks=notebooks, timeout=3)
    message = str(info.value)
    assert "01_dies" in message and "02_hangs" in message
    assert "Timeout" in message or "timed out" in message


def test_unknown_parameter_is_an_error(small_sample: Path, tmp_path: Path) -> None:
    notebooks = tmp_path / "nbs"
    notebooks.mkdir()
    _notebook(
        notebooks / "01_typo.ipynb",
        "x = 1",
        params='workspce = ""\ncache_dir = ""\noutput_dir = ""\nlanguage = "en"',
    )
    with pytest.raises(StepFailed) as info:
        run_pilot(small_sample, out=tmp_path / "out", notebooks=notebooks)
    assert "unknown: workspce" in str(info.value)


def test_notebook_without_completion_marker_fails(small_sample: Path, tmp_path: Path) -> None:
    """A notebook that ends without step.done() is not a success."""
    notebooks = tmp_path / "nbs"
    notebooks.mkdir()
    _notebook(notebooks / "01_incomplete.ipynb", "x = 1")
    with pytest.raises(StepFailed) as info:
        run_pilot(small_sample, out=tmp_path / "out", notebooks=notebooks)
    assert "no completion marker" in str(info.value)


def test_bad_workspace_writes_nothing(tmp_path: Path, capsys) -> None:
    ws = tmp_path / "ws"
    ws.mkdir()
    (ws / "deals.csv").write_text("deal_id,created_at,owner_id,status\nD1,yesterday,R1,won\n")
    (ws / "stage_events.csv").write_text("deal_id,stage,entered_at\nD1,Lead,2026-01-01\n")
    out = tmp_path / "out"
    assert main(["run", str(ws), "--out", str(out)]) == 2
    err = capsys.readouterr().err
    assert "deals.csv row 2, column 'created_at'" in err and "Traceback" not in err
    assert not out.exists() or not any(out.rglob("*.html"))


def test_chinese_report_has_every_figure_without_missing_glyphs(small_sample, tmp_path) -> None:
    """The whole pilot in Chinese: headings translated, no figure falls back to boxes."""
    result = run_pilot(small_sample, out=tmp_path, language="zh", jobs=2)
    assert result.summary["language"] == "zh"
    executed = list((result.report_dir / "executed").glob("*.ipynb"))
    assert len(executed) >= 8
    for path in executed:
        nb = nbformat.read(path, as_version=4)
        for cell in nb.cells:
            for output in cell.get("outputs", []):
                text = output.get("text", "") if output.get("output_type") == "stream" else ""
                assert "missing from font" not in text, f"{path.name}: {text[:200]}"
    index = (result.report_dir / "index.html").read_text(encoding="utf-8")
    assert "核心指标" in index and "报告章节" in index
    for kind in ("bottleneck", "slow_handoff", "pilot_effect", "capability_gap"):
        assert kind not in index, f"finding kind {kind!r} shown untranslated"
    page = (result.report_dir / "02_stage_rates.html").read_text(encoding="utf-8")
    assert "阶段转化率" in page and "Stage conversion" not in page
    assert len(list((result.report_dir / "figures").glob("*.png"))) >= 15
    for finding in result.summary["findings"]:
        assert re.search(r"[\u4e00-\u9fff]", finding["evidence"]), finding["evidence"]


def test_saved_scoring_model_scores_a_fresh_export(
    full_run, small_sample, tmp_path, capsys
) -> None:
    result, _ = full_run
    model = result.report_dir / "models" / "lead_scoring.joblib"
    assert model.is_file()
    out = tmp_path / "scores.csv"
    assert main(["score", str(small_sample), "--model", str(model), "--out", str(out)]) == 0
    scores = pd.read_csv(out)
    deals = pd.read_csv(small_sample / "deals.csv")
    assert set(scores["deal_id"]) == set(deals.loc[deals["status"] == "open", "deal_id"])
    assert scores["score_now"].between(0, 1).all()
    assert main(["score", str(small_sample), "--model", str(tmp_path / "none.joblib")]) == 2
    assert "model file not found" in capsys.readouterr().err


def test_a_partial_run_never_becomes_latest(small_sample, tmp_path, capsys, monkeypatch) -> None:
    notebooks = tmp_path / "nbs"
    notebooks.mkdir()
    for step in ("00_quick", "01_quick"):
        _notebook(
            notebooks / f"{step}.ipynb",
            f"from playbook import report\nreport.StepReport(output_dir, {step!r}).done()",
        )
    monkeypatch.setenv("PLAYBOOK_NOTEBOOKS", str(notebooks))
    out = tmp_path / "out"
    assert main(["run", str(small_sample), "--out", str(out)]) == 0
    base = out / small_sample.name
    full = (base / "LATEST").read_text().strip()
    capsys.readouterr()
    assert main(["run", str(small_sample), "--out", str(out), "--only", "01"]) == 0
    captured = capsys.readouterr()
    assert "--only, so 'latest' was not moved" in captured.err
    partial = Path(captured.out.split("Report: ")[1].strip()).parent
    assert partial.is_dir() and partial.name != full
    assert json.loads((partial / "summary.json").read_text())["steps"] == {"01_quick": "ok"}
    assert (base / "LATEST").read_text().strip() == full
    assert os.readlink(base / "latest") == full


def test_pilot_page_shows_the_design_and_the_balance_of_the_arms(full_run) -> None:
    """The sample's pilot has a pre-period: its page names the design and shows how alike
    the groups are, tables/ holds the balance, and summary.json carries the design."""
    result, _ = full_run
    folder = result.report_dir
    page = (folder / "07_pilot_evaluation.html").read_text(encoding="utf-8")
    assert "Design: difference-in-differences." in page
    assert "Are the groups alike?" in page and "standardised difference" in page
    balance = pd.read_csv(folder / "tables" / "07_balance.csv", encoding="utf-8-sig")
    assert {"dimension", "value", "pilot_share", "control_share", "std_diff"} <= set(balance)
    assert {"segment", "region", "product", "source", "deal size"} <= set(balance["dimension"])
    for _, shares in balance.groupby("dimension"):
        assert shares["pilot_share"].sum() == pytest.approx(1.0)
    dims = pd.read_csv(folder / "tables" / "07_balance_dimensions.csv", encoding="utf-8-sig")
    region = dims.set_index("dimension").loc["region"]
    assert region["overlap"] == 0  # the sample's pilot teams work other regions than control
    assert (folder / "tables" / "07_pre_balance.csv").is_file()
    assert (folder / "figures" / "07_balance.png").is_file()
    pilot_findings = [f for f in result.summary["findings"] if f["kind"] == "pilot_effect"]
    assert pilot_findings and all(
        f["design"] == "difference_in_differences" and f["adjusted_for"] == []
        for f in pilot_findings
    )
    # no probability reads as certain (verdict sentence, KPI, effects table)
    assert not re.search(r"(is real|above zero|P\(lift &gt; 0\)[^<]*</th>.*?) ?100%", page)
    assert "Probability the lift is real" in page


def test_the_steps_read_the_tables_the_intake_saved(small_sample, tmp_path, monkeypatch) -> None:
    """A run links its steps' copy of the tables to the intake cache, unless they changed."""
    from playbook.report import runner

    linked, written = [], []
    real_link, real_save = runner.intake_cache.link_tables, runner.save_cache
    monkeypatch.setattr(
        runner.intake_cache, "link_tables", lambda *a: linked.append(a) or real_link(*a)
    )
    monkeypatch.setattr(runner, "save_cache", lambda *a: written.append(a) or real_save(*a))
    plain = run_pilot(small_sample, out=tmp_path / "plain", only=["00"])
    assert len(linked) == 1 and not written
    assert plain.steps[0].ok
    masked = run_pilot(small_sample, out=tmp_path / "masked", only=["00"], anonymize=True)
    assert len(linked) == 1 and len(written) == 1  # pseudonymised tables are written anew
    assert masked.steps[0].ok
