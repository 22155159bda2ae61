"""Shared statistics: rates with intervals, shrinkage, tests, censored-time estimators.

Every step uses these, so every rate in a report is computed the same way:
Wilson intervals, Benjamini–Hochberg adjustment, empirical-Bayes beta-binomial
shrinkage, a one-sided exact test of a slice against the rest, Kaplan–Meier
quantiles and Aalen–Johansen cumulative incidence (open deals are censored,
never failures).
"""

from __future__ import annotations

import logging
from collections.abc import Sequence
from typing import Literal

import numpy as np
import pandas as pd
from scipy import stats as _st
from statsmodels.stats.multitest import multipletests

logger = logging.getLogger(__name__)

__all__ = [
    "SmallSampleWarning",
    "small_sample_message",
    "wilson_interval",
    "rate_table",
    "benjamini_hochberg",
    "holm",
    "format_probability",
    "fit_beta_prior",
    "shrink_rates",
    "slice_vs_rest_test",
    "km_quantiles",
    "cumulative_incidence",
]


class SmallSampleWarning(UserWarning):
    """A rate or comparison rests on too few observations to be read on its own.

    Besides its English message it carries what it is about, so a report can say
    it in its own language: ``stages`` (from, to) stage ids, ``where`` the slice's
    values, ``n`` the deals it rests on and ``more`` how many other slices are as small.
    """

    def __init__(
        self,
        message: str = "",
        *,
        stages: tuple[str, str] | None = None,
        where: Sequence[str] = (),
        n: int | None = None,
        more: int = 0,
    ) -> None:
        super().__init__(message)
        self.stages = stages
        self.where = tuple(where)
        self.n = n
        self.more = more


def small_sample_message(what: str, where: str | None, n: int, more: int = 0) -> str:
    """The text of a :class:`SmallSampleWarning`: what, where, how many, what to do.

    >>> small_sample_message("proposal → negotiation", "Energy", 12)
    "'proposal → negotiation' in Energy rests on 12 deals; widen the period or merge segments"
    """
    text = f"'{what}'" + (f" in {where}" if where else "") + f" rests on {n} deals"
    if more:
        text += f" ({more} more slice{'s' if more != 1 else ''} too small)"
    return text + "; widen the period or merge segments"


def _z(confidence: float) -> float:
    if not 0 < confidence < 1:
        raise ValueError(f"confidence must be between 0 and 1 (e.g. 0.95); got {confidence!r}")
    return float(_st.norm.ppf(0.5 + confidence / 2))


def wilson_interval(successes, n, confidence: float = 0.95):
    """Wilson score interval of a binomial proportion.

    Parameters
    ----------
    successes, n : scalar or array-like (numpy array or Series, broadcast together)
        Number of successes and of trials.
    confidence : float
        Two-sided coverage, 0.95 by default.

    Returns
    -------
    (low, high)
        Floats for scalar input, arrays (or Series, keeping the index of
        ``successes``) otherwise; NaN where ``n`` is 0.
    """
    z = _z(confidence)
    index = successes.index if isinstance(successes, pd.Series) else None
    scalar = np.ndim(successes) == 0 and np.ndim(n) == 0
    s = np.asarray(successes, dtype=float)
    m = np.asarray(n, dtype=float)
    with np.errstate(invalid="ignore", divide="ignore"):
        p = s / m
        denom = 1 + z * z / m
        centre = (p + z * z / (2 * m)) / denom
        half = z * np.sqrt(p * (1 - p) / m + z * z / (4 * m * m)) / denom
        low = np.where(m > 0, np.where(s <= 0, 0.0, np.clip(centre - half, 0, 1)), np.nan)
        high = np.where(m > 0, np.where(s >= m, 1.0, np.clip(centre + half, 0, 1)), np.nan)
    if scalar:
        return float(low), float(high)
    if index is not None:
        return pd.Series(low, index=index), pd.Series(high, index=index)
    return low, high


def rate_table(successes, n, confidence: float = 0.95) -> pd.DataFrame:
    """Rates with their denominators and Wilson intervals.

    Parameters
    ----------
    successes, n : array-like or Series
        Successes and trials; the index of ``successes`` is kept when it is a Series.
    confidence : float
        Interval coverage.

    Returns
    -------
    DataFrame
        Columns ``n | successes | rate | ci_low | ci_high``; ``rate`` is NaN where n is 0.
    """
    index = successes.index if isinstance(successes, pd.Series) else None
    s = np.asarray(successes, dtype=float)
    m = np.asarray(n, dtype=float)
    low, high = wilson_interval(s, m, confidence)
    with np.errstate(invalid="ignore", divide="ignore"):
        rate = np.where(m > 0, s / m, np.nan)
    return pd.DataFrame(
        {
            "n": m.astype(np.int64),
            "successes": s.astype(np.int64),
            "rate": rate,
            "ci_low": low,
            "ci_high": high,
        },
        index=index,
    )


def benjamini_hochberg(pvalues) -> np.ndarray:
    """Benjamini–Hochberg adjusted p-values (false discovery rate).

    NaN p-values are left NaN and do not count towards the number of tests.

    Returns
    -------
    ndarray
        Adjusted p-values, same shape as the input.
    """
    p = np.asarray(pvalues, dtype=float)
    out = np.full(p.shape, np.nan)
    ok = ~np.isnan(p)
    if ok.any():
        out[ok] = multipletests(p[ok], method="fdr_bh")[1]
    return out


def holm(pvalues) -> np.ndarray:
    """Holm step-down adjusted p-values (family-wise error rate).

    For a family of claims any one of which is acted on (the stages a pilot did not
    target). NaN p-values are left NaN and do not count towards the number of tests.
    The same values as statsmodels' ``multipletests(method="holm")``, computed here
    because that one runs a full garbage collection on every call (~0.4 s in a report).
    """
    p = np.asarray(pvalues, dtype=float)
    out = np.full(p.shape, np.nan)
    ok = np.flatnonzero(~np.isnan(p))
    if len(ok):
        order = ok[np.argsort(p[ok], kind="stable")]
        steps = p[order] * np.arange(len(order), 0, -1)
        out[order] = np.minimum(np.maximum.accumulate(steps), 1.0)
    return out


def format_probability(p: float | None, decimals: int = 0) -> str:
    """A probability as a percentage that never claims certainty.

    Estimates from finite data are never 0% or 100%: with ``decimals`` 0, above 99%
    prints as ``"> 99%"`` and below 1% as ``"< 1%"`` (with 1 decimal: ``"> 99.9%"``,
    ``"< 0.1%"``), the same in every report language; NaN or None as ``"–"``.

    >>> [format_probability(x) for x in (0.9996, 0.5, 0.004, float("nan"))]
    ['> 99%', '50%', '< 1%', '–']
    """
    if p is None or not np.isfinite(p):
        return "–"
    edge = 10.0 ** -(decimals + 2)
    if p > 1 - edge:
        return f"> {1 - edge:.{decimals}%}"
    if p < edge:
        return f"< {edge:.{decimals}%}"
    return f"{p:.{decimals}%}"


def fit_beta_prior(successes, n) -> tuple[float, float]:
    """Beta prior of group rates by the method of moments (ANOVA estimator).

    The intraclass correlation ``rho`` of the binary outcomes across groups is
    estimated from the between- and within-group mean squares; the prior has
    mean the pooled rate and ``alpha + beta = (1 - rho) / rho``.

    Returns
    -------
    (alpha, beta)
        ``(0, 0)`` (no shrinkage) when there are fewer than two groups or no
        within-group variation to compare with; a very strong prior (full pooling)
        when the groups vary no more than chance.
    """
    s = np.asarray(successes, dtype=float)
    m = np.asarray(n, dtype=float)
    keep = m > 0
    s, m = s[keep], m[keep]
    k = len(m)
    total = m.sum()
    if k < 2 or total <= k:
        return 0.0, 0.0
    mean = s.sum() / total
    if mean <= 0 or mean >= 1:
        return 0.0, 0.0
    p = s / m
    msb = float(np.sum(m * (p - mean) ** 2) / (k - 1))
    msw = float(np.sum(m * p * (1 - p)) / (total - k))
    n0 = (total - np.sum(m * m) / total) / (k - 1)
    denom = msb + (n0 - 1) * msw
    rho = (msb - msw) / denom if denom > 0 else 0.0
    strength = 1e9 if rho <= 1e-9 else (1 - rho) / rho
    return mean * strength, (1 - mean) * strength


def shrink_rates(successes, n, prior: tuple[float, float] | None = None) -> np.ndarray:
    """Empirical-Bayes (beta-binomial) posterior mean rate of each group.

    Parameters
    ----------
    successes, n : array-like
        Successes and trials per group.
    prior : (alpha, beta), optional
        Defaults to :func:`fit_beta_prior` over these groups.

    Returns
    -------
    ndarray
        ``(successes + alpha) / (n + alpha + beta)``; NaN where n is 0 and there is no prior.
    """
    s = np.asarray(successes, dtype=float)
    m = np.asarray(n, dtype=float)
    a, b = fit_beta_prior(s, m) if prior is None else prior
    with np.errstate(invalid="ignore", divide="ignore"):
        return (s + a) / (m + a + b)


def slice_vs_rest_test(
    successes,
    n,
    total_successes,
    total_n,
    *,
    alternative: Literal["less", "greater", "two-sided"] = "less",
    method: Literal["fisher", "z"] = "fisher",
) -> np.ndarray:
    """p-value of a slice's rate against the rest of the population.

    Parameters
    ----------
    successes, n : array-like
        The slice's successes and trials.
    total_successes, total_n : array-like
        The same for the whole population (slice included).
    alternative : {"less", "greater", "two-sided"}
        "less" tests whether the slice converts worse than the rest.
    method : {"fisher", "z"}
        Fisher's exact test (hypergeometric, any n) or the pooled two-proportion z test.

    Returns
    -------
    ndarray
        p-values; NaN where the slice or the rest is empty.
    """
    if alternative not in ("less", "greater", "two-sided"):
        raise ValueError(
            f"alternative must be 'less', 'greater' or 'two-sided'; got {alternative!r}"
        )
    if method not in ("fisher", "z"):
        raise ValueError(f"method must be 'fisher' or 'z'; got {method!r}")
    s, m, ts, tn = np.broadcast_arrays(
        *(np.asarray(x, dtype=float) for x in (successes, n, total_successes, total_n))
    )
    valid = (m > 0) & (tn - m > 0)
    out = np.full(s.shape, np.nan)
    if method == "z":
        with np.errstate(invalid="ignore", divide="ignore"):
            p1 = s / m
            p2 = (ts - s) / (tn - m)
            pooled = ts / tn
            se = np.sqrt(pooled * (1 - pooled) * (1 / m + 1 / (tn - m)))
            z = (p1 - p2) / se
        if alternative == "less":
            p = _st.norm.cdf(z)
        elif alternative == "greater":
            p = _st.norm.sf(z)
        else:
            p = 2 * _st.norm.sf(np.abs(z))
        p = np.where(se > 0, p, 1.0)
        out[valid] = p[valid]
        return out
    if alternative == "less":
        p = _st.hypergeom.cdf(s, tn, ts, m)
        out[valid] = p[valid]
    elif alternative == "greater":
        p = _st.hypergeom.sf(s - 1, tn, ts, m)
        out[valid] = p[valid]
    else:
        for i in np.flatnonzero(valid):
            table = [[s[i], m[i] - s[i]], [ts[i] - s[i], tn[i] - m[i] - ts[i] + s[i]]]
            out[i] = _st.fisher_exact(np.asarray(table, dtype=np.int64))[1]
    return np.clip(out, 0, 1)


def _blocks(
    time: np.ndarray,
    group: np.ndarray,
    payload: np.ndarray,
    n_payload: int,
    resolution: float | None = None,
) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """Distinct (group, time) blocks in sorted order, with how many subjects of each payload.

    With ``resolution`` times are rounded to that step and one integer key per subject
    is counted with ``np.bincount`` (when there are few enough bins) or sorted, so only
    block-sized arrays are built; otherwise two stable argsorts are used.

    Returns
    -------
    (group, time, counts)
        Per block: its group, its time and an ``(n_blocks, n_payload)`` count array.
    """
    if resolution is not None:
        ticks = np.round(time / resolution).astype(np.int64)
        tmin = int(ticks.min())
        span = int(ticks.max()) - tmin + 1
        n_g = int(group.max()) + 1
        n_bins = n_g * span * n_payload
        if n_g.bit_length() + span.bit_length() + n_payload.bit_length() <= 62:
            ticks -= tmin
            key = group * span
            key += ticks
            del ticks
            key *= n_payload
            key += payload
            if n_bins <= 4 * len(key) + 2**20:
                # few (group, tick, payload) bins: count them, no sort
                counts = np.bincount(key, minlength=n_bins).reshape(-1, n_payload)
                del key
                bkey = np.flatnonzero(counts.any(axis=1))
                return bkey // span, (bkey % span + tmin) * resolution, counts[bkey]
            key.sort()
            p = (key % n_payload).astype(np.int8)
            key //= n_payload
            starts = np.flatnonzero(np.r_[True, key[1:] != key[:-1]])
            bkey = key[starts]
            del key
            counts = np.empty((len(starts), n_payload), dtype=np.int64)
            for v in range(n_payload):
                counts[:, v] = np.add.reduceat((p == v).astype(np.int32), starts)
            return bkey // span, (bkey % span + tmin) * resolution, counts
    order = np.argsort(time, kind="stable")
    small = np.int16 if group.max() < 2**15 else np.int64
    order = order[np.argsort(group[order].astype(small), kind="stable")]
    g, t, p = group[order], time[order], payload[order]
    starts = np.flatnonzero(np.r_[True, (g[1:] != g[:-1]) | (t[1:] != t[:-1])])
    counts = np.empty((len(starts), n_payload), dtype=np.int64)
    for v in range(n_payload):
        counts[:, v] = np.add.reduceat((p == v).astype(np.int32), starts)
    return g[starts], t[starts], counts


def _at_risk(bg: np.ndarray, counts: np.ndarray, n_groups: int) -> tuple[np.ndarray, np.ndarray]:
    """Subjects at risk at each block (its group's size less those in earlier blocks)."""
    n = counts.sum(axis=1)
    gsize = np.bincount(bg, weights=n, minlength=n_groups)
    before = np.cumsum(n) - n
    first = np.r_[True, bg[1:] != bg[:-1]]
    gstart = np.maximum.accumulate(np.where(first, np.arange(len(bg)), 0))
    return gsize[bg] - (before - before[gstart]), gsize


def _group_product(factor: np.ndarray, bg: np.ndarray) -> np.ndarray:
    """Running product of ``factor`` within consecutive runs of equal ``bg``."""
    if not len(factor):
        return factor.astype(float)
    zero = factor <= 0
    logf = np.log(np.where(zero, 1.0, factor))
    cs = np.cumsum(logf)
    zs = np.cumsum(zero)
    first = np.r_[True, bg[1:] != bg[:-1]]
    start = np.maximum.accumulate(np.where(first, np.arange(len(bg)), 0))
    base = np.where(start > 0, cs[start - 1], 0.0)
    zbase = np.where(start > 0, zs[start - 1], 0)
    out = np.exp(cs - base)
    out[(zs - zbase) > 0] = 0.0
    return out


def km_quantiles(
    time,
    observed,
    group=None,
    n_groups: int | None = None,
    q: Sequence[float] = (0.5, 0.9),
    resolution: float | None = None,
) -> np.ndarray:
    """Kaplan–Meier quantiles of a duration, per group (censored subjects stay at risk).

    Parameters
    ----------
    time : array-like of float
        Durations (e.g. days in a stage).
    observed : array-like of bool
        True when the duration ended (left the stage), False when censored (still there).
    group : array-like of int, optional
        Group code 0..n_groups-1 of each duration; one group when omitted.
    n_groups : int, optional
        Number of groups (default ``max(group) + 1``).
    q : sequence of float
        Quantiles wanted: 0.5 is the median, 0.9 the time by which 90% have left.
    resolution : float, optional
        Round times to this step first (e.g. ``1 / 86400`` for seconds when times are
        days): faster on millions of durations.

    Returns
    -------
    ndarray, shape (n_groups, len(q))
        The smallest time at which the survival curve falls to ``1 - q`` or below;
        NaN when it never does (too many still censored) or the group is empty.
    """
    t = np.asarray(time, dtype=float)
    e = np.asarray(observed, dtype=bool)
    g = np.zeros(len(t), dtype=np.int64) if group is None else np.asarray(group, dtype=np.int64)
    keep = ~np.isnan(t)
    if not keep.all():
        t, e, g = t[keep], e[keep], g[keep]
    if n_groups is None:
        n_groups = int(g.max()) + 1 if len(g) else 1
    out = np.full((n_groups, len(q)), np.nan)
    if not len(t):
        return out
    bg, bt, counts = _blocks(t, g, e.astype(np.int8), 2, resolution)
    at_risk, _ = _at_risk(bg, counts, n_groups)
    deaths = counts[:, 1]
    surv = _group_product(1.0 - deaths / at_risk, bg)
    for j, quant in enumerate(q):
        hit = surv <= 1.0 - quant + 1e-12
        idx = np.flatnonzero(hit)
        if not len(idx):
            continue
        gh = bg[idx]
        firsts = np.r_[True, gh[1:] != gh[:-1]]
        out[gh[firsts], j] = bt[idx[firsts]]
    return out


def cumulative_incidence(
    time,
    event,
    group=None,
    n_groups: int | None = None,
    grid=None,
    resolution: float | None = None,
) -> np.ndarray:
    """Aalen–Johansen cumulative incidence of two competing events, per group.

    Parameters
    ----------
    time : array-like of float
        Time to the event or to censoring.
    event : array-like of int
        1 or 2 for the competing events (e.g. advanced, lost), 0 when censored.
    group : array-like of int, optional
        Group code of each subject (0..n_groups-1).
    grid : array-like of float
        Times at which to evaluate the curves.
    resolution : float, optional
        Round times to this step first (faster on millions of subjects).

    Returns
    -------
    ndarray, shape (n_groups, len(grid), 3)
        ``[..., 0]`` subjects still at risk just before each grid time, ``[..., 1]``
        cumulative incidence of event 1 by that time, ``[..., 2]`` of event 2.
    """
    t = np.asarray(time, dtype=float)
    ev = np.asarray(event, dtype=np.int64)
    g = np.zeros(len(t), dtype=np.int64) if group is None else np.asarray(group, dtype=np.int64)
    keep = ~np.isnan(t)
    if not keep.all():
        t, ev, g = t[keep], ev[keep], g[keep]
    grid = np.asarray(grid if grid is not None else [], dtype=float)
    if n_groups is None:
        n_groups = int(g.max()) + 1 if len(g) else 1
    out = np.zeros((n_groups, len(grid), 3))
    if not len(t):
        out[..., 1:] = np.nan
        return out
    bg, bt, counts = _blocks(t, g, ev, 3, resolution)
    at_risk, gsize = _at_risk(bg, counts, n_groups)
    d1 = counts[:, 1].astype(float)
    d2 = counts[:, 2].astype(float)
    surv_after = _group_product(1.0 - (d1 + d2) / at_risk, bg)
    first = np.r_[True, bg[1:] != bg[:-1]]
    surv_before = np.where(first, 1.0, np.r_[1.0, surv_after[:-1]])
    inc1 = surv_before * d1 / at_risk
    inc2 = surv_before * d2 / at_risk
    c1 = np.cumsum(inc1)
    c2 = np.cumsum(inc2)
    bstart = np.flatnonzero(first)
    bend = np.r_[bstart[1:], len(bg)]
    for lo, hi in zip(bstart, bend, strict=True):
        grp = bg[lo]
        base1 = c1[lo - 1] if lo > 0 else 0.0
        base2 = c2[lo - 1] if lo > 0 else 0.0
        pos = np.searchsorted(bt[lo:hi], grid, side="right") - 1
        has = pos >= 0
        idx = lo + np.maximum(pos, 0)
        out[grp, :, 1] = np.where(has, c1[idx] - base1, 0.0)
        out[grp, :, 2] = np.where(has, c2[idx] - base2, 0.0)
        # at risk just before t: subjects whose time >= t
        left = np.searchsorted(bt[lo:hi], grid, side="left")
        out[grp, :, 0] = np.where(left < hi - lo, at_risk[lo + np.minimum(left, hi - lo - 1)], 0)
    empty = gsize == 0
    out[empty, :, 1:] = np.nan
    return out
