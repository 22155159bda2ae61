"""Unattended monthly batches: units in parallel, identical on Dask, faults contained."""

from __future__ import annotations

import json
import os
import re
import shutil
import subprocess
import sys
from pathlib import Path

import nbformat
import pandas as pd
import pytest
from conftest import ROOT
from test_company_rollup import assert_rollup_is_the_whole_company

from playbook.cli import main
from playbook.exceptions import BatchLocked, UsageError
from playbook.report.batch import MONTHLY_NOTEBOOK, MonthLock, run_monthly, unit_folders
from playbook.sample import generate

pytestmark = pytest.mark.notebooks

MONTH = "2026-10"
STEP_PARAMS = 'workspace = ""\ncache_dir = ""\noutput_dir = ""\nlanguage = "en"'


@pytest.fixture(scope="module")
def three_units(tmp_path_factory) -> Path:
    """A sample with three regions (one region's deals dropped to keep it quick)."""
    folder = tmp_path_factory.mktemp("batch") / "acme"
    generate(folder, seed=5, deals=1500)
    deals = pd.read_csv(folder / "deals.csv", dtype=str, keep_default_na=False)
    keep = deals[deals["region"] != "West"]
    keep.to_csv(folder / "deals.csv", index=False)
    ids = set(keep["deal_id"])
    for table in ("stage_events", "activities", "outcomes"):
        frame = pd.read_csv(folder / f"{table}.csv", dtype=str, keep_default_na=False)
        frame[frame["deal_id"].isin(ids)].to_csv(folder / f"{table}.csv", index=False)
    return folder


def _notebooks(tmp_path: Path, **steps: tuple[str, ...]) -> Path:
    folder = tmp_path / "nbs"
    folder.mkdir(parents=True, exist_ok=True)
    shutil.copy(ROOT / "notebooks" / f"{MONTHLY_NOTEBOOK}.ipynb", folder)
    for name, sources in steps.items():
        nb = nbformat.v4.new_notebook()
        nb.metadata["kernelspec"] = {
            "name": "python3",
            "display_name": "Python 3",
            "language": "python",
        }
        cell = nbformat.v4.new_code_cell(STEP_PARAMS)
        cell.metadata["tags"] = ["parameters"]
        done = f"from playbook import report\nreport.StepReport(output_dir, {name!r}).done()"
        nb.cells = [cell] + [nbformat.v4.new_code_cell(s) for s in (*sources, done)]
        nbformat.write(nb, folder / f"{name}.ipynb")
    return folder


def _with_steps(ws: Path, tmp_path: Path, steps: list[str]) -> Path:
    copy = tmp_path / ws.name
    if not copy.exists():
        shutil.copytree(ws, copy)
    text = (copy / "pilot.yml").read_text(encoding="utf-8")
    (copy / "pilot.yml").write_text(text + f"monthly:\n  steps: {steps}\n", encoding="utf-8")
    return copy


def _summaries(base: Path) -> dict[str, bytes]:
    return {p.parent.parent.name: p.read_bytes() for p in base.glob(f"*/{MONTH}/summary.json")}


def test_units_in_parallel_and_on_dask_give_identical_reports(three_units, tmp_path) -> None:
    from dask.distributed import LocalCluster

    local = run_monthly(three_units, MONTH, all_units=True, out=tmp_path / "a", jobs=2)
    assert local.ok, [u.error for u in local.failed]
    assert [u.unit for u in local.units] == ["East", "North", "South"]
    with LocalCluster(
        n_workers=2, threads_per_worker=1, processes=True, dashboard_address=None
    ) as cluster:
        remote = run_monthly(
            three_units,
            MONTH,
            all_units=True,
            out=tmp_path / "b",
            scheduler=cluster.scheduler_address,
        )
    assert remote.ok, [u.error for u in remote.failed]
    a, b = _summaries(local.base), _summaries(remote.base)
    assert set(a) == {"East", "North", "South"} and a == b
    summary = json.loads(a["East"])
    assert summary["unit"] == "East" and summary["month"] == MONTH
    assert summary["kpis"]["new_deals"]["value"] > 0
    batch = json.loads((local.base / f"{MONTH}.batch.json").read_text(encoding="utf-8"))
    assert batch["ok"] is True and batch["failed"] == []
    index = (local.base / f"{MONTH}.html").read_text(encoding="utf-8")
    assert all(f'href="{u}/{MONTH}/index.html"' in index for u in ("East", "North", "South"))
    assert (local.base / "logs" / f"{MONTH}.log").is_file()
    # The company roll-up merged from the units, on Dask's worker processes as locally, is
    # exactly what one process computes over the whole, unsplit workspace.
    company, on_dask = (
        json.loads((run.base / f"{MONTH}.company.json").read_text(encoding="utf-8"))
        for run in (local, remote)
    )
    assert company == on_dask and company["units"] == ["East", "North", "South"]
    assert_rollup_is_the_whole_company(company, three_units, MONTH)
    assert summary["counts"]["deals"] > 0 and "Company roll-up" in index
    assert "cannot be put together from parts" in index
    assert (local.base / "East" / MONTH / "run.log").is_file()
    # A re-run of the same month with the same inputs writes the same summary.json.
    again = run_monthly(three_units, MONTH, all_units=True, out=tmp_path / "a", jobs=2)
    assert again.ok and _summaries(again.base) == a


def test_faults_stay_in_their_unit_and_keep_the_last_good_report(
    three_units, tmp_path, monkeypatch
) -> None:
    ws = _with_steps(three_units, tmp_path, ["90_fault"])
    # The fault step dies with its kernel for North and hangs for South; East is fine.
    region = (
        "import pandas as pd\n"
        "region = pd.read_parquet(cache_dir + '/deals.parquet')['region'].astype(str).iloc[0]"
    )
    ok = _notebooks(tmp_path / "ok", **{"90_fault": ("x = 1",)})
    first = run_monthly(ws, MONTH, all_units=True, out=tmp_path / "out", jobs=2, notebooks=ok)
    assert first.ok
    good = {u: (first.base / u / MONTH / "summary.json").read_bytes() for u in ("North", "South")}
    faulty = _notebooks(
        tmp_path / "faulty",
        **{
            "90_fault": (
                region,
                "import os, time\nif region == 'North':\n    os._exit(1)\nif region == 'South':\n"
                "    time.sleep(120)",
            )
        },
    )
    # East's data goes bad too: an unreadable date on one of its deals.
    deals = pd.read_csv(ws / "deals.csv", dtype=str, keep_default_na=False)
    east = deals.index[deals["region"] == "East"][0]
    deals.loc[east, "created_at"] = "someday"
    deals.to_csv(ws / "deals.csv", index=False)
    second = run_monthly(
        ws, MONTH, all_units=True, out=tmp_path / "out", jobs=2, notebooks=faulty, timeout=5
    )
    status = {u.unit: u for u in second.units}
    assert not status["East"].ok and status["East"].problems
    assert status["East"].problems[0]["value"] == "someday"
    assert not status["North"].ok and not status["South"].ok
    assert "90_fault" in status["North"].error
    assert "Timeout" in status["South"].error or "timed out" in status["South"].error
    for unit, before in good.items():
        assert (second.base / unit / MONTH / "summary.json").read_bytes() == before
        assert (second.base / unit / "LATEST").read_text().strip() == MONTH
        assert (second.base / unit / f"failed-{MONTH}" / "executed").is_dir()
    batch = json.loads((second.base / f"{MONTH}.batch.json").read_text(encoding="utf-8"))
    assert batch["failed"] == ["East", "North", "South"]
    company = json.loads((second.base / f"{MONTH}.company.json").read_text(encoding="utf-8"))
    assert company["missing"] == ["East", "North", "South"] and not company["complete"]
    assert company["kpis"] is None and company["stages"] is None
    assert "No company total this month" in (second.base / f"{MONTH}.html").read_text()
    # The CLI says the same with exit code 1 (its steps are the installation's notebooks).
    monkeypatch.setenv("PLAYBOOK_NOTEBOOKS", str(faulty))
    code = main(
        ["monthly", str(ws), "--month", MONTH, "--unit", "East", "--out", str(tmp_path / "cli")]
    )
    assert code == 1


def test_a_unit_with_bad_data_does_not_stop_the_others(three_units, tmp_path) -> None:
    ws = tmp_path / "ws"
    shutil.copytree(three_units, ws)
    events = pd.read_csv(ws / "stage_events.csv", dtype=str, keep_default_na=False)
    deals = pd.read_csv(ws / "deals.csv", dtype=str, keep_default_na=False)
    north = set(deals.loc[deals["region"] == "North", "deal_id"])
    row = events.index[events["deal_id"].isin(north)][0]
    events.loc[row, "stage"] = "Qualifcation"
    events.to_csv(ws / "stage_events.csv", index=False)
    result = run_monthly(ws, MONTH, units=["North", "South"], out=tmp_path / "out", jobs=1)
    status = {u.unit: u for u in result.units}
    assert status["South"].ok
    assert not status["North"].ok
    assert "did you mean 'Qualification'" in status["North"].error
    # East was not run and North failed: South alone is not the company.
    company = json.loads((result.base / f"{MONTH}.company.json").read_text(encoding="utf-8"))
    assert company["missing_why"] == {"East": "not run", "North": "failed"}
    assert company["units"] == ["South"] and company["kpis"] is None


def test_two_runs_of_the_same_month_cannot_overlap(three_units, tmp_path) -> None:
    base = tmp_path / "out" / "acme" / "monthly"
    holder = subprocess.Popen([sys.executable, "-c", "import time; time.sleep(60)"])
    try:
        base.mkdir(parents=True)
        (base / f".lock-{MONTH}").write_text(
            json.dumps({"pid": holder.pid, "host": os.uname().nodename}), encoding="utf-8"
        )
        with pytest.raises(BatchLocked, match="in progress"):
            run_monthly(three_units, MONTH, out=tmp_path / "out")
    finally:
        holder.kill()
        holder.wait()
    # The holder is gone: its stale lock is taken over.
    with MonthLock(base / f".lock-{MONTH}"):
        assert json.loads((base / f".lock-{MONTH}").read_text())["pid"] == os.getpid()
    assert not (base / f".lock-{MONTH}").exists()


def test_usage_errors(three_units, tmp_path, capsys) -> None:
    with pytest.raises(UsageError, match="month must look like"):
        run_monthly(three_units, "2026/10", out=tmp_path)
    with pytest.raises(UsageError, match="unknown unit"):
        run_monthly(three_units, MONTH, units=["Mars"], out=tmp_path)
    assert main(["monthly", str(three_units), "--month", "Oct", "--out", str(tmp_path)]) == 2
    assert "month must look like 2026-10" in capsys.readouterr().err


def test_unit_folders_are_unique_and_do_not_depend_on_other_units() -> None:
    both = unit_folders(["North", "North?", "East Coast", "east", "East"])
    assert both["North"] == "North" and both["North?"] != both["North"]
    assert both["North?"].startswith("North-") and len(both["North?"]) == len("North-") + 6
    assert len(set(both.values())) == len(both)
    # The same folder whichever other units exist (a unit never moves into another's).
    assert unit_folders(["North?"])["North?"] == both["North?"]
    assert unit_folders(["East Coast"]) == {"East Coast": both["East Coast"]}
    # Names that differ only by case would share a folder on macOS or Windows.
    assert both["east"].casefold() != both["East"].casefold()


@pytest.fixture(scope="module")
def odd_units(three_units, tmp_path_factory) -> Path:
    """North and 'North?' (same safe name), a unit of two deals, and one whose deals all
    come after the month (EARLY), besides East and South."""
    folder = tmp_path_factory.mktemp("odd") / "acme"
    shutil.copytree(three_units, folder)
    deals = pd.read_csv(folder / "deals.csv", dtype=str, keep_default_na=False)
    south = deals.index[deals["region"] == "South"]
    deals.loc[south[::2], "region"] = "North?"
    east = deals.index[deals["region"] == "East"]
    deals.loc[east[:2], "region"] = "Tiny"
    later = deals.index[(deals["region"] == "East") & (deals["created_at"] > "2026-07")]
    deals.loc[later[:5], "region"] = "Later"
    deals.to_csv(folder / "deals.csv", index=False)
    return folder


EARLY = "2026-06"


def test_odd_units_get_their_own_folder_and_a_report_that_says_what_is_missing(
    odd_units, tmp_path
) -> None:
    result = run_monthly(odd_units, EARLY, all_units=True, out=tmp_path, jobs=2)
    assert result.ok, [(u.unit, u.error) for u in result.failed]
    folders = {u.unit: u.folder for u in result.units}
    assert set(folders) == {"East", "Later", "North", "North?", "South", "Tiny"}
    assert folders["North"] == "North" and folders["North?"].startswith("North-")
    for unit, folder in folders.items():
        summary = json.loads((result.base / folder / EARLY / "summary.json").read_text())
        assert summary["unit"] == unit
        assert (result.base / folder / "LATEST").read_text().strip() == EARLY
    index = (result.base / f"{EARLY}.html").read_text(encoding="utf-8")
    assert f'href="{folders["North?"]}/{EARLY}/index.html"' in index
    batch = json.loads((result.base / f"{EARLY}.batch.json").read_text(encoding="utf-8"))
    assert {u["unit"]: u["folder"] for u in batch["units"]} == folders

    def page(unit: str) -> str:
        return (result.base / folders[unit] / EARLY / "monthly_report.html").read_text()

    assert "No deal of this unit was created up to the end of 2026-06" in page("Later")
    assert "This unit has only 2 deals up to the end of 2026-06" in page("Tiny")
    for unit in ("Later", "Tiny"):
        assert "Findings need at least 30 deals" in page(unit)
        assert "No finding passed the evidence standard" not in page(unit)
    assert "deals up to the end of 2026-06:" in page("East")
    log = (result.base / "logs" / f"{EARLY}.log").read_text(encoding="utf-8")
    assert all(f"{unit}: ok" in log for unit in folders)
    assert f"{EARLY}: 6 of 6 unit(s) ok" in log


def _quick_monthly(folder: Path) -> Path:
    """A monthly notebook that only completes (the batch machinery is what is tested)."""
    folder.mkdir(parents=True, exist_ok=True)
    nb = nbformat.v4.new_notebook()
    nb.metadata["kernelspec"] = {
        "name": "python3",
        "display_name": "Python 3",
        "language": "python",
    }
    params = STEP_PARAMS + '\nmonth = ""\nunit = ""\nprevious_summary = ""'
    cell = nbformat.v4.new_code_cell(params)
    cell.metadata["tags"] = ["parameters"]
    done = (
        f"from playbook import report\nreport.StepReport(output_dir, {MONTHLY_NOTEBOOK!r}).done()"
    )
    nb.cells = [cell, nbformat.v4.new_code_cell(done)]
    nbformat.write(nb, folder / f"{MONTHLY_NOTEBOOK}.ipynb")
    return folder


def test_failed_units_are_reported_once_and_correctly(
    three_units, tmp_path, capsys, monkeypatch
) -> None:
    ws = tmp_path / "ws"
    shutil.copytree(three_units, ws)
    deals = pd.read_csv(ws / "deals.csv", dtype=str, keep_default_na=False)
    bad = deals.index[deals["region"] == "East"][:2]
    deals.loc[bad, "status"] = "maybe"
    deals.to_csv(ws / "deals.csv", index=False)
    monkeypatch.setenv("PLAYBOOK_NOTEBOOKS", str(_quick_monthly(tmp_path / "nbs")))
    out = tmp_path / "out"
    code = main(["monthly", str(ws), "--month", MONTH, "--all-units", "--out", str(out)])
    err = capsys.readouterr().err
    assert code == 1
    assert "1 of 3 unit(s) failed; the 2 other unit(s) were written" in err
    assert "Nothing was written" not in err and "Traceback" not in err
    assert err.count("FAILED East") == 1 and err.count("problems found in the input") == 1
    for row in bad + 2:  # file rows: the header is row 1
        assert err.count(f"deals.csv row {row}, column 'status'") == 1, err
    assert "--unit East" in err
    assert (out / "ws" / "monthly" / "North" / MONTH / "summary.json").is_file()


def test_monthly_anonymize_leaves_no_real_rep_id_or_name(three_units, tmp_path) -> None:
    reps = pd.read_csv(three_units / "reps.csv", dtype=str)
    ws = tmp_path / "ws"
    shutil.copytree(three_units, ws)
    result = run_monthly(ws, MONTH, units=["East"], out=tmp_path / "out", anonymize=True)
    assert result.ok, [u.error for u in result.failed]
    report = Path(result.units[0].report_dir)
    files = [p for p in report.rglob("*") if p.is_file() and p.suffix != ".png"]
    assert any(p.suffix == ".csv" for p in files)
    secrets = set(reps["rep_id"]) | set(reps["name"])
    leaks = []
    for path in files:
        text = re.sub(
            r"[A-Za-z0-9+/=]{200,}", "", path.read_text(encoding="utf-8", errors="ignore")
        )
        leaks += [f"{path.name}: {s}" for s in secrets if re.search(rf"\b{re.escape(s)}\b", text)]
    assert not leaks, leaks[:10]
    kpis = pd.read_csv(next((report / "tables").glob("*kpi_system_full.csv")), dtype=str)
    people = kpis.loc[kpis["level"] == "individual", "unit"]
    assert len(people) and people.str.fullmatch(r"Rep-[0-9a-f]{6}").all()
