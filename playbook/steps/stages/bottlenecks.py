"""Step 2's bottlenecks: slices that convert worse than the rest, and still do with the
other slices held fixed.

A slice (a value of one dimension, e.g. region West) is first compared with the rest of
the company at each stage, one dimension at a time: a one-sided Fisher exact test,
Benjamini–Hochberg across every slice and stage, rates shrunk by an empirical-Bayes beta
prior (:func:`bottleneck_tests`). A weak slice may be weak only because of what it sells:
a region that sells more of a product with a weak negotiation stage looks weak at
negotiation although, product for product, it converts like everyone else (Simpson's
paradox). So every slice is re-tested within the strata of the other dimensions (each
combination of their values): a Mantel–Haenszel test of the slice against the rest inside
each stratum, Benjamini–Hochberg across the same family, and the slice's expected rate
from its own mix (the rest's rate in each stratum, weighted by the slice's deals there:
indirect standardisation). A bottleneck is claimed only when the raw and the
held-fixed comparisons both hold. When a flagged slice's gap vanishes with the others
held fixed, the dimension that carries it is the one whose strata alone remove most of
the gap, and its value the category the slice over-sells that converts worst; the
finding for that slice says so (:func:`find_bottlenecks`).
"""

from __future__ import annotations

import logging
from collections.abc import Sequence

import numpy as np
import pandas as pd
from scipy import stats as _st

from playbook.findings import Finding, is_material, rank
from playbook.i18n import t
from playbook.stats import (
    benjamini_hochberg,
    km_quantiles,
    shrink_rates,
    slice_vs_rest_test,
    wilson_interval,
)
from playbook.steps.journey import WON, JourneyData, aggregate, resolve
from playbook.steps.prepared import takes_pilot
from playbook.workspace.config import PilotConfig

logger = logging.getLogger(__name__)

__all__ = ["mantel_haenszel", "bottleneck_tests", "retest_table", "find_bottlenecks"]

#: ``status`` of a slice x stage in :func:`bottleneck_tests`.
STATUSES = ("not_flagged", "confirmed", "explained", "not_confirmed")


def mantel_haenszel(a, n, total_a, total_n) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """A slice against the rest within strata: Mantel–Haenszel, vectorised over slices.

    Parameters
    ----------
    a, n : arrays (slices, strata): the slice's advanced and resolved deals per stratum.
    total_a, total_n : arrays (strata,) or (slices, strata): every deal's, slice included.

    Returns
    -------
    z, p_less, odds_ratio : arrays (slices,)
        ``z`` is the signed Cochran–Mantel–Haenszel statistic (no continuity correction;
        ``z**2`` is statsmodels' ``StratifiedTable.test_null_odds(correction=False)``),
        ``p_less`` its one-sided p that the slice converts worse, ``odds_ratio`` the
        Mantel–Haenszel pooled odds ratio of advancing (slice vs rest). Strata where the
        slice or the rest has no deal carry no information; NaN when none is left.
    """
    a, n = np.atleast_2d(np.asarray(a, float)), np.atleast_2d(np.asarray(n, float))
    A, N = np.broadcast_to(total_a, a.shape), np.broadcast_to(total_n, a.shape)
    rest_n = N - n
    rest_a = A - a
    ok = (n > 0) & (rest_n > 0)
    with np.errstate(invalid="ignore", divide="ignore"):
        expected = np.where(ok, n * A / N, 0.0)
        var = np.where(ok & (N > 1), n * rest_n * A * (N - A) / (N * N * (N - 1)), 0.0)
        num = np.where(ok, a * (rest_n - rest_a) / N, 0.0).sum(axis=1)
        den = np.where(ok, (n - a) * rest_a / N, 0.0).sum(axis=1)
        z = (np.where(ok, a, 0.0).sum(axis=1) - expected.sum(axis=1)) / np.sqrt(var.sum(axis=1))
        odds = num / den
    z = np.where(var.sum(axis=1) > 0, z, np.nan)
    return z, _st.norm.cdf(z), odds


def _codes(column: pd.Series) -> tuple[np.ndarray, pd.Index]:
    """Integer codes of a dimension's values (missing: -1), and the values."""
    if isinstance(column.dtype, pd.CategoricalDtype) and column.cat.ordered is False:
        return column.cat.codes.to_numpy().astype(np.int64), column.cat.categories
    codes, uniques = pd.factorize(column, sort=True)
    return codes.astype(np.int64), pd.Index(uniques)


def _strata(codes: Sequence[np.ndarray], n: int) -> tuple[np.ndarray, int]:
    """One stratum code per deal from the codes of several dimensions (missing: own level)."""
    if not codes:
        return np.zeros(n, np.int64), 1
    key = np.zeros(n, np.int64)
    for c in codes:
        c = np.where(c < 0, c.max() + 1, c)
        key = key * (int(c.max()) + 1) + c
    stratum, uniques = pd.factorize(key)
    return stratum.astype(np.int64), len(uniques)


def _by_stratum(code, stratum, K, resolved, advanced, G):
    """(G, K) advanced and resolved counts of each slice per stratum."""
    m = resolved & (code >= 0)
    cell = code[m] * K + stratum[m]
    n = np.bincount(cell, minlength=G * K).reshape(G, K)
    a = np.bincount(cell[advanced[m]], minlength=G * K).reshape(G, K)
    return a.astype(float), n.astype(float)


def _standardised(a, n, A, N):
    """Observed and expected rate of each slice from the rest's rate in its strata."""
    rest_n = N - n
    with np.errstate(invalid="ignore", divide="ignore"):
        rest_rate = np.where(rest_n > 0, (A - a) / rest_n, 0.0)
        used = np.where(rest_n > 0, n, 0.0)
        expected = (used * rest_rate).sum(axis=1) / used.sum(axis=1)
        observed = np.where(rest_n > 0, a, 0.0).sum(axis=1) / used.sum(axis=1)
    return observed, expected


def _raw_rows(j: JourneyData, d: pd.DataFrame, dimensions, min_n, comp_adv, comp_n):
    rows = []
    K = j.n_stages
    for dim in dimensions:
        codes, uniques = _codes(d[dim])
        G = len(uniques)
        if G < 2:
            continue
        agg = aggregate(j, codes, G, dwell=False)
        agg = agg[agg["stage"] < K - 1]
        for s in range(K - 1):
            a = agg[agg["stage"] == s]
            adv = a["advanced"].to_numpy().astype(float)
            n = a["mature_n"].to_numpy().astype(float)
            shrunk = shrink_rates(adv, n)
            for g in range(G):
                if n[g] < min_n or comp_n[s] - n[g] < min_n:
                    continue
                rows.append(
                    {
                        "dimension": dim,
                        "value": uniques[g],
                        "code": g,
                        "stage": s,
                        "advanced": adv[g],
                        "n": n[g],
                        "entered": int(a["entered"].iloc[g]),
                        "shrunk": shrunk[g],
                        "rest_adv": comp_adv[s] - adv[g],
                        "rest_n": comp_n[s] - n[g],
                    }
                )
    return rows


def _held_fixed(t: pd.DataFrame, j: JourneyData, d: pd.DataFrame, dimensions) -> pd.DataFrame:
    """Adds ``expected_rate | adjusted_gap | z_adjusted | p_adjusted_raw`` (others fixed)."""
    codes = {dim: _codes(d[dim])[0] for dim in dimensions}
    dim_of, stage_of = t["dimension"].to_numpy(), t["stage"].to_numpy()
    slice_of = t["code"].to_numpy()
    columns = {k: np.full(len(t), np.nan) for k in ("expected", "observed", "z", "p")}
    for dim in dict.fromkeys(dim_of):
        others = [codes[o] for o in dimensions if o != dim]
        stratum, K = _strata(others, len(d))
        code = codes[dim]
        G = int(code.max()) + 1
        for s in np.unique(stage_of[dim_of == dim]):
            rows = np.flatnonzero((dim_of == dim) & (stage_of == s))
            resolved, advanced = j.mature[:, s], j.advanced[:, s]
            a, n = _by_stratum(code, stratum, K, resolved, advanced, G)
            A = np.bincount(stratum[resolved & advanced], minlength=K).astype(float)
            N = np.bincount(stratum[resolved], minlength=K).astype(float)
            g = slice_of[rows]
            columns["z"][rows], columns["p"][rows], _ = mantel_haenszel(a[g], n[g], A, N)
            columns["observed"][rows], columns["expected"][rows] = _standardised(a[g], n[g], A, N)
    return t.assign(
        expected_rate=columns["expected"],
        adjusted_gap=columns["expected"] - columns["observed"],
        z_adjusted=columns["z"],
        p_adjusted_raw=columns["p"],
    )


def _carrier(row, j: JourneyData, d: pd.DataFrame, dimensions) -> tuple[str, object, float, float]:
    """Which other dimension carries a slice's gap, and through which of its values.

    Returns (dimension, value, the value's share among the slice's resolved deals, its
    share among the rest's).
    """
    s = int(row.stage)
    resolved, advanced = j.mature[:, s], j.advanced[:, s]
    in_slice = _codes(d[row.dimension])[0] == row.code
    best = None
    for other in dimensions:
        if other == row.dimension:
            continue
        code, uniques = _codes(d[other])
        K = len(uniques) + 1
        code = np.where(code < 0, K - 1, code)
        n_in = np.bincount(code[resolved & in_slice], minlength=K).astype(float)
        n_out = np.bincount(code[resolved & ~in_slice], minlength=K).astype(float)
        a_out = np.bincount(code[resolved & ~in_slice & advanced], minlength=K).astype(float)
        with np.errstate(invalid="ignore", divide="ignore"):
            r = np.where(n_out > 0, a_out / n_out, np.nan)
            share_in, share_out = n_in / n_in.sum(), n_out / n_out.sum()
        rest_rate = a_out.sum() / n_out.sum()
        contribution = np.nan_to_num((share_in - share_out) * (rest_rate - r))
        explained = contribution.sum()  # the slice's shortfall its mix of `other` implies
        c = int(np.argmax(contribution))
        if c >= len(uniques):
            continue  # missing values carry it: nothing to name
        if best is None or explained > best[0]:
            best = (explained, other, uniques[c], float(share_in[c]), float(share_out[c]))
    if best is None:
        return ("", None, np.nan, np.nan)
    return best[1:]


@takes_pilot
def bottleneck_tests(
    deals: pd.DataFrame,
    stage_events: pd.DataFrame,
    config: PilotConfig,
    dimensions: Sequence[str] | None = None,
    alpha: float = 0.05,
    min_n: int = 30,
    *,
    min_gap: float = 0.05,
    as_of=None,
    journey: JourneyData | None = None,
) -> pd.DataFrame:
    """Every slice x stage compared with the rest, raw and with the other slices held fixed.

    Returns
    -------
    DataFrame
        One row per slice and stage tested: ``dimension | value | code | stage (int) |
        advanced | n | entered | shrunk | rest_adv | rest_n | p_raw | p_adj | rate |
        rest_rate | gap | flagged | expected_rate | adjusted_gap | z_adjusted |
        p_adjusted_raw | p_adjusted | status | explained_by | explained_value |
        explained_share | explained_rest_share``. ``flagged``: the raw comparison holds
        (``p_adj < alpha`` and the shrunk rate at least ``min_gap`` below the rest);
        ``status``: ``confirmed`` when it still holds with the others fixed
        (``p_adjusted < alpha`` and ``adjusted_gap >= min_gap``), ``explained`` when
        another dimension carries the gap (``explained_by`` = ``explained_value``),
        ``not_confirmed`` otherwise. ``attrs["dimensions"]`` lists the dimensions.
    """
    j = resolve(deals, stage_events, config, as_of, journey)
    d = j.deals
    K = j.n_stages
    if dimensions is None:
        dimensions = [c for c in config.dimensions if c in d.columns]
    dimensions = list(dimensions)
    missing = [c for c in dimensions if c not in d.columns]
    if missing:
        raise ValueError(f"unknown dimension(s) {', '.join(missing)}; deals has {list(d.columns)}")
    company = aggregate(j, dwell=False)
    comp_adv = company["advanced"].to_numpy()[: K - 1].astype(float)
    comp_n = company["mature_n"].to_numpy()[: K - 1].astype(float)
    rows = _raw_rows(j, d, dimensions, min_n, comp_adv, comp_n)
    if not rows:
        logger.info("no slice had %d resolved deals at a stage (and a rest as large)", min_n)
        return pd.DataFrame()
    t = pd.DataFrame(rows)
    t["p_raw"] = slice_vs_rest_test(
        t["advanced"],
        t["n"],
        t["advanced"] + t["rest_adv"],
        t["n"] + t["rest_n"],
        alternative="less",
    )
    t["p_adj"] = benjamini_hochberg(t["p_raw"])
    t["rate"] = t["advanced"] / t["n"]
    t["rest_rate"] = t["rest_adv"] / t["rest_n"]
    t["gap"] = t["rest_rate"] - t["shrunk"]
    t["flagged"] = (t["p_adj"] < alpha) & (t["gap"] >= min_gap)
    t = _held_fixed(t, j, d, dimensions)
    t["p_adjusted"] = benjamini_hochberg(t["p_adjusted_raw"])
    holds = (t["p_adjusted"] < alpha) & (t["adjusted_gap"] >= min_gap)
    if len(dimensions) < 2:
        holds = t["flagged"]  # nothing else to hold fixed
    t["status"] = np.where(~t["flagged"], "not_flagged", np.where(holds, "confirmed", ""))
    for column in ("explained_by", "explained_value"):
        t[column] = None
    t["explained_share"] = np.nan
    t["explained_rest_share"] = np.nan
    for i in t.index[t["status"] == ""]:
        dim, value, share, rest = _carrier(t.loc[i], j, d, dimensions)
        carried = t[
            (t["dimension"] == dim)
            & (t["value"].astype(str) == str(value))
            & (t["stage"] == t.at[i, "stage"])
            & (t["status"] != "not_flagged")
        ]
        confirmed = len(carried) and holds[carried.index].any()
        t.loc[i, ["explained_by", "explained_value"]] = [dim or None, value]
        t.loc[i, ["explained_share", "explained_rest_share"]] = [share, rest]
        t.at[i, "status"] = "explained" if confirmed else "not_confirmed"
    logger.info(
        "compared %d slices x stages; %d below the rest, %d of them with the others fixed",
        len(t),
        int(t["flagged"].sum()),
        int((t["status"] == "confirmed").sum()),
    )
    t.attrs["dimensions"] = dimensions
    return t


def retest_table(tests: pd.DataFrame, config: PilotConfig, language: str) -> pd.DataFrame:
    """The slices flagged against the rest, and what became of them with the others fixed.

    Returns
    -------
    DataFrame
        ``dimension | value | from | to | n | rate | rest_rate | expected_rate |
        adjusted_gap | p_adj | p_adjusted | status`` (status in ``language``).
    """
    columns = ["dimension", "value", "from", "to", "n", "rate", "rest_rate", "expected_rate"]
    columns += ["adjusted_gap", "p_adj", "p_adjusted", "status"]
    if tests.empty or not tests["flagged"].any():
        return pd.DataFrame(columns=columns)
    f = tests[tests["flagged"]].copy()
    ids = list(config.funnel.ids)
    f["from"] = [ids[s] for s in f["stage"]]
    f["to"] = [ids[s + 1] for s in f["stage"]]
    f["n"] = f["n"].astype(np.int64)
    f["status"] = [
        t(
            f"bottleneck_status_{s}",
            language,
            dimension=str(by),
            value=str(v),
        )
        for s, by, v in zip(f["status"], f["explained_by"], f["explained_value"], strict=True)
    ]
    return f[columns].reset_index(drop=True)


def _pct(x: float) -> str:
    return f"{100 * x:.0f}%"


def _days(x: float) -> str:
    return f"{x:.0f}" if x >= 10 else f"{x:.1f}".rstrip("0").rstrip(".")


def _lower_first(text: str) -> str:
    if len(text) > 1 and text[1].isupper():
        return text
    return text[:1].lower() + text[1:]


def _evidence(
    language: str,
    frm: str,
    to: str,
    value: str,
    rate: float,
    lo: float,
    hi: float,
    n: int,
    rest: float,
    dwell: float,
    rest_dwell: float,
) -> str:
    has_dwell = not (np.isnan(dwell) or np.isnan(rest_dwell))
    if language == "zh":
        text = (
            f"{value}的{frm}→{to}转化率为 {_pct(rate)}（95% CI {100 * lo:.0f}–{_pct(hi)}，"
            f"n={n:,}），其他为 {_pct(rest)}"
        )
        if has_dwell:
            text += f"；中位停留 {_days(dwell)} 天，其他为 {_days(rest_dwell)} 天"
        return text + "。"
    text = (
        f"{frm} → {_lower_first(to)} in {value}: {_pct(rate)} (95% CI {100 * lo:.0f}–"
        f"{_pct(hi)}, n={n:,}) vs {_pct(rest)} elsewhere"
    )
    if has_dwell:
        text += f"; deals wait a median {_days(dwell)} days vs {_days(rest_dwell)}"
    return text + "."


def _explains(tests: pd.DataFrame, row, language: str) -> tuple[str, list[dict]]:
    """The note on a confirmed slice that carries other flagged slices' gaps."""
    carried = tests[
        (tests["status"] == "explained")
        & (tests["explained_by"] == row.dimension)
        & (tests["explained_value"].astype(str) == str(row.value))
        & (tests["stage"] == row.stage)
    ]
    notes, records = [], []
    for c in carried.itertuples(index=False):
        notes.append(
            t(
                "bottleneck_explains",
                language,
                dimension=c.dimension,
                value=str(c.value),
                carrier=str(row.value),
                carrier_dimension=row.dimension,
                share=_pct(c.explained_share),
                rest_share=_pct(c.explained_rest_share),
            )
        )
        records.append(
            {
                "dimension": c.dimension,
                "value": str(c.value),
                "rate": float(c.rate),
                "rest_rate": float(c.rest_rate),
                "share": float(c.explained_share),
                "rest_share": float(c.explained_rest_share),
            }
        )
    return "".join(notes), records


def _revenue_context(j: JourneyData) -> dict:
    """What a point of conversion at each stage is worth: the company's conversion from the
    next stage to won, the average won amount (won-deal counts without amounts)."""
    K = j.n_stages
    company = aggregate(j, dwell=False)
    comp_adv = company["advanced"].to_numpy()[: K - 1].astype(float)
    comp_n = company["mature_n"].to_numpy()[: K - 1].astype(float)
    with np.errstate(invalid="ignore", divide="ignore"):
        comp_rate = comp_adv / comp_n
    downstream = np.ones(K)
    for s in range(K - 2, -1, -1):
        downstream[s] = downstream[s + 1] * (comp_rate[s] if comp_n[s] > 0 else np.nan)
    d = j.deals
    won_mask = (j.status == WON) & (j.furthest >= 0)
    amounts = d["amount"].to_numpy(dtype=float)[won_mask] if "amount" in d else np.array([])
    amounts = amounts[~np.isnan(amounts)]
    avg_amount = float(amounts.mean()) if len(amounts) else 1.0
    return {
        "downstream": downstream,
        "avg_amount": avg_amount,
        "unit": "amount" if len(amounts) else "won deals",
        "total_won": avg_amount * won_mask.sum(),
    }


def _finding(r, j, tests, config, dims, value_of, *, alpha, min_gap, lang) -> Finding:
    """The finding of one confirmed slice x stage (see :func:`find_bottlenecks`)."""
    s = int(r.stage)
    downstream, avg_amount = value_of["downstream"], value_of["avg_amount"]
    impact = max(r.gap, 0.0) * r.entered * downstream[s + 1] * avg_amount
    impact = float(impact) if np.isfinite(impact) else 0.0
    in_slice = _codes(j.deals[r.dimension])[0] == r.code
    m = j.visits[:, s] > 0
    med = km_quantiles(j.dwell[m, s], ~j.dwell_censored[m, s], in_slice[m].astype(int), 2, (0.5,))
    med = med[:, 0]
    slow = bool(med[0] > 0 and med[1] >= 1.5 * med[0])  # NaN compares False
    large_gap = r.gap >= 2 * min_gap
    strong = r.p_adj < alpha / 10 and (large_gap or slow)
    big = is_material(impact, value_of["total_won"])
    lo, hi = wilson_interval(r.advanced, r.n)
    frm = config.stage_label(j.stage_ids[s], lang)
    to = config.stage_label(j.stage_ids[s + 1], lang)
    value = str(r.value)
    evidence = _evidence(lang, frm, to, value, r.rate, lo, hi, int(r.n), r.rest_rate, *med[::-1])
    note, explains = _explains(tests, r, lang)
    return Finding(
        kind="bottleneck",
        severity=3 if strong and large_gap and big else 2 if strong else 1,
        dimension=r.dimension,
        value=value,
        stage=j.stage_ids[s],
        metric="advance_rate",
        observed=float(r.rate),
        baseline=float(r.rest_rate),
        ci_low=lo,
        ci_high=hi,
        n=int(r.n),
        p_value=float(r.p_adj),
        adjusted_for=[x for x in dims if x != r.dimension],
        impact=float(impact),
        evidence=evidence[:-1] + note + evidence[-1] if note else evidence,
        extra={
            "to_stage": j.stage_ids[s + 1],
            "shrunk_rate": float(r.shrunk),
            "p_raw": float(r.p_raw),
            "expected_rate": float(r.expected_rate),
            "adjusted_gap": float(r.adjusted_gap),
            "p_adjusted": float(r.p_adjusted),
            "entered": int(r.entered),
            "median_dwell_days": float(med[1]),
            "rest_median_dwell_days": float(med[0]),
            "slow": slow,
            "downstream": float(downstream[s + 1]),
            "avg_amount": avg_amount,
            "impact_unit": value_of["unit"],
            "explains": explains,
        },
    )


@takes_pilot
def find_bottlenecks(
    deals: pd.DataFrame,
    stage_events: pd.DataFrame,
    config: PilotConfig,
    dimensions: Sequence[str] | None = None,
    alpha: float = 0.05,
    min_n: int = 30,
    *,
    min_gap: float = 0.05,
    language: str | None = None,
    as_of=None,
    journey: JourneyData | None = None,
    tests: pd.DataFrame | None = None,
) -> list[Finding]:
    """Stage rates credibly and materially below the rest of the company, per slice,
    that still hold with the other slices held fixed.

    Every stage transition and every value of each dimension is compared with the rest
    of the company (:func:`bottleneck_tests`: one-sided Fisher exact test,
    Benjamini–Hochberg across all slices and stages, empirical-Bayes shrinkage), then
    re-tested within the strata of the other dimensions (Mantel–Haenszel,
    Benjamini–Hochberg). A slice is reported when both hold: adjusted p < ``alpha`` and
    the shrunk rate at least ``min_gap`` below the rest, and again with the others
    fixed. A slice whose gap another dimension carries is not reported; the finding of
    the slice that carries it says so. Dwell is combined in: the slice's Kaplan–Meier
    median dwell in the stage against the rest's (in the evidence; ``slow`` when 1.5
    times longer). Severity: 2 when the adjusted p < ``alpha / 10`` and either the
    shrunk gap is at least ``2 * min_gap`` or the slice is slow; 3 when moreover the gap
    is that large and the revenue at stake is at least 5% of won revenue; else 1.
    Revenue at stake = (rest rate - shrunk slice rate) x slice entered x company
    conversion from the next stage to won x average won amount (won-deal counts when no
    amount is known).

    Parameters
    ----------
    dimensions : list of str, optional
        Deal columns to slice by; default ``config.dimensions`` present in ``deals``.
    alpha : float
        False discovery rate.
    min_n : int
        Slices (and their rest) with fewer resolved deals at the stage are not tested.
    min_gap : float
        Smallest shortfall of the shrunk rate (absolute, 0.05 = 5 points) worth reporting.
    language : {"en", "zh"}, optional
        Language of the evidence sentence; default ``config.language``.
    tests : the :func:`bottleneck_tests` of the same inputs, to skip computing them again.

    Returns
    -------
    list of Finding
        kind "bottleneck", most important first; ``stage`` is the from-stage id,
        ``observed`` the slice rate, ``baseline`` the rest's rate, ``n`` the slice's
        ``mature_n``, ``p_value`` the adjusted p, ``adjusted_for`` the dimensions held
        fixed; ``extra`` holds to_stage, shrunk_rate, p_raw, expected_rate (from the
        slice's mix of the other dimensions), adjusted_gap, p_adjusted, entered, dwell
        medians, downstream, avg_amount and ``explains`` (slices whose gap this one
        carries).
    """
    language = language or config.language
    if language not in ("en", "zh"):
        raise ValueError(f"language must be 'en' or 'zh'; got {language!r}")
    if not 0 < alpha < 1:
        raise ValueError(f"alpha must be between 0 and 1; got {alpha!r}")
    j = resolve(deals, stage_events, config, as_of, journey)
    if tests is None:
        tests = bottleneck_tests(
            deals, stage_events, config, dimensions, alpha, min_n, min_gap=min_gap, journey=j
        )
    if tests.empty:
        return []
    dims = list(tests.attrs.get("dimensions", dimensions or []))
    value_of = _revenue_context(j)
    rows = tests[tests["status"] == "confirmed"].itertuples(index=False)
    findings = [
        _finding(r, j, tests, config, dims, value_of, alpha=alpha, min_gap=min_gap, lang=language)
        for r in rows
    ]
    return rank(findings)
