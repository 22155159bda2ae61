"""Stopping runs: signals stop workers and kernels and leave the last good report; the
monthly lock knows its owner by pid and start time; workers of a killed run publish nothing."""

from __future__ import annotations

import json
import os
import signal
import socket
import subprocess
import sys
import time
from pathlib import Path

import nbformat
import psutil
import pytest

from playbook.exceptions import BatchLocked
from playbook.report.batch import MONTHLY_NOTEBOOK, MonthLock, run_monthly, run_unit
from playbook.report.batch_lock import may_publish
from playbook.report.runner import run_pilot
from playbook.report.stopping import identity
from playbook.steps.monthly import month_bounds
from playbook.workspace.load import read_workspace

pytestmark = pytest.mark.notebooks

MONTH = "2026-10"
STEP_PARAMS = 'workspace = ""\ncache_dir = ""\noutput_dir = ""\nlanguage = "en"'
MONTHLY_PARAMS = STEP_PARAMS + '\nmonth = ""\nunit = ""\nprevious_summary = ""'
#: A step that says it runs (a file named <kernel pid>-<worker pid> in $PB_TEST_MARKS),
#: optionally kills a process ($PB_TEST_KILL), sleeps $PB_TEST_SLEEP seconds, and leaves
#: $PB_TEST_RUN in its report folder.
WORK = (
    "import os, signal, time\n"
    "marks = os.environ.get('PB_TEST_MARKS')\n"
    "if marks:\n"
    "    open(os.path.join(marks, f'{os.getpid()}-{os.getppid()}'), 'w').close()\n"
    "if os.environ.get('PB_TEST_KILL'):\n"
    "    os.kill(int(os.environ['PB_TEST_KILL']), signal.SIGKILL)\n"
    "time.sleep(float(os.environ.get('PB_TEST_SLEEP', '0')))\n"
    "with open(os.path.join(output_dir, 'run.txt'), 'w') as handle:\n"
    "    handle.write(os.environ.get('PB_TEST_RUN', ''))"
)


def _notebook(path: Path, name: str, params: str) -> None:
    nb = nbformat.v4.new_notebook()
    nb.metadata["kernelspec"] = {
        "name": "python3",
        "display_name": "Python 3",
        "language": "python",
    }
    cell = nbformat.v4.new_code_cell(params)
    cell.metadata["tags"] = ["parameters"]
    done = f"from playbook import report\nreport.StepReport(output_dir, {name!r}).done()"
    nb.cells = [cell, nbformat.v4.new_code_cell(WORK), nbformat.v4.new_code_cell(done)]
    nbformat.write(nb, path / f"{name}.ipynb")


def _snapshot(folder: Path) -> dict[str, bytes | str]:
    """Every file's bytes and every link's target under ``folder``."""
    state: dict[str, bytes | str] = {}
    for path in sorted(folder.rglob("*")):
        key = str(path.relative_to(folder))
        if path.is_symlink():
            state[key] = "-> " + os.readlink(path)
        elif path.is_file():
            state[key] = path.read_bytes()
    return state


def _wait_for(condition, timeout: float, what: str) -> None:
    deadline = time.monotonic() + timeout
    while not condition():
        if time.monotonic() > deadline:
            raise AssertionError(f"timed out waiting for {what}")
        time.sleep(0.2)


def _gone(processes: list[psutil.Process]) -> bool:
    def alive(proc: psutil.Process) -> bool:
        try:
            return proc.is_running() and proc.status() != psutil.STATUS_ZOMBIE
        except psutil.NoSuchProcess:
            return False

    return not any(alive(p) for p in processes)


def _in_group(pgid: int) -> list[int]:
    found = []
    for proc in psutil.process_iter():
        try:
            if os.getpgid(proc.pid) == pgid and proc.status() != psutil.STATUS_ZOMBIE:
                found.append(proc.pid)
        except (ProcessLookupError, psutil.NoSuchProcess):
            continue
    return found


def _start(argv: list[str], env: dict) -> subprocess.Popen:
    """The command in its own session, so its process group is its own."""
    return subprocess.Popen(
        [sys.executable, "-m", "playbook.cli", *argv],
        env={**os.environ, **env},
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
        start_new_session=True,
    )


def _stop_once_running(
    proc: subprocess.Popen, marks: Path, n: int, signum: int
) -> tuple[list[psutil.Process], str]:
    """Wait until ``n`` steps run, send ``signum``; the process tree and stderr."""
    _wait_for(
        lambda: len(list(marks.iterdir())) >= n or proc.poll() is not None, 120, "steps to run"
    )
    assert proc.poll() is None, proc.communicate()
    tree = psutil.Process(proc.pid).children(recursive=True)
    kernels = {int(m.name.split("-")[0]) for m in marks.iterdir()}
    assert kernels <= {p.pid for p in tree}
    proc.send_signal(signum)
    _, err = proc.communicate(timeout=60)
    return tree, err


@pytest.mark.parametrize(
    ("signum", "code", "jobs"), [(signal.SIGTERM, 143, 2), (signal.SIGINT, 130, 1)]
)
def test_a_signal_stops_a_run_cleanly(small_sample, tmp_path, signum, code, jobs) -> None:
    notebooks = tmp_path / "nbs"
    notebooks.mkdir()
    _notebook(notebooks, "00_quick", STEP_PARAMS)
    out = tmp_path / "out"
    good = run_pilot(small_sample, out=out, notebooks=notebooks)
    base = good.report_dir.parent
    before = _snapshot(base)
    assert (base / "latest").is_symlink()
    _notebook(notebooks, "01_slow", STEP_PARAMS)
    _notebook(notebooks, "02_slow", STEP_PARAMS)
    marks = tmp_path / "marks"
    marks.mkdir()
    env = {
        "PLAYBOOK_NOTEBOOKS": str(notebooks),
        "PB_TEST_MARKS": str(marks),
        "PB_TEST_SLEEP": "120",
        "TMPDIR": str(tmp_path / "tmp"),
    }
    (tmp_path / "tmp").mkdir()
    proc = _start(["run", str(small_sample), "--out", str(out), "--jobs", str(jobs)], env)
    tree, err = _stop_once_running(proc, marks, jobs, signum)
    assert proc.returncode == code, err
    name = signal.Signals(signum).name
    assert f"playbook: stopped by {name}: workers stopped, temporary folders removed" in err
    assert "Traceback" not in err
    # The last good report and 'latest' are as they were; nothing else is left behind.
    assert _snapshot(base) == before
    assert not list(base.glob(".*")) and not list(base.glob("failed-*"))
    assert not list((tmp_path / "tmp").iterdir()), "kernel sockets or connection files left"
    # Workers and kernels (kernels run in sessions of their own) are gone.
    _wait_for(lambda: _gone(tree), 10, "workers and kernels to end")
    assert not _in_group(proc.pid)


def _monthly_notebooks(folder: Path) -> Path:
    folder.mkdir(parents=True, exist_ok=True)
    _notebook(folder, MONTHLY_NOTEBOOK, MONTHLY_PARAMS)
    return folder


def test_a_signal_stops_a_monthly_batch_cleanly(small_sample, tmp_path, monkeypatch) -> None:
    notebooks = _monthly_notebooks(tmp_path / "nbs")
    out = tmp_path / "out"
    monkeypatch.setenv("PB_TEST_RUN", "first")
    first = run_monthly(
        small_sample, MONTH, units=["East", "North"], out=out, notebooks=notebooks, jobs=1
    )
    assert first.ok, [u.error for u in first.failed]
    before = _snapshot(first.base)
    marks = tmp_path / "marks"
    marks.mkdir()
    env = {"PLAYBOOK_NOTEBOOKS": str(notebooks), "PB_TEST_MARKS": str(marks)}
    env |= {"PB_TEST_SLEEP": "120", "PB_TEST_RUN": "second"}
    argv = ["monthly", str(small_sample), "--month", MONTH, "--out", str(out)]
    proc = _start([*argv, "--unit", "East", "--unit", "North", "--jobs", "2"], env)
    tree, err = _stop_once_running(proc, marks, 2, signal.SIGTERM)
    assert proc.returncode == 143, err
    assert "playbook: stopped by SIGTERM: workers stopped" in err and "Traceback" not in err
    _wait_for(lambda: _gone(tree), 10, "workers and kernels to end")
    assert not _in_group(proc.pid)
    after = _snapshot(first.base)
    # Only the batch log grew; reports, 'latest', the index and batch.json are unchanged.
    log = f"logs/{MONTH}.log"
    assert "stopped by SIGTERM" in after.pop(log).decode() and before.pop(log)
    assert after == before
    assert not list(first.base.glob(".*")) and not list(first.base.glob("*/.tmp-*"))


def test_workers_of_a_killed_monthly_batch_publish_nothing(
    small_sample, tmp_path, monkeypatch
) -> None:
    notebooks = _monthly_notebooks(tmp_path / "nbs")
    out = tmp_path / "out"
    monkeypatch.setenv("PB_TEST_RUN", "first")
    first = run_monthly(small_sample, MONTH, units=["East", "North"], out=out, notebooks=notebooks)
    assert first.ok
    before = {u: _snapshot(first.base / u) for u in ("East", "North")}
    marks = tmp_path / "marks"
    marks.mkdir()
    sleep = 6.0
    env = {"PLAYBOOK_NOTEBOOKS": str(notebooks), "PB_TEST_MARKS": str(marks)}
    env |= {"PB_TEST_SLEEP": str(sleep), "PB_TEST_RUN": "orphan"}
    argv = ["monthly", str(small_sample), "--month", MONTH, "--out", str(out)]
    proc = _start([*argv, "--unit", "East", "--unit", "North", "--jobs", "2"], env)
    _wait_for(lambda: len(list(marks.iterdir())) >= 2 or proc.poll() is not None, 120, "units")
    tree = psutil.Process(proc.pid).children(recursive=True)
    killed_at = time.monotonic()
    proc.kill()  # SIGKILL: the parent cannot clean up; its workers are orphans now
    proc.wait(timeout=30)
    # By the time the orphans' steps have finished sleeping, nothing has been published.
    time.sleep(max(0.0, killed_at + sleep + 3 - time.monotonic()))
    for unit in ("East", "North"):
        assert _snapshot(first.base / unit) == before[unit]
        assert (first.base / unit / MONTH / "run.txt").read_text() == "first"
    # They noticed their parent was gone, stopped their kernels and ended.
    _wait_for(lambda: _gone(tree), 15, "orphaned workers and kernels to end")
    proc.stdout.close()
    proc.stderr.close()
    assert (first.base / f".lock-{MONTH}").exists(), "the killed run could not release its lock"
    # Its owner and workers are gone: the next run takes the lock over and publishes.
    monkeypatch.setenv("PB_TEST_RUN", "next")
    again = run_monthly(small_sample, MONTH, units=["East"], out=out, notebooks=notebooks)
    assert again.ok, [u.error for u in again.failed]
    assert (first.base / "East" / MONTH / "run.txt").read_text() == "next"
    assert not (first.base / f".lock-{MONTH}").exists()
    assert not list(first.base.glob("*/.tmp-*")) and not list(first.base.glob(".cache-*"))


def _lock_file(path: Path, holder: dict, token: str = "t0") -> dict:
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(json.dumps({**holder, "token": token}), encoding="utf-8")
    return {"path": str(path), "token": token, "owner": holder}


def _sleeper() -> subprocess.Popen:
    return subprocess.Popen([sys.executable, "-c", "import time; time.sleep(120)"])


def test_the_lock_waits_for_workers_of_a_killed_run(tmp_path) -> None:
    """Owner gone but a worker it started still runs: the lock is not taken over."""
    lock = tmp_path / f".lock-{MONTH}"
    owner, worker = _sleeper(), _sleeper()
    try:
        old = _lock_file(lock, identity(owner.pid))
        owner.kill()
        owner.wait()
        workers = tmp_path / f".lock-{MONTH}.workers"
        workers.mkdir()
        (workers / f"{socket.gethostname()}-{worker.pid}.json").write_text(
            json.dumps(identity(worker.pid)), encoding="utf-8"
        )
        assert not may_publish(old), "the owner is dead: its workers must not publish"
        with pytest.raises(BatchLocked, match=rf"worker processes \(pid {worker.pid}\) still run"):
            MonthLock(lock).__enter__()
    finally:
        worker.kill()
        worker.wait()
    with MonthLock(lock) as taken:
        assert json.loads(lock.read_text())["pid"] == os.getpid()
        assert may_publish(taken.info) and not may_publish(old)
    assert not lock.exists() and not workers.exists()


def test_the_lock_is_not_fooled_by_a_reused_pid(tmp_path) -> None:
    lock = tmp_path / f".lock-{MONTH}"
    holder = _sleeper()
    try:
        real = identity(holder.pid)
        _lock_file(lock, real)
        with pytest.raises(BatchLocked, match="in progress"):
            MonthLock(lock).__enter__()
        # The same pid with another start time is another process: the owner is gone.
        _lock_file(lock, {**real, "start": real["start"] - 3600})
        with MonthLock(lock):
            assert json.loads(lock.read_text())["pid"] == os.getpid()
    finally:
        holder.kill()
        holder.wait()


def test_a_unit_whose_run_ended_meanwhile_publishes_nothing(
    small_sample, tmp_path, monkeypatch
) -> None:
    """The owner dies while the unit's notebook runs: the finished unit is not moved in."""
    notebooks = _monthly_notebooks(tmp_path / "nbs")
    owner = _sleeper()
    try:
        info = _lock_file(tmp_path / "monthly" / f".lock-{MONTH}", identity(owner.pid))
        monkeypatch.setenv("PB_TEST_KILL", str(owner.pid))
        raw = read_workspace(small_sample)
        base = tmp_path / "monthly" / "all"
        task = {
            "workspace": str(small_sample),
            "unit": "all",
            "month": MONTH,
            "language": "en",
            "cache_dir": str(tmp_path / "cache"),
            "base": str(base),
            "notebooks": str(notebooks),
            "steps": [],
            "timeout": 120,
            "previous_summary": "",
            "config": raw.config.model_dump(mode="json"),
            "raw": raw,
            "month_end": month_bounds(MONTH)[1].isoformat(),
            "lock": info,
        }
        result = run_unit(task)
    finally:
        owner.kill()
        owner.wait()
    assert not result["ok"] and "nothing was published" in result["error"]
    assert sorted(p.name for p in base.iterdir()) == [], "no report, no latest, no temporary"
