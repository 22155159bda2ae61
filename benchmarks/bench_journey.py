"""Benchmark: deal tracks + stage matrix by segment + dwell quantiles, pandas vs DuckDB vs Polars.

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
* ``polars`` -- the same metrics as the DuckDB reference with Polars' lazy API over the
  same Parquet files: the same tracks columns, counts and plain (linearly interpolated)
  dwell quantiles. Events are matched to deals on the shared categorical ``deal_id``,
  sorted once, and runs, neighbours and repeats are read from shifted columns of the
  sorted frame instead of windows over deal partitions.

Each run reports wall time from the first read of the Parquet files to the last result
(imports and interpreter start excluded, reported apart), the CPU time of all its threads
(in total, and per phase as ``cpu_phases`` in the JSON) and the peak resident set size of
its process (``VmHWM`` from ``/proc/self/status``).
Before timing, the selected engines are run on a small size and their counts compared (and
the comparison printed); a mismatch there or at any measured size ends the script with exit
status 1. Ratios are against the fastest engine of the same size.

DuckDB (``duckdb==2.0.0``) is a core dependency of the package (SQL sources); Polars
(``polars==2.1.0``) a development one, used only here.

Usage::

    python benchmarks/bench_journey.py --events 1000000 10000000 --repeat 2
    python benchmarks/bench_journey.py --events 10000000 --engines pandas polars
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
ENGINES = ("pandas", "duckdb", "polars")
# the default funnel (playbook.workspace.config.DEFAULT_STAGES); the pandas worker checks it
STAGES = ("lead", "intent", "proposal", "negotiation", "signed")
COUNTS = ("entered", "advanced", "lost", "open")
TRACK_SUMMARY = ("rows", "skips", "regressions", "repeats", "censored", "inferred")
TARGET_RATIO = 1.5  # issue 3: pandas against DuckDB
TARGET_RATIO_FASTEST = 1.2  # issue 17: pandas against the fastest other engine
TARGET_PEAK_BYTES = 3e9
TARGET_EVENTS = 10_000_000
INSTALL_HINTS = {
    "duckdb": "DuckDB is needed for the reference measurements but is not installed; it is a "
    "dependency of the package (reinstall it with `pip install -e .`), or leave it out of "
    "--engines",
    "polars": "Polars is needed for the polars engine but is not installed; it is a development "
    "dependency (`pip install -e '.[dev]'`), or leave it out of --engines",
}
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

    def figures(self, peak: int, rss_after_imports: int, import_seconds: float) -> dict:
        """The time and memory figures every engine reports, in the JSON's field names."""
        return {
            "seconds": self.total,
            "cpu_seconds": self.total_cpu,
            "phases": self.phases,
            "cpu_phases": self.cpu,
            "memory_after_phase": self.memory,
            "peak_rss": peak,
            "rss_after_imports": rss_after_imports,
            "import_seconds": round(import_seconds, 3),
        }


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
        **clock.figures(peak, rss_ready, import_s),
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
        **clock.figures(peak, rss_ready, import_s),
        "versions": {"duckdb": duckdb.__version__},
        "threads": con.execute("SELECT current_setting('threads')").fetchone()[0],
        "tracks": summary,
        "metrics": rows,
    }


# --- the Polars engine -----------------------------------------------------------------------


def _polars_tracks(pl, deals, events_path: str, as_of):
    """One row per visit, as ``SQL_TRACKS``, with Polars' lazy API (the sorted events are
    collected on the way, the rest is returned as a lazy frame).

    Events are matched to deals on the shared categorical ``deal_id`` (no string is
    hashed) and sorted once by deal, time and funnel order; runs at one stage are merged
    with shifted columns, not windows over the deal partitions. The inferred visits are
    added and the visits sorted again (a won deal's inferred last-stage visit ends its
    track); a visit's neighbours are read from shifted columns of the sorted frame.
    """
    n_stages, last = len(STAGES), len(STAGES) - 1
    stage_code = pl.col("stage").cast(pl.Enum(STAGES), strict=False).to_physical()
    events = (
        pl.scan_parquet(events_path)
        .select("deal_id", stage_code.cast(pl.Int8).alias("k"), "entered_at")
        .filter(pl.col("k").is_not_null() & (pl.col("entered_at") <= as_of))
        .join(deals.select("deal_id", "d", "status", "closed_at"), on="deal_id")
        .drop("deal_id")
        .sort("d", "entered_at", "k")
    )
    same_deal_before = pl.col("d") == pl.col("d").shift(1)
    # collected once: the three queries below read it (a lazy frame read three times would
    # be scanned, joined and sorted three times)
    events = (
        events.with_columns(
            run_start=~(same_deal_before & (pl.col("k") == pl.col("k").shift(1))).fill_null(False),
            is_last=(pl.col("d") != pl.col("d").shift(-1)).fill_null(True),
        )
        .collect()
        .lazy()
    )
    visit_columns = ["d", "k", "entered_at", "status", "closed_at", "inferred"]
    recorded = events.filter("run_start").with_columns(inferred=pl.lit(False))
    last_events = events.filter("is_last")
    signed_at_closing = last_events.filter(
        (pl.col("status") == "won") & (pl.col("k") != last)
    ).with_columns(
        k=pl.lit(last, pl.Int8),
        entered_at=pl.max_horizontal("closed_at", "entered_at"),
        inferred=pl.lit(True),
    )
    no_events = deals.join(last_events.select("d"), on="d", how="anti")
    lead_at_creation = no_events.filter(pl.col("created_at").is_not_null()).with_columns(
        k=pl.lit(0, pl.Int8), entered_at=pl.col("created_at"), inferred=pl.lit(True)
    )
    signed_without_events = no_events.filter(
        (pl.col("status") == "won") & pl.coalesce("closed_at", "created_at").is_not_null()
    ).with_columns(
        k=pl.lit(last, pl.Int8),
        entered_at=pl.max_horizontal("closed_at", "created_at"),
        inferred=pl.lit(True),
    )
    visits = pl.concat(
        [
            part.select(visit_columns)
            for part in (recorded, signed_at_closing, lead_at_creation, signed_without_events)
        ]
    ).sort("d", "entered_at", "k")
    first_of_deal = (pl.col("d") != pl.col("d").shift(1)).fill_null(True)
    row = pl.int_range(pl.len(), dtype=pl.Int64)
    same_deal_after = (pl.col("d") == pl.col("d").shift(-1)).fill_null(False)
    next_at = pl.when(same_deal_after).then(pl.col("entered_at").shift(-1))
    next_stage = pl.when(same_deal_after).then(pl.col("k").shift(-1))
    visits = visits.with_columns(
        visit=row - pl.when(first_of_deal).then(row).forward_fill() + 1,
        next_at=next_at,
        next_stage=next_stage,
        # a stage met again: the (deal, stage) pair was seen on an earlier row
        is_repeat=~(pl.col("d").cast(pl.Int64) * n_stages + pl.col("k")).is_first_distinct(),
    )
    is_open = pl.col("status") == "open"
    left_at = (
        pl.when(pl.col("next_at").is_not_null())
        .then(pl.col("next_at"))
        .when(~is_open)
        .then(pl.max_horizontal("closed_at", "entered_at"))
    )
    stage, nxt = pl.col("k"), pl.col("next_stage")
    return visits.with_columns(left_at=left_at).select(
        "d",
        "visit",
        "k",
        "entered_at",
        "left_at",
        (
            (pl.col("left_at").fill_null(as_of) - pl.col("entered_at")).dt.total_microseconds()
            / 86400e6
        ).alias("dwell_days"),
        (pl.col("next_at").is_null() & is_open).alias("censored"),
        "next_stage",
        pl.when(nxt.is_null())
        .then(pl.col("status").cast(pl.String))
        .when(nxt > stage + 1)
        .then(pl.lit("skip"))
        .when(nxt < stage)
        .then(pl.lit("regress"))
        .otherwise(pl.lit("advance"))
        .alias("exit"),
        (nxt > stage + 1).fill_null(False).alias("is_skip"),
        (nxt < stage).fill_null(False).alias("is_regression"),
        "is_repeat",
        "inferred",
    )


def run_polars(folder: Path) -> dict:
    """The same metrics as the DuckDB reference, with Polars' lazy API over the same files."""
    t_import = time.perf_counter()
    import polars as pl

    import_s = time.perf_counter() - t_import
    rss_ready = current_rss()
    last = len(STAGES) - 1
    clock = Clock()
    deals = (
        pl.scan_parquet((folder / "deals.parquet").as_posix())
        .select(
            "deal_id",
            "created_at",
            "status",
            pl.when(pl.col("status") != "open").then(pl.col("closed_at")).alias("closed_at"),
            "segment",
        )
        .with_row_index("d")
        .collect()
    )
    events_path = (folder / "stage_events.parquet").as_posix()
    as_of = max(
        x
        for x in (
            deals["created_at"].max(),
            deals["closed_at"].max(),
            pl.scan_parquet(events_path).select(pl.col("entered_at").max()).collect().item(),
        )
        if x is not None
    )
    clock.mark("load_deals_as_of")
    tracks = _polars_tracks(pl, deals.lazy(), events_path, as_of).collect()
    clock.mark("tracks")
    deal_stages = (
        tracks.lazy()
        .group_by("d", "k")
        .agg(dwell=pl.col("dwell_days").sum())
        .join(deals.lazy().select("d", "segment", "status"), on="d")
        .collect()
    )
    clock.mark("deal_stages")
    outcomes = (
        deal_stages.lazy()
        .group_by("d")
        .agg(pl.col("segment").first(), pl.col("status").first(), furthest=pl.col("k").max())
        .group_by("segment", "status", "furthest")
        .agg(n=pl.len())
        .collect()
    )
    counts = _expand_counts(
        [(str(seg), str(st), int(f), int(n)) for seg, st, f, n in outcomes.iter_rows()]
    )
    clock.mark("counts_by_segment")
    quantiles = [pl.col("dwell").quantile(q, interpolation="linear") for q in (0.5, 0.9)]
    dwell_frames = [
        deal_stages.lazy().group_by(keys).agg(quantiles[0].alias("q50"), quantiles[1].alias("q90"))
        for keys in (["segment", "k"], ["k"])
    ]
    by_segment, overall = pl.collect_all(dwell_frames)
    dwell = {(False, str(s), int(k)): (a, b) for s, k, a, b in by_segment.iter_rows()}
    dwell |= {(True, None, int(k)): (a, b) for k, a, b in overall.iter_rows()}
    clock.mark("dwell_quantiles")
    peak = peak_rss()

    n_events = pl.scan_parquet(events_path).select(pl.len()).collect().item()
    summary = {
        "rows": tracks.height,
        "skips": int(tracks["is_skip"].sum()),
        "regressions": int(tracks["is_regression"].sum()),
        "repeats": int(tracks["is_repeat"].sum()),
        "censored": int(tracks["censored"].sum()),
        "inferred": int(tracks["inferred"].sum()),
    }
    rows = []
    for (overall_row, seg, k), values in sorted(counts.items(), key=_count_order):
        if not overall_row and k == last:
            continue  # the stage matrix has no row for the last stage
        qs = dwell.get((overall_row, seg, k), (None, None))
        rows.append(
            {
                "segment": seg,
                "stage": STAGES[k],
                **dict(zip(COUNTS, values, strict=True)),
                "median_dwell_days": _num(qs[0]),
                "p90_dwell_days": _num(qs[1]),
            }
        )
    return {
        "engine": "polars",
        "n_events": n_events,
        "n_deals": deals.height,
        **clock.figures(peak, rss_ready, import_s),
        "versions": {"polars": pl.__version__},
        "threads": pl.thread_pool_size(),
        "tracks": summary,
        "metrics": rows,
    }


def _count_order(item) -> tuple:
    (overall_row, seg, k), _ = item
    return (overall_row, seg or "", k)


def _expand_counts(outcomes: list[tuple[str, str, int, int]]) -> dict:
    """entered / advanced / lost / open per (overall, segment, stage) from the number of
    deals per (segment, status, furthest stage), as ``SQL_COUNTS`` (skips count as passed)."""
    last = len(STAGES) - 1
    out: dict[tuple[bool, str | None, int], list[int]] = {}
    for seg, status, furthest, n in outcomes:
        for k in range(len(STAGES)):
            entered = furthest >= k
            advanced = furthest > k or (k == last == furthest and status == "won")
            at_end = furthest == k
            values = (entered, advanced, at_end and status == "lost", at_end and status == "open")
            for key in ((False, seg, k), (True, None, k)):
                row = out.setdefault(key, [0, 0, 0, 0])
                for i, hit in enumerate(values):
                    row[i] += n if hit else 0
    return out


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
    env = None
    if threads:
        cmd += ["--threads", str(threads)]
        env = {**os.environ, "POLARS_MAX_THREADS": str(threads)}  # read when Polars loads
    load_before = os.getloadavg()[0] if hasattr(os, "getloadavg") else None
    started = time.perf_counter()
    proc = subprocess.run(cmd, capture_output=True, text=True, check=False, env=env)
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


def compare(runs: dict[str, dict]) -> list[str]:
    """Differences between the runs' counts and track summaries, each engine against the
    first (empty when they all agree)."""
    problems = []
    (first, a), *others = runs.items()
    ma = {(r["segment"], r["stage"]): r for r in a["metrics"]}
    for other, b in others:
        for key in TRACK_SUMMARY:
            if a["tracks"][key] != b["tracks"][key]:
                problems.append(
                    f"tracks {key}: {a['tracks'][key]} ({first}) vs {b['tracks'][key]} ({other})"
                )
        mb = {(r["segment"], r["stage"]): r for r in b["metrics"]}
        for key in sorted(set(ma) | set(mb), key=lambda k: (k[0] or "", STAGES.index(k[1]))):
            if key not in ma or key not in mb:
                problems.append(f"{key}: only in {first if key in ma else other}")
                continue
            for c in COUNTS:
                if ma[key][c] != mb[key][c]:
                    problems.append(f"{key} {c}: {ma[key][c]} ({first}) vs {mb[key][c]} ({other})")
    return problems


def print_check(runs: dict[str, dict]) -> None:
    """The engines' counts side by side (``a/b/c`` in the order of ``runs``)."""
    first = next(iter(runs.values()))
    names = "/".join(runs)
    print(f"\nCheck at {first['n_events']:,} events ({first['n_deals']:,} deals): {names}")
    print(
        "  tracks: "
        + ", ".join(
            f"{k} " + "/".join(f"{r['tracks'][k]:,}" for r in runs.values()) for k in TRACK_SUMMARY
        )
    )
    by_key = [{(r["segment"], r["stage"]): r for r in run["metrics"]} for run in runs.values()]
    width = 9 * len(runs)
    print(
        f"  {'segment':<14}{'stage':<12}"
        + "".join(f"{c:>{width}}" for c in COUNTS)
        + f"{'median ' + names:>{width + 8}}{'p90 ' + names:>{width + 8}}"
    )
    print("  (pandas dwell quantiles are Kaplan-Meier estimates, the others plain)")

    def num(x):
        return "-" if x is None else f"{x:.2f}"

    for r in first["metrics"]:
        key = (r["segment"], r["stage"])
        rows = [m.get(key, {}) for m in by_key]
        cells = ["/".join(f"{o[c]:,}" if c in o else "-" for o in rows) for c in COUNTS]
        quantiles = [
            "/".join(num(o.get(c)) for o in rows) for c in ("median_dwell_days", "p90_dwell_days")
        ]
        print(
            f"  {r['segment'] or '(all)':<14}{r['stage']:<12}"
            + "".join(f"{cell:>{width}}" for cell in cells)
            + "".join(f"{q:>{width + 8}}" for q in quantiles)
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


def fastest_engine(by_engine: dict[str, dict]) -> str:
    """The engine with the shortest best time at one size."""
    return min(by_engine, key=lambda e: by_engine[e]["seconds"])


def print_results(results: dict[int, dict[str, dict]]) -> None:
    """Best run per engine and size; ratios against the fastest engine at that size."""
    print(
        f"\n{'events':>12}{'deals':>11}  {'engine':<8}{'time s':>8}{'CPU s':>8}"
        f"{'peak RSS MiB':>14}{'imports s':>11}{'time ratio':>12}{'RSS ratio':>11}  phases (s)"
    )
    for n, by_engine in results.items():
        ref = by_engine[fastest_engine(by_engine)]
        for engine, r in by_engine.items():
            t_ratio = r["seconds"] / ref["seconds"]
            m_ratio = r["peak_rss"] / ref["peak_rss"]
            phases = ", ".join(f"{k} {v:.2f}" for k, v in r["phases"].items())
            print(
                f"{n:>12,}{r['n_deals']:>11,}  {engine:<8}{r['seconds']:>8.2f}"
                f"{r['cpu_seconds']:>8.2f}{_mib(r['peak_rss']):>14}{r['import_seconds']:>11.2f}"
                f"{t_ratio:>11.2f}x{m_ratio:>10.2f}x  {phases}"
            )
    if len(results) > 1:
        sizes = sorted(results)
        small, large = sizes[0], sizes[-1]
        print(f"\nGrowth from {small:,} to {large:,} events ({large / small:.0f}x the events):")
        for engine in results[large]:
            if engine in results[small]:
                a, b = results[small][engine], results[large][engine]
                print(
                    f"  {engine:<8} time {b['seconds'] / a['seconds']:.1f}x, "
                    f"CPU {b['cpu_seconds'] / a['cpu_seconds']:.1f}x, "
                    f"peak RSS {b['peak_rss'] / a['peak_rss']:.1f}x"
                )


def print_targets(results: dict[int, dict[str, dict]]) -> None:
    sizes = [n for n in results if n >= TARGET_EVENTS and "pandas" in results[n]]
    if not sizes:
        print(
            f"\nTargets (issues 3 and 17) are set at {TARGET_EVENTS:,} events; not measured here."
        )
        return
    n = max(sizes)
    by_engine = results[n]
    p, duck = by_engine["pandas"], by_engine.get("duckdb")
    print(f"\nTargets at {n:,} events:")
    if duck:
        ratio = p["seconds"] / duck["seconds"]
        ok = "met" if ratio <= TARGET_RATIO else "NOT met"
        print(f"  (issue 3) time within {TARGET_RATIO}x of DuckDB: {ratio:.2f}x -> {ok}")
    ok = "met" if p["peak_rss"] < TARGET_PEAK_BYTES else "NOT met"
    print(f"  (issue 3) peak RSS under 3 GB: {p['peak_rss'] / 1e9:.2f} GB -> {ok}")
    others = {e: r for e, r in by_engine.items() if e != "pandas"}
    if others:
        fastest = fastest_engine(others)
        ratio = p["seconds"] / others[fastest]["seconds"]
        ok = "met" if ratio <= TARGET_RATIO_FASTEST else "NOT met"
        print(
            f"  (issue 17) time within {TARGET_RATIO_FASTEST}x of the fastest other engine "
            f"({fastest}): {ratio:.2f}x -> {ok}"
        )


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
        help="size at which the engines' counts are compared first (0: skip)",
    )
    parser.add_argument("--threads", type=int, default=None, help="DuckDB and Polars threads")
    parser.add_argument("--json", type=Path, default=None, help="write all results here")
    parser.add_argument("--worker", choices=ENGINES, help=argparse.SUPPRESS)
    args = parser.parse_args(argv)

    if args.worker:
        if args.worker == "duckdb":
            result = run_duckdb(args.data, args.threads)
        else:
            result = (run_pandas if args.worker == "pandas" else run_polars)(args.data)
        print(json.dumps(result))
        return 0

    missing = [e for e in args.engines if e in INSTALL_HINTS and not importlib.util.find_spec(e)]
    if missing:
        for engine in missing:
            print(INSTALL_HINTS[engine], file=sys.stderr)
        return 2
    if args.repeat < 1:
        parser.error(f"--repeat must be at least 1; got {args.repeat}")
    engines = list(dict.fromkeys(args.engines))
    info = machine()
    print(
        f"{info['cpus']} CPUs ({info['cpu_model']}), "
        f"{_mib(info['memory_bytes'])} MiB RAM, Python {info['python']}"
    )

    status = 0
    check = None
    if args.check_events and len(engines) > 1:
        folder = ensure_data(args.check_events, args.seed, args.data)
        runs = {e: measure(e, folder, args.threads) for e in engines}
        print_check(runs)
        problems = compare(runs)
        print("  counts agree" if not problems else "  MISMATCH:\n  " + "\n  ".join(problems))
        check = {"n_events": runs[engines[0]]["n_events"], "problems": problems, **runs}
        if problems:
            return 1

    results: dict[int, dict[str, dict]] = {}
    for n in args.events:
        folder = ensure_data(n, args.seed, args.data)
        runs_of: dict[str, list[dict]] = {e: [] for e in engines}
        for i in range(args.repeat):
            for engine in engines:
                r = measure(engine, folder, args.threads)
                runs_of[engine].append(r)
                print(
                    f"{n:,} events, {engine}, run {i + 1}: {r['seconds']:.2f} s, "
                    f"CPU {r['cpu_seconds']:.2f} s, peak {_mib(r['peak_rss'])} MiB "
                    f"(load average {r['load_average_before']:.1f})",
                    flush=True,
                )
        results[n] = {e: best(rs) for e, rs in runs_of.items()}
        problems = compare(results[n]) if len(engines) > 1 else []
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
