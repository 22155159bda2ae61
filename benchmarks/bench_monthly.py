"""Wall time of a 20-unit monthly batch with --jobs 1 and --jobs 2.

Builds a sample workspace whose deals are spread over 20 business units (the
``region`` column is rewritten to U01…U20), then runs ``playbook monthly`` over all
units with one and with two worker processes, in a fresh process each, and prints
the speed-up. Target (issue 7): close to 2× on 2 cores.

    python benchmarks/bench_monthly.py --deals 8000 --units 20 --repeat 1
"""

from __future__ import annotations

import argparse
import json
import os
import shutil
import subprocess
import sys
import time
from pathlib import Path

import numpy as np
import pandas as pd

HERE = Path(__file__).resolve().parent
DATA = HERE / ".data"


def build_workspace(deals: int, units: int, seed: int) -> Path:
    """A sample workspace with ``units`` values in the unit column (cached on disk)."""
    from playbook.sample import generate

    folder = DATA / f"monthly_{deals}_{units}_{seed}"
    if (folder / "pilot.yml").exists():
        return folder
    shutil.rmtree(folder, ignore_errors=True)
    generate(folder, seed=seed, deals=deals)
    frame = pd.read_csv(folder / "deals.csv", dtype=str, keep_default_na=False)
    rng = np.random.default_rng(seed)
    frame["region"] = [f"U{u + 1:02d}" for u in rng.integers(0, units, len(frame))]
    frame.to_csv(folder / "deals.csv", index=False, lineterminator="\n")
    return folder


def run(workspace: Path, jobs: int, month: str) -> float:
    out = DATA / f"monthly_out_jobs{jobs}"
    shutil.rmtree(out, ignore_errors=True)
    start = time.perf_counter()
    done = subprocess.run(
        [
            sys.executable,
            "-m",
            "playbook.cli",
            "-q",
            "monthly",
            str(workspace),
            "--month",
            month,
            "--all-units",
            "--jobs",
            str(jobs),
            "--out",
            str(out),
        ],
        capture_output=True,
        text=True,
        check=False,
    )
    seconds = time.perf_counter() - start
    if done.returncode != 0:
        raise SystemExit(f"monthly run failed (exit {done.returncode}):\n{done.stderr[-2000:]}")
    return seconds


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--deals", type=int, default=8000)
    parser.add_argument("--units", type=int, default=20)
    parser.add_argument("--month", default="2026-10")
    parser.add_argument("--seed", type=int, default=3)
    parser.add_argument("--repeat", type=int, default=1)
    args = parser.parse_args(argv)
    workspace = build_workspace(args.deals, args.units, args.seed)
    results = {}
    for jobs in (1, 2):
        results[jobs] = min(run(workspace, jobs, args.month) for _ in range(args.repeat))
        print(f"--jobs {jobs}: {results[jobs]:.1f} s", flush=True)
    speedup = results[1] / results[2]
    load = os.getloadavg()[0]
    print(
        json.dumps(
            {
                "deals": args.deals,
                "units": args.units,
                "jobs1_s": round(results[1], 1),
                "jobs2_s": round(results[2], 1),
                "speedup": round(speedup, 2),
                "load_average_1min": round(load, 1),
            }
        )
    )
    return 0


if __name__ == "__main__":
    sys.exit(main())
