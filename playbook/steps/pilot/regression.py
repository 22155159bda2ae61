"""The pilot's lift among deals alike in their mix, for a comparison without a pre-period.

For each stage, a logistic regression (statsmodels GLM, binomial) of advancing on the arm
and the deal-mix dimensions (:func:`playbook.steps.pilot.arms.mix_dimensions`), on the deals
created from the start; standard errors cluster-robust by unit (rep or team: CR1, as
statsmodels' ``cov_type="cluster"`` of the deal-level fit), the lift reported as the
average marginal effect of the arm in points (delta method, t with G - 1 degrees of
freedom). Deals with the same unit, arm and mix are fitted as one binomial cell.
"""

from __future__ import annotations

import functools
import logging
import warnings

import numpy as np
import pandas as pd
import statsmodels.api as sm
from scipy import stats as _st
from threadpoolctl import ThreadpoolController

logger = logging.getLogger(__name__)

__all__ = ["MIN_CATEGORY_N", "adjusted_effects"]

#: Categories with fewer resolved deals at a stage are pooled in the regression.
MIN_CATEGORY_N = 10


def _levels(covariates: pd.DataFrame, min_n: int) -> list[np.ndarray]:
    """Per dimension with two levels or more, each deal's level (rare categories pooled)."""
    out = []
    for dim in covariates.columns:
        codes = covariates[dim].cat.codes.to_numpy().astype(np.int64)
        counts = np.bincount(codes, minlength=len(covariates[dim].cat.categories))
        present = np.flatnonzero(counts)
        common = present[counts[present] >= min_n]
        if len(common) < len(present) and len(common):
            codes = np.where(np.isin(codes, common), codes, len(counts))  # rare: one level
        used = np.bincount(codes) > 0
        if used.sum() > 1:
            relabel = np.cumsum(used) - 1  # levels present, numbered 0, 1, … (no sort)
            out.append(relabel[codes])
    return out


def _independent(exog: np.ndarray) -> np.ndarray:
    """``exog`` without columns that are combinations of earlier ones (e.g. amount and
    source missing on the same deals); the first two (constant, arm) come first, so the
    arm is dropped only when the mix alone determines it."""
    r = np.abs(np.diag(np.linalg.qr(exog, mode="r")))
    keep = r > 1e-8 * max(r.max(), 1.0)
    if not keep[1]:
        return exog[:, :1]
    return exog[:, keep]


def _fit_stage(
    y: np.ndarray,
    pilot: np.ndarray,
    levels: list[np.ndarray],
    cluster: np.ndarray,
    alpha: float,
) -> dict[str, float]:
    """Logit of advancing on the arm and the mix, clustered; lift = average marginal effect."""
    nan = dict.fromkeys(("effect", "se", "low", "high", "p", "prob"), np.nan)
    G = int((np.bincount(cluster) > 0).sum()) if len(cluster) else 0
    if G < 3 or pilot.all() or not pilot.any() or y.all() or not y.any():
        return nan
    # aggregate identical deals (same unit, arm and mix) into binomial cells: same fit, faster
    key = cluster.astype(np.int64) * 2 + pilot.astype(np.int64)
    for codes in levels:
        key = key * (int(codes.max()) + 1) + codes
    cell, cells = pd.factorize(key)
    first = np.zeros(len(cells), np.int64)
    first[cell[::-1]] = np.arange(len(cell))[::-1]
    trials = np.bincount(cell, minlength=len(cells)).astype(float)
    wins = np.bincount(cell, weights=y.astype(float), minlength=len(cells))
    blocks = [np.ones(len(cells)), pilot[first].astype(float)]
    for codes in levels:
        c = codes[first]
        blocks += [(c == level).astype(float) for level in range(1, int(codes.max()) + 1)]
    exog = _independent(np.column_stack(blocks))
    if exog.shape[1] < 2:
        return nan  # the arm is a combination of the mix: not separable
    groups = pd.factorize(cluster[first])[0]
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")  # near-separation of a small category: estimate holds
        try:
            fit = sm.GLM(
                np.column_stack([wins, trials - wins]), exog, family=sm.families.Binomial()
            ).fit()
        except (np.linalg.LinAlgError, ValueError) as exc:
            logger.info("adjusted comparison failed: %s", exc)
            return nan
    params = np.asarray(fit.params)
    # cluster-robust (CR1) sandwich, as statsmodels' cov_type="cluster" of a deal-level fit:
    # bread (X'WX)^-1, meat the sum over units of their summed scores, small-sample factor
    # G / (G - 1) * (deals - 1) / (deals - k)
    k, n_deals = exog.shape[1], trials.sum()
    scores = exog * (wins - trials * np.asarray(fit.mu))[:, None]
    units = groups.max() + 1
    by_unit = np.column_stack([np.bincount(groups, scores[:, i], units) for i in range(k)])
    bread = np.asarray(fit.normalized_cov_params)
    factor = G / (G - 1) * (n_deals - 1) / (n_deals - k)
    cov = factor * bread @ (by_unit.T @ by_unit) @ bread
    if not np.all(np.isfinite(params)) or not np.isfinite(cov[1, 1]) or cov[1, 1] <= 0:
        return nan
    # average marginal effect of the arm over every compared deal
    eta0 = exog @ params - exog[:, 1] * params[1]
    p0 = 1 / (1 + np.exp(-eta0))
    p1 = 1 / (1 + np.exp(-(eta0 + params[1])))
    w = trials / trials.sum()
    effect = float(w @ (p1 - p0))
    d1, d0 = p1 * (1 - p1), p0 * (1 - p0)
    grad = (w * (d1 - d0)) @ np.where(np.arange(exog.shape[1]) == 1, 0.0, exog)
    grad[1] = float(w @ d1)
    se = float(np.sqrt(max(grad @ cov @ grad, 0.0)))
    dof = G - 1
    z = params[1] / np.sqrt(cov[1, 1])
    tq = _st.t.ppf(1 - alpha / 2, dof)
    return {
        "effect": effect,
        "se": se,
        "low": effect - tq * se,
        "high": effect + tq * se,
        "p": float(2 * _st.t.sf(abs(z), dof)),
        "prob": float(_st.t.cdf(z, dof)),
    }


@functools.cache
def _blas() -> ThreadpoolController:
    """The process's BLAS thread pools (found once: finding them reads /proc, ~6 ms)."""
    return ThreadpoolController()


def adjusted_effects(
    advanced: np.ndarray,
    resolved: np.ndarray,
    is_pilot: np.ndarray,
    unit: np.ndarray,
    covariates: pd.DataFrame,
    *,
    alpha: float = 0.05,
    min_category_n: int = MIN_CATEGORY_N,
) -> pd.DataFrame:
    """Each stage's lift of the pilot among deals alike in the mix (post-period deals).

    Parameters
    ----------
    advanced, resolved : (deals, stages) booleans: advanced past the stage; outcome known.
    is_pilot : per deal.
    unit : per deal, the unit of assignment (the clusters).
    covariates : per deal, the categorical mix columns to adjust for (:func:`mix_dimensions`).

    Returns
    -------
    DataFrame
        One row per stage: ``effect | se | effect_low | effect_high | p | prob_positive``;
        ``effect`` is the average marginal effect of the arm (points, 0.05 = 5 points),
        ``p`` the cluster-robust Wald test of the arm's log-odds (t, G - 1 degrees of
        freedom), ``prob_positive`` P(lift > 0) from the same t (flat prior). NaN where
        the stage cannot be estimated (fewer than 3 units, one arm, no variation).
    """
    zp = np.asarray(is_pilot, dtype=bool)
    unit_codes = pd.factorize(pd.Series(unit).astype(str))[0]
    rows = []
    # small matrices: a multi-threaded BLAS only waits for its threads (up to 30x slower on
    # a busy 2-core machine), so the fits run on one
    with _blas().limit(limits=1, user_api="blas"):
        for s in range(advanced.shape[1]):
            m = np.asarray(resolved[:, s], dtype=bool)
            levels = _levels(covariates[m], min_category_n)
            fit = _fit_stage(advanced[m, s], zp[m], levels, unit_codes[m], alpha)
            rows.append(
                {
                    "effect": fit["effect"],
                    "se": fit["se"],
                    "effect_low": fit["low"],
                    "effect_high": fit["high"],
                    "p": fit["p"],
                    "prob_positive": fit["prob"],
                }
            )
    return pd.DataFrame(rows)
