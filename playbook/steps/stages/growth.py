"""Where revenue comes from: the growth formula per period, what each stage is worth,
and the latest change between two mature periods."""

from __future__ import annotations

import numpy as np
import pandas as pd

from playbook.steps.journey import WON, JourneyData
from playbook.steps.prepared import takes_pilot
from playbook.steps.stages.groups import cohort_period, group_codes, over_slices
from playbook.steps.stages.rates import rates_table


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


@takes_pilot
@over_slices
def growth_decomposition(by: list[str], j: JourneyData, freq: str = "M") -> pd.DataFrame:
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
    K = j.n_stages
    period = cohort_period(j.deals["created_at"], freq)
    keys = pd.DataFrame({c: j.deals[c].to_numpy() for c in by})
    keys["period"] = period.dt.start_time.to_numpy()
    codes, labels = group_codes(keys, [*by, "period"])
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
    dlog, contrib = _log_mean_changes(values, revenue, _previous_period(labels, by))
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


def _previous_period(labels: pd.DataFrame, by: list[str]) -> np.ndarray:
    """Row of each group's previous period within the same slice (-1 for the first)."""
    G = len(labels)
    order = labels.sort_values([*by, "period"], kind="stable").index.to_numpy()
    slice_code = (
        labels.groupby(by, dropna=False, sort=False).ngroup().to_numpy()
        if by
        else np.zeros(G, dtype=np.int64)
    )[order]
    prev = np.full(G, -1)
    if G > 1:
        prev[order[1:]] = np.where(slice_code[1:] == slice_code[:-1], order[:-1], -1)
    return prev


def _log_mean_changes(
    values: np.ndarray, revenue: np.ndarray, prev: np.ndarray
) -> tuple[np.ndarray, np.ndarray]:
    """Each factor's log change from the previous period and its LMDI share of the change in
    revenue (the last column: the change itself); NaN without a previous period, and for
    every factor where one is 0 or missing."""
    F = values.shape[1]
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
    return dlog, contrib


@takes_pilot
@over_slices
def stage_sensitivity(
    by: list[str], j: JourneyData, *, points: float = 0.01, relative: float = 0.10
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
    K = j.n_stages
    codes, labels = group_codes(j.deals[by], by)
    G = len(labels)
    rt = rates_table(j, codes, labels, by, dwell=False)
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
