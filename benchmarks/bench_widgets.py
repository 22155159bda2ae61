"""Benchmark: how fast the explorer answers a filter change (target: well under a second).

A seeded sample company (``playbook.sample.generate``, with activities, reps and
assessments, so every tab has work to do) is written, validated and cached as Parquet
once per size under ``benchmarks/.data/``; each run then loads the cache and builds one
:class:`playbook.explore.widgets.Explorer`, as a dashboard kernel does. Then it changes filters the
way an HR partner would, each scenario ``--repeat`` times with different values, and reports
per scenario the median and worst wall time of the whole re-render (compute every table
and figure frame, show the summary and notes, draw the visible tab), split into compute
and render, and the process CPU time (stable when other processes share the machine).
Every change is timed cold: the explorer's memory of recent slices and figures is cleared
first (in use, going back to a slice seen a moment ago is nearly free).

Scenarios: one filter in each dimension (segment, region, period, team, rep, reached
stage); "this slice vs the rest" and "two slices side by side" (two groups to compute and
draw); switching to the Stage matrix tab (draw only); and, with ``lazy=False``, a
segment change that redraws every tab.

Usage::

    python benchmarks/bench_widgets.py --deals 100000 --repeat 5 [--json out.json]
"""

from __future__ import annotations

import argparse
import json
import os
import statistics
import time
from collections.abc import Callable
from pathlib import Path

HERE = Path(__file__).resolve().parent
DEFAULT_OUT = HERE / ".data"
DEFAULT_SEED = 3


def cached_workspace(deals: int, seed: int, out: Path) -> tuple[Path, dict[str, float]]:
    """The validated Parquet cache of a generated sample, built on first use."""
    from playbook import sample
    from playbook.workspace import load

    folder = out / f"widgets-deals{deals}-seed{seed}"
    cache = folder / "cache"
    timings: dict[str, float] = {}
    if (cache / load.CACHE_CONFIG).exists():
        return cache, timings
    started = time.perf_counter()
    sample.generate(folder / "workspace", seed=seed, deals=deals)
    timings["generate_s"] = time.perf_counter() - started
    started = time.perf_counter()
    dataset = load.open_dataset(folder / "workspace")
    timings["validate_s"] = time.perf_counter() - started
    load.save_cache(dataset, cache)
    return cache, timings


def _measure(ex, change: Callable[[int], object], repeat: int) -> dict[str, float]:
    """Time ``change``; one returning (wall, cpu) times itself (a part of what it does)."""
    walls, cpus, computes, renders = [], [], [], []
    for i in range(repeat):
        _forget(ex)
        wall, cpu = time.perf_counter(), time.process_time()
        own = change(i)
        if isinstance(own, tuple):
            walls.append(own[0])
            cpus.append(own[1])
        else:
            walls.append(time.perf_counter() - wall)
            cpus.append(time.process_time() - cpu)
        computes.append(ex.timings.get("compute", 0.0))
        renders.append(ex.timings.get("render", 0.0))
    return {
        "median_s": statistics.median(walls),
        "max_s": max(walls),
        "median_cpu_s": statistics.median(cpus),
        "median_compute_s": statistics.median(computes),
        "median_render_s": statistics.median(renders),
    }


def _forget(ex) -> None:
    """Drop what the explorer remembers of earlier slices and figures: time cold changes."""
    ex._slice_cache.clear()
    ex._capability_cache.clear()
    ex._image_keys.clear()


def _reset(ex) -> None:
    from playbook.explore.widgets import ALL

    with ex.hold():
        ex.mode.value = "single"
        for filters in (ex.filters, ex.filters_b):
            for name, widget in filters.items():
                first, last = ex.data.months[0], ex.data.months[-1]
                widget.value = (first, last) if name == "period" else ALL
    ex.tabs.selected_index = 0


def scenarios(ex) -> dict[str, Callable[[int], object]]:
    """Name -> a change of the explorer's widgets (argument: the repetition number)."""
    opts = ex.data.options
    months = ex.data.months

    def pick(name: str, i: int) -> str:
        return opts[name][i % len(opts[name])]

    def period(i: int) -> None:
        end = len(months) - 1 - (i % 3)
        ex.filters["period"].value = (months[max(end - 2, 0)], months[end])

    def rest(i: int) -> None:
        ex.mode.value = "rest"
        ex.filters["segment"].value = pick("segment", i)

    def two(i: int) -> None:
        ex.mode.value = "two"
        ex.filters_b["region"].value = pick("region", i)

    def tab(i: int) -> tuple[float, float]:
        ex.tabs.selected_index = 0
        ex.filters["segment"].value = pick("segment", i)  # the other tabs are now stale
        wall, cpu = time.perf_counter(), time.process_time()
        ex.tabs.selected_index = 1 + i % 2  # stage matrix or handoffs: drawn now
        wall, cpu = time.perf_counter() - wall, time.process_time() - cpu
        ex.timings = {"compute": 0.0, "render": wall}
        return wall, cpu

    out: dict[str, Callable[[int], object]] = {
        "segment": lambda i: setattr(ex.filters["segment"], "value", pick("segment", i)),
        "region": lambda i: setattr(ex.filters["region"], "value", pick("region", i)),
        "period (last quarter)": period,
    }
    if "team" in ex.filters:
        out["team"] = lambda i: setattr(ex.filters["team"], "value", pick("team", i))
    out["rep"] = lambda i: setattr(ex.filters["rep"], "value", pick("rep", i))
    out["reached stage"] = lambda i: setattr(ex.filters["stage"], "value", pick("stage", i + 1))
    out["slice vs rest: segment"] = rest
    out["two slices: region of B"] = two
    out["open another tab (draw only)"] = tab
    return out


def run(deals: int, seed: int, repeat: int, out: Path) -> dict:
    """Build an explorer on ``deals`` deals and time every scenario."""
    from playbook.explore.widgets import Explorer
    from playbook.workspace import load

    cache, prep = cached_workspace(deals, seed, out)
    started = time.perf_counter()
    dataset = load.load_cache(cache)
    read_s = time.perf_counter() - started
    started = time.perf_counter()
    ex = Explorer(dataset, lazy=True)
    build_s = time.perf_counter() - started
    result = {
        "deals": len(dataset.deals),
        "stage_events": len(dataset.stage_events),
        "activities": 0 if dataset.activities is None else len(dataset.activities),
        "reps": int(dataset.deals["owner_id"].nunique()),
        **prep,
        "read_cache_s": read_s,
        "build_explorer_s": build_s,
        "load_average": os.getloadavg()[0],
        "cpus": os.cpu_count(),
        "scenarios": {},
    }
    for name, change in scenarios(ex).items():
        _reset(ex)
        result["scenarios"][name] = _measure(ex, change, repeat)
    eager = Explorer(dataset, lazy=False)
    result["scenarios"]["segment, every tab drawn (lazy=False)"] = _measure(
        eager,
        lambda i: setattr(eager.filters["segment"], "value", eager.data.options["segment"][i % 3]),
        repeat,
    )
    result["load_average_after"] = os.getloadavg()[0]
    return result


def report(result: dict) -> str:
    """A Markdown table of one run."""
    lines = [
        f"{result['deals']:,} deals, {result['stage_events']:,} stage events, "
        f"{result['activities']:,} activities, {result['reps']} reps; "
        f"read cache {result['read_cache_s']:.2f} s, build explorer "
        f"{result['build_explorer_s']:.2f} s; load average {result['load_average']:.1f} "
        f"→ {result['load_average_after']:.1f} on {result['cpus']} CPUs",
        "",
        "| filter change | median s | worst s | compute s | render s | CPU s |",
        "|---|---:|---:|---:|---:|---:|",
    ]
    for name, m in result["scenarios"].items():
        lines.append(
            f"| {name} | {m['median_s']:.3f} | {m['max_s']:.3f} | "
            f"{m['median_compute_s']:.3f} | {m['median_render_s']:.3f} | "
            f"{m['median_cpu_s']:.3f} |"
        )
    return "\n".join(lines)


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--deals", type=int, nargs="+", default=[100_000])
    parser.add_argument("--seed", type=int, default=DEFAULT_SEED)
    parser.add_argument("--repeat", type=int, default=5)
    parser.add_argument("--out", type=Path, default=DEFAULT_OUT)
    parser.add_argument("--json", type=Path, default=None, help="also write the results here")
    args = parser.parse_args(argv)
    os.environ.setdefault("MPLBACKEND", "Agg")
    results = []
    for deals in args.deals:
        result = run(deals, args.seed, args.repeat, args.out)
        results.append(result)
        print(report(result), flush=True)
        print()
    if args.json:
        args.json.write_text(json.dumps(results, indent=1), encoding="utf-8")


if __name__ == "__main__":
    main()
