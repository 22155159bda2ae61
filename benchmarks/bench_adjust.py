"""Benchmark: what comparing reps on like deals adds to the capability step (target: < 20%).

The capability step (:func:`playbook.steps.capability.analyse`, what notebook 04 calls) runs on the
sample company (``playbook sample``: seed 42, 20,000 deals, validated and cached as Parquet
once under ``benchmarks/.data/``) with the deal-mix adjustment off (``adjust=False``: raw
ranking, as before the adjustment existed) and on (the default: the deal-mix model, the
adjusted ranking with the raw one beside it, the "why" sentences). The two are run
alternately in one process, ``--repeat`` times each after a warm-up run of both, with a
garbage collection (untimed) before every run; the report gives the fastest and the median
wall time and process CPU time of each, and the overhead of the adjustment on the medians,
over pairs of runs (each adjusted run against the raw run just before it) and on the fastest
runs. Process CPU time is the steadier figure when other processes share the machine. The
parts the adjustment adds are also timed on their own: fitting the deal-mix model
(:func:`playbook.steps.adjust.fit_mix_model`) and the "why" sentences
(:func:`playbook.steps.adjust.mix_reasons`).

With ``--notebook N`` the whole step as a report runs it is timed too: ``playbook run WS
--only 04`` (the notebook: load the cache, analyse, draw six figures, write the tables and the
page), ``N`` times each with ``adjustment.enabled`` on and off, alternately, reading the step's
time from the runner's progress line.

Usage::

    python benchmarks/bench_adjust.py --deals 20000 --repeat 15 [--notebook 3] [--json out.json]
"""

from __future__ import annotations

import argparse
import gc
import json
import re
import shutil
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

HERE = Path(__file__).resolve().parent
DEFAULT_OUT = HERE / ".data"
DEFAULT_SEED = 42


def cached_workspace(deals: int, seed: int, out: Path) -> Path:
    """The validated Parquet cache of a generated sample, built on first use."""
    from playbook import sample
    from playbook.workspace import load

    folder = out / f"adjust-deals{deals}-seed{seed}"
    cache = folder / "cache"
    if not (cache / load.CACHE_CONFIG).exists():
        sample.generate(folder / "workspace", seed=seed, deals=deals)
        load.save_cache(load.open_dataset(folder / "workspace"), cache)
    return cache


def notebook_step(deals: int, seed: int, repeat: int, out: Path) -> dict:
    """Seconds of ``playbook run --only 04`` with the adjustment off and on, alternately."""
    import yaml

    cached_workspace(deals, seed, out)
    source = out / f"adjust-deals{deals}-seed{seed}" / "workspace"
    playbook = Path(sys.executable).with_name("playbook")
    times: dict[str, list[float]] = {"raw": [], "adjusted": []}
    with tempfile.TemporaryDirectory() as tmp:
        spaces = {}
        for name, enabled in (("raw", False), ("adjusted", True)):
            ws = Path(tmp) / name
            shutil.copytree(source, ws)
            config = yaml.safe_load((ws / "pilot.yml").read_text(encoding="utf-8"))
            config["adjustment"] = {"enabled": enabled}
            (ws / "pilot.yml").write_text(yaml.safe_dump(config, allow_unicode=True), "utf-8")
            spaces[name] = ws
        for _ in range(repeat):
            for name, ws in spaces.items():
                done = subprocess.run(
                    [str(playbook), "run", str(ws), "--only", "04", "--out", str(Path(tmp) / "r")],
                    capture_output=True,
                    text=True,
                    check=True,
                )
                found = re.search(r"04_capability_radar: ok \(([\d.]+) s\)", done.stderr)
                times[name].append(float(found.group(1)))
    summary = {name: {"min": min(v), "median": statistics.median(v)} for name, v in times.items()}
    summary["overhead"] = round(summary["adjusted"]["min"] / summary["raw"]["min"] - 1, 4)
    return summary


def _timed(fn) -> tuple[float, float]:
    gc.collect()  # untimed: a collection left over from the previous run is not charged here
    wall, cpu = time.perf_counter(), time.process_time()
    fn()
    return time.perf_counter() - wall, time.process_time() - cpu


def run(deals: int, seed: int, repeat: int, out: Path) -> dict:
    from playbook.steps import adjust, capability, journey
    from playbook.workspace import load

    data = load.load_cache(cached_workspace(deals, seed, out))
    times: dict[str, dict[str, list[float]]] = {
        name: {"wall": [], "cpu": []} for name in ("raw", "adjusted", "model", "reasons")
    }
    capability.analyse(data, adjust=False)
    capability.analyse(data, adjust=True)
    j = journey.prepare(data.deals, data.stage_events, data.config)
    model = adjust.fit_mix_model(j, data.config)
    for _ in range(repeat):
        for name, adjust_on in (("raw", False), ("adjusted", True)):
            wall, cpu = _timed(lambda a=adjust_on: capability.analyse(data, adjust=a))
            times[name]["wall"].append(wall)
            times[name]["cpu"].append(cpu)
        wall, cpu = _timed(lambda: adjust.fit_mix_model(j, data.config))
        times["model"]["wall"].append(wall)
        times["model"]["cpu"].append(cpu)
        wall, cpu = _timed(lambda: adjust.mix_reasons(model, data.config))
        times["reasons"]["wall"].append(wall)
        times["reasons"]["cpu"].append(cpu)
    summary = {
        name: {
            f"{kind}_{stat}": round(fn(values[kind]), 4)
            for kind in ("wall", "cpu")
            for stat, fn in (("min", min), ("median", statistics.median))
        }
        for name, values in times.items()
    }
    for kind in ("wall", "cpu"):
        raw = summary["raw"][f"{kind}_min"]
        summary[f"overhead_{kind}"] = round(summary["adjusted"][f"{kind}_min"] / raw - 1, 4)
        median = summary["raw"][f"{kind}_median"]
        summary[f"median_overhead_{kind}"] = round(
            summary["adjusted"][f"{kind}_median"] / median - 1, 4
        )
        # each adjusted run against the raw run just before it: steadier under a shared load
        paired = [
            a / r - 1 for a, r in zip(times["adjusted"][kind], times["raw"][kind], strict=True)
        ]
        summary[f"paired_overhead_{kind}_median"] = round(statistics.median(paired), 4)
    summary["deals"] = deals
    summary["seed"] = seed
    summary["repeat"] = repeat
    return summary


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--deals", type=int, default=20000)
    parser.add_argument("--seed", type=int, default=DEFAULT_SEED)
    parser.add_argument("--repeat", type=int, default=7)
    parser.add_argument("--data", type=Path, default=DEFAULT_OUT)
    parser.add_argument("--notebook", type=int, default=0, help="also time the notebook N times")
    parser.add_argument("--json", type=Path)
    args = parser.parse_args(argv)
    summary = run(args.deals, args.seed, args.repeat, args.data)
    if args.notebook:
        summary["notebook"] = notebook_step(args.deals, args.seed, args.notebook, args.data)
    print(f"capability step on {args.deals:,} deals (seed {args.seed}), {args.repeat} runs each")
    for name in ("raw", "adjusted", "model", "reasons"):
        s = summary[name]
        print(
            f"  {name:9s} wall min {s['wall_min']:.3f} s (median {s['wall_median']:.3f}) · "
            f"cpu min {s['cpu_min']:.3f} s (median {s['cpu_median']:.3f})"
        )
    print(
        "  adjustment adds: "
        f"medians {100 * summary['median_overhead_cpu']:.1f}% CPU "
        f"({100 * summary['median_overhead_wall']:.1f}% wall); "
        f"paired runs {100 * summary['paired_overhead_cpu_median']:.1f}% CPU "
        f"({100 * summary['paired_overhead_wall_median']:.1f}% wall); "
        f"fastest runs {100 * summary['overhead_cpu']:.1f}% CPU "
        f"({100 * summary['overhead_wall']:.1f}% wall)"
    )
    if args.notebook:
        nb = summary["notebook"]
        print(
            f"  notebook 04 (playbook run --only 04): raw min {nb['raw']['min']:.1f} s, adjusted "
            f"min {nb['adjusted']['min']:.1f} s: adds {100 * nb['overhead']:.1f}%"
        )
    if args.json:
        args.json.write_text(json.dumps(summary, indent=2) + "\n", encoding="utf-8")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
