"""Benchmark: loading and validating a workspace (intake), cold and from the intake cache.

The sample company (``playbook sample``: seed 42) at each ``--deals`` size is generated
once under ``benchmarks/.data/`` as CSV files, as a client would send them. Each
measurement is a fresh Python process (imports excluded from the timings) that runs:

* ``cold``: :func:`playbook.workspace.load.load_workspace` — read every CSV, parse, check (the
  intake cache is switched off with ``PLAYBOOK_CACHE=off``);
* ``warm``: :func:`playbook.workspace.quarantine.load_quarantining` twice with the cache on (in a
  fresh ``PLAYBOOK_HOME``): the first run validates and writes the cache, the second
  reads it; both are reported.

Wall time and process CPU time (all threads) are reported, fastest of ``--repeat``.
``--pythonpath DIR`` times another copy of the package (e.g. an older commit unpacked
with ``git archive <commit> playbook | tar -x -C DIR``) for a before/after comparison;
a package without the intake cache is timed ``cold`` only.

Usage::

    python benchmarks/bench_intake.py --deals 20000 200000 --repeat 3 [--pythonpath DIR]
"""

from __future__ import annotations

import argparse
import json
import os
import subprocess
import sys
import tempfile
from pathlib import Path

HERE = Path(__file__).resolve().parent
DEFAULT_OUT = HERE / ".data"

CHILD = r"""
import json, os, sys, time
from pathlib import Path
ws, mode = sys.argv[1], sys.argv[2]
import pandas, playbook.workspace.load  # imports are not part of the timing
out = {}
def timed(name, call):
    w, c = time.perf_counter(), time.process_time()
    result = call()
    out[name] = {"wall_s": time.perf_counter() - w, "cpu_s": time.process_time() - c}
    return result
if mode == "cold":
    data = timed("cold", lambda: playbook.workspace.load.load_workspace(ws))
else:
    from playbook.workspace.quarantine import load_quarantining
    timed("first", lambda: load_quarantining(ws))
    data = timed("cached", lambda: load_quarantining(ws)[0])
out["package"] = str(Path(playbook.workspace.load.__file__).parent)
out["deals"], out["stage_events"] = len(data.deals), len(data.stage_events)
out["activities"] = 0 if data.activities is None else len(data.activities)
print(json.dumps(out))
"""


def workspace(deals: int, out: Path) -> Path:
    """The generated sample at ``deals`` deals (CSV), built on first use."""
    folder = out / f"intake-deals{deals}-seed42"
    if not (folder / "deals.csv").exists():
        from playbook.sample import generate

        generate(folder, seed=42, deals=deals)
    return folder


def measure(ws: Path, mode: str, pythonpath: str | None) -> dict:
    env = dict(os.environ)
    if pythonpath:
        env["PYTHONPATH"] = pythonpath
    with tempfile.TemporaryDirectory() as home:
        env["PLAYBOOK_HOME"] = home
        env["PLAYBOOK_CACHE"] = "off" if mode == "cold" else "on"
        done = subprocess.run(
            [sys.executable, "-c", CHILD, str(ws), mode],
            env=env,
            capture_output=True,
            text=True,
            check=True,
            cwd=home,  # not the checkout: the package timed is the one on PYTHONPATH
        )
    return json.loads(done.stdout.strip().splitlines()[-1])


def fastest(runs: list[dict], name: str) -> dict:
    return min((r[name] for r in runs), key=lambda r: r["wall_s"])


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--deals", type=int, nargs="+", default=[20000])
    parser.add_argument("--repeat", type=int, default=3)
    parser.add_argument("--data", type=Path, default=DEFAULT_OUT)
    parser.add_argument("--pythonpath", default=None, help="time this copy of the package")
    parser.add_argument("--json", type=Path, default=None)
    args = parser.parse_args(argv)
    has_cache = True
    if args.pythonpath:
        has_cache = (Path(args.pythonpath) / "playbook" / "intake_cache.py").exists()
    results = []
    for deals in args.deals:
        ws = workspace(deals, args.data)
        cold = [measure(ws, "cold", args.pythonpath) for _ in range(args.repeat)]
        keys = ("stage_events", "activities", "package")
        row = {"deals": deals, **{k: cold[0][k] for k in keys}}
        row["cold"] = fastest(cold, "cold")
        if has_cache:
            warm = [measure(ws, "warm", args.pythonpath) for _ in range(args.repeat)]
            row["first"], row["cached"] = fastest(warm, "first"), fastest(warm, "cached")
        results.append(row)
        parts = [f"{deals:>9,} deals ({row['package']})"]
        for name in ("cold", "first", "cached"):
            if name in row:
                parts.append(
                    f"{name} {row[name]['wall_s']:6.2f} s wall {row[name]['cpu_s']:6.2f} s cpu"
                )
        print("  ".join(parts), flush=True)
    if args.json:
        args.json.write_text(json.dumps(results, indent=1), encoding="utf-8")
    return 0


if __name__ == "__main__":
    sys.exit(main())
