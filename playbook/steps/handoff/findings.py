"""Findings of the handoff step: slices (teams, sources, reps) credibly slower to first
contact whose leads also convert worse (``slow_handoff``). Log-rank tests, Benjamini–Hochberg
across slices. Teams and reps are people: their leads' conversion is compared with what those
leads would be expected to do from their mix (:mod:`playbook.steps.adjust`), not with the rest
of the company. Slices with credibly more sleeping leads are found in
:mod:`playbook.steps.handoff.sleeping`."""

from __future__ import annotations

import logging
from collections.abc import Sequence
from dataclasses import dataclass

import numpy as np
import pandas as pd
from scipy import stats as _st

from playbook.findings import Finding, is_material, rank
from playbook.stats import (
    benjamini_hochberg,
    km_quantiles,
    shrink_rates,
    slice_vs_rest_test,
    wilson_interval,
)
from playbook.steps.adjust import MixModel, fit_mix_model
from playbook.steps.handoff.base import (
    PEOPLE_DIMENSIONS,
    SLOW_DIMENSIONS,
    _aligned,
    _codes,
    _dimension_label,
    _downstream,
    _language,
    _num,
    _pct,
    _t,
)
from playbook.steps.journey import WON, JourneyData
from playbook.workspace.config import PilotConfig

logger = logging.getLogger(__name__)


# --- findings --------------------------------------------------------------------------------


def logrank_vs_rest(time, event, group, n_groups: int | None = None) -> pd.DataFrame:
    """Log-rank test of each group against all other subjects, in one pass.

    The expected events and the variance of every group are sums over its subjects of
    cumulative terms of the pooled sample (Nelson–Aalen style), so all groups are tested
    in O(N log N) whatever their number. Right-censored subjects stay at risk until
    their censoring time.

    Parameters
    ----------
    time : array of float, event : array of bool (False = censored), group : array of int
        (0..n_groups-1; negative codes are left out entirely).

    Returns
    -------
    DataFrame
        ``observed | expected | variance | z`` per group; ``z < 0`` means fewer events than
        expected (for time to first contact: slower than the rest). NaN z when the
        variance is 0.
    """
    t = np.asarray(time, dtype=float)
    e = np.asarray(event, dtype=bool)
    g = np.asarray(group, dtype=np.int64)
    keep = (g >= 0) & ~np.isnan(t)
    t, e, g = t[keep], e[keep], g[keep]
    G = int(g.max()) + 1 if n_groups is None and len(g) else int(n_groups or 0)
    order = np.argsort(t, kind="stable")
    t, e, g = t[order], e[order], g[order]
    N = len(t)
    new = np.r_[True, t[1:] != t[:-1]] if N else np.zeros(0, dtype=bool)
    bid = np.cumsum(new) - 1
    at_risk = (N - np.flatnonzero(new)).astype(float)
    d = np.bincount(bid, weights=e, minlength=len(at_risk))
    with np.errstate(invalid="ignore", divide="ignore"):
        hazard = d / at_risk
        a = np.where(at_risk > 1, d * (at_risk - d) / (at_risk * (at_risk - 1)), 0.0)
    cum_h = np.cumsum(hazard)[bid]
    cum_a = np.cumsum(a)[bid]
    cum_b = np.cumsum(a / at_risk)[bid]
    observed = np.bincount(g, weights=e, minlength=G)
    expected = np.bincount(g, weights=cum_h, minlength=G)
    v1 = np.bincount(g, weights=cum_a, minlength=G)
    # sum over ordered pairs (i, j) of the same group of B(min(t_i, t_j)): within each
    # group (times ascending) the k-th of m subjects is the minimum of 2(m - 1 - k) + 1 pairs
    by_group = np.argsort(g, kind="stable")
    gs = g[by_group]
    size = np.bincount(g, minlength=G)
    start = np.r_[0, np.cumsum(size)[:-1]]
    k = np.arange(N) - start[gs]
    weight = 2 * (size[gs] - 1 - k) + 1
    v2 = np.bincount(gs, weights=weight * cum_b[by_group], minlength=G)
    variance = v1 - v2
    with np.errstate(invalid="ignore", divide="ignore"):
        z = np.where(variance > 1e-12, (observed - expected) / np.sqrt(variance), np.nan)
    return pd.DataFrame({"observed": observed, "expected": expected, "variance": variance, "z": z})


def _median_interval(time: np.ndarray, event: np.ndarray) -> tuple[float, float]:
    """Distribution-free 95% interval of a median (order statistics; censored as +inf)."""
    x = np.sort(np.where(event, time, np.inf))
    n = len(x)
    if n < 6:
        return np.nan, np.nan
    half = 1.96 * np.sqrt(n) / 2
    lo = x[max(int(np.floor(n / 2 - half)) - 1, 0)]
    hi = x[min(int(np.ceil(n / 2 + half)), n - 1)]
    return float(lo), float(hi) if np.isfinite(hi) else np.nan


SLICE_COLUMNS = [
    "dimension",
    "value",
    "leads",
    "contacted",
    "median_business_hours",
    "rest_median_business_hours",
    "sla_breach_rate",
    "z_time",
    "p_time",
    "p_time_adj",
    "lead_n",
    "lead_rate",
    "shrunk_rate",
    "rest_lead_rate",
    "expected_lead_rate",
    "p_conv",
    "p_conv_adj",
]


@dataclass(frozen=True)
class _Leads:
    """Per lead (row of ``contacts``): time to first contact and what happened at the first
    stage, the arrays every slice of every dimension is summed from."""

    time: np.ndarray  # business hours to first contact (to censoring when not contacted)
    event: np.ndarray  # contacted
    mature: np.ndarray  # resolved at the first stage
    advanced: np.ndarray  # advanced past the first stage (mature leads)
    breached: np.ndarray  # waited longer than the first-contact SLA
    decided: np.ndarray  # contacted, or the SLA has passed

    @classmethod
    def of(cls, contacts: pd.DataFrame, journey: JourneyData, config: PilotConfig) -> _Leads:
        time = contacts["business_hours"].to_numpy()
        event = contacts["contacted"].to_numpy()
        mature = journey.mature[:, 0]
        breached = time > config.sla.first_contact_hours
        return cls(
            time=time,
            event=event,
            mature=mature,
            advanced=journey.advanced[:, 0] & mature,
            breached=breached,
            decided=event | breached,
        )


def _slice_tests(
    dim: str, codes: np.ndarray, uniques: pd.Index, leads: _Leads, min_n: int
) -> pd.DataFrame:
    """One row per value of ``dim``: speed (log-rank against the rest) and raw conversion."""
    G = len(uniques)
    keep = codes >= 0
    g = codes[keep]
    time, event = leads.time[keep], leads.event[keep]
    lr = logrank_vs_rest(time, event, g, G)
    n_leads = np.bincount(g, minlength=G)
    med = km_quantiles(time, event, g, G, (0.5,))[:, 0]
    n = np.bincount(g, weights=leads.mature[keep], minlength=G)
    a = np.bincount(g, weights=leads.advanced[keep], minlength=G)
    dec = np.bincount(g, weights=leads.decided[keep], minlength=G)
    br = np.bincount(g, weights=(leads.breached & leads.decided)[keep], minlength=G)
    total_leads, total_n, total_a = n_leads.sum(), n.sum(), a.sum()
    testable = (n_leads >= min_n) & (total_leads - n_leads >= min_n)
    conv_ok = (n >= min_n) & (total_n - n >= min_n)
    p_conv = slice_vs_rest_test(a, n, total_a, total_n)
    with np.errstate(invalid="ignore", divide="ignore"):
        return pd.DataFrame(
            {
                "dimension": dim,
                "value": uniques.astype(str),
                "code": np.arange(G),
                "leads": n_leads,
                "contacted": np.bincount(g, weights=event, minlength=G).astype(int),
                "median_business_hours": med,
                "rest_median_business_hours": np.nan,
                "sla_breach_rate": np.where(dec > 0, br / dec, np.nan),
                "z_time": np.where(testable, lr["z"], np.nan),
                "p_time": np.where(testable, _st.norm.cdf(lr["z"]), np.nan),
                "lead_n": n.astype(np.int64),
                "lead_advanced": a.astype(np.int64),
                "lead_rate": np.where(n > 0, a / n, np.nan),
                "shrunk_rate": shrink_rates(a, n),
                "rest_lead_rate": (total_a - a) / (total_n - n),
                "expected_lead_rate": np.nan,
                "p_conv": np.where(conv_ok, p_conv, np.nan),
            }
        )


def _rest_medians(
    out: pd.DataFrame, rows: np.ndarray, codes_of: dict[str, np.ndarray], leads: _Leads
) -> None:
    """The median time to first contact of the rest of the leads, for ``rows``. In place."""
    for i in rows:
        codes = codes_of[out.at[i, "dimension"]]
        keep = codes >= 0
        inside = (codes[keep] == out.at[i, "code"]).astype(np.int64)  # group 0 is the rest
        rest = km_quantiles(
            leads.time[keep], leads.event[keep], inside, 2, (0.5,), resolution=1 / 3600
        )
        out.at[i, "rest_median_business_hours"] = rest[0, 0]


def slow_handoff_tests(
    contacts: pd.DataFrame,
    journey: JourneyData,
    config: PilotConfig,
    *,
    dimensions: Sequence[str] = SLOW_DIMENSIONS,
    min_n: int = 30,
    alpha: float = 0.05,
    model: MixModel | None = None,
) -> pd.DataFrame:
    """Every slice's first-contact speed and lead conversion against the rest.

    Speed: one-sided log-rank test of business hours to first contact (leads without
    contact censored) of the slice against the rest of the leads with a known value of
    the dimension, Benjamini–Hochberg adjusted across every slice of every dimension.
    Conversion, for the slices found slower at false discovery rate ``alpha`` (screen, then
    confirm): one-sided Fisher exact test of the slice's censoring-aware lead → next stage
    rate against the rest, Benjamini–Hochberg adjusted across those slices. Slices (or
    rests) with fewer than ``min_n`` leads are not tested. The rest's median is computed
    for the slower slices (and for all when the data are small).

    With a ``model`` (:func:`playbook.steps.adjust.fit_mix_model` of ``journey``), a slower
    team's or rep's conversion is tested against what its leads would be expected to do
    from their mix instead of against the rest: the expected chances come from the model
    refitted on every other deal (a team that works most of its territory is not judged
    against its own results there), and the observed advances are tested one-sided
    against their sum (normal approximation, variance sum p(1 − p)).

    Returns
    -------
    DataFrame
        ``dimension | value | leads | contacted | median_business_hours |
        rest_median_business_hours | sla_breach_rate | z_time | p_time | p_time_adj | lead_n |
        lead_rate | shrunk_rate | rest_lead_rate | expected_lead_rate | p_conv |
        p_conv_adj``; ``p_conv_adj`` is NaN for slices not found slower;
        ``expected_lead_rate`` (what the company converts on the slice's leads) is NaN
        where the slice was compared with the rest.
    """
    _aligned(contacts, journey)
    leads = _Leads.of(contacts, journey, config)
    frames = []
    for dim in dimensions:
        if dim not in contacts.columns or contacts[dim].isna().all():
            continue
        codes, uniques = _codes(contacts[dim])
        if len(uniques) >= 2:
            frames.append(_slice_tests(dim, codes, uniques, leads, min_n))
    if not frames:
        return pd.DataFrame(columns=SLICE_COLUMNS)
    out = pd.concat(frames, ignore_index=True)
    out["p_time_adj"] = benjamini_hochberg(out["p_time"])
    slow = (out["p_time_adj"] < alpha).to_numpy()
    codes_of = {dim: _codes(contacts[dim])[0] for dim in out["dimension"].unique()}
    if model is not None and model.adjusted_for:
        _like_leads(out, slow, codes_of, journey, config, model, min_n)
    out["p_conv_adj"] = benjamini_hochberg(np.where(slow, out["p_conv"], np.nan))
    small = len(contacts) * len(out) <= 2_000_000
    _rest_medians(out, np.flatnonzero(slow | small), codes_of, leads)
    out.attrs["lead_advanced"] = out.pop("lead_advanced").to_numpy()
    out.attrs["code"] = out.pop("code").to_numpy()
    return out[SLICE_COLUMNS]


def _like_leads(
    out: pd.DataFrame,
    slow: np.ndarray,
    codes_of: dict[str, np.ndarray],
    journey: JourneyData,
    config: PilotConfig,
    model: MixModel,
    min_n: int,
) -> None:
    """For the slower teams and reps: their leads' expected rate past the first stage from
    a model fitted on the rest of the company (so a team that works most of its territory
    is not judged against its own results there), and the one-sided test of the observed
    advances against it. In place."""
    mature = journey.mature[:, 0]
    advanced = journey.advanced[:, 0] & mature
    first = journey.stage_ids[:1]
    for i in np.flatnonzero(slow & out["dimension"].isin(PEOPLE_DIMENSIONS).to_numpy()):
        if out.at[i, "lead_n"] < min_n:
            continue
        inside = codes_of[out.at[i, "dimension"]] == out.at[i, "code"]
        rest = fit_mix_model(journey, config, mix=model.mix, stages=first, exclude=inside)
        p = rest.expected[inside & mature, 0]
        observed = float(advanced[inside].sum())
        variance = float(np.sum(p * (1 - p)))
        out.at[i, "expected_lead_rate"] = p.sum() / len(p)
        if variance > 0:
            out.at[i, "p_conv"] = float(_st.norm.cdf((observed - p.sum()) / np.sqrt(variance)))


@dataclass(frozen=True)
class _SlowContext:
    """What every slow-handoff finding reads besides its own row of the tests."""

    contacts: pd.DataFrame
    language: str
    alpha: float
    stage: str  # the first stage id
    adjusted_for: list[str]  # the model's dimensions (empty without a model)
    downstream: float  # conversion from the next stage to won
    avg_won: float  # average won amount
    total_won: float  # won revenue (won deals without amounts)

    @classmethod
    def of(cls, contacts, journey: JourneyData, language, alpha, model) -> _SlowContext:
        down, avg = _downstream(journey)
        won = journey.status == WON
        deals = journey.deals
        amounts = deals["amount"].to_numpy(dtype=float)[won] if "amount" in deals else []
        return cls(
            contacts=contacts,
            language=language,
            alpha=alpha,
            stage=journey.stage_ids[0],
            adjusted_for=list(model.adjusted_for) if model is not None else [],
            downstream=down,
            avg_won=avg,
            total_won=float(np.nansum(amounts)) if len(amounts) else float(won.sum()),
        )


def _slow_candidates(
    t: pd.DataFrame, alpha: float, min_ratio: float, min_excess_hours: float
) -> tuple[pd.DataFrame, pd.Series, pd.Series, pd.Series]:
    """The tested slices that are slower and convert worse, with every slice's ratio of
    medians, expected lead rate (NaN when compared with the rest) and reference rate."""
    rest = t["rest_median_business_hours"]
    med = t["median_business_hours"].fillna(np.inf)
    with np.errstate(invalid="ignore", divide="ignore"):
        ratio = med / rest
    expected = t.get("expected_lead_rate", pd.Series(np.nan, index=t.index))
    reference = expected.fillna(t["rest_lead_rate"])
    flagged = t[
        (t["p_time_adj"] < alpha)
        & (t["p_conv_adj"] < alpha)
        & ((ratio >= min_ratio) | (rest <= 0))
        & (med - rest >= min_excess_hours)
        & (t["lead_rate"] < reference)
    ]
    return flagged, ratio, expected, reference


def _slow_finding(ctx: _SlowContext, r, ratio: float, expected: float, reference: float) -> Finding:
    """The finding of one flagged slice (a row of :func:`slow_handoff_tests`)."""
    language, alpha = ctx.language, ctx.alpha
    like_deals = pd.notna(expected)
    gap = max(reference - r.shrunk_rate, 0.0)
    impact = gap * r.lead_n * ctx.downstream * ctx.avg_won
    strong = ratio >= 2 and max(r.p_time_adj, r.p_conv_adj) < alpha / 10
    big = is_material(impact, ctx.total_won)
    column = ctx.contacts[r.dimension]
    inside = (column.astype(str).to_numpy() == r.value) & column.notna().to_numpy()
    time = ctx.contacts["business_hours"].to_numpy()
    event = ctx.contacts["contacted"].to_numpy()
    lo, hi = _median_interval(time[inside], event[inside])
    rate_lo, rate_hi = wilson_interval(int(round(r.lead_rate * r.lead_n)), int(r.lead_n))
    evidence = _t(
        "handoff_evidence_slow_adjusted" if like_deals else "handoff_evidence_slow",
        language,
        dimension=_dimension_label(r.dimension, language),
        value=r.value,
        hours=_num(r.median_business_hours),
        rest_hours=_num(r.rest_median_business_hours),
        n=f"{int(r.leads):,}",
        rate=_pct(r.lead_rate),
        low=_pct(rate_lo),
        high=_pct(rate_hi),
        rest_rate=_pct(r.rest_lead_rate),
        **({"expected": _pct(expected)} if like_deals else {}),
    )
    people = r.dimension in PEOPLE_DIMENSIONS
    return Finding(
        kind="slow_handoff",
        severity=3 if strong and big else 2 if strong else 1,
        adjusted_for=(ctx.adjusted_for if like_deals else []) if people else None,
        dimension=r.dimension,
        value=r.value,
        stage=ctx.stage,
        metric="first_contact_business_hours",
        observed=float(r.median_business_hours),
        baseline=float(r.rest_median_business_hours),
        ci_low=lo,
        ci_high=hi,
        n=int(r.leads),
        p_value=float(max(r.p_time_adj, r.p_conv_adj)),
        impact=float(impact),
        evidence=evidence,
        extra={
            "lead_rate": float(r.lead_rate),
            "lead_ci_low": float(rate_lo),
            "lead_ci_high": float(rate_hi),
            "rest_lead_rate": float(r.rest_lead_rate),
            "expected_lead_rate": float(expected) if like_deals else None,
            "shrunk_rate": float(r.shrunk_rate),
            "lead_n": int(r.lead_n),
            "p_time": float(r.p_time_adj),
            "p_conv": float(r.p_conv_adj),
            "sla_breach_rate": float(r.sla_breach_rate),
            "ratio": float(ratio),
        },
    )


def find_slow_handoffs(
    contacts: pd.DataFrame,
    journey: JourneyData,
    config: PilotConfig,
    *,
    dimensions: Sequence[str] = SLOW_DIMENSIONS,
    alpha: float = 0.05,
    min_n: int = 30,
    min_ratio: float = 1.5,
    min_excess_hours: float = 1.0,
    language: str | None = None,
    tests: pd.DataFrame | None = None,
    model: MixModel | None = None,
) -> list[Finding]:
    """Slices whose leads are credibly contacted slower than the rest *and* convert worse.

    A slice (team, source or rep) is reported when (:func:`slow_handoff_tests`) its time
    to first contact is longer than the rest's (log-rank p < ``alpha`` after
    Benjamini–Hochberg across all slices), its median is at least ``min_ratio`` times and
    ``min_excess_hours`` business hours above the rest's, and its leads advance past the
    first stage less often (Fisher p < ``alpha`` after Benjamini–Hochberg across the slower
    slices). Severity: 2 when the median is
    at least twice the rest's and both adjusted p < ``alpha / 10``; 3 when moreover the
    revenue at stake is at least 5% of won revenue; else 1. Revenue at stake = (rest rate
    − shrunk slice rate) x the slice's resolved leads x conversion from the next stage to
    won x average won amount.

    With a ``model`` (:func:`playbook.steps.adjust.fit_mix_model`), teams and reps convert worse
    when their leads advance credibly less often than those leads would be expected to from
    their mix (segment, region, product, source, deal size, …): a team whose territory is
    hard is not called slow to convert. The expected rate then replaces the rest's rate in
    the evidence and the revenue at stake, and the finding's ``adjusted_for`` names the
    dimensions (empty list for people compared without a model; unset for sources).

    Returns
    -------
    list of Finding
        kind ``slow_handoff``, most important first; ``stage`` the first stage id,
        ``metric`` ``first_contact_business_hours``, ``observed`` / ``baseline`` the slice's
        and the rest's median business hours, ``ci_low`` / ``ci_high`` the interval of the
        slice's median, ``n`` its leads, ``p_value`` the larger of the two adjusted p; ``extra``
        holds the lead rates, both p-values and the SLA breach share.
    """
    language = _language(language, config)
    if not 0 < alpha < 1:
        raise ValueError(f"alpha must be between 0 and 1; got {alpha!r}")
    t = tests
    if t is None:
        t = slow_handoff_tests(
            contacts, journey, config, dimensions=dimensions, min_n=min_n, alpha=alpha, model=model
        )
    if not len(t):
        return []
    flagged, ratio, expected, reference = _slow_candidates(t, alpha, min_ratio, min_excess_hours)
    ctx = _SlowContext.of(contacts, journey, language, alpha, model)
    return rank(
        [_slow_finding(ctx, r, ratio[i], expected[i], reference[i]) for i, r in flagged.iterrows()]
    )
