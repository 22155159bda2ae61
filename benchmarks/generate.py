"""Seeded synthetic canonical ``deals`` and ``stage_events`` tables for the benchmarks.

Vectorised (no Python loop per deal or event): 10 million stage events take seconds.
The frames have the canonical columns and dtypes that :mod:`playbook.workspace.load` produces
(``stage`` an ordered categorical of the default funnel's stage ids, text columns as
categoricals), plus ``deal_id`` as a categorical with the same categories in both
tables, so :func:`playbook.steps.journey.prepare` matches events to deals without hashing
strings. What real CRM exports contain is there too, at fixed rates:

* stages skipped (an intermediate stage without an event, a track starting at intent),
* won deals whose signing was never logged (``prepare`` infers the last stage),
* regressions (back one stage and forward again) and events logged twice,
* several events of one deal at the same second, deals without any event,
* open deals (censored; mostly recent ones) beside won and lost, six segments with
  different rates.

Events are written in time order, as a CRM history export is, so both engines sort.
Timestamps are whole seconds, stored as Parquet ``timestamp[us]``; strings are
dictionary-encoded (pandas categoricals on read). The output is deterministic: the
same ``--events`` and ``--seed`` give the same rows; ``manifest.json`` records a
content checksum, and an existing folder with a matching manifest is reused.

Usage::

    python benchmarks/generate.py --events 1000000 10000000 [--seed 7] [--out DIR] [--force]
"""

from __future__ import annotations

import argparse
import hashlib
import json
import time
from pathlib import Path

import numpy as np
import pandas as pd
import pyarrow as pa
import pyarrow.compute as pc
import pyarrow.parquet as pq

HERE = Path(__file__).resolve().parent
DEFAULT_OUT = HERE / ".data"
DEFAULT_SEED = 7
GENERATOR_VERSION = 1

STAGES = ("lead", "intent", "proposal", "negotiation", "signed")  # the default funnel
K = len(STAGES)
SEGMENTS = ("Energy", "Finance", "Healthcare", "Manufacturing", "Public", "Retail")
# chance to advance from stage k to k + 1; rows are segments
ADVANCE = np.array(
    [
        [0.80, 0.75, 0.65, 0.60],
        [0.82, 0.72, 0.62, 0.62],
        [0.78, 0.74, 0.66, 0.58],
        [0.80, 0.75, 0.40, 0.60],  # Manufacturing: proposal -> negotiation leaks
        [0.76, 0.70, 0.60, 0.55],
        [0.84, 0.77, 0.68, 0.64],
    ]
)
MEAN_DWELL_DAYS = np.array([4.0, 9.0, 14.0, 21.0, 3.0])
REGIONS = ("East", "North", "South", "West")
PRODUCTS = ("Core", "Enterprise", "Plus")
SOURCES = ("event", "inbound", "outbound", "partner")
N_OWNERS = 400
START = np.datetime64("2023-01-01T00:00:00", "s")
SPAN_DAYS = 730

P_NO_EVENTS = 0.01  # deals at lead that never reached the event log
P_NO_LEAD = 0.03  # the first recorded event is a later stage
P_SKIP = 0.05  # an intermediate stage without an event
P_UNLOGGED_WIN = 0.10  # won without a signed event
P_REGRESS = 0.02  # back one stage, then forward again
P_DUPLICATE = 0.03  # the same stage logged twice (seconds to minutes apart)
P_SAME_SECOND = 0.02  # an event at the same second as the deal's previous one
RECENT_DAYS = 90  # deals not won whose last event is this recent are mostly still open
P_OPEN_RECENT = 0.8
P_OPEN_STALE = 0.03
ROW_GROUP_SIZE = 1 << 21


def _expected_events_per_deal() -> float:
    reach = np.cumprod(np.c_[np.ones(len(SEGMENTS)), ADVANCE], axis=1).mean(axis=0)
    return float(reach.sum()) * (1 + 2 * P_REGRESS + P_DUPLICATE - P_SKIP)


def _simulate(n_deals: int, seed: int) -> dict[str, np.ndarray]:
    """Per-deal attributes and the event log (events grouped by deal, in deal order)."""
    rng = np.random.default_rng(seed)
    seg = rng.integers(0, len(SEGMENTS), n_deals)
    created = np.sort(rng.integers(0, SPAN_DAYS * 86_400, n_deals))
    furthest = np.zeros(n_deals, dtype=np.int64)
    alive = np.ones(n_deals, dtype=bool)
    for k in range(K - 1):
        alive &= rng.random(n_deals) < ADVANCE[seg, k]
        furthest[alive] = k + 1
    won = furthest == K - 1
    no_events = (furthest == 0) & (rng.random(n_deals) < P_NO_EVENTS)

    # the base path: one event per stage up to the furthest one, some left out
    n_base = np.where(no_events, 0, furthest + 1)
    deal = np.repeat(np.arange(n_deals), n_base)
    stage = np.arange(len(deal)) - np.repeat(np.cumsum(n_base) - n_base, n_base)
    top = stage == furthest[deal]
    drop = (stage > 0) & ~top & (rng.random(len(deal)) < P_SKIP)
    drop |= (stage == 0) & ~top & (rng.random(len(deal)) < P_NO_LEAD)
    drop |= (stage == K - 1) & (rng.random(len(deal)) < P_UNLOGGED_WIN)
    deal, stage = deal[~drop], stage[~drop]

    # regressions (s, s-1, s) and duplicates (s, s) by repeating rows
    u = rng.random(len(deal))
    regress = (stage >= 1) & (stage <= K - 2) & (u < P_REGRESS)
    dup = ~regress & (u < P_REGRESS + P_DUPLICATE)
    mult = np.where(regress, 3, np.where(dup, 2, 1))
    src = np.repeat(np.arange(len(deal)), mult)
    copy = np.arange(len(src)) - np.repeat(np.cumsum(mult) - mult, mult)
    deal = deal[src]
    stage = stage[src] - (regress[src] & (copy == 1))
    second_copy = dup[src] & (copy == 1)

    # times: cumulative whole-second gaps within each deal, from its creation
    n = len(deal)
    first = np.r_[True, deal[1:] != deal[:-1]] if n else np.zeros(0, dtype=bool)
    prev_stage = np.r_[0, stage[:-1]] if n else np.zeros(0, dtype=np.int64)
    gap = rng.exponential(1.0, n) * MEAN_DWELL_DAYS[prev_stage] * 86_400
    gap[second_copy] = rng.exponential(600.0, int(second_copy.sum()))
    gap[rng.random(n) < P_SAME_SECOND] = 0.0
    gap[first] = rng.exponential(3_600.0, int(first.sum()))
    gap_s = np.floor(gap).astype(np.int64)
    csum = np.cumsum(gap_s)
    starts = np.flatnonzero(first)
    before = csum[starts] - gap_s[starts]  # seconds of all earlier deals' gaps
    t = created[deal] + csum - np.repeat(before, np.diff(np.r_[starts, n]))

    # the export is taken at the end of the span: later events are not in it
    end = SPAN_DAYS * 86_400
    seen = t <= end
    deal, stage, t = deal[seen], stage[seen], t[seen]
    n = len(deal)

    # closing: won at the signed event (a while after the last event when the signing
    # was not logged), lost some time after the last event; not won and recently
    # moved: mostly still open (a few stale deals stay open too). A closing after
    # the export date leaves the deal open.
    last_t = created.copy()
    ends = np.flatnonzero(np.r_[deal[1:] != deal[:-1], True]) if n else np.zeros(0, np.int64)
    last_t[deal[ends]] = t[ends]
    logged_win = np.zeros(n_deals, dtype=bool)
    logged_win[deal[stage == K - 1]] = True
    wait = np.floor(rng.exponential(12 * 86_400, n_deals)).astype(np.int64)
    closed = np.where(won & logged_win, last_t, last_t + wait // np.where(won, 6, 1))
    recent = last_t > end - RECENT_DAYS * 86_400
    is_open = rng.random(n_deals) < np.where(recent, P_OPEN_RECENT, P_OPEN_STALE)
    status = np.where(won, 1, np.where(is_open, 0, 2))  # 0 open, 1 won, 2 lost
    status[closed > end] = 0
    return {
        "seg": seg,
        "created": created,
        "status": status,
        "closed": closed,
        "region": rng.integers(0, len(REGIONS), n_deals),
        "product": rng.integers(0, len(PRODUCTS), n_deals),
        "source": rng.integers(0, len(SOURCES), n_deals),
        "owner": rng.integers(0, N_OWNERS, n_deals),
        "amount": np.round(rng.gamma(2.0, 6_000.0, n_deals), 2),
        "ev_deal": deal,
        "ev_stage": stage,
        "ev_t": t,
    }


def _deal_id_dtype(n: int) -> pd.CategoricalDtype:
    width = max(8, len(str(max(n - 1, 0))))
    digits = pc.utf8_lpad(pa.array(np.arange(n).astype(str)), width=width, padding="0")
    ids = pc.binary_join_element_wise("D", digits, "").to_numpy(zero_copy_only=False)
    return pd.CategoricalDtype(pd.Index(ids, dtype=object))


def _cat(codes: np.ndarray, labels) -> pd.Categorical:
    return pd.Categorical.from_codes(codes, categories=list(labels))


def _seconds(s: np.ndarray) -> np.ndarray:
    return (START + s.astype("timedelta64[s]")).astype("datetime64[ns]")


def generate(n_events: int, seed: int = DEFAULT_SEED) -> tuple[pd.DataFrame, pd.DataFrame]:
    """Canonical ``deals`` and ``stage_events`` frames with exactly ``n_events`` events.

    Parameters
    ----------
    n_events : int
        Number of stage events (rows of ``stage_events``).
    seed : int
        Seed of the random generator; the same seed gives the same frames.

    Returns
    -------
    (deals, stage_events)
        ``deals``: deal_id | created_at | owner_id | status | closed_at | amount | segment |
        region | product | source, in creation order. ``stage_events``: deal_id | stage |
        entered_at, in time order.
    """
    if n_events < 1:
        raise ValueError(f"n_events must be a positive number of events; got {n_events!r}")
    n_deals = int(n_events / _expected_events_per_deal() * 1.03) + 100
    while True:
        sim = _simulate(n_deals, seed)
        if len(sim["ev_deal"]) >= n_events:
            break
        n_deals = int(n_deals * 1.05) + 100
    # keep the first n_events events and the deals up to the last one they touch
    keep_deals = int(sim["ev_deal"][n_events - 1]) + 1
    ev_deal = sim["ev_deal"][:n_events]
    ev_stage = sim["ev_stage"][:n_events]
    ev_t = sim["ev_t"][:n_events]
    d = {k: v[:keep_deals] for k, v in sim.items() if not k.startswith("ev_")}

    ids = _deal_id_dtype(keep_deals)
    status = _cat(d["status"], ("open", "won", "lost"))
    closed = _seconds(d["closed"])
    closed[d["status"] == 0] = np.datetime64("NaT")
    deals = pd.DataFrame(
        {
            "deal_id": pd.Categorical.from_codes(np.arange(keep_deals), dtype=ids),
            "created_at": _seconds(d["created"]),
            "owner_id": _cat(d["owner"], [f"R{i:03d}" for i in range(N_OWNERS)]),
            "status": status,
            "closed_at": closed,
            "amount": d["amount"],
            "segment": _cat(d["seg"], SEGMENTS),
            "region": _cat(d["region"], REGIONS),
            "product": _cat(d["product"], PRODUCTS),
            "source": _cat(d["source"], SOURCES),
        }
    )
    order = np.lexsort((ev_stage, ev_deal, ev_t))
    events = pd.DataFrame(
        {
            "deal_id": pd.Categorical.from_codes(ev_deal[order], dtype=ids),
            "stage": pd.Categorical.from_codes(
                ev_stage[order], dtype=pd.CategoricalDtype(list(STAGES), ordered=True)
            ),
            "entered_at": _seconds(ev_t[order]),
        }
    )
    return deals, events


def checksum(*frames: pd.DataFrame) -> str:
    """SHA-256 of the frames' contents (values and categories, not the file bytes)."""
    h = hashlib.sha256()
    for frame in frames:
        h.update(",".join(frame.columns).encode())
        h.update(pd.util.hash_pandas_object(frame, index=False).to_numpy().tobytes())
    return h.hexdigest()


def data_dir(n_events: int, seed: int = DEFAULT_SEED, out: Path = DEFAULT_OUT) -> Path:
    """The folder holding the tables for ``n_events`` and ``seed``."""
    return Path(out) / f"events_{n_events}_seed{seed}"


def write(
    n_events: int, seed: int = DEFAULT_SEED, out: Path = DEFAULT_OUT, force: bool = False
) -> Path:
    """Generate and write ``deals.parquet``, ``stage_events.parquet`` and ``manifest.json``.

    Returns the folder; an existing one whose manifest matches is kept unless ``force``.
    """
    folder = data_dir(n_events, seed, out)
    manifest = folder / "manifest.json"
    if not force and manifest.exists():
        meta = json.loads(manifest.read_text())
        if meta.get("generator_version") == GENERATOR_VERSION and all(
            (folder / f).exists() for f in ("deals.parquet", "stage_events.parquet")
        ):
            return folder
    folder.mkdir(parents=True, exist_ok=True)
    t0 = time.perf_counter()
    deals, events = generate(n_events, seed)
    t_gen = time.perf_counter() - t0
    for name, frame in (("deals", deals), ("stage_events", events)):
        table = pa.Table.from_pandas(frame, preserve_index=False)
        pq.write_table(
            table,
            folder / f"{name}.parquet",
            row_group_size=ROW_GROUP_SIZE,
            compression="snappy",
            coerce_timestamps="us",
        )
    meta = {
        "generator_version": GENERATOR_VERSION,
        "seed": seed,
        "n_events": len(events),
        "n_deals": len(deals),
        "checksum": checksum(deals, events),
        "generate_seconds": round(t_gen, 2),
        "pandas": pd.__version__,
        "numpy": np.__version__,
        "pyarrow": pa.__version__,
    }
    manifest.write_text(json.dumps(meta, indent=1) + "\n")
    return folder


def write_cache(folder: Path, cache: Path) -> Path:
    """The generated tables as the report steps read them: a
    :func:`playbook.workspace.load.save_cache`
    folder (default config) for :func:`playbook.workspace.load.load_cache`. Returns ``cache``."""
    from playbook.workspace.cache import save_cache
    from playbook.workspace.config import default_config
    from playbook.workspace.dataset import Dataset

    deals = pd.read_parquet(folder / "deals.parquet")
    events = pd.read_parquet(folder / "stage_events.parquet")
    return save_cache(Dataset(config=default_config(), deals=deals, stage_events=events), cache)


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument(
        "--events", type=int, nargs="+", default=[1_000_000], help="numbers of stage events"
    )
    parser.add_argument("--seed", type=int, default=DEFAULT_SEED)
    parser.add_argument("--out", type=Path, default=DEFAULT_OUT, help="data folder")
    parser.add_argument("--force", action="store_true", help="regenerate existing folders")
    args = parser.parse_args(argv)
    for n in args.events:
        t0 = time.perf_counter()
        folder = write(n, args.seed, args.out, args.force)
        meta = json.loads((folder / "manifest.json").read_text())
        print(
            f"{folder}: {meta['n_events']:,} events, {meta['n_deals']:,} deals, "
            f"checksum {meta['checksum'][:12]} ({time.perf_counter() - t0:.1f} s)"
        )


if __name__ == "__main__":
    main()
