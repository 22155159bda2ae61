"""Benchmark: what comparing like with like costs the pilot and stage-rate steps (issue 13).

On the sample company (``playbook.sample.generate``, 20,000 deals by default), the
package calls of a step notebook are timed, and inside them the time spent on the
adjustment alone:

* pilot step (``07_pilot_evaluation``): ``pilot.evaluate`` + ``journey.prepare`` +
  ``pilot.design_from_data`` + ``pilot.power_curve`` + ``pilot.recommend_split``; the
  adjustment is the deal mix (``mix_dimensions``), the balance of the arms
  (``check_arms``: balance table and overlap; ``ArmsCheck.judge_primary``: how far each
  dimension's mix moves the primary stage) and, without a pre-period, the mix-adjusted
  regressions (``adjusted_effects``). Two workspaces: the default sample
  (difference-in-differences: no regression) and the ``pilot_territory_shared`` variant
  (post-only: one clustered logistic regression per stage).
* stage-rate step (``02_stage_rates``): every package call of the notebook; the adjustment
  is the re-test of every slice with the others held fixed (``_held_fixed``), the search
  for the slice that carries a vanished gap (``_carrier``) and the re-test table.

Each figure is the fastest of ``--repeat`` runs in one process (after one warm-up), as
wall time and as process CPU time (steadier when other processes share the machine).
"Adds" is adjustment / (step - adjustment).

Usage::

    python benchmarks/bench_like_with_like.py --deals 20000 --repeat 5 [--json out.json]
"""

from __future__ import annotations

import argparse
import json
import time
from pathlib import Path

HERE = Path(__file__).resolve().parent
DEFAULT_OUT = HERE / ".data"


class Stopwatch:
    """Wraps module functions and adds up the wall and CPU time spent inside them."""

    def __init__(self) -> None:
        self.wall = 0.0
        self.cpu = 0.0

    def wrap(self, module, name: str) -> None:
        inner = getattr(module, name)

        def timed(*args, **kwargs):
            w, c = time.perf_counter(), time.process_time()
            try:
                return inner(*args, **kwargs)
            finally:
                self.wall += time.perf_counter() - w
                self.cpu += time.process_time() - c

        setattr(module, name, timed)

    def reset(self) -> None:
        self.wall = self.cpu = 0.0


def cached(deals: int, seed: int, plant: tuple[str, ...] | None, out: Path) -> Path:
    """The validated Parquet cache of a generated sample, built on first use."""
    from playbook import sample
    from playbook.workspace import load

    tag = "default" if plant is None else "-".join(plant)
    folder = out / f"like-deals{deals}-seed{seed}-{tag}"
    cache = folder / "cache"
    if not (cache / load.CACHE_CONFIG).exists():
        kwargs = {} if plant is None else {"plant": plant}
        sample.generate(folder / "workspace", seed=seed, deals=deals, **kwargs)
        load.save_cache(load.open_dataset(folder / "workspace"), cache)
    return cache


def pilot_step(data) -> None:
    from playbook.steps import journey, pilot

    settings = pilot.settings(data.config)
    result = pilot.evaluate(data.deals, data.stage_events, data.config, data.reps, pilot=settings)
    history = journey.prepare(data.deals, data.stage_events, data.config)
    design = pilot.design_from_data(
        data.deals, data.stage_events, data.config, data.reps, pilot=settings, journey=history
    )
    pilot.power_curve(design, stage=result.stage, alpha=settings.alpha)
    pilot.recommend_split(
        data.deals,
        data.stage_events,
        data.config,
        data.reps,
        pilot=settings,
        stage=result.stage,
        journey=history,
    )


def stage_step(data) -> None:
    from playbook.steps import journey, stages

    d, e, c = data.deals, data.stage_events, data.config
    prepared = journey.prepare(d, e, c)
    stages.stage_rates(d, e, c, journey=prepared)
    stages.time_to_advance(d, e, c, journey=prepared)
    tests = stages.bottleneck_tests(d, e, c, journey=prepared)
    found = stages.find_bottlenecks(d, e, c, journey=prepared, tests=tests)
    stages.retest_table(tests, c, "en")
    for dimension in stages.dimensions_present(d, c):
        stages.stage_rates(d, e, c, by=dimension, min_n=0, journey=prepared)
        stages.flagged_cells(found, dimension)
    stages.cohort_rates(d, e, c, freq="M", journey=prepared)
    stages.lost_breakdown(d, e, c, journey=prepared)
    stages.latest_change(stages.growth_decomposition(d, e, c, journey=prepared))
    stages.stage_sensitivity(d, e, c, journey=prepared)
    labels = ("focus", "rest")
    stages.focus_rates(d, e, c, labels=labels)
    stages.focus_sensitivity(d, e, c, labels=labels)


def measure(step, data, watch: Stopwatch, repeat: int) -> dict[str, float]:
    step(data)  # warm-up: imports, caches
    best: dict[str, float] = {}
    for _ in range(repeat):
        watch.reset()
        w, c = time.perf_counter(), time.process_time()
        step(data)
        run = {
            "step_wall_s": time.perf_counter() - w,
            "step_cpu_s": time.process_time() - c,
            "adjust_wall_s": watch.wall,
            "adjust_cpu_s": watch.cpu,
        }
        if not best or run["step_cpu_s"] < best["step_cpu_s"]:
            best = run
    for kind in ("wall", "cpu"):
        rest = best[f"step_{kind}_s"] - best[f"adjust_{kind}_s"]
        best[f"adds_{kind}"] = best[f"adjust_{kind}_s"] / rest if rest > 0 else float("nan")
    return best


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--deals", type=int, default=20000)
    parser.add_argument("--seed", type=int, default=42)
    parser.add_argument("--repeat", type=int, default=5)
    parser.add_argument("--data", type=Path, default=DEFAULT_OUT)
    parser.add_argument("--json", type=Path)
    args = parser.parse_args(argv)

    from playbook.steps import pilot
    from playbook.steps.pilot import arms as pilot_arms
    from playbook.steps.stages import bottlenecks
    from playbook.workspace import load

    pilot_watch, stage_watch = Stopwatch(), Stopwatch()
    for name in ("mix_dimensions", "check_arms", "adjusted_effects"):
        pilot_watch.wrap(pilot, name)
    pilot_watch.wrap(pilot_arms.ArmsCheck, "judge_primary")
    for name in ("_held_fixed", "_carrier", "retest_table"):
        stage_watch.wrap(bottlenecks, name)
    import playbook.steps.stages as stages_module

    stages_module.retest_table = bottlenecks.retest_table

    rows = []
    variants = {
        "default sample (difference-in-differences)": None,
        "pilot_territory_shared (post-only)": ("bottleneck", "pilot_territory_shared"),
    }
    for label, plant in variants.items():
        data = load.load_cache(cached(args.deals, args.seed, plant, args.data))
        rows.append(
            {
                "step": "pilot",
                "workspace": label,
                **measure(pilot_step, data, pilot_watch, args.repeat),
            }
        )
        if plant is None:
            rows.append(
                {
                    "step": "stage rates",
                    "workspace": label,
                    **measure(stage_step, data, stage_watch, args.repeat),
                }
            )

    print(f"{args.deals:,} deals, fastest of {args.repeat} runs (by CPU time)")
    print("step / workspace: step wall, adjustment wall, adds | step CPU, adjustment CPU, adds")
    for r in rows:
        print(
            f"{r['step']} / {r['workspace']}: {r['step_wall_s']:.3f} s, "
            f"{r['adjust_wall_s']:.3f} s, {r['adds_wall']:.1%} | {r['step_cpu_s']:.3f} s, "
            f"{r['adjust_cpu_s']:.3f} s, {r['adds_cpu']:.1%}"
        )
    if args.json:
        args.json.write_text(json.dumps({"deals": args.deals, "rows": rows}, indent=2))
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
