"""Command-line argument checks: a bad option is exit 2 with a message, never a traceback."""

from __future__ import annotations

from pathlib import Path

import pandas as pd
import pytest

from playbook.cli import main
from playbook.exceptions import UsageError
from playbook.report.batch import run_monthly
from playbook.report.runner import run_pilot


@pytest.fixture
def no_steps(tmp_path: Path, monkeypatch) -> Path:
    """An empty notebooks folder: a run that got past its checks would finish at once."""
    folder = tmp_path / "no-notebooks"
    folder.mkdir()
    monkeypatch.setenv("PLAYBOOK_NOTEBOOKS", str(folder))
    return folder


def _usage_error(capsys, argv: list[str]) -> str:
    try:
        code = main(argv)
    except SystemExit as exit_:  # argparse's own errors end the parse this way
        code = exit_.code
    err = capsys.readouterr().err
    assert code == 2, err
    assert "Traceback" not in err
    return err


@pytest.mark.parametrize("value", ["0", "-5", "soon", "1.5"])
@pytest.mark.parametrize("command", ["run", "monthly"])
def test_timeout_must_be_a_positive_whole_number(
    command, value, tiny_workspace, tmp_path, capsys, no_steps
) -> None:
    argv = [command, str(tiny_workspace), "--out", str(tmp_path / "out"), f"--timeout={value}"]
    if command == "monthly":
        argv += ["--month", "2026-03"]
    err = _usage_error(capsys, argv)
    assert "--timeout" in err and "at least 1" in err and repr(value) in err
    assert not (tmp_path / "out").exists()


@pytest.mark.parametrize("command", ["run", "monthly"])
def test_jobs_must_be_positive(command, tiny_workspace, tmp_path, capsys, no_steps) -> None:
    argv = [command, str(tiny_workspace), "--out", str(tmp_path / "out"), "--jobs", "0"]
    if command == "monthly":
        argv += ["--month", "2026-03"]
    err = _usage_error(capsys, argv)
    assert "--jobs" in err and "at least 1" in err


def test_the_python_api_refuses_a_timeout_that_would_switch_it_off(
    tiny_workspace, tmp_path, no_steps
) -> None:
    with pytest.raises(UsageError, match="--timeout must be a whole number"):
        run_pilot(tiny_workspace, out=tmp_path / "out", timeout=0)
    with pytest.raises(UsageError, match="--timeout must be a whole number"):
        run_monthly(tiny_workspace, "2026-03", out=tmp_path / "out", timeout=-5)
    with pytest.raises(UsageError, match="--jobs"):
        run_pilot(tiny_workspace, out=tmp_path / "out", jobs=0)


@pytest.mark.parametrize("command", ["run", "monthly", "explore"])
def test_out_must_be_a_folder_that_can_be_written(
    command, tiny_workspace, tmp_path, capsys, no_steps
) -> None:
    a_file = tmp_path / "report.txt"
    a_file.write_text("not a folder\n", encoding="utf-8")
    extra = ["--month", "2026-03"] if command == "monthly" else []
    if command == "explore":
        extra = ["--no-browser"]
    cases = {
        a_file: "this is a file, not a folder",
        a_file / "reports": "report.txt is a file, so no folder can be created under it",
        # /proc takes no new files even for root (a chmod'ed folder would not stop root).
        Path("/proc/playbook-reports"): "cannot write in /proc",
    }
    for out, words in cases.items():
        err = _usage_error(capsys, [command, str(tiny_workspace), "--out", str(out), *extra])
        assert f"--out {out}" in err and words in err, err
    assert a_file.read_text(encoding="utf-8") == "not a folder\n"


def test_score_out_is_a_file_in_a_writable_folder(tiny_workspace, tmp_path, capsys) -> None:
    model = tmp_path / "model.joblib"
    model.write_bytes(b"")
    argv = ["score", str(tiny_workspace), "--model", str(model)]
    err = _usage_error(capsys, [*argv, "--out", str(tmp_path)])
    assert "this is a folder; give the CSV file to write" in err
    err = _usage_error(capsys, [*argv, "--out", "/proc/playbook/scores.csv"])
    assert "cannot write in /proc" in err


def test_a_month_in_the_future_is_refused(tiny_workspace, tmp_path, capsys, no_steps) -> None:
    current = pd.Timestamp.now().to_period("M")
    future = str(current + 1)
    err = _usage_error(
        capsys,
        ["monthly", str(tiny_workspace), "--month", future, "--out", str(tmp_path / "out")],
    )
    assert f"--month {future} is in the future (this month is {current})" in err
    assert not (tmp_path / "out").exists()


def test_monthly_has_anonymize(capsys) -> None:
    with pytest.raises(SystemExit):
        main(["monthly", "--help"])
    assert "--anonymize" in capsys.readouterr().out
