"""Benchmark: the whole pilot (`playbook run`) on the sample company at several sizes.

The sample company (``playbook sample``: seed 42, as ``bench_intake.py`` uses) at each
``--deals`` size is generated once under ``benchmarks/.data/`` as CSV files. Each
measurement runs ``playbook run WS --out <fresh folder>`` as a client would (a new
process, a fresh ``PLAYBOOK_HOME`` so the intake cache starts empty unless ``--warm``)
and reports:

* wall time of the whole command;
* the intake (reading and checking the tables): from the start until the runner says
  how many steps it runs;
* each step's own time, as the runner prints it (steps run in parallel on
  ``--jobs`` kernels, so they add up to more than the wall time);
* peak memory of the process tree: the highest sum of the resident set sizes of the
  command and every process it started (kernels included), sampled every 0.1 s; and the
  same peak until the steps start (the intake's).

Usage::

    python benchmarks/bench_pilot.py --deals 20000 200000 [--jobs 2] [--warm] [--json FILE]
"""

from __future__ import annotations

import argparse
import json
import os
import re
import subprocess
import sys
import tempfile
import threading
import time
from pathlib import Path

import psutil
from bench_intake import workspace  # the same generated sample, shared on disk

HERE = Path(__file__).resolve().parent
DEFAULT_DATA = HERE / ".data"
PLAYBOOK = Path(sys.executable).with_name("playbook")  # the command of this environment
STEP_LINE = re.compile(r"^\[\d+/\d+\] (?P<step>\S+): ok \((?P<seconds>[\d.]+) s\)")
RUNNING_LINE = re.compile(r"running \d+ step")
SIZE_LINE = re.compile(r"Validated .*: (?P<deals>[\d,]+) deals, (?P<events>[\d,]+) stage events")


class TreeMemory:
    """The highest summed RSS of a process and all its descendants, sampled in a thread."""

    def __init__(self, pid: int, every: float = 0.1) -> None:
        self.root = psutil.Process(pid)
        self.every = every
        self.peak = 0
        self._stop = threading.Event()
        self._thread = threading.Thread(target=self._sample, daemon=True)
        self._thread.start()

    def _sample(self) -> None:
        while not self._stop.is_set():
            total = 0
            try:
                for proc in [self.root, *self.root.children(recursive=True)]:
                    try:
                        total += proc.memory_info().rss
                    except psutil.Error:  # a kernel that just ended
                        pass
            except psutil.Error:
                return
            self.peak = max(self.peak, total)
            self._stop.wait(self.every)

    def stop(self) -> int:
        self._stop.set()
        self._thread.join()
        return self.peak


def run_pilot(ws: Path, jobs: int, warm: bool) -> dict:
    """One ``playbook run`` in a fresh output folder; its timings and peak memory."""
    with tempfile.TemporaryDirectory() as scratch:
        env = dict(os.environ, PLAYBOOK_HOME=str(Path(scratch) / "home"))
        if warm:  # validate once, untimed, so the run reads the intake cache
            subprocess.run(
                [str(PLAYBOOK), "validate", str(ws)],
                env=env,
                check=True,
                capture_output=True,
            )
        command = [str(PLAYBOOK), "run", str(ws), "--out", str(Path(scratch) / "out")]
        command += ["--jobs", str(jobs)]
        started = time.perf_counter()
        proc = subprocess.Popen(
            command, env=env, stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True
        )
        memory = TreeMemory(proc.pid)
        row: dict = {"steps": {}}
        for line in proc.stdout:  # type: ignore[union-attr]
            now = time.perf_counter() - started
            if RUNNING_LINE.search(line):
                row["intake_s"] = round(now, 2)
                row["intake_peak_mib"] = round(memory.peak / 2**20)
            if size := SIZE_LINE.search(line):
                row["deals"] = int(size["deals"].replace(",", ""))
                row["stage_events"] = int(size["events"].replace(",", ""))
            if step := STEP_LINE.match(line.strip()):
                row["steps"][step["step"]] = float(step["seconds"])
        code = proc.wait()
        row["wall_s"] = round(time.perf_counter() - started, 2)
        row["peak_mib"] = round(memory.stop() / 2**20)
        if code != 0:
            raise SystemExit(f"playbook run failed on {ws} (exit {code})")
    return row


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--deals", type=int, nargs="+", default=[20000])
    parser.add_argument("--jobs", type=int, default=2, help="steps run in parallel")
    parser.add_argument("--warm", action="store_true", help="intake from the cache")
    parser.add_argument("--data", type=Path, default=DEFAULT_DATA)
    parser.add_argument("--json", type=Path, default=None)
    args = parser.parse_args(argv)
    if not PLAYBOOK.exists():
        print(f"no `playbook` command beside {sys.executable}: run `make setup` first")
        return 2
    results = []
    for deals in args.deals:
        generated = time.perf_counter()
        ws = workspace(deals, args.data)
        made = time.perf_counter() - generated
        row = {"sample_s": round(made, 1), **run_pilot(ws, args.jobs, args.warm)}
        results.append(row)
        slowest = max(row["steps"].items(), key=lambda kv: kv[1])
        print(
            f"{deals:>9,} deals: pilot {row['wall_s']:7.1f} s wall, "
            f"intake {row['intake_s']:6.1f} s, slowest step {slowest[0]} {slowest[1]:.1f} s, "
            f"peak {row['peak_mib']:,} MiB (process tree)",
            flush=True,
        )
    if args.json:
        args.json.write_text(json.dumps(results, indent=1), encoding="utf-8")
    return 0


if __name__ == "__main__":
    sys.exit(main())
