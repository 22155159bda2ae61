"""Are the pilot's arms alike? Balance, overlap, the design, and the mix-adjusted comparison.

Pilot and control reps work different territories, segments, products and sources, so
before any effect the arms are compared on what the reps do not choose:

* :func:`arm_balance`: the arms' deal mix on every slice dimension and deal size (share
  per category and the standardised difference ``(p1 - p0) / sqrt((p1 q1 + p0 q0) / 2)``),
  before and after the start when there is a pre-period;
* :func:`dimension_balance`: one line per dimension: the generalised (Mahalanobis)
  standardised difference of its categories (Yang & Dalton 2012), the overlap of the two
  arms (the share of deals they have in common, ``sum_c min(p_c, q_c)``) and, with a
  pre-period, how differently the mix changed in the two arms;
* :func:`mix_effects`: how far each dimension's mix difference (or, with a pre-period,
  mix change) would alone move each stage's comparison, in points. This decides whether
  the arms are alike enough for a causal claim: a difference in a dimension whose
  categories convert alike does not matter, a small one in a dimension that drives the
  stage does;
* :func:`pre_conversion_balance`: each stage's conversion in the two arms before the start;
* :func:`adjusted_effects`: for a comparison without a pre-period, each stage's lift
  among deals alike in those dimensions: a logistic regression (statsmodels GLM) of
  advancing on the arm and the dimensions, cluster-robust by unit (rep or team), the lift
  reported as the average marginal effect in points (delta method, t with G - 1
  degrees of freedom).

Designs (:data:`DESIGNS`): ``randomised`` when ``pilot.randomised`` says units were
assigned at random, ``difference_in_differences`` with a pre-period for both arms, else
``post_only``.
"""

from __future__ import annotations

import functools
import logging
import warnings
from collections.abc import Sequence
from dataclasses import dataclass, field

import numpy as np
import pandas as pd
import statsmodels.api as sm
from scipy import stats as _st
from threadpoolctl import ThreadpoolController

logger = logging.getLogger(__name__)

__all__ = [
    "DESIGNS",
    "DEAL_SIZE",
    "MIX_BIAS_SHARE",
    "choose_design",
    "deal_size_band",
    "mix_dimensions",
    "arm_balance",
    "dimension_balance",
    "mix_effects",
    "pre_conversion_balance",
    "ArmsCheck",
    "check_arms",
    "adjusted_effects",
]

DESIGNS = ("randomised", "difference_in_differences", "post_only")
#: The name of the deal-size band dimension (terciles of ``amount``).
DEAL_SIZE = "deal_size"
MISSING = "(missing)"
#: Categories with fewer resolved deals at a stage are pooled in the regression.
MIN_CATEGORY_N = 10
#: Arms are unlike when a dimension's mix difference alone would move the primary stage
#: by more than this share of the lift the pilot is expected to bring.
MIX_BIAS_SHARE = 0.25

BALANCE_COLUMNS = [
    "dimension",
    "value",
    "pilot_deals",
    "pilot_share",
    "control_deals",
    "control_share",
    "std_diff",
    "pilot_pre_share",
    "control_pre_share",
    "std_diff_pre",
]


def choose_design(randomised: bool, has_pre: bool) -> str:
    """The evaluation design: randomised (as configured), difference-in-differences, post-only."""
    if randomised:
        return "randomised"
    return "difference_in_differences" if has_pre else "post_only"


def _round2(x: float) -> str:
    """``x`` to two significant figures with thousands separators (band labels)."""
    if not np.isfinite(x) or x == 0:
        return f"{x:,.0f}"
    digits = max(int(np.floor(np.log10(abs(x)))) - 1, 0)
    return f"{round(x, -digits):,.0f}"


def deal_size_band(amount: pd.Series) -> pd.Series | None:
    """Deal size as three bands (terciles of the known amounts), ``(missing)`` when unknown.

    Returns a categorical Series, or None when fewer than 3 distinct amounts are known.
    """
    values = pd.to_numeric(amount, errors="coerce").to_numpy(dtype=float)
    known = values[np.isfinite(values)]
    if len(np.unique(known)) < 3:
        return None
    lo, hi = np.quantile(known, [1 / 3, 2 / 3])
    labels = [f"< {_round2(lo)}", f"{_round2(lo)}–{_round2(hi)}", f"≥ {_round2(hi)}", MISSING]
    band = np.where(values < lo, 0, np.where(values < hi, 1, 2))
    band = np.where(np.isfinite(values), band, 3)
    out = pd.Categorical.from_codes(band, categories=labels)
    return pd.Series(out, index=amount.index).cat.remove_unused_categories()


def _categorical(column: pd.Series) -> pd.Series:
    """A column as a categorical of text values, blanks and missing as ``(missing)``."""
    col = column if isinstance(column.dtype, pd.CategoricalDtype) else column.astype("category")
    names = col.cat.categories.astype(str)
    if not names.is_unique:  # e.g. 1 and "1": fall back to text
        col = column.astype(str).astype("category")
        names = col.cat.categories.astype(str)
    col = col.cat.rename_categories(names)
    blank = [c for c in names if c.strip() == ""]
    if blank:
        col = col.cat.remove_categories(blank)
    if col.isna().any():
        col = col.cat.add_categories([MISSING]).fillna(MISSING)
    return col.cat.remove_unused_categories()


def mix_dimensions(deals: pd.DataFrame, dimensions: Sequence[str]) -> pd.DataFrame:
    """The deal-mix columns the arms are compared on: ``dimensions`` present, and deal size.

    Categorical columns of text values, missing as ``(missing)``; dimensions with a single
    value are left out. Deal size (:data:`DEAL_SIZE`) comes from ``amount``.
    """
    out = {}
    for dim in dimensions:
        if dim in deals.columns and dim != DEAL_SIZE:
            out[dim] = _categorical(deals[dim])
    if "amount" in deals.columns:
        band = deal_size_band(deals["amount"])
        if band is not None:
            out[DEAL_SIZE] = band
    frame = pd.DataFrame(out, index=deals.index)
    keep = [c for c in frame.columns if len(frame[c].cat.categories) > 1]
    return frame[keep]


def _std_diff(p1, p0) -> np.ndarray:
    """Standardised difference of two proportions (+-inf when both are 0 or 1 and differ)."""
    p1, p0 = np.asarray(p1, dtype=float), np.asarray(p0, dtype=float)
    pooled = np.sqrt((p1 * (1 - p1) + p0 * (1 - p0)) / 2)
    diff = p1 - p0
    with np.errstate(invalid="ignore", divide="ignore"):
        ratio = diff / pooled
    edge = np.where(diff == 0, 0.0, np.copysign(np.inf, diff))
    return np.where(pooled > 0, ratio, np.where(np.isnan(diff), np.nan, edge))


def arm_balance(
    mix: pd.DataFrame,
    is_pilot: np.ndarray,
    is_post: np.ndarray,
    *,
    pre: bool,
) -> pd.DataFrame:
    """Share of each arm's deals per category of every mix dimension, with standardised differences.

    Parameters
    ----------
    mix : categorical deal-mix columns (:func:`mix_dimensions`), one row per evaluated deal.
    is_pilot, is_post : per deal: in the pilot arm; created from the start.
    pre : add the pre-period shares (difference-in-differences).

    Returns
    -------
    DataFrame
        ``dimension | value | pilot_deals | pilot_share | control_deals | control_share |
        std_diff`` (after the start), plus ``pilot_pre_share | control_pre_share |
        std_diff_pre`` when ``pre``; categories by size within each dimension.
    """
    zp = np.asarray(is_pilot, dtype=bool)
    post = np.asarray(is_post, dtype=bool)
    # one code per deal: arm x period, then one bincount per dimension
    cell = np.where(zp, 0, 1) + 2 * np.where(post, 0, 1)  # 0 pilot post, 1 control post, ...
    frames = []
    for dim in mix.columns:
        codes = mix[dim].cat.codes.to_numpy().astype(np.int64)
        cats = mix[dim].cat.categories
        K = len(cats)
        counts = np.bincount(cell * K + codes, minlength=4 * K).reshape(4, K)
        totals = np.maximum(counts.sum(axis=1, keepdims=True), 1)
        shares = counts / totals
        frame = pd.DataFrame(
            {
                "dimension": dim,
                "value": cats.astype(str),
                "pilot_deals": counts[0],
                "pilot_share": shares[0],
                "control_deals": counts[1],
                "control_share": shares[1],
                "std_diff": _std_diff(shares[0], shares[1]),
            }
        )
        if pre:
            frame["pilot_pre_share"] = shares[2]
            frame["control_pre_share"] = shares[3]
            frame["std_diff_pre"] = _std_diff(shares[2], shares[3])
        order = np.argsort(-counts.sum(axis=0), kind="stable")
        frames.append(frame.iloc[order])
    if not frames:
        return pd.DataFrame(columns=BALANCE_COLUMNS if pre else BALANCE_COLUMNS[:7])
    return pd.concat(frames, ignore_index=True)


def _covariance(p: np.ndarray) -> np.ndarray:
    """Covariance of one multinomial draw with category probabilities ``p``."""
    return np.diag(p) - np.outer(p, p)


def _mahalanobis(delta: np.ndarray, cov: np.ndarray) -> float:
    """sqrt(delta' cov^+ delta) over the first k - 1 categories (the last is implied)."""
    if len(delta) < 2:
        return 0.0
    d, c = delta[:-1], cov[:-1, :-1]
    value = float(d @ np.linalg.pinv(c, rcond=1e-10) @ d)
    return float(np.sqrt(max(value, 0.0)))


def dimension_balance(balance: pd.DataFrame, *, min_overlap: float = 0.2) -> pd.DataFrame:
    """One line per dimension: how unlike the arms are on it, and whether they overlap.

    Parameters
    ----------
    balance : :func:`arm_balance` output.
    min_overlap : arms sharing less of their deals than this (``sum_c min(p_c, q_c)``)
        cannot be separated from the dimension.

    Returns
    -------
    DataFrame
        ``dimension | categories | std_diff | overlap | shift | separated``. ``std_diff``
        is the generalised (Mahalanobis) standardised difference of the category shares
        after the start (Yang & Dalton; above 0.1 is usually read as a real difference);
        ``shift`` the same for the difference-in-differences of the shares (how
        differently the mix changed in the two arms; NaN without a pre-period).
    """
    rows = []
    pre = "pilot_pre_share" in balance.columns
    for dim, b in balance.groupby("dimension", sort=False):
        p, q = b["pilot_share"].to_numpy(), b["control_share"].to_numpy()
        shift = np.nan
        if pre:
            pp, qq = b["pilot_pre_share"].to_numpy(), b["control_pre_share"].to_numpy()
            cov4 = (_covariance(p) + _covariance(q) + _covariance(pp) + _covariance(qq)) / 4
            shift = _mahalanobis((p - pp) - (q - qq), cov4)
        overlap = float(np.minimum(p, q).sum())
        rows.append(
            {
                "dimension": dim,
                "categories": len(b),
                "std_diff": _mahalanobis(p - q, (_covariance(p) + _covariance(q)) / 2),
                "overlap": overlap,
                "shift": shift,
                "separated": overlap < min_overlap,
            }
        )
    columns = ["dimension", "categories", "std_diff", "overlap", "shift", "separated"]
    return pd.DataFrame(rows, columns=columns)


def mix_effects(
    mix: pd.DataFrame,
    advanced: np.ndarray,
    resolved: np.ndarray,
    is_pilot: np.ndarray,
    is_post: np.ndarray,
    *,
    did: bool,
    stages: Sequence[int] | None = None,
) -> pd.DataFrame:
    """How far each dimension's mix difference alone would move each stage's comparison.

    For a post-period comparison ``sum_c (p_c - q_c) r_c``; for a difference-in-differences
    ``sum_c ((p_c - p'_c) - (q_c - q'_c)) r_c``: ``p``, ``q`` the pilot's and control's
    shares of the deals resolved at the stage that fall in category ``c`` (``p'``, ``q'``
    before the start), ``r_c`` the stage's conversion in category ``c`` over both arms.
    A dimension whose categories all convert alike moves nothing, however unlike the
    arms are on it.

    Parameters
    ----------
    advanced, resolved : (deals, stages) booleans.
    stages : the stage indices to compute (default: every stage).

    Returns
    -------
    DataFrame
        ``dimension | stage (int) | mix_effect`` (points, 0.02 = 2 points; positive when
        the mix favours the pilot).
    """
    zp = np.asarray(is_pilot, dtype=bool)
    post = np.asarray(is_post, dtype=bool)
    cell = np.where(zp, 0, 1) + 2 * np.where(post, 0, 1)  # pilot post, control post, pre…
    used = np.ones(len(zp), bool) if did else post
    wanted = range(advanced.shape[1]) if stages is None else stages
    rows = []
    for dim in mix.columns:
        codes = mix[dim].cat.codes.to_numpy().astype(np.int64)
        K = len(mix[dim].cat.categories)
        for s in wanted:
            m = np.asarray(resolved[:, s], dtype=bool) & used
            n = np.bincount(cell[m] * K + codes[m], minlength=4 * K).reshape(4, K)
            won = np.bincount(codes[m & advanced[:, s]], minlength=K)
            with np.errstate(invalid="ignore", divide="ignore"):
                shares = n / n.sum(axis=1, keepdims=True)
                rate = np.where(n.sum(0) > 0, won / n.sum(0), 0.0)
            delta = shares[0] - shares[1]
            if did:
                delta = delta - (shares[2] - shares[3])
            effect = float(np.nansum(delta * rate)) if np.isfinite(delta).all() else np.nan
            rows.append({"dimension": dim, "stage": s, "mix_effect": effect})
    return pd.DataFrame(rows, columns=["dimension", "stage", "mix_effect"])


def pre_conversion_balance(
    advanced: np.ndarray, resolved: np.ndarray, is_pilot: np.ndarray, stage_ids: Sequence[str]
) -> pd.DataFrame:
    """Each stage's conversion in the two arms before the start.

    Parameters
    ----------
    advanced, resolved : (units, stages) counts of the pre-period.

    Returns
    -------
    DataFrame
        ``from | to | pilot_pre_n | pilot_pre_rate | control_pre_n | control_pre_rate |
        std_diff``.
    """
    zp = np.asarray(is_pilot, dtype=bool)
    ap, n_p = advanced[zp].sum(0), resolved[zp].sum(0)
    ac, n_c = advanced[~zp].sum(0), resolved[~zp].sum(0)
    with np.errstate(invalid="ignore", divide="ignore"):
        rp, rc = ap / n_p, ac / n_c
    ids = list(stage_ids)
    return pd.DataFrame(
        {
            "from": ids[:-1],
            "to": ids[1:],
            "pilot_pre_n": n_p.astype(np.int64),
            "pilot_pre_rate": rp,
            "control_pre_n": n_c.astype(np.int64),
            "control_pre_rate": rc,
            "std_diff": _std_diff(rp, rc),
        }
    )


@dataclass
class ArmsCheck:
    """Are the arms alike? (:func:`check_arms`, then :meth:`judge_primary`).

    Attributes
    ----------
    design : one of :data:`DESIGNS`.
    estimator : ``did`` (difference-in-differences, with a pre-period) or ``adjusted``
        (post-period, adjusted for the mix by regression).
    balance, dimensions, pre_conversion, mix_effects : :func:`arm_balance`,
        :func:`dimension_balance` (with the primary stage's ``mix_effect`` once judged),
        :func:`pre_conversion_balance` (empty without a pre-period), :func:`mix_effects`
        of the primary stage (empty until judged).
    separated : dimensions the pilot cannot be separated from (no claim is possible
        without a pre-period).
    unlike : dimensions whose mix difference (or, for a difference-in-differences, mix
        change) would alone move the primary stage by more than ``max_bias``.
    adjusted_for : the dimensions the estimate is adjusted for.
    """

    design: str
    estimator: str
    balance: pd.DataFrame
    dimensions: pd.DataFrame
    pre_conversion: pd.DataFrame
    mix_effects: pd.DataFrame
    separated: list[str] = field(default_factory=list)
    unlike: list[str] = field(default_factory=list)
    adjusted_for: list[str] = field(default_factory=list)
    max_bias: float = np.nan
    _inputs: tuple = field(default=(), repr=False)

    @property
    def blocked(self) -> bool:
        """No estimate can tell the pilot from a dimension the arms do not share."""
        return self.estimator != "did" and bool(self.separated)

    @property
    def causal(self) -> bool:
        """May the verdict say the pilot *caused* the change ("lifted")?"""
        alike = not self.unlike and not self.blocked
        return self.design in ("randomised", "difference_in_differences") and alike

    def judge_primary(self, primary: int, max_bias: float) -> None:
        """Judge the balance at the primary stage: a dimension is unlike when its mix
        difference alone would move that stage's comparison by more than ``max_bias``."""
        mix, outcomes, is_pilot, is_post = self._inputs
        self.mix_effects = mix_effects(
            mix,
            outcomes[0],
            outcomes[1],
            is_pilot,
            is_post,
            did=self.estimator == "did",
            stages=[primary],
        )
        at = self.mix_effects.set_index("dimension")
        effect = at["mix_effect"].reindex(self.dimensions["dimension"]).to_numpy()
        self.dimensions = self.dimensions.assign(mix_effect=effect)
        names = self.dimensions["dimension"]
        self.unlike = [d for d, e in zip(names, effect, strict=True) if abs(e) > max_bias]
        self.max_bias = max_bias


def check_arms(
    mix: pd.DataFrame,
    is_pilot: np.ndarray,
    is_post: np.ndarray,
    stage_outcomes: tuple[np.ndarray, np.ndarray],
    pre_counts: tuple[np.ndarray, np.ndarray, np.ndarray] | None,
    stage_ids: Sequence[str],
    *,
    randomised: bool,
    min_overlap: float = 0.2,
) -> ArmsCheck:
    """The design, the balance of the arms and what the estimate must adjust for.

    Parameters
    ----------
    mix : deal-mix columns of every evaluated deal (:func:`mix_dimensions`).
    is_pilot, is_post : per deal.
    stage_outcomes : per deal and stage, (advanced, resolved) booleans.
    pre_counts : (advanced, resolved, unit is_pilot) of the pre-period, (units, stages)
        arrays, or None without a pre-period for both arms.
    randomised : the units were assigned at random (``pilot.randomised``).

    The balance is judged at the primary stage once it is known
    (:meth:`ArmsCheck.judge_primary`).
    """
    has_pre = pre_counts is not None
    balance = arm_balance(mix, is_pilot, is_post, pre=has_pre)
    dims = dimension_balance(balance, min_overlap=min_overlap)
    separated = dims.loc[dims["separated"], "dimension"].tolist()
    estimator = "did" if has_pre else "adjusted"
    return ArmsCheck(
        design=choose_design(randomised, has_pre),
        estimator=estimator,
        balance=balance,
        dimensions=dims,
        pre_conversion=(
            pre_conversion_balance(pre_counts[0], pre_counts[1], pre_counts[2], stage_ids)
            if has_pre
            else pd.DataFrame()
        ),
        mix_effects=pd.DataFrame(columns=["dimension", "stage", "mix_effect"]),
        separated=separated,
        adjusted_for=list(mix.columns) if estimator == "adjusted" and not separated else [],
        _inputs=(mix, stage_outcomes, is_pilot, is_post),
    )


# --- the mix-adjusted comparison ----------------------------------------------------------


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
