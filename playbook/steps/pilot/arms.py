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
* the comparison without a pre-period, among deals alike in those dimensions, is
  :func:`playbook.steps.pilot.regression.adjusted_effects`.

Designs (:data:`DESIGNS`): ``randomised`` when ``pilot.randomised`` says units were
assigned at random, ``difference_in_differences`` with a pre-period for both arms, else
``post_only``.
"""

from __future__ import annotations

import logging
from collections.abc import Sequence
from dataclasses import dataclass, field

import numpy as np
import pandas as pd

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
]

DESIGNS = ("randomised", "difference_in_differences", "post_only")
#: The name of the deal-size band dimension (terciles of ``amount``).
DEAL_SIZE = "deal_size"
MISSING = "(missing)"
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
