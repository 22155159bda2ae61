"""Findings of the handoff step: slices (teams, sources, reps) credibly slower to first
contact whose leads also convert worse (``slow_handoff``), and slices with credibly more
sleeping leads (``sleeping_leads``). Log-rank tests, Benjamini–Hochberg across slices.
Teams and reps are people: their leads' conversion is compared with what those leads would
be expected to do from their mix (:mod:`playbook.steps.adjust`), not with the rest of the
company."""

from __future__ import annotations

import logging
from collections.abc import Sequence

import numpy as np
import pandas as pd
from scipy import stats as _st

from playbook.findings import Finding, rank
from playbook.stats import (
    benjamini_hochberg,
    fit_beta_prior,
    km_quantiles,
    shrink_rates,
    slice_vs_rest_test,
    wilson_interval,
)
from playbook.steps.adjust import MixModel, fit_mix_model
from playbook.steps.handoff.base import (
    SLEEP_DIMENSIONS,
    SLOW_DIMENSIONS,
    _aligned,
    _codes,
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
#: Slice dimensions that are people (compared on like deals when a model is given).
PEOPLE_DIMENSIONS = ("team", "owner_id")


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
    j = journey
    time = contacts["business_hours"].to_numpy()
    event = contacts["contacted"].to_numpy()
    mat = j.mature[:, 0]
    adv = j.advanced[:, 0] & mat
    sla = config.sla.first_contact_hours
    breached = time > sla
    decided = event | breached
    frames = []
    for dim in dimensions:
        if dim not in contacts.columns or contacts[dim].isna().all():
            continue
        codes, uniques = _codes(contacts[dim])
        G = len(uniques)
        if G < 2:
            continue
        keep = codes >= 0
        g = codes[keep]
        lr = logrank_vs_rest(time[keep], event[keep], g, G)
        leads = np.bincount(g, minlength=G)
        med = km_quantiles(time[keep], event[keep], g, G, (0.5,))[:, 0]
        n = np.bincount(g, weights=mat[keep], minlength=G)
        a = np.bincount(g, weights=adv[keep], minlength=G)
        prior = fit_beta_prior(a, n)
        dec = np.bincount(g, weights=decided[keep], minlength=G)
        br = np.bincount(g, weights=(breached & decided)[keep], minlength=G)
        total_leads, total_n, total_a = leads.sum(), n.sum(), a.sum()
        testable = (leads >= min_n) & (total_leads - leads >= min_n)
        conv_ok = (n >= min_n) & (total_n - n >= min_n)
        p_conv = slice_vs_rest_test(a, n, total_a, total_n)
        with np.errstate(invalid="ignore", divide="ignore"):
            frames.append(
                pd.DataFrame(
                    {
                        "dimension": dim,
                        "value": uniques.astype(str),
                        "code": np.arange(G),
                        "leads": leads,
                        "contacted": np.bincount(g, weights=event[keep], minlength=G).astype(int),
                        "median_business_hours": med,
                        "rest_median_business_hours": np.nan,
                        "sla_breach_rate": np.where(dec > 0, br / dec, np.nan),
                        "z_time": np.where(testable, lr["z"], np.nan),
                        "p_time": np.where(testable, _st.norm.cdf(lr["z"]), np.nan),
                        "lead_n": n.astype(np.int64),
                        "lead_advanced": a.astype(np.int64),
                        "lead_rate": np.where(n > 0, a / n, np.nan),
                        "shrunk_rate": shrink_rates(a, n, prior),
                        "rest_lead_rate": (total_a - a) / (total_n - n),
                        "expected_lead_rate": np.nan,
                        "p_conv": np.where(conv_ok, p_conv, np.nan),
                    }
                )
            )
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
    for i in np.flatnonzero(slow | small):
        codes = codes_of[out.at[i, "dimension"]]
        keep = codes >= 0
        inside = (codes[keep] == out.at[i, "code"]).astype(np.int64)  # group 0 is the rest
        rest = km_quantiles(time[keep], event[keep], inside, 2, (0.5,), resolution=1 / 3600)
        out.at[i, "rest_median_business_hours"] = rest[0, 0]
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


def _dimension_label(dim: str, language: str) -> str:
    from playbook.i18n import TEXT

    key = f"handoff_dim_{dim}"
    return TEXT[key][language] if key in TEXT else dim


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
    t = (
        tests
        if tests is not None
        else slow_handoff_tests(
            contacts,
            journey,
            config,
            dimensions=dimensions,
            min_n=min_n,
            alpha=alpha,
            model=model,
        )
    )
    if not len(t):
        return []
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
    used = list(model.adjusted_for) if model is not None else []
    down, avg = _downstream(journey)
    won = journey.status == WON
    amounts = (
        journey.deals["amount"].to_numpy(dtype=float)[won] if "amount" in journey.deals else []
    )
    total_won = float(np.nansum(amounts)) if len(amounts) else float(won.sum())
    time = contacts["business_hours"].to_numpy()
    event = contacts["contacted"].to_numpy()
    stage = journey.stage_ids[0]
    findings = []
    for i, r in flagged.iterrows():
        like_deals = pd.notna(expected[i])
        gap = max(reference[i] - r.shrunk_rate, 0.0)
        impact = gap * r.lead_n * down * avg
        strong = ratio[i] >= 2 and max(r.p_time_adj, r.p_conv_adj) < alpha / 10
        big = total_won > 0 and impact >= 0.05 * total_won
        severity = 3 if strong and big else 2 if strong else 1
        inside = contacts[r.dimension].astype(str).to_numpy() == r.value
        inside &= contacts[r.dimension].notna().to_numpy()
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
            **({"expected": _pct(expected[i])} if like_deals else {}),
        )
        people = r.dimension in PEOPLE_DIMENSIONS
        findings.append(
            Finding(
                kind="slow_handoff",
                severity=severity,
                adjusted_for=(used if like_deals else []) if people else None,
                dimension=r.dimension,
                value=r.value,
                stage=stage,
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
                    "expected_lead_rate": float(expected[i]) if like_deals else None,
                    "shrunk_rate": float(r.shrunk_rate),
                    "lead_n": int(r.lead_n),
                    "p_time": float(r.p_time_adj),
                    "p_conv": float(r.p_conv_adj),
                    "sla_breach_rate": float(r.sla_breach_rate),
                    "ratio": float(ratio[i]),
                },
            )
        )
    return rank(findings)


def find_sleeping_leads(
    sleeping: pd.DataFrame,
    config: PilotConfig,
    *,
    dimensions: Sequence[str] = SLEEP_DIMENSIONS,
    alpha: float = 0.05,
    min_n: int = 20,
    min_gap: float = 0.05,
    language: str | None = None,
) -> list[Finding]:
    """Teams or reps with credibly more sleeping deals than the rest of the company.

    Each slice's sleeping share of open deals is compared with the rest by a one-sided
    Fisher exact test, adjusted by Benjamini–Hochberg across all slices compared; shares
    are shrunk towards the company by an empirical-Bayes beta prior per dimension. A slice
    is reported when the adjusted p < ``alpha`` and the shrunk share exceeds the rest's by
    ``min_gap``. Severity: 2 when the shrunk excess is at least ``2 * min_gap`` and the
    adjusted p < ``alpha / 10``; 3 when moreover the excess sleeping amount is at least 5%
    of the open pipeline; else 1.

    Returns
    -------
    list of Finding
        kind ``sleeping_leads``; ``metric`` ``sleeping_share``, ``observed`` / ``baseline``
        the slice's and the rest's share, Wilson interval, ``n`` open deals; teams and reps
        carry ``adjusted_for=[]``: people compared on how many of their open deals sit idle,
        not adjusted for the deal mix.
    """
    language = _language(language, config)
    if not len(sleeping):
        return []
    flag = sleeping["sleeping"].to_numpy()
    amount = sleeping["amount"].to_numpy(dtype=float)
    known = ~np.isnan(amount)
    avg = float(amount[known].mean()) if known.any() else 1.0
    pipeline = float(amount[known].sum()) if known.any() else float(len(amount))
    rows = []
    for dim in dimensions:
        if dim not in sleeping.columns or sleeping[dim].isna().all():
            continue
        codes, uniques = _codes(sleeping[dim])
        keep = codes >= 0
        G = len(uniques)
        if G < 2:
            continue
        g = codes[keep]
        n = np.bincount(g, minlength=G).astype(float)
        s = np.bincount(g, weights=flag[keep], minlength=G)
        shrunk = shrink_rates(s, n, fit_beta_prior(s, n))
        for k in range(G):
            if n[k] < min_n or n.sum() - n[k] < min_n:
                continue
            rows.append(
                {
                    "dimension": dim,
                    "value": str(uniques[k]),
                    "n": n[k],
                    "s": s[k],
                    "rest_n": n.sum() - n[k],
                    "rest_s": s.sum() - s[k],
                    "shrunk": shrunk[k],
                }
            )
    if not rows:
        return []
    t = pd.DataFrame(rows)
    t["p_raw"] = slice_vs_rest_test(
        t["s"], t["n"], t["s"] + t["rest_s"], t["n"] + t["rest_n"], alternative="greater"
    )
    t["p_adj"] = benjamini_hochberg(t["p_raw"])
    t["rate"] = t["s"] / t["n"]
    t["rest_rate"] = t["rest_s"] / t["rest_n"]
    t["gap"] = t["shrunk"] - t["rest_rate"]
    findings = []
    for r in t[(t["p_adj"] < alpha) & (t["gap"] >= min_gap)].itertuples(index=False):
        impact = max(r.rate - r.rest_rate, 0.0) * r.n * avg
        strong = r.gap >= 2 * min_gap and r.p_adj < alpha / 10
        big = pipeline > 0 and impact >= 0.05 * pipeline
        lo, hi = wilson_interval(r.s, r.n)
        findings.append(
            Finding(
                kind="sleeping_leads",
                severity=3 if strong and big else 2 if strong else 1,
                # people compared on idle open deals, not on conversion: not adjusted
                adjusted_for=[] if r.dimension in PEOPLE_DIMENSIONS else None,
                dimension=r.dimension,
                value=r.value,
                metric="sleeping_share",
                observed=float(r.rate),
                baseline=float(r.rest_rate),
                ci_low=lo,
                ci_high=hi,
                n=int(r.n),
                p_value=float(r.p_adj),
                impact=float(impact),
                evidence=_t(
                    "handoff_evidence_sleeping",
                    language,
                    dimension=_dimension_label(r.dimension, language),
                    value=r.value,
                    sleeping=f"{int(r.s):,}",
                    n=f"{int(r.n):,}",
                    rate=_pct(r.rate),
                    low=_pct(lo),
                    high=_pct(hi),
                    days=_num(config.sleeping_lead_days),
                    rest_rate=_pct(r.rest_rate),
                ),
                extra={"shrunk_rate": float(r.shrunk), "p_raw": float(r.p_raw)},
            )
        )
    return rank(findings)
