"""Benchmark: deal tracks + stage matrix by segment + dwell quantiles, pandas vs DuckDB SQL.

For each number of stage events the canonical tables are generated once (seeded, see
``generate.py``) as Parquet, then every measurement runs in a fresh Python process, so
that neither the heap nor the peak resident memory of one run carries into another:

* ``pandas`` -- the package's own path: :func:`playbook.workspace.load.load_cache` of a cache
  written by :func:`playbook.workspace.load.save_cache` from the generated tables (what every
  report step reads), then :func:`playbook.steps.journey.prepare` once, and with ``journey=``
  reused:
  :func:`~playbook.steps.journey.build_tracks` (one row per visit),
  :func:`playbook.steps.stages.stage_rates` ``(by="segment")`` (the stage matrix) and
  :func:`~playbook.steps.journey.stage_monitor` (per stage counts, median and p90 dwell).
* ``duckdb`` -- the reference: the same metrics in DuckDB SQL over the same Parquet
  files. Tracks are a table built with window functions (``LAG`` to merge consecutive
  events at one stage into a visit, ``LEAD`` for ``left_at``, dwell and next stage), with
  the same inference rules as ``prepare`` (a won deal without a signed event reached
  the last stage at its closing; a deal without events entered the first stage at
  creation). Then entered / advanced / lost / open per segment x stage and per stage,
  and dwell median and p90 with ``quantile_cont``. Those quantiles are *plain*, not
  censoring-aware: open deals still in a stage count with their dwell so far, where the
  pandas path uses Kaplan-Meier estimates. The counts are exact and must agree.

Each run reports wall time from the first read of the Parquet files to the last result
(imports and interpreter start excluded, reported apart), the CPU time of all its threads
and the peak resident set size of its process (``VmHWM`` from ``/proc/self/status``).
Before timing, both engines are run on a small size and their counts compared (and the
comparison printed); a mismatch ends the script with exit status 1.

DuckDB (``duckdb==2.0.0``) is a core dependency of the package (SQL sources).

Usage::

    python benchmarks/bench_journey.py --events 1000000 10000000 --repeat 1
    python benchmarks/bench_journey.py --events 1000000 --engines pandas --json out.json
"""

from __future__ import annotations

import argparse
import importlib.util
import json
import os
import platform
import subprocess
import sys
import time
from pathlib import Path

HERE = Path(__file__).resolve().parent
DEFAULT_DATA = HERE / ".data"
ENGINES = ("pandas", "duckdb")
# the default funnel (playbook.workspace.config.DEFAULT_STAGES); the pandas worker checks it
STAGES = ("lead", "intent", "proposal", "negotiation", "signed")
COUNTS = ("entered", "advanced", "lost", "open")
TRACK_SUMMARY = ("rows", "skips", "regressions", "repeats", "censored", "inferred")
TARGET_RATIO = 1.5
TARGET_PEAK_BYTES = 3e9
TARGET_EVENTS = 10_000_000
INSTALL_HINT = (
    "DuckDB is needed for the reference measurements but is not installed; it is a dependency "
    "of the package (reinstall it with `pip install -e .`), or run the pandas path alone with "
    "--engines pandas"
)
CACHE = "cache"  # the save_cache folder inside each data folder


# --- measurement helpers (run inside the worker processes) ---------------------------------


def _status_bytes(field: str) -> int | None:
    """A ``kB`` field of /proc/self/status (VmHWM, VmRSS) in bytes; None off Linux."""
    try:
        with open("/proc/self/status") as fh:
            for line in fh:
                if line.startswith(field + ":"):
                    return int(line.split()[1]) * 1024
    except OSError:
        return None
    return None


def peak_rss() -> int:
    """Peak resident set size of this process so far, in bytes."""
    hwm = _status_bytes("VmHWM")
    if hwm is not None:
        return hwm
    import resource

    scale = 1 if sys.platform == "darwin" else 1024  # ru_maxrss: bytes on macOS, kB on Linux
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss * scale


def current_rss() -> int:
    """Resident set size now, in bytes (the peak where /proc is not available)."""
    rss = _status_bytes("VmRSS")
    return rss if rss is not None else peak_rss()


class Clock:
    """Wall-time marks of the phases of one run, with resident and peak memory after each."""

    def __init__(self) -> None:
        self.last = time.perf_counter()
        self.last_cpu = time.process_time()
        self.phases: dict[str, float] = {}
        self.cpu: dict[str, float] = {}
        self.memory: dict[str, tuple[int, int]] = {}

    def mark(self, phase: str) -> None:
        now, cpu = time.perf_counter(), time.process_time()
        self.phases[phase] = round(now - self.last, 3)
        self.cpu[phase] = round(cpu - self.last_cpu, 3)
        self.memory[phase] = (current_rss(), peak_rss())
        # reading /proc is not part of the next phase
        self.last, self.last_cpu = time.perf_counter(), time.process_time()

    @property
    def total(self) -> float:
        return round(sum(self.phases.values()), 3)

    @property
    def total_cpu(self) -> float:
        """CPU seconds of all threads of the process (user + system) over the phases."""
        return round(sum(self.cpu.values()), 3)


# --- the pandas path -------------------------------------------------------------------------


def run_pandas(folder: Path) -> dict:
    """Load, prepare once, tracks + stage matrix by segment + stage monitor."""
    t_import = time.perf_counter()
    import warnings

    import numpy as np
    import pandas as pd
    import pyarrow as pa

    from playbook.stats import SmallSampleWarning
    from playbook.steps import journey, stages
    from playbook.workspace import load
    from playbook.workspace.config import default_config

    import_s = time.perf_counter() - t_import
    config = default_config()
    if tuple(config.funnel.ids) != STAGES or not config.funnel.skip_counts_as_passed:
        raise SystemExit(
            f"the default funnel is now {config.funnel.ids} (skip_counts_as_passed="
            f"{config.funnel.skip_counts_as_passed}); update STAGES and the SQL reference"
        )
    rss_ready = current_rss()

    clock = Clock()
    dataset = load.load_cache(folder / CACHE)
    deals, events = dataset.deals, dataset.stage_events
    del dataset
    clock.mark("load")
    j = journey.prepare(deals, events, config)
    clock.mark("prepare")
    tracks = journey.build_tracks(deals, events, config, journey=j)
    clock.mark("tracks")
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", SmallSampleWarning)
        rates = stages.stage_rates(deals, events, config, by="segment", journey=j)
    clock.mark("rates_by_segment")
    monitor = journey.stage_monitor(deals, events, config, journey=j)
    clock.mark("stage_monitor")
    peak = peak_rss()

    rows = [_row(r["segment"], r["from"], r) for r in rates.to_dict("records")]
    rows += [_row(None, r["stage"], r) for r in monitor.to_dict("records")]
    summary = {
        "rows": len(tracks),
        "skips": int(tracks["is_skip"].sum()),
        "regressions": int(tracks["is_regression"].sum()),
        "repeats": int(tracks["is_repeat"].sum()),
        "censored": int(tracks["censored"].sum()),
        "inferred": int(tracks["inferred"].sum()),
    }
    return {
        "engine": "pandas",
        "n_events": len(events),
        "n_deals": len(deals),
        "seconds": clock.total,
        "cpu_seconds": clock.total_cpu,
        "phases": clock.phases,
        "memory_after_phase": clock.memory,
        "peak_rss": peak,
        "rss_after_imports": rss_ready,
        "import_seconds": round(import_s, 3),
        "versions": {"pandas": pd.__version__, "numpy": np.__version__, "pyarrow": pa.__version__},
        "tracks": summary,
        "metrics": rows,
    }


def _row(segment, stage, r: dict) -> dict:
    return {
        "segment": None if segment is None else str(segment),
        "stage": str(stage),
        **{c: int(r[c]) for c in COUNTS},
        "median_dwell_days": _num(r["median_dwell_days"]),
        "p90_dwell_days": _num(r["p90_dwell_days"]),
    }


def _num(x) -> float | None:
    x = None if x is None else float(x)
    return None if x is None or x != x else round(x, 4)


# --- the DuckDB reference --------------------------------------------------------------------

SQL_AS_OF = """
SET VARIABLE as_of = (
    SELECT greatest(
        max(created_at),
        max(CASE WHEN status <> 'open' THEN closed_at END),
        (SELECT max(entered_at) FROM read_parquet('{events}'))
    )
    FROM read_parquet('{deals}')
)
"""

# Deals with their row number (``rowid``) as an integer key: windows, joins and
# group-bys below partition on it instead of the text deal_id.
SQL_DEALS = """
CREATE TEMP TABLE deals AS
SELECT
    deal_id,
    created_at,
    status,
    CASE WHEN status = 'open' THEN NULL ELSE closed_at END AS closed_at,
    segment
FROM read_parquet('{deals}')
"""

# One row per visit, as playbook.steps.journey.build_tracks: events ordered by time, then
# funnel order; consecutive events at one stage are one visit; a won deal whose log
# does not end at the last stage reached it at its closing; a deal without events
# entered the first stage at its creation. left_at is the next visit's entry, the
# closing for the last visit of a closed deal, NULL (dwell to as_of, censored) for an
# open deal still there. Two window passes over the deal partitions: the first marks
# runs of one stage (LAG) and the stages seen before (a running bit mask, for
# is_repeat); the second numbers the visits and reads the next one (LEAD).
SQL_TRACKS = """
CREATE TEMP TABLE tracks AS
WITH ev AS (
    SELECT x.rowid AS d, e.deal_id, f.k AS stage, e.entered_at, x.status, x.closed_at
    FROM read_parquet('{events}') AS e
    JOIN funnel AS f ON f.stage = e.stage
    JOIN deals AS x ON x.deal_id = e.deal_id
    WHERE e.entered_at IS NOT NULL AND e.entered_at <= getvariable('as_of')
),
marked AS (
    SELECT
        *,
        lag(stage) OVER (PARTITION BY d ORDER BY entered_at, stage) AS prev_stage,
        lead(stage) OVER (PARTITION BY d ORDER BY entered_at, stage) IS NULL AS is_last,
        coalesce(bit_or(1::BIGINT << stage) OVER (
            PARTITION BY d ORDER BY entered_at, stage
            ROWS BETWEEN UNBOUNDED PRECEDING AND 1 PRECEDING
        ), 0) AS seen
    FROM ev
),
no_events AS (
    SELECT x.rowid AS d, x.deal_id, x.created_at, x.status, x.closed_at
    FROM deals AS x
    ANTI JOIN (SELECT d FROM marked WHERE is_last) AS m ON m.d = x.rowid
),
visits_raw AS (
    SELECT
        d, deal_id, stage, entered_at, status, closed_at,
        (seen >> stage) & 1 = 1 AS is_repeat,
        FALSE AS inferred
    FROM marked
    WHERE prev_stage IS DISTINCT FROM stage
    UNION ALL
    SELECT
        d, deal_id, {last}, greatest(closed_at, entered_at), status, closed_at,
        ((seen | (1::BIGINT << stage)) >> {last}) & 1 = 1,
        TRUE
    FROM marked
    WHERE is_last AND status = 'won' AND stage <> {last}
    UNION ALL
    SELECT d, deal_id, 0, created_at, status, closed_at, FALSE, TRUE
    FROM no_events
    WHERE created_at IS NOT NULL
    UNION ALL
    SELECT
        d, deal_id, {last}, greatest(closed_at, created_at), status, closed_at, FALSE, TRUE
    FROM no_events
    WHERE status = 'won' AND coalesce(closed_at, created_at) IS NOT NULL
),
visits AS (
    SELECT
        *,
        row_number() OVER w AS visit,
        lead(entered_at) OVER w AS next_at,
        lead(stage) OVER w AS next_stage
    FROM visits_raw
    WINDOW w AS (PARTITION BY d ORDER BY entered_at, stage)
),
ended AS (
    SELECT
        *,
        CASE
            WHEN next_at IS NOT NULL THEN next_at
            WHEN status = 'open' THEN NULL
            ELSE greatest(closed_at, entered_at)
        END AS left_at
    FROM visits
)
SELECT
    d,
    deal_id,
    visit,
    stage,
    entered_at,
    left_at,
    (epoch_us(coalesce(left_at, getvariable('as_of'))) - epoch_us(entered_at)) / 86400e6
        AS dwell_days,
    next_at IS NULL AND status = 'open' AS censored,
    next_stage,
    CASE
        WHEN next_stage IS NULL THEN status
        WHEN next_stage > stage + 1 THEN 'skip'
        WHEN next_stage < stage THEN 'regress'
        ELSE 'advance'
    END AS exit,
    coalesce(next_stage > stage + 1, FALSE) AS is_skip,
    coalesce(next_stage < stage, FALSE) AS is_regression,
    is_repeat,
    inferred
FROM ended
"""

# Per deal and stage visited: total dwell over visits, with the deal's segment and status.
SQL_DEAL_STAGES = """
CREATE TEMP TABLE deal_stages AS
SELECT t.d, t.stage, t.dwell, x.segment, x.status
FROM (SELECT d, stage, sum(dwell_days) AS dwell FROM tracks GROUP BY d, stage) AS t
JOIN deals AS x ON x.rowid = t.d
"""

# skip_counts_as_passed (the default): a deal entered every stage up to its furthest,
# advanced past those below it (and past the last stage when won); it is lost or open
# at its furthest stage.
SQL_COUNTS = """
WITH furthest AS (
    SELECT any_value(segment) AS segment, any_value(status) AS status, max(stage) AS furthest
    FROM deal_stages
    GROUP BY d
),
outcomes AS (
    SELECT segment, status, furthest, count(*) AS n
    FROM furthest
    GROUP BY ALL
)
SELECT
    grouping(segment) = 1 AS overall,
    segment,
    f.k AS stage,
    coalesce(sum(n) FILTER (WHERE furthest >= f.k), 0) AS entered,
    coalesce(sum(n) FILTER (WHERE furthest > f.k
        OR (f.k = {last} AND furthest = f.k AND status = 'won')), 0) AS advanced,
    coalesce(sum(n) FILTER (WHERE furthest = f.k AND status = 'lost'), 0) AS lost,
    coalesce(sum(n) FILTER (WHERE furthest = f.k AND status = 'open'), 0) AS open
FROM outcomes
CROSS JOIN funnel AS f
GROUP BY GROUPING SETS ((segment, f.k), (f.k))
"""

# Plain (not censoring-aware) quantiles over deals that visited the stage.
SQL_DWELL = """
SELECT
    grouping(segment) = 1 AS overall,
    segment,
    stage,
    quantile_cont(dwell, [0.5, 0.9]) AS q
FROM deal_stages
GROUP BY GROUPING SETS ((segment, stage), (stage))
"""

SQL_TRACK_SUMMARY = """
SELECT count(*), count(*) FILTER (is_skip), count(*) FILTER (is_regression),
    count(*) FILTER (is_repeat), count(*) FILTER (censored), count(*) FILTER (inferred)
FROM tracks
"""


def run_duckdb(folder: Path, threads: int | None = None) -> dict:
    """The reference: the same metrics in DuckDB SQL over the same Parquet files."""
    t_import = time.perf_counter()
    import duckdb

    import_s = time.perf_counter() - t_import
    rss_ready = current_rss()
    paths = {
        "deals": (folder / "deals.parquet").as_posix(),
        "events": (folder / "stage_events.parquet").as_posix(),
        "n_stages": len(STAGES),
        "last": len(STAGES) - 1,
    }
    clock = Clock()
    con = duckdb.connect(config={"threads": threads} if threads else {})
    values = ", ".join(f"('{s}', {k})" for k, s in enumerate(STAGES))
    con.execute(f"CREATE TEMP TABLE funnel AS SELECT * FROM (VALUES {values}) AS f(stage, k)")
    con.execute(SQL_AS_OF.format(**paths))
    con.execute(SQL_DEALS.format(**paths))
    clock.mark("load_deals_as_of")
    con.execute(SQL_TRACKS.format(**paths))
    clock.mark("tracks")
    con.execute(SQL_DEAL_STAGES.format(**paths))
    clock.mark("deal_stages")
    counts = con.execute(SQL_COUNTS.format(**paths)).fetchall()
    clock.mark("counts_by_segment")
    dwell = con.execute(SQL_DWELL.format(**paths)).fetchall()
    clock.mark("dwell_quantiles")
    peak = peak_rss()

    n_events = con.execute(f"SELECT count(*) FROM read_parquet('{paths['events']}')").fetchone()
    n_deals = con.execute("SELECT count(*) FROM deals").fetchone()
    summary = dict(zip(TRACK_SUMMARY, con.execute(SQL_TRACK_SUMMARY).fetchone(), strict=True))
    q = {(overall, seg, k): qs for overall, seg, k, qs in dwell}
    rows = []
    for overall, seg, k, *values in sorted(counts, key=lambda r: (r[0], r[1] or "", r[2])):
        if not overall and k == len(STAGES) - 1:
            continue  # the stage matrix has no row for the last stage
        qs = q.get((overall, seg, k)) or [None, None]
        rows.append(
            {
                "segment": None if overall else seg,
                "stage": STAGES[k],
                **{c: int(v) for c, v in zip(COUNTS, values, strict=True)},
                "median_dwell_days": _num(qs[0]),
                "p90_dwell_days": _num(qs[1]),
            }
        )
    return {
        "engine": "duckdb",
        "n_events": n_events[0],
        "n_deals": n_deals[0],
        "seconds": clock.total,
        "cpu_seconds": clock.total_cpu,
        "phases": clock.phases,
        "memory_after_phase": clock.memory,
        "peak_rss": peak,
        "rss_after_imports": rss_ready,
        "import_seconds": round(import_s, 3),
        "versions": {"duckdb": duckdb.__version__},
        "threads": con.execute("SELECT current_setting('threads')").fetchone()[0],
        "tracks": summary,
        "metrics": rows,
    }


# --- orchestration (parent process) ----------------------------------------------------------


def machine() -> dict:
    """CPU count, model and memory of this machine."""
    model = platform.processor() or platform.machine()
    try:
        with open("/proc/cpuinfo") as fh:
            for line in fh:
                if line.startswith("model name"):
                    model = line.split(":", 1)[1].strip()
                    break
    except OSError:
        pass
    mem = None
    try:
        with open("/proc/meminfo") as fh:
            for line in fh:
                if line.startswith("MemTotal:"):
                    mem = int(line.split()[1]) * 1024
                    break
    except OSError:
        pass
    cpus = len(os.sched_getaffinity(0)) if hasattr(os, "sched_getaffinity") else os.cpu_count()
    return {
        "cpus": cpus,
        "cpu_model": model,
        "memory_bytes": mem,
        "python": platform.python_version(),
        "platform": platform.platform(),
    }


def measure(engine: str, folder: Path, threads: int | None = None) -> dict:
    """One run of ``engine`` on ``folder`` in a fresh Python process."""
    cmd = [sys.executable, str(Path(__file__).resolve()), "--worker", engine, "--data", str(folder)]
    if threads:
        cmd += ["--threads", str(threads)]
    load_before = os.getloadavg()[0] if hasattr(os, "getloadavg") else None
    started = time.perf_counter()
    proc = subprocess.run(cmd, capture_output=True, text=True, check=False)
    wall = time.perf_counter() - started
    if proc.returncode != 0:
        raise SystemExit(
            f"the {engine} run on {folder} failed (exit {proc.returncode}):\n{proc.stderr[-3000:]}"
        )
    result = json.loads(proc.stdout.strip().splitlines()[-1])
    result["process_seconds"] = round(wall, 3)
    result["load_average_before"] = load_before
    return result


def ensure_data(n_events: int, seed: int, out: Path) -> Path:
    import generate  # the sibling script; imported here so workers do not load it

    folder = generate.data_dir(n_events, seed, out)
    if not (folder / "manifest.json").exists():
        print(f"generating {n_events:,} events in {folder} ...", flush=True)
    folder = generate.write(n_events, seed, out)
    generate.write_cache(folder, folder / CACHE)  # in the current cache format
    return folder


def compare(a: dict, b: dict) -> list[str]:
    """Differences between two runs' counts and track summaries (empty when they agree)."""
    problems = []
    for key in TRACK_SUMMARY:
        if a["tracks"][key] != b["tracks"][key]:
            problems.append(f"tracks {key}: {a['tracks'][key]} vs {b['tracks'][key]}")
    ma = {(r["segment"], r["stage"]): r for r in a["metrics"]}
    mb = {(r["segment"], r["stage"]): r for r in b["metrics"]}
    for key in sorted(set(ma) | set(mb), key=lambda k: (k[0] or "", STAGES.index(k[1]))):
        if key not in ma or key not in mb:
            problems.append(f"{key}: only in {'pandas' if key in ma else 'duckdb'}")
            continue
        for c in COUNTS:
            if ma[key][c] != mb[key][c]:
                problems.append(f"{key} {c}: {ma[key][c]} vs {mb[key][c]}")
    return problems


def print_check(p: dict, d: dict) -> None:
    print(f"\nCheck at {p['n_events']:,} events ({p['n_deals']:,} deals): pandas vs DuckDB")
    print(
        "  tracks: "
        + ", ".join(f"{k} {p['tracks'][k]:,}/{d['tracks'][k]:,}" for k in TRACK_SUMMARY)
    )
    dm = {(r["segment"], r["stage"]): r for r in d["metrics"]}
    head = (
        f"  {'segment':<14}{'stage':<12}"
        + "".join(f"{c:>17}" for c in COUNTS)
        + f"{'median KM/plain':>20}{'p90 KM/plain':>20}"
    )
    print(head)
    for r in p["metrics"]:
        o = dm.get((r["segment"], r["stage"]), {})

        def pair(c, r=r, o=o):
            return f"{r[c]:,}/{o.get(c, '-'):,}" if c in o else f"{r[c]:,}/-"

        def q(c, r=r, o=o):
            a, b = r[c], o.get(c)
            return f"{'-' if a is None else f'{a:.2f}'}/{'-' if b is None else f'{b:.2f}'}"

        seg = r["segment"] or "(all)"
        print(
            f"  {seg:<14}{r['stage']:<12}"
            + "".join(f"{pair(c):>17}" for c in COUNTS)
            + f"{q('median_dwell_days'):>20}{q('p90_dwell_days'):>20}"
        )


def _mib(b: float | None) -> str:
    return "-" if b is None else f"{b / 2**20:,.0f}"


def best(runs: list[dict]) -> dict:
    """The fastest run, with the lowest peak RSS over all runs (peaks vary little)."""
    out = dict(min(runs, key=lambda r: r["seconds"]))
    out["peak_rss"] = min(r["peak_rss"] for r in runs)
    out["all_seconds"] = [r["seconds"] for r in runs]
    out["all_cpu_seconds"] = [r["cpu_seconds"] for r in runs]
    out["all_peak_rss"] = [r["peak_rss"] for r in runs]
    return out


def print_results(results: dict[int, dict[str, dict]]) -> None:
    print(
        f"\n{'events':>12}{'deals':>11}  {'engine':<8}{'time s':>8}{'CPU s':>8}"
        f"{'peak RSS MiB':>14}{'imports s':>11}{'time ratio':>12}{'RSS ratio':>11}  phases (s)"
    )
    for n, by_engine in results.items():
        ref = by_engine.get("duckdb")
        for engine, r in by_engine.items():
            t_ratio = r["seconds"] / ref["seconds"] if ref else None
            m_ratio = r["peak_rss"] / ref["peak_rss"] if ref else None
            phases = ", ".join(f"{k} {v:.2f}" for k, v in r["phases"].items())
            print(
                f"{n:>12,}{r['n_deals']:>11,}  {engine:<8}{r['seconds']:>8.2f}"
                f"{r['cpu_seconds']:>8.2f}{_mib(r['peak_rss']):>14}{r['import_seconds']:>11.2f}"
                f"{'' if t_ratio is None else f'{t_ratio:.2f}x':>12}"
                f"{'' if m_ratio is None else f'{m_ratio:.2f}x':>11}  {phases}"
            )


def print_targets(results: dict[int, dict[str, dict]]) -> None:
    sizes = [n for n in results if n >= TARGET_EVENTS and "pandas" in results[n]]
    if not sizes:
        print(f"\nTargets (issue 3) are set at {TARGET_EVENTS:,} events; not measured here.")
        return
    n = max(sizes)
    p, ref = results[n]["pandas"], results[n].get("duckdb")
    print(f"\nTargets (issue 3) at {n:,} events:")
    if ref:
        ratio = p["seconds"] / ref["seconds"]
        ok = "met" if ratio <= TARGET_RATIO else "NOT met"
        print(f"  time within {TARGET_RATIO}x of DuckDB: {ratio:.2f}x -> {ok}")
    ok = "met" if p["peak_rss"] < TARGET_PEAK_BYTES else "NOT met"
    print(f"  peak RSS under 3 GB: {p['peak_rss'] / 1e9:.2f} GB -> {ok}")


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--events", type=int, nargs="+", default=[1_000_000, 10_000_000])
    parser.add_argument("--repeat", type=int, default=1, help="runs per engine and size")
    parser.add_argument("--engines", nargs="+", choices=ENGINES, default=list(ENGINES))
    parser.add_argument("--seed", type=int, default=7)
    parser.add_argument("--data", type=Path, default=DEFAULT_DATA, help="data folder")
    parser.add_argument(
        "--check-events",
        type=int,
        default=100_000,
        help="size at which the two engines' counts are compared first (0: skip)",
    )
    parser.add_argument("--threads", type=int, default=None, help="DuckDB threads")
    parser.add_argument("--json", type=Path, default=None, help="write all results here")
    parser.add_argument("--worker", choices=ENGINES, help=argparse.SUPPRESS)
    args = parser.parse_args(argv)

    if args.worker:
        run = run_pandas if args.worker == "pandas" else run_duckdb
        result = run(args.data, args.threads) if args.worker == "duckdb" else run(args.data)
        print(json.dumps(result))
        return 0

    if "duckdb" in args.engines and importlib.util.find_spec("duckdb") is None:
        print(INSTALL_HINT, file=sys.stderr)
        return 2
    if args.repeat < 1:
        parser.error(f"--repeat must be at least 1; got {args.repeat}")
    info = machine()
    print(
        f"{info['cpus']} CPUs ({info['cpu_model']}), "
        f"{_mib(info['memory_bytes'])} MiB RAM, Python {info['python']}"
    )

    status = 0
    check = None
    if args.check_events and set(ENGINES) <= set(args.engines):
        folder = ensure_data(args.check_events, args.seed, args.data)
        p, d = (measure(e, folder, args.threads) for e in ENGINES)
        print_check(p, d)
        problems = compare(p, d)
        print("  counts agree" if not problems else "  MISMATCH:\n  " + "\n  ".join(problems))
        check = {"n_events": p["n_events"], "problems": problems, "pandas": p, "duckdb": d}
        if problems:
            return 1

    results: dict[int, dict[str, dict]] = {}
    for n in args.events:
        folder = ensure_data(n, args.seed, args.data)
        runs: dict[str, list[dict]] = {e: [] for e in args.engines}
        for i in range(args.repeat):
            for engine in args.engines:
                r = measure(engine, folder, args.threads)
                runs[engine].append(r)
                print(
                    f"{n:,} events, {engine}, run {i + 1}: {r['seconds']:.2f} s, "
                    f"peak {_mib(r['peak_rss'])} MiB (load average {r['load_average_before']:.1f})",
                    flush=True,
                )
        results[n] = {e: best(rs) for e, rs in runs.items()}
        if set(ENGINES) <= set(results[n]):
            problems = compare(results[n]["pandas"], results[n]["duckdb"])
            if problems:
                print(f"MISMATCH at {n:,} events:\n  " + "\n  ".join(problems))
                status = 1
    print_results(results)
    print_targets(results)
    versions = {}
    for by_engine in results.values():
        for r in by_engine.values():
            versions.update(r["versions"])
    print("versions: " + ", ".join(f"{k} {v}" for k, v in sorted(versions.items())))
    if args.json:
        for by_engine in results.values():
            for r in by_engine.values():
                r.pop("metrics", None)
        payload = {"machine": info, "check": check, "results": results, "versions": versions}
        args.json.write_text(json.dumps(payload, indent=1, default=str) + "\n")
    return status


if __name__ == "__main__":
    sys.exit(main())
