"""Step 2, stage rates: which stage, in which slice, converts worse than it should.

Counting rules are those of :mod:`playbook.steps.journey` (furthest stage, skip rule,
open deals censored at ``as_of``). A stage's conversion ``rate`` is
censoring-aware: its denominator ``mature_n`` holds the deals whose outcome at
the stage is known (advanced or lost) plus open deals that have sat there longer
than the stage's ``window_days`` (counted as not advanced); open deals still
within the window (``immature``) are left out. Intervals are Wilson 95%.
Like the journey functions, each takes ``journey=`` (a
:func:`playbook.steps.journey.prepare` result for the same inputs) to skip preparation.
"""

from __future__ import annotations

import logging
import warnings
from collections.abc import Sequence

import numpy as np
import pandas as pd

from playbook.findings import Finding
from playbook.stats import (
    SmallSampleWarning,
    cumulative_incidence,
    small_sample_message,
    wilson_interval,
)
from playbook.steps.journey import LOST, WON, JourneyData, aggregate, resolve
from playbook.steps.stages.bottlenecks import bottleneck_tests, find_bottlenecks, retest_table
from playbook.workspace.config import PilotConfig

logger = logging.getLogger(__name__)

__all__ = [
    "stage_rates",
    "time_to_advance",
    "cohort_rates",
    "lost_breakdown",
    "find_bottlenecks",
    "bottleneck_tests",
    "retest_table",
    "growth_decomposition",
    "stage_sensitivity",
]

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


def _as_list(by: str | Sequence[str] | None) -> list[str]:
    if by is None:
        return []
    return [by] if isinstance(by, str) else list(by)


def _check_by(deals: pd.DataFrame, by: list[str]) -> None:
    missing = [c for c in by if c not in deals.columns]
    if missing:
        raise ValueError(
            f"by names column(s) {', '.join(missing)} that deals does not have; "
            f"choose from {', '.join(map(str, deals.columns))}"
        )


def _groups(keys: pd.DataFrame, by: list[str]) -> tuple[np.ndarray, pd.DataFrame]:
    """Group code of each row and the group labels (sorted, missing values kept)."""
    if not by:
        return np.zeros(len(keys), dtype=np.int64), pd.DataFrame(index=range(1))
    grouped = keys.groupby(by, dropna=False, sort=True, observed=True)
    codes = grouped.ngroup().to_numpy(dtype=np.int64)
    labels = grouped.size().index.to_frame(index=False)[by]
    return codes, labels


def _stage_cat(codes, ids) -> pd.Categorical:
    return pd.Categorical.from_codes(np.asarray(codes, dtype=np.int64), categories=list(ids))


def _rates(
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
    out["from"] = _stage_cat(agg["stage"], j.stage_ids)
    out["to"] = _stage_cat(agg["stage"] + 1, j.stage_ids)
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


def stage_rates(
    deals: pd.DataFrame,
    stage_events: pd.DataFrame,
    config: PilotConfig,
    by: str | Sequence[str] | None = None,
    as_of=None,
    *,
    min_n: int = 30,
    confidence: float = 0.95,
    journey: JourneyData | None = None,
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
    by = _as_list(by)
    _check_by(deals, by)
    j = resolve(deals, stage_events, config, as_of, journey)
    codes, labels = _groups(j.deals[by], by)
    out = _rates(j, codes, labels, by, confidence)
    _warn_small(out, by, min_n)
    return out


def time_to_advance(
    deals: pd.DataFrame,
    stage_events: pd.DataFrame,
    config: PilotConfig,
    by: str | Sequence[str] | None = None,
    as_of=None,
    *,
    max_days: int | None = None,
    journey: JourneyData | None = None,
) -> pd.DataFrame:
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
    by = _as_list(by)
    _check_by(deals, by)
    j = resolve(deals, stage_events, config, as_of, journey)
    K = j.n_stages
    codes, labels = _groups(j.deals[by], by)
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
    out["stage"] = _stage_cat(np.repeat(s, n_grid), j.stage_ids)
    out["days"] = np.tile(grid, len(keep))
    out["at_risk"] = res[keep, :, 0].ravel().astype(np.int64)
    out["cum_advanced"] = res[keep, :, 1].ravel()
    out["cum_lost"] = res[keep, :, 2].ravel()
    return out


def _period(created: pd.Series, freq: str) -> pd.Series:
    try:
        return pd.to_datetime(created).dt.to_period(freq)
    except (ValueError, TypeError) as exc:
        raise ValueError(
            f"freq must be a pandas period alias such as 'M', 'Q' or 'W'; got {freq!r}"
        ) from exc


def cohort_rates(
    deals: pd.DataFrame,
    stage_events: pd.DataFrame,
    config: PilotConfig,
    freq: str = "M",
    by: str | Sequence[str] | None = None,
    as_of=None,
    *,
    confidence: float = 0.95,
    journey: JourneyData | None = None,
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
    by = _as_list(by)
    _check_by(deals, by)
    j = resolve(deals, stage_events, config, as_of, journey)
    period = _period(j.deals["created_at"], freq)
    keys = pd.DataFrame({c: j.deals[c].to_numpy() for c in by})
    keys["cohort"] = period.dt.start_time.to_numpy()
    cols = [*by, "cohort"]
    codes, labels = _groups(keys, cols)
    out = _rates(j, codes, labels, cols, confidence)
    ends = pd.to_datetime(out["cohort"]).dt.to_period(freq).dt.end_time
    age = (j.as_of - ends).dt.total_seconds().to_numpy() / 86400
    cum_window = np.cumsum(j.windows)[out["from"].cat.codes.to_numpy()]
    out["immature_cohort"] = ~(age >= cum_window)
    return out


def lost_breakdown(
    deals: pd.DataFrame,
    stage_events: pd.DataFrame,
    config: PilotConfig,
    by: str | Sequence[str] | None = None,
    as_of=None,
    *,
    journey: JourneyData | None = None,
) -> pd.DataFrame:
    """Lost deals by the stage they were lost at and their ``lost_reason``.

    A deal is lost at its furthest stage (as in :func:`stage_rates`).

    Returns
    -------
    DataFrame
        ``[by...] | stage | lost_reason | lost | share_of_stage | share_of_lost | amount``;
        shares are within the slice, ``amount`` sums the deals' amounts (missing ones
        skipped; NaN when none is known). A missing reason stays missing (NaN).
    """
    by = _as_list(by)
    _check_by(deals, by)
    j = resolve(deals, stage_events, config, as_of, journey)
    sel = np.flatnonzero((j.status == LOST) & (j.furthest >= 0))
    d = j.deals
    frame = pd.DataFrame({c: d[c].to_numpy()[sel] for c in by})
    frame["stage"] = _stage_cat(j.furthest[sel], j.stage_ids)
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


# --- growth formula --------------------------------------------------------------------------


def _funnel_counts(j: JourneyData, codes: np.ndarray, G: int) -> dict[str, np.ndarray]:
    K = j.n_stages
    has = j.furthest >= 0
    g = np.where(has, codes, -1)
    inc = g >= 0

    def cnt(mask):
        return np.bincount(g[inc & mask], minlength=G).astype(float)

    reached = np.stack([cnt(j.furthest >= s) for s in range(K - 1)], axis=1)
    won = cnt(j.status == WON)
    d = j.deals
    if "amount" in d:
        amt = d["amount"].to_numpy(dtype=float)
        ok = inc & (j.status == WON) & ~np.isnan(amt)
        rev = np.bincount(g[ok], weights=amt[ok], minlength=G)
        n_amt = np.bincount(g[ok], minlength=G)
        with np.errstate(invalid="ignore", divide="ignore"):
            aov = rev / n_amt
    else:
        aov = np.full(G, np.nan)
    if "account_id" in d and d["account_id"].notna().any():
        acc = pd.factorize(d["account_id"])[0].astype(np.int64)
        acc = np.where(acc < 0, -(np.arange(len(acc)) + 1), acc)  # missing: one account per deal
        pair = pd.DataFrame({"g": g[inc], "a": acc[inc]})
        accounts = np.bincount(pair.drop_duplicates()["g"].to_numpy(), minlength=G).astype(float)
    else:
        accounts = reached[:, 0].copy()
    return {"reached": reached, "won": won, "aov": aov, "accounts": accounts}


def growth_decomposition(
    deals: pd.DataFrame,
    stage_events: pd.DataFrame,
    config: PilotConfig,
    freq: str = "M",
    by: str | Sequence[str] | None = None,
    as_of=None,
    *,
    journey: JourneyData | None = None,
) -> pd.DataFrame:
    """Revenue per creation period as leads x frequency x stage rates x order value.

    revenue = leads x frequency x prod(stage rates) x aov, exactly, per cohort period:
    ``leads`` distinct accounts with a deal in the funnel (deals when there is no
    ``account_id``), ``frequency`` deals per lead account, stage rate = deals reaching
    the next stage / deals reaching this one (furthest-stage counting, the last rate
    being won / reached), ``aov`` the mean amount of won deals. Each period's change
    from the previous one is split among the factors by a log-mean (LMDI) decomposition:
    the contributions add up to the change in revenue.

    Returns
    -------
    DataFrame
        ``[by...] | period | factor | stage | value | log_change | contribution |
        immature``; ``factor`` is leads, frequency, rate (``stage`` = from-stage id), aov
        or revenue. ``log_change`` and ``contribution`` are NaN for a slice's first
        period and where a factor is 0 or missing. ``immature`` marks periods younger
        than the sum of the stage windows (their rates are still rising).
    """
    by = _as_list(by)
    _check_by(deals, by)
    j = resolve(deals, stage_events, config, as_of, journey)
    K = j.n_stages
    period = _period(j.deals["created_at"], freq)
    keys = pd.DataFrame({c: j.deals[c].to_numpy() for c in by})
    keys["period"] = period.dt.start_time.to_numpy()
    codes, labels = _groups(keys, [*by, "period"])
    G = len(labels)
    c = _funnel_counts(j, codes, G)
    reached = c["reached"]
    with np.errstate(invalid="ignore", divide="ignore"):
        rates = np.empty((G, K - 1))
        rates[:, : K - 2] = reached[:, 1:] / reached[:, :-1]
        rates[:, K - 2] = c["won"] / reached[:, K - 2]
        freq_f = reached[:, 0] / c["accounts"]
    leads = c["accounts"]
    revenue = leads * freq_f * np.prod(rates, axis=1) * c["aov"]
    revenue = np.where(c["won"] == 0, 0.0, revenue)
    names = ["leads", "frequency"] + ["rate"] * (K - 1) + ["aov", "revenue"]
    stage_of = [None, None, *j.stage_ids[: K - 1], None, None]
    values = np.column_stack([leads, freq_f, rates, c["aov"], revenue])  # (G, F)
    F = values.shape[1]

    # previous period within the same slice
    order = labels.sort_values([*by, "period"], kind="stable").index.to_numpy()
    slice_code = (
        labels.groupby(by, dropna=False, sort=False).ngroup().to_numpy()
        if by
        else np.zeros(G, dtype=np.int64)
    )[order]
    prev = np.full(G, -1)
    if G > 1:
        prev[order[1:]] = np.where(slice_code[1:] == slice_code[:-1], order[:-1], -1)
    has_prev = prev >= 0
    pv = values[np.maximum(prev, 0)]
    with np.errstate(invalid="ignore", divide="ignore"):
        dlog = np.log(values) - np.log(pv)
        r1, r0 = revenue, revenue[np.maximum(prev, 0)]
        lm = np.where(np.isclose(r1, r0), r1, (r1 - r0) / (np.log(r1) - np.log(r0)))
        contrib = lm[:, None] * dlog
    contrib[:, F - 1] = revenue - revenue[np.maximum(prev, 0)]
    dlog[~has_prev] = np.nan
    contrib[~has_prev] = np.nan
    bad = ~np.isfinite(dlog[:, : F - 1]).all(axis=1)
    contrib[bad, : F - 1] = np.nan
    dlog[~np.isfinite(dlog)] = np.nan

    ends = pd.to_datetime(labels["period"]).dt.to_period(freq).dt.end_time
    age = (j.as_of - ends).dt.total_seconds().to_numpy() / 86400
    immature = ~(age >= j.windows[: K - 1].sum())
    out = labels.iloc[np.repeat(np.arange(G), F)].reset_index(drop=True)
    out["factor"] = np.tile(names, G)
    out["stage"] = pd.Categorical(
        np.tile(np.array(stage_of, dtype=object), G), categories=list(j.stage_ids)
    )
    out["value"] = values.ravel()
    out["log_change"] = dlog.ravel()
    out["contribution"] = contrib.ravel()
    out["immature"] = np.repeat(immature, F)
    return out[
        [*by, "period", "factor", "stage", "value", "log_change", "contribution", "immature"]
    ]


def stage_sensitivity(
    deals: pd.DataFrame,
    stage_events: pd.DataFrame,
    config: PilotConfig,
    by: str | Sequence[str] | None = None,
    as_of=None,
    *,
    points: float = 0.01,
    relative: float = 0.10,
    journey: JourneyData | None = None,
) -> pd.DataFrame:
    """Monthly revenue gained by improving each stage's rate, to see where to act.

    Baseline monthly revenue = leads per month x prod(censoring-aware stage rates) x
    average won amount, over the months from the first deal's creation to ``as_of``.
    Raising one stage's rate by ``points`` (absolute) or by ``relative`` (capped at 1),
    the others unchanged, gains ``gain_points`` or ``gain_relative``.

    Returns
    -------
    DataFrame
        ``[by...] | from | to | rate | revenue | gain_points | gain_relative``; revenue is
        in deal amount units per month. When no amount is known the column is
        ``won_deals`` (won deals per month) and the gains are in won deals too.
    """
    by = _as_list(by)
    _check_by(deals, by)
    j = resolve(deals, stage_events, config, as_of, journey)
    K = j.n_stages
    codes, labels = _groups(j.deals[by], by)
    G = len(labels)
    rt = _rates(j, codes, labels, by, dwell=False)
    r = rt["rate"].to_numpy().reshape(G, K - 1)
    c = _funnel_counts(j, codes, G)
    company_aov = _funnel_counts(j, np.zeros(j.n_deals, dtype=np.int64), 1)["aov"][0]
    aov = np.where(np.isnan(c["aov"]), 1.0 if np.isnan(company_aov) else company_aov, c["aov"])
    created = pd.to_datetime(j.deals["created_at"]).dropna()
    months = 1
    if len(created):
        months = max(1, (j.as_of.to_period("M") - created.min().to_period("M")).n + 1)
    leads_pm = c["reached"][:, 0] / months
    base = leads_pm * np.prod(r, axis=1) * aov
    others = np.empty_like(r)
    for s in range(K - 1):
        others[:, s] = np.prod(np.delete(r, s, axis=1), axis=1)
    scale = leads_pm[:, None] * aov[:, None] * others
    out = rt[[*by, "from", "to", "rate"]].copy()
    out["revenue"] = np.repeat(base, K - 1)
    out["gain_points"] = (scale * (np.minimum(r + points, 1) - r)).ravel()
    out["gain_relative"] = (scale * (np.minimum(r * (1 + relative), 1) - r)).ravel()
    if np.isnan(company_aov):  # no amount known: the figures count won deals, say so
        out = out.rename(columns={"revenue": "won_deals"})
    return out


def dimensions_present(deals: pd.DataFrame, config: PilotConfig) -> list[str]:
    """The configured slicing dimensions that exist in ``deals`` and have 2+ values."""
    return [
        d for d in config.dimensions if d in deals.columns and deals[d].nunique(dropna=True) > 1
    ]


def flagged_cells(findings: Sequence[Finding], dimension: str) -> set[tuple[str, str]]:
    """(slice value, from-stage) pairs of the bottleneck findings on ``dimension``."""
    return {
        (str(f.value), str(f.stage))
        for f in findings
        if f.kind == "bottleneck" and f.dimension == dimension
    }


def latest_change(decomposition: pd.DataFrame) -> pd.DataFrame:
    """The last change between two mature periods of :func:`growth_decomposition`.

    Returns
    -------
    DataFrame
        ``factor | stage | value_before | value_after | contribution | period_before |
        period_after``, the revenue row included; empty when fewer than two mature
        periods exist (or the change cannot be decomposed).
    """
    columns = [
        "factor",
        "stage",
        "value_before",
        "value_after",
        "contribution",
        "period_before",
        "period_after",
    ]
    mature = decomposition[~decomposition["immature"].astype(bool)]
    periods = sorted(mature["period"].unique())
    if len(periods) < 2:
        return pd.DataFrame(columns=columns)
    before, after = periods[-2], periods[-1]
    a = mature[mature["period"] == before].set_index(["factor", "stage"], drop=False)
    b = mature[mature["period"] == after].set_index(["factor", "stage"], drop=False)
    if b["contribution"].isna().all():
        return pd.DataFrame(columns=columns)
    out = pd.DataFrame(
        {
            "factor": b["factor"].to_numpy(),
            "stage": b["stage"].to_numpy(),
            "value_before": a["value"].reindex(b.index).to_numpy(),
            "value_after": b["value"].to_numpy(),
            "contribution": b["contribution"].to_numpy(),
        }
    )
    out["period_before"], out["period_after"] = before, after
    return out[columns].reset_index(drop=True)


def focus_rates(
    deals: pd.DataFrame,
    stage_events: pd.DataFrame,
    config: PilotConfig,
    as_of=None,
    *,
    labels: tuple[str, str] = ("focus", "rest"),
    journey: JourneyData | None = None,
) -> pd.DataFrame:
    """Stage rates of the strategic focus (``config.focus``) beside the rest of the company.

    Returns
    -------
    DataFrame
        ``group | <stage_rates columns>`` with ``group`` = ``labels[0]`` for deals whose
        ``focus.dimension`` equals ``focus.value``, ``labels[1]`` for the others; empty
        when no focus value is set or the column is missing.
    """
    tagged = _focus_groups(deals, config, labels)
    if tagged is None:
        return pd.DataFrame(columns=["group"])
    return stage_rates(tagged, stage_events, config, by="group", as_of=as_of, min_n=0)


def _focus_groups(deals: pd.DataFrame, config: PilotConfig, labels: tuple[str, str]):
    """``deals`` with a ``group`` column: focus vs rest; None when no focus is set."""
    focus = config.focus
    if not focus.value or focus.dimension not in deals.columns:
        return None
    in_focus = deals[focus.dimension].astype(str) == str(focus.value)
    return deals.assign(group=np.where(in_focus, labels[0], labels[1]))


def focus_sensitivity(
    deals: pd.DataFrame,
    stage_events: pd.DataFrame,
    config: PilotConfig,
    as_of=None,
    *,
    labels: tuple[str, str] = ("focus", "rest"),
) -> pd.DataFrame:
    """What each stage is worth (:func:`stage_sensitivity`) for the focus and for the rest.

    Returns
    -------
    DataFrame
        ``group | from | to | rate | revenue | gain_points | gain_relative`` (``won_deals``
        for ``revenue`` when no amount is known); empty when no focus value is set.
    """
    tagged = _focus_groups(deals, config, labels)
    if tagged is None:
        return pd.DataFrame(columns=["group"])
    return stage_sensitivity(tagged, stage_events, config, by="group", as_of=as_of)
