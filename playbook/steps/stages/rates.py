"""Stage rates: conversion from each stage to the next, time to advance, cohorts, lost deals.

The counting rules are in the docstring of :mod:`playbook.steps.stages`."""

from __future__ import annotations

import warnings

import numpy as np
import pandas as pd

from playbook.stats import (
    SmallSampleWarning,
    cumulative_incidence,
    small_sample_message,
    wilson_interval,
)
from playbook.steps.journey import LOST, JourneyData, aggregate
from playbook.steps.prepared import takes_pilot
from playbook.steps.stages.groups import (
    cohort_period,
    group_codes,
    over_slices,
    stage_cat,
)

RATE_COLUMNS = [
    "from",
    "to",
    "entered",
    "advanced",
    "lost",
    "open",
    "rate",
    "ci_low",
    "ci_high",
    "mature_n",
    "immature",
    "median_dwell_days",
    "p90_dwell_days",
]


def rates_table(
    j: JourneyData,
    codes: np.ndarray,
    labels: pd.DataFrame,
    by: list[str],
    confidence: float = 0.95,
    dwell: bool = True,
) -> pd.DataFrame:
    K = j.n_stages
    agg = aggregate(j, codes, len(labels), dwell=dwell)
    agg = agg[agg["stage"] < K - 1].reset_index(drop=True)
    low, high = wilson_interval(agg["advanced"].to_numpy(), agg["mature_n"].to_numpy(), confidence)
    with np.errstate(invalid="ignore", divide="ignore"):
        rate = np.where(agg["mature_n"] > 0, agg["advanced"] / agg["mature_n"], np.nan)
    out = (
        labels.iloc[agg["group"].to_numpy()].reset_index(drop=True)
        if by
        else pd.DataFrame(index=agg.index)
    )
    out["from"] = stage_cat(agg["stage"], j.stage_ids)
    out["to"] = stage_cat(agg["stage"] + 1, j.stage_ids)
    for col in ("entered", "advanced", "lost", "open"):
        out[col] = agg[col].to_numpy()
    out["rate"] = rate
    out["ci_low"] = low
    out["ci_high"] = high
    for col in ("mature_n", "immature", "median_dwell_days", "p90_dwell_days"):
        out[col] = agg[col].to_numpy()
    return out


def _warn_small(out: pd.DataFrame, by: list[str], min_n: int) -> None:
    small = out[(out["mature_n"] > 0) & (out["mature_n"] < min_n)]
    if not len(small):
        return
    row = small.sort_values("mature_n", kind="stable").iloc[0]
    where = ", ".join(f"{c}={row[c]}" for c in by) or None
    n, more = int(row["mature_n"]), len(small) - 1
    msg = small_sample_message(f"{row['from']} → {row['to']}", where, n, more=more)
    warning = SmallSampleWarning(
        msg,
        stages=(str(row["from"]), str(row["to"])),
        where=[str(row[c]) for c in by],
        n=n,
        more=more,
    )
    warnings.warn(warning, stacklevel=3)


@takes_pilot
@over_slices
def stage_rates(
    by: list[str], j: JourneyData, *, min_n: int = 30, confidence: float = 0.95
) -> pd.DataFrame:
    """Stage-to-next-stage conversion, optionally per slice, censoring-aware.

    Parameters
    ----------
    deals, stage_events : DataFrame
        Canonical tables.
    config : PilotConfig
    by : str or list of str, optional
        Deal column(s) to slice by (e.g. "segment", ["region", "owner_id"]).
    as_of : datetime-like, optional
        Analysis date (default: the latest timestamp in the data).
    min_n : int
        Rows whose ``mature_n`` is below this (but above 0) raise one SmallSampleWarning.
    confidence : float
        Interval coverage.

    Returns
    -------
    DataFrame
        ``[by...] | from | to | entered | advanced | lost | open | rate | ci_low | ci_high |
        mature_n | immature | median_dwell_days | p90_dwell_days``, one row per slice and
        stage except the last. ``entered = advanced + lost + open``; ``rate =
        advanced / mature_n``; ``immature`` open deals still within the stage's window.

    Warns
    -----
    SmallSampleWarning
        When some row rests on fewer than ``min_n`` resolved deals.
    """
    codes, labels = group_codes(j.deals[by], by)
    out = rates_table(j, codes, labels, by, confidence)
    _warn_small(out, by, min_n)
    return out


@takes_pilot
@over_slices
def time_to_advance(by: list[str], j: JourneyData, *, max_days: int | None = None) -> pd.DataFrame:
    """Cumulative incidence of advancing (and of being lost) within t days of entering a stage.

    Aalen–Johansen estimate with advance and loss as competing outcomes; open deals are
    censored at ``as_of``. Time runs from the first entry to the stage; deals that passed
    a stage without a visit (skip rule) have no time there and are left out.

    Parameters
    ----------
    max_days : int, optional
        Last day of the curve; default twice the longest stage window.

    Returns
    -------
    DataFrame
        ``[by...] | stage | days | at_risk | cum_advanced | cum_lost`` for days
        0..max_days, for every stage except the last that some deal visited.
    """
    K = j.n_stages
    codes, labels = group_codes(j.deals[by], by)
    G = len(labels)
    if max_days is None:
        max_days = int(2 * j.windows.max())
    grid = np.arange(0, int(max_days) + 1, dtype=float)
    visited = j.visits > 0
    visited[:, K - 1] = False
    event = np.where(j.advanced, 1, np.where(j.lost, 2, 0))
    gk = codes[:, None] * K + np.arange(K)[None, :]
    res = cumulative_incidence(
        j.days[visited], event[visited], gk[visited], G * K, grid, resolution=1 / 24
    )
    n_sub = np.bincount(gk[visited], minlength=G * K)
    keep = np.flatnonzero(n_sub > 0)
    g, s = np.divmod(keep, K)
    n_grid = len(grid)
    out = (
        labels.iloc[np.repeat(g, n_grid)].reset_index(drop=True)
        if by
        else pd.DataFrame(index=range(len(keep) * n_grid))
    )
    out["stage"] = stage_cat(np.repeat(s, n_grid), j.stage_ids)
    out["days"] = np.tile(grid, len(keep))
    out["at_risk"] = res[keep, :, 0].ravel().astype(np.int64)
    out["cum_advanced"] = res[keep, :, 1].ravel()
    out["cum_lost"] = res[keep, :, 2].ravel()
    return out


@takes_pilot
@over_slices
def cohort_rates(
    by: list[str], j: JourneyData, freq: str = "M", *, confidence: float = 0.95
) -> pd.DataFrame:
    """Stage rates per creation cohort, with cohorts too young to read marked.

    Parameters
    ----------
    freq : str
        Cohort period ("M" month, "Q" quarter, "W" week).

    Returns
    -------
    DataFrame
        ``[by...] | cohort | <stage_rates columns> | immature_cohort``; ``cohort`` is the
        period start. ``immature_cohort`` is True when the time from the cohort's end to
        ``as_of`` is shorter than the sum of the windows of the stages up to ``from``
        (its deals have not had time to reach and leave the stage): read it as
        provisional, not as low conversion.
    """
    period = cohort_period(j.deals["created_at"], freq)
    keys = pd.DataFrame({c: j.deals[c].to_numpy() for c in by})
    keys["cohort"] = period.dt.start_time.to_numpy()
    cols = [*by, "cohort"]
    codes, labels = group_codes(keys, cols)
    out = rates_table(j, codes, labels, cols, confidence)
    ends = pd.to_datetime(out["cohort"]).dt.to_period(freq).dt.end_time
    age = (j.as_of - ends).dt.total_seconds().to_numpy() / 86400
    cum_window = np.cumsum(j.windows)[out["from"].cat.codes.to_numpy()]
    out["immature_cohort"] = ~(age >= cum_window)
    return out


@takes_pilot
@over_slices
def lost_breakdown(by: list[str], j: JourneyData) -> pd.DataFrame:
    """Lost deals by the stage they were lost at and their ``lost_reason``.

    A deal is lost at its furthest stage (as in :func:`stage_rates`).

    Returns
    -------
    DataFrame
        ``[by...] | stage | lost_reason | lost | share_of_stage | share_of_lost | amount``;
        shares are within the slice, ``amount`` sums the deals' amounts (missing ones
        skipped; NaN when none is known). A missing reason stays missing (NaN).
    """
    sel = np.flatnonzero((j.status == LOST) & (j.furthest >= 0))
    d = j.deals
    frame = pd.DataFrame({c: d[c].to_numpy()[sel] for c in by})
    frame["stage"] = stage_cat(j.furthest[sel], j.stage_ids)
    reason = d["lost_reason"].to_numpy()[sel] if "lost_reason" in d else np.full(len(sel), np.nan)
    frame["lost_reason"] = reason
    amount = d["amount"].to_numpy(dtype=float)[sel] if "amount" in d else np.full(len(sel), np.nan)
    frame["amount"] = amount
    keys = [*by, "stage", "lost_reason"]
    groups = frame.groupby(keys, dropna=False, sort=True, observed=True)
    out = groups.agg(lost=("stage", "size")).reset_index()
    out["amount"] = groups["amount"].sum(min_count=1).to_numpy()  # no amount: NaN, not 0
    stage_total = out.groupby([*by, "stage"], dropna=False, observed=True)["lost"].transform("sum")
    slice_total = (
        out.groupby(by, dropna=False, observed=True)["lost"].transform("sum")
        if by
        else out["lost"].sum()
    )
    out["share_of_stage"] = out["lost"] / stage_total
    out["share_of_lost"] = out["lost"] / slice_total
    return out[[*by, "stage", "lost_reason", "lost", "share_of_stage", "share_of_lost", "amount"]]
