"""Expected conversion from the deal mix: compare people and teams on like deals.

A rep who works the territory with the weakest negotiation stage converts less there than a
rep in an easy territory, whatever their skill. For each stage this module models a deal's
chance to advance from what the rep does not choose — the slice dimensions of the workspace
(``config.dimensions``: segment, region, product, source), a deal-size band from ``amount``,
the quarter the deal was created in and any feature declared in ``adjustment.features`` —
and compares what a person (or team) achieved with the sum of their deals' expected chances:
observed − expected in points with its interval, and observed / expected (O/E).

**The model.** Per stage, a logistic regression on the categories (one coefficient per
category, with a weak ridge penalty so that a category seen on a handful of deals stays near
the average), fitted *with* a penalised term per rep, like a random effect. That term keeps a
rep's own skill out of the territory's coefficient — a region is judged by how every rep
does there against their own deals elsewhere, not by who happens to work it — and the
expected chance leaves it out: it is what the deal would do with an average rep. The
expected chances are then calibrated so that, over every resolved deal of the stage,
expected = observed: the company is its own reference, and O/E > 1 means better than the
company would do on the same deals. Where every rep of a territory works only that territory,
data cannot tell the territory from its reps, and the territory absorbs their average: those
reps are compared with each other.

**Thin stages.** Where a stage has too few resolved deals for a model, indirect
standardisation is used: the expected chance is the rate of the deal's category in the one
dimension that matters most (smallest likelihood-ratio p-value), computed *without the rep's
own deals* and shrunk toward the stage's rate (empirical Bayes). Fewer still: no adjustment.

**Censoring** follows the stage rates (:mod:`playbook.stages`): a deal counts at a stage when
its outcome there is known (advanced or lost) or it has sat longer than the stage's
``window_days`` (not advanced); open deals still inside the window are left out.
"""

from __future__ import annotations

import logging
from collections.abc import Sequence
from dataclasses import dataclass, field
from typing import Any

import numpy as np
import pandas as pd
from scipy import linalg as _la
from scipy import special as _sp
from scipy import stats as _st

from playbook.config import PilotConfig
from playbook.journey import JourneyData, resolve
from playbook.stats import fit_beta_prior, wilson_interval

logger = logging.getLogger(__name__)

__all__ = [
    "DEFAULT_ADJUSTMENT",
    "MixModel",
    "adjustment_settings",
    "deal_mix",
    "fit_mix_model",
    "expected_conversion",
    "observed_vs_expected",
    "mix_reasons",
    "fit_ridge_logit",
    "compared_stage_rate",
    "expected_wins",
    "describe",
]

#: Defaults of the ``adjustment`` section of pilot.yml.
DEFAULT_ADJUSTMENT: dict[str, Any] = {"enabled": True, "features": [], "amount_bands": 4}
#: Prior standard deviation (logit scale) of a category's effect: weak, so only categories
#: seen on a handful of deals are pulled toward the average.
MIX_PRIOR_SD = 2.0
#: Prior standard deviation of the creation quarter's effect.
PERIOD_PRIOR_SD = 1.0
#: Prior standard deviation of a rep's own effect while fitting (random-effect-like); the
#: expected chance leaves this term out.
REP_PRIOR_SD = 0.5
#: A stage needs this many resolved deals, and this many of either outcome, for the model;
#: with fewer, indirect standardisation over one dimension.
MIN_MODEL_DEALS = 200
MIN_MODEL_EVENTS = 20
#: With fewer resolved deals (or of either outcome) than this, a stage is not adjusted.
MIN_INDIRECT_DEALS = 30
MIN_INDIRECT_EVENTS = 5
#: Names of the derived dimensions.
SIZE_DIMENSION = "deal_size"
PERIOD_DIMENSION = "created_quarter"
#: The category of a missing value.
MISSING = "unknown"
LONG_COLUMNS = ["deal_id", "owner_id", "stage", "advanced", "expected"]
OE_COLUMNS = [
    "stage",
    "n",
    "observed",
    "expected",
    "rate",
    "expected_rate",
    "o_minus_e",
    "ci_low",
    "ci_high",
    "o_e",
    "o_e_low",
    "o_e_high",
    "z",
]


# --- settings and the deal mix ------------------------------------------------------------------


def adjustment_settings(config: PilotConfig | None = None, **overrides: Any) -> dict[str, Any]:
    """The adjustment settings: defaults, then ``config.adjustment``, then overrides.

    Works with configs that do not have the section.

    Returns
    -------
    dict
        ``enabled`` (bool), ``features`` (list of deal columns), ``amount_bands`` (int).
    """
    out = {k: (list(v) if isinstance(v, list) else v) for k, v in DEFAULT_ADJUSTMENT.items()}
    section = getattr(config, "adjustment", None)
    if section is not None:
        data = section.model_dump() if hasattr(section, "model_dump") else dict(section)
        out.update({k: v for k, v in data.items() if k in out and v is not None})
    out.update({k: v for k, v in overrides.items() if k in out and v is not None})
    if int(out["amount_bands"]) < 0:
        raise ValueError(f"amount_bands must be 0 or more; got {out['amount_bands']!r}")
    return out


def _categories(values: pd.Series) -> pd.Categorical:
    """Values as a categorical of text, missing and empty as :data:`MISSING` (by codes: the
    text of each distinct value is cleaned once, not once per deal)."""
    if isinstance(values.dtype, pd.CategoricalDtype):
        codes = values.cat.codes.to_numpy(dtype=np.int64)
        uniques = np.asarray(values.cat.categories, dtype=object)
    else:
        codes, uniques = pd.factorize(values, use_na_sentinel=True)
        codes = codes.astype(np.int64)
        uniques = np.asarray(uniques, dtype=object)
    text = [str(u).strip() for u in uniques]
    text = [u if u and u.lower() not in ("nan", "none", "<na>") else MISSING for u in text]
    names = sorted(set(text) | ({MISSING} if (codes < 0).any() else set()))
    position = {name: i for i, name in enumerate(names)}
    lookup = np.array([position[u] for u in text] + [position.get(MISSING, 0)], dtype=np.int64)
    return pd.Categorical.from_codes(lookup[codes], categories=names)


def _bands(values: pd.Series, bands: int) -> pd.Categorical:
    """Numbers cut at their quantiles into at most ``bands`` labelled bands."""
    x = pd.to_numeric(values, errors="coerce").to_numpy(dtype=float)
    known = x[~np.isnan(x)]
    if bands < 2 or len(np.unique(known)) < 2:
        codes = np.where(np.isnan(x), 1, 0)
        return pd.Categorical.from_codes(codes, categories=["all", MISSING])
    edges = np.unique(np.quantile(known, np.linspace(0, 1, bands + 1)))
    k = len(edges) - 1
    codes = np.clip(np.searchsorted(edges, x, side="right") - 1, 0, k - 1)
    codes = np.where(np.isnan(x), k, codes)
    # a rank prefix keeps the bands in order when sorted as text
    labels = [f"{i + 1}: {_short(edges[i])}–{_short(edges[i + 1])}" for i in range(k)]
    return pd.Categorical.from_codes(codes, categories=[*labels, MISSING])


def _quarters(created: pd.Series) -> pd.Categorical:
    """Creation quarters ('2026Q1') as a categorical."""
    t = created if pd.api.types.is_datetime64_any_dtype(created) else pd.to_datetime(created)
    month = t.to_numpy(dtype="datetime64[M]")
    missing = np.isnat(month)
    index = np.where(missing, 0, month.astype(np.int64))  # months since 1970-01
    key = np.where(missing, -1, 1970 * 4 + index // 3)
    uniq, codes = np.unique(key, return_inverse=True)
    names = [MISSING if k < 0 else f"{int(k // 4)}Q{int(k % 4) + 1}" for k in uniq]
    return pd.Categorical.from_codes(codes, categories=names)


def _short(value: float) -> str:
    for limit, suffix in ((1e9, "B"), (1e6, "M"), (1e3, "k")):
        if abs(value) >= limit:
            return f"{value / limit:.3g}{suffix}"
    return f"{value:.3g}"


def deal_mix(
    deals: pd.DataFrame,
    config: PilotConfig | None = None,
    *,
    dimensions: Sequence[str] | None = None,
    features: Sequence[str] | None = None,
    amount_bands: int | None = None,
    period: bool = True,
) -> pd.DataFrame:
    """What a rep does not choose about each deal, as categories.

    Parameters
    ----------
    deals : DataFrame
        Canonical deals.
    config : PilotConfig, optional
        Supplies ``dimensions`` and the ``adjustment`` settings.
    dimensions : sequence of str, optional
        Deal columns to use (default ``config.dimensions``).
    features : sequence of str, optional
        Further deal columns (default ``adjustment.features``); numeric ones are cut into
        quantile bands.
    amount_bands : int, optional
        Deal-size bands from ``amount`` (default ``adjustment.amount_bands``; 0: none).
    period : bool
        Use the creation quarter as a category.

    Returns
    -------
    DataFrame
        One row per deal (``deals``' index), one categorical column per dimension used: the
        configured dimensions present in ``deals`` with at least two values, then
        ``deal_size``, ``created_quarter`` and the features. Missing values are
        ``"unknown"``. ``attrs["missing"]`` lists the requested columns ``deals`` lacks.
    """
    settings = adjustment_settings(config)
    dims = list(dimensions if dimensions is not None else getattr(config, "dimensions", []))
    feats = list(features if features is not None else settings["features"])
    bands = int(amount_bands if amount_bands is not None else settings["amount_bands"])
    columns: dict[str, pd.Categorical] = {}
    missing = []
    for column in dict.fromkeys([*dims, *feats]):
        if column not in deals.columns:
            missing.append(column)
            continue
        if column in ("owner_id", "deal_id", "amount"):
            continue
        values = deals[column]
        numeric = pd.api.types.is_numeric_dtype(values) and not pd.api.types.is_bool_dtype(values)
        if numeric and values.nunique() > 2 * max(bands, 2):
            columns[column] = _bands(values, max(bands, 4))
        else:
            columns[column] = _categories(values)
    if bands and "amount" in deals.columns:
        columns[SIZE_DIMENSION] = _bands(deals["amount"], bands)
    if period and "created_at" in deals.columns:
        columns[PERIOD_DIMENSION] = _quarters(deals["created_at"])
    out = pd.DataFrame(
        {k: v for k, v in columns.items() if len(np.unique(v.codes)) >= 2}, index=deals.index
    )
    out.attrs["missing"] = missing
    return out


# --- a penalised logistic regression on categories ----------------------------------------------


@dataclass
class _Block:
    name: str
    codes: np.ndarray  # (n,) int64 in 0..levels-1
    levels: int
    penalty: float  # ridge lambda = 1 / prior sd^2


def _linear(beta: np.ndarray, blocks: Sequence[_Block], offsets: np.ndarray, n: int) -> np.ndarray:
    eta = np.full(n, beta[0])
    for b, off in zip(blocks, offsets, strict=True):
        eta += beta[off + b.codes]
    return eta


def _expit(x: np.ndarray) -> np.ndarray:
    """The logistic function (numpy; several times faster than scipy's on large arrays)."""
    with np.errstate(over="ignore"):
        return 1.0 / (1.0 + np.exp(-x))


def _loss(p: np.ndarray, positive: np.ndarray, beta: np.ndarray, lam: np.ndarray) -> float:
    """Penalised negative log-likelihood from the fitted chances."""
    chance = np.where(positive, p, 1.0 - p)
    return float(-np.sum(np.log(np.maximum(chance, 1e-300))) + 0.5 * np.sum(lam * beta * beta))


def fit_ridge_logit(
    y: np.ndarray,
    blocks: Sequence[tuple[str, np.ndarray, int, float]],
    *,
    max_iter: int = 50,
    tol: float = 1e-3,
) -> tuple[float, dict[str, np.ndarray]]:
    """Logistic regression on one-hot categories with a ridge penalty per block (Newton).

    Minimises ``sum(log(1 + exp(eta)) - y * eta) + 0.5 * sum_b penalty_b * |beta_b|^2`` with
    ``eta = intercept + sum_b beta_b[code_b]`` (intercept unpenalised). Every category of a
    block has its own coefficient; the penalty makes the fit unique. The Hessian is built from
    weighted cross-tabulations of the blocks (``np.bincount``), never from a design matrix, so
    a fit on 100,000 deals takes milliseconds.

    Parameters
    ----------
    y : array of 0/1
    blocks : sequence of (name, codes, levels, penalty)
        ``codes`` int array (same length as ``y``) in ``0..levels-1``; ``penalty`` > 0.
    max_iter : int
    tol : float
        Stop after a full step no coefficient moved by more than this: Newton converges
        quadratically, so the coefficients are then within about ``tol**2`` of the optimum.

    Returns
    -------
    (intercept, {name: coefficients})
    """
    yv = np.asarray(y, dtype=float)
    if len(yv) and not np.isin(yv, (0.0, 1.0)).all():
        raise ValueError("y must hold only 0 and 1")
    positive = yv > 0.5
    bl = [_Block(n, np.asarray(c, dtype=np.int64), int(k), float(p)) for n, c, k, p in blocks]
    if any(b.penalty <= 0 for b in bl):
        raise ValueError("every block needs a positive penalty")
    sizes = np.array([b.levels for b in bl], dtype=np.int64)
    offsets = 1 + np.r_[0, np.cumsum(sizes)[:-1]].astype(np.int64)
    P = 1 + int(sizes.sum())
    lam = np.r_[0.0, np.repeat([b.penalty for b in bl], sizes)]
    beta = np.zeros(P)
    mean = float(np.clip(yv.mean(), 1e-6, 1 - 1e-6)) if len(yv) else 0.5
    beta[0] = np.log(mean / (1 - mean))
    eta = _linear(beta, bl, offsets, len(yv))
    p = _expit(eta)
    obj = _loss(p, positive, beta, lam)
    spans = [slice(o, o + b.levels) for b, o in zip(bl, offsets, strict=True)]
    pairs = [
        (spans[i], spans[k], bl[i].codes * bl[k].levels + bl[k].codes, bl[i].levels, bl[k].levels)
        for i in range(len(bl))
        for k in range(i + 1, len(bl))
    ]
    diag = np.diag_indices(P)
    for _ in range(max_iter):
        w = p * (1 - p)
        r = yv - p
        grad = np.empty(P)
        grad[0] = r.sum()
        H = np.zeros((P, P))
        H[0, 0] = w.sum()
        for b, sa in zip(bl, spans, strict=True):
            grad[sa] = np.bincount(b.codes, weights=r, minlength=b.levels)
            wa = np.bincount(b.codes, weights=w, minlength=b.levels)
            H[0, sa] = wa
            H[sa, 0] = wa
            H[diag[0][sa], diag[1][sa]] = wa
        for sa, sb, code, ka, kb in pairs:
            cross = np.bincount(code, weights=w, minlength=ka * kb).reshape(ka, kb)
            H[sa, sb] = cross
            H[sb, sa] = cross.T
        grad -= lam * beta
        H[diag] += lam + 1e-10
        step = _la.solve(H, grad, assume_a="pos")
        t = 1.0
        while True:  # step halving keeps every iteration downhill
            trial = beta + t * step
            eta_t = _linear(trial, bl, offsets, len(yv))
            p_t = _expit(eta_t)
            obj_t = _loss(p_t, positive, trial, lam)
            if obj_t <= obj + 1e-10 * max(1.0, abs(obj)) or t < 1e-4:
                break
            t /= 2
        beta, p, obj = trial, p_t, obj_t
        if np.max(np.abs(t * step)) < tol:
            break
    coefs = {b.name: beta[o : o + b.levels].copy() for b, o in zip(bl, offsets, strict=True)}
    return float(beta[0]), coefs


def _calibrate(eta: np.ndarray, y: np.ndarray) -> float:
    """The shift c with sum(expit(eta + c)) == sum(y) (Newton; 0 when impossible)."""
    target = float(np.sum(y))
    if len(eta) == 0 or target <= 0 or target >= len(eta):
        return 0.0
    c = 0.0
    for _ in range(50):
        p = _expit(eta + c)
        gap = target - p.sum()
        slope = float(np.sum(p * (1 - p)))
        if slope <= 0:
            break
        c += gap / slope
        if abs(gap) < 1e-9 * max(target, 1.0):
            break
    return c


# --- the fitted model ---------------------------------------------------------------------------


@dataclass
class MixModel:
    """Expected chances to advance from the deal mix (see :func:`fit_mix_model`).

    Arrays are aligned with ``deal_id`` (the journey's deals, in order); ``S`` stages (every
    funnel stage but the last).
    """

    stage_ids: tuple[str, ...]
    deal_id: np.ndarray  # (D,)
    owner_id: np.ndarray  # (D,) text
    mix: pd.DataFrame  # deal_mix, D rows, positional index
    expected: np.ndarray  # (D, S) expected chance to advance, every deal
    resolved: np.ndarray  # (D, S) outcome known (censoring as in the stage rates)
    advanced: np.ndarray  # (D, S)
    method: dict[str, str]  # stage -> "model", "indirect" or "none"
    dimensions: dict[str, list[str]]  # stage -> dimensions used
    effects: dict[str, dict[str, np.ndarray]]  # stage -> dimension -> logit effect per level
    levels: dict[str, np.ndarray]  # dimension -> level labels (code order)
    codes: dict[str, np.ndarray]  # dimension -> (D,) level code per deal
    notes: list[str] = field(default_factory=list)
    #: the distinct owners (sorted) and each deal's position among them
    owners: np.ndarray = field(default_factory=lambda: np.zeros(0, dtype=object))
    owner_codes: np.ndarray = field(default_factory=lambda: np.zeros(0, dtype=np.int64))
    _by_owner: pd.DataFrame | None = field(default=None, repr=False, compare=False)

    @property
    def adjusted_for(self) -> list[str]:
        """Every dimension used at some stage, in the mix's column order."""
        used = {d for dims in self.dimensions.values() for d in dims}
        return [c for c in self.mix.columns if c in used]

    def frame(self) -> pd.DataFrame:
        """Resolved (deal, stage) pairs, long: ``deal_id | owner_id | stage | advanced |
        expected`` (``stage`` an ordered categorical of stage ids)."""
        d, s = np.nonzero(self.resolved)
        return pd.DataFrame(
            {
                "deal_id": self.deal_id[d],
                "owner_id": self.owner_id[d],
                "stage": pd.Categorical.from_codes(s, categories=list(self.stage_ids)),
                "advanced": self.advanced[d, s],
                "expected": self.expected[d, s],
            }
        )

    def expected_win(self) -> np.ndarray:
        """Each deal's expected chance to pass every stage from its first (product)."""
        return np.prod(self.expected, axis=1)

    def totals(self, groups: np.ndarray, n_groups: int) -> dict[str, np.ndarray]:
        """Per group and stage: ``n`` resolved deals, ``observed`` advances, ``expected``
        advances and ``variance`` of the advances under the expected chances, each an
        ``(n_groups, S)`` array; deals with a negative group code are left out."""
        g = np.asarray(groups, dtype=np.int64)
        keep = g >= 0
        g = g[keep]
        res = self.resolved[keep]
        p = np.where(res, self.expected[keep], 0.0)
        weights = {
            "n": res.astype(float),
            "observed": (self.advanced[keep] & res).astype(float),
            "expected": p,
            "variance": p * (1 - p),
        }
        S = len(self.stage_ids)
        return {
            name: np.stack(
                [np.bincount(g, weights=w[:, s], minlength=n_groups) for s in range(S)], axis=1
            )
            if S
            else np.zeros((n_groups, 0))
            for name, w in weights.items()
        }

    def by_owner(self) -> pd.DataFrame:
        """:meth:`compare` by ``owner_id`` (computed once)."""
        if self._by_owner is None:
            self._by_owner = self._compare_codes(self.owner_codes, self.owners, "owner_id", 0.95)
        return self._by_owner

    def compare(
        self, by: np.ndarray | pd.Series, name: str = "owner_id", confidence: float = 0.95
    ) -> pd.DataFrame:
        """:func:`observed_vs_expected` of every deal's value of ``by`` (one per deal, in
        the model's order), computed from the model's arrays."""
        values = pd.Series(np.asarray(by, dtype=object))
        codes, uniques = pd.factorize(values, sort=True)
        return self._compare_codes(codes, np.asarray(uniques, dtype=object), name, confidence)

    def _compare_codes(
        self, codes: np.ndarray, uniques: np.ndarray, name: str, confidence: float
    ) -> pd.DataFrame:
        t = self.totals(codes, len(uniques))
        G, S = t["n"].shape
        keys = pd.DataFrame(
            {
                name: np.repeat(np.asarray(uniques, dtype=object), S),
                "stage": pd.Categorical.from_codes(
                    np.tile(np.arange(S), G), categories=list(self.stage_ids)
                ),
            }
        )
        out = _oe_table(
            keys, *(t[k].ravel() for k in ("n", "observed", "expected", "variance")), confidence
        )
        return out[out["n"] > 0].reset_index(drop=True)


def _indirect(
    y: np.ndarray,
    rows: np.ndarray,
    owner: np.ndarray,
    n_owners: int,
    codes: dict[str, np.ndarray],
    levels: dict[str, int],
) -> tuple[np.ndarray | None, str | None, np.ndarray | None]:
    """Indirect standardisation over the dimension that matters most, without the rep's own
    deals: (expected for every deal, dimension, logit effect per level) or Nones."""
    best, best_p = None, 0.05
    for name, c in codes.items():
        k = levels[name]
        n_l = np.bincount(c[rows], minlength=k).astype(float)
        a_l = np.bincount(c[rows], weights=y, minlength=k)
        used = n_l > 0
        if used.sum() < 2:
            continue
        p0 = a_l.sum() / n_l.sum()
        exp_a = n_l * p0
        with np.errstate(invalid="ignore", divide="ignore"):
            g = 2 * np.nansum(
                np.where(a_l > 0, a_l * np.log(a_l / exp_a), 0.0)
                + np.where(n_l - a_l > 0, (n_l - a_l) * np.log((n_l - a_l) / (n_l - exp_a)), 0.0)
            )
        pval = float(_st.chi2.sf(g, int(used.sum()) - 1))
        if pval < best_p:
            best, best_p = name, pval
    if best is None:
        return None, None, None
    c, k = codes[best], levels[best]
    n_l = np.bincount(c[rows], minlength=k).astype(float)
    a_l = np.bincount(c[rows], weights=y, minlength=k)
    alpha, beta_ = fit_beta_prior(a_l, n_l)
    p0 = a_l.sum() / n_l.sum()
    if alpha + beta_ <= 0 or alpha + beta_ > 1e6:
        alpha, beta_ = 2 * p0, 2 * (1 - p0)
    cell = owner[rows] * k + c[rows]
    n_ol = np.bincount(cell, minlength=n_owners * k).astype(float)
    a_ol = np.bincount(cell, weights=y, minlength=n_owners * k)
    everyone = owner * k + c
    with np.errstate(invalid="ignore", divide="ignore"):
        rate = (a_l[c] - a_ol[everyone] + alpha) / (n_l[c] - n_ol[everyone] + alpha + beta_)
        level_rate = (a_l + alpha) / (n_l + alpha + beta_)
    rate = np.clip(np.nan_to_num(rate, nan=p0), 1e-6, 1 - 1e-6)
    effect = _sp.logit(np.clip(level_rate, 1e-6, 1 - 1e-6)) - _sp.logit(p0)
    return rate, best, effect


def _owner_codes(values: pd.Series | None, n: int) -> tuple[np.ndarray, np.ndarray]:
    """Each deal's owner as a code into the sorted distinct owner ids (text)."""
    if values is None:
        return np.zeros(n, dtype=np.int64), np.array([""], dtype=object)
    if isinstance(values.dtype, pd.CategoricalDtype):
        codes = values.cat.codes.to_numpy(dtype=np.int64)
        names = np.asarray(values.cat.categories.astype(str), dtype=object)
        if (codes < 0).any():
            names = np.append(names, "")
            codes = np.where(codes < 0, len(names) - 1, codes)
        used = np.unique(codes)
        order = used[np.argsort(names[used], kind="stable")]
        lookup = np.full(len(names), -1, dtype=np.int64)
        lookup[order] = np.arange(len(order))
        return lookup[codes], names[order]
    codes, uniques = pd.factorize(values.astype(str), sort=True)
    return codes.astype(np.int64), np.asarray(uniques, dtype=object)


def fit_mix_model(
    journey: JourneyData,
    config: PilotConfig | None = None,
    *,
    mix: pd.DataFrame | None = None,
    owner: str = "owner_id",
    enabled: bool | None = None,
    stages: Sequence[str] | None = None,
    exclude: np.ndarray | None = None,
) -> MixModel:
    """Fit, per stage, each deal's expected chance to advance from its mix.

    Parameters
    ----------
    journey : JourneyData
        :func:`playbook.journey.prepare` result (its deals carry the mix columns).
    config : PilotConfig, optional
        Supplies ``dimensions`` and ``adjustment`` (see :func:`deal_mix`).
    mix : DataFrame, optional
        A :func:`deal_mix` of ``journey.deals`` (computed when omitted).
    owner : str
        The deal column naming the person; their own effect is fitted and left out.
    enabled : bool, optional
        False: no adjustment (every deal expected at its stage's rate). Default
        ``adjustment.enabled``.
    stages : sequence of str, optional
        Only these stage ids are modelled (default every stage but the last); the others
        are not adjusted.
    exclude : array of bool, optional
        Deals (in the journey's order) left out of the fit and the calibration: the
        expected chances of a group's deals from the rest of the company alone — a team
        that works most of its territory is not judged against its own results there.
        ``resolved`` and ``advanced`` still cover every deal.

    Returns
    -------
    MixModel
    """
    from playbook.i18n import t

    j = journey
    settings = adjustment_settings(config)
    on = settings["enabled"] if enabled is None else bool(enabled)
    deals = j.deals
    if mix is None:
        mix = deal_mix(deals, config) if on else pd.DataFrame(index=deals.index)
    attrs = dict(mix.attrs)
    mix = mix.reset_index(drop=True)
    mix.attrs = attrs
    notes = []
    missing = mix.attrs.get("missing", [])
    if missing and on:
        language = getattr(config, "language", "en")
        notes.append(t("adj_missing_columns", language, columns=", ".join(missing)))
    D, K = j.n_deals, j.n_stages
    S = K - 1
    owner_codes, owner_levels = _owner_codes(deals[owner] if owner in deals else None, D)
    owners = owner_levels[owner_codes] if len(owner_levels) else np.full(D, "", dtype=object)
    codes: dict[str, np.ndarray] = {}
    labels: dict[str, np.ndarray] = {}
    for column in mix.columns if on else []:
        values = pd.Categorical(mix[column])
        codes[column] = values.codes.astype(np.int64)
        labels[column] = np.asarray(values.categories, dtype=object)
    counts = {name: len(labels[name]) for name in codes}
    expected = np.full((D, S), np.nan)
    method: dict[str, str] = {}
    used: dict[str, list[str]] = {}
    effects: dict[str, dict[str, np.ndarray]] = {}
    for s in range(S):
        stage = j.stage_ids[s]
        fitted = j.mature[:, s] if exclude is None else j.mature[:, s] & ~exclude
        rows = np.flatnonzero(fitted)
        y = j.advanced[rows, s].astype(float)
        n, a = len(rows), float(y.sum())
        minority = min(a, n - a)
        effects[stage] = {}
        used[stage] = []
        method[stage] = "none"
        base = a / n if n else np.nan
        expected[:, s] = base
        skipped = stages is not None and stage not in stages
        if skipped or not codes or n < MIN_INDIRECT_DEALS or minority < MIN_INDIRECT_EVENTS:
            continue
        if n < MIN_MODEL_DEALS or minority < MIN_MODEL_EVENTS:
            rate, dim, effect = _indirect(y, rows, owner_codes, len(owner_levels), codes, counts)
            if dim is not None:
                eta = _sp.logit(rate)
                expected[:, s] = _expit(eta + _calibrate(eta[rows], y))
                method[stage], used[stage] = "indirect", [dim]
                effects[stage][dim] = effect
            continue
        present = [
            name
            for name in codes
            if np.count_nonzero(np.bincount(codes[name][rows], minlength=counts[name])) >= 2
        ]
        blocks = [
            (
                name,
                codes[name][rows],
                counts[name],
                1 / (PERIOD_PRIOR_SD if name == PERIOD_DIMENSION else MIX_PRIOR_SD) ** 2,
            )
            for name in present
        ]
        blocks.append(("\x00owner", owner_codes[rows], len(owner_levels), 1 / REP_PRIOR_SD**2))
        intercept, coefs = fit_ridge_logit(y, blocks)
        eta = np.full(D, intercept)
        for name in present:
            eta += coefs[name][codes[name]]
        expected[:, s] = _expit(eta + _calibrate(eta[rows], y))
        method[stage], used[stage] = "model", present
        for name in present:
            centre = float(np.mean(coefs[name][codes[name][rows]]))
            effects[stage][name] = coefs[name] - centre
    logger.info("deal-mix model: %s", ", ".join(f"{k} {v}" for k, v in method.items()))
    return MixModel(
        stage_ids=tuple(j.stage_ids[:S]),
        deal_id=deals["deal_id"].to_numpy(),
        owner_id=owners,
        mix=mix,
        expected=expected,
        resolved=j.mature[:, :S].copy(),
        advanced=j.advanced[:, :S] & j.mature[:, :S],
        method=method,
        dimensions=used,
        effects=effects,
        levels=labels,
        codes=codes,
        notes=notes,
        owners=np.asarray(owner_levels, dtype=object),
        owner_codes=owner_codes.astype(np.int64),
    )


def expected_conversion(
    deals: pd.DataFrame,
    stage_events: pd.DataFrame,
    config: PilotConfig,
    *,
    as_of=None,
    journey: JourneyData | None = None,
) -> pd.DataFrame:
    """Each resolved deal's expected chance to advance at each stage, from its mix.

    Returns
    -------
    DataFrame
        ``deal_id | owner_id | stage | advanced | expected``, one row per deal and stage
        where the outcome is known (see :meth:`MixModel.frame`); ``attrs["adjusted_for"]``
        lists the dimensions used.
    """
    j = resolve(deals, stage_events, config, as_of, journey)
    model = fit_mix_model(j, config)
    out = model.frame()
    out.attrs["adjusted_for"] = model.adjusted_for
    return out


# --- observed against expected ------------------------------------------------------------------


def observed_vs_expected(
    frame: pd.DataFrame,
    by: str | Sequence[str],
    *,
    confidence: float = 0.95,
) -> pd.DataFrame:
    """Per group (and stage): observed advances against the sum of the expected chances.

    Parameters
    ----------
    frame : DataFrame
        One row per resolved deal (and stage): the ``by`` columns, ``advanced`` (0/1),
        ``expected`` (chance from the mix), optionally ``stage`` — e.g.
        :meth:`MixModel.frame` or :func:`expected_conversion`, with a team column joined.
    by : str or list of str
        Grouping column(s), e.g. ``"owner_id"`` or ``"team"``.
    confidence : float
        Interval coverage.

    Returns
    -------
    DataFrame
        ``[by...] | stage | n | observed | expected | rate | expected_rate | o_minus_e |
        ci_low | ci_high | o_e | o_e_low | o_e_high | z``. ``rate`` = observed / n and
        ``expected_rate`` = expected / n (what the company converts on these deals);
        ``o_minus_e`` = rate − expected_rate (a share: ×100 for points) with the Wilson
        interval of ``rate`` minus ``expected_rate`` (the expected is fitted on the whole
        company and taken as known); ``o_e`` = observed / expected with the same interval
        divided by ``expected_rate``; ``z`` = (observed − expected) / sqrt(sum p(1 − p)),
        the standard score under "converts as expected".
    """
    keys = [by] if isinstance(by, str) else list(by)
    if "stage" in frame.columns and "stage" not in keys:
        keys = [*keys, "stage"]
    f = frame.assign(
        _var=frame["expected"] * (1 - frame["expected"]), advanced=frame["advanced"].astype(float)
    )
    g = (
        f.groupby(keys, observed=True, sort=True)
        .agg(
            n=("advanced", "size"),
            observed=("advanced", "sum"),
            expected=("expected", "sum"),
            _var=("_var", "sum"),
        )
        .reset_index()
    )
    out = _oe_table(
        g[keys],
        g["n"].to_numpy(dtype=float),
        g["observed"].to_numpy(dtype=float),
        g["expected"].to_numpy(dtype=float),
        g["_var"].to_numpy(dtype=float),
        confidence,
    )
    return out


def _oe_table(
    keys: pd.DataFrame,
    n: np.ndarray,
    o: np.ndarray,
    e: np.ndarray,
    var: np.ndarray,
    confidence: float,
) -> pd.DataFrame:
    """The columns of :func:`observed_vs_expected` from the per-group sums."""
    low, high = wilson_interval(o, n, confidence)
    out = keys.reset_index(drop=True).copy()
    with np.errstate(invalid="ignore", divide="ignore"):
        rate = o / n
        exp_rate = e / n
        out["n"] = n.astype(np.int64)
        out["observed"] = o.astype(np.int64)
        out["expected"] = e
        out["rate"] = rate
        out["expected_rate"] = exp_rate
        out["o_minus_e"] = rate - exp_rate
        out["ci_low"] = low - exp_rate
        out["ci_high"] = high - exp_rate
        out["o_e"] = o / e
        out["o_e_low"] = low / exp_rate
        out["o_e_high"] = high / exp_rate
        out["z"] = np.where(var > 0, (o - e) / np.sqrt(var), np.nan)
    first = [c for c in keys.columns if c != "stage"]
    return out[first + [c for c in OE_COLUMNS if c in out.columns]]


def expected_wins(model: MixModel, status: np.ndarray) -> pd.Series:
    """Each deal's expected chance to be won from its mix, indexed by deal id.

    The product of the stage chances, calibrated (one logit shift) so that over the closed
    deals the expected wins equal the wins: a rep's or team's win rate can be read against
    what the company wins on the same deals (:func:`playbook.kpi.deal_facts`).

    Parameters
    ----------
    status : array of int
        The journey's deal status (0 open, 1 won, 2 lost), in the model's order.
    """
    p = np.clip(model.expected_win(), 1e-9, 1 - 1e-9)
    eta = np.log(p / (1 - p))
    closed = np.asarray(status) != 0
    won = (np.asarray(status) == 1).astype(float)
    shift = _calibrate(eta[closed], won[closed])
    return pd.Series(_expit(eta + shift), index=pd.Index(model.deal_id.astype(str)))


def describe(model: MixModel | None, language: str = "en") -> str:
    """One sentence saying what people were compared on: the dimensions adjusted for and
    the stages modelled, or that comparisons are raw."""
    from playbook.i18n import t

    if model is None or not model.adjusted_for:
        return t("adj_note_off", language)
    sep = "、" if language == "zh" else ", "
    dims = sep.join(_dimension_label(d, language) for d in model.adjusted_for)
    indirect = [s for s, m in model.method.items() if m == "indirect"]
    text = t("adj_note", language, dims=dims)
    if indirect:
        text += t("adj_note_indirect", language, stages=sep.join(indirect))
    return text


def compared_stage_rate(stage_performance: pd.DataFrame) -> pd.Series:
    """The per-rep stage rate people are compared on: the shrunk rate adjusted for the deal
    mix (``adjusted_shrunk`` of :func:`playbook.capability.rep_stage_performance`) where
    there is one, else the shrunk rate."""
    sp = stage_performance
    if "adjusted_shrunk" in sp.columns:
        return sp["adjusted_shrunk"].fillna(sp["shrunk"]).astype(float)
    return sp["shrunk"].astype(float)


# --- what the adjustment changed, in words --------------------------------------------------------


def _dimension_label(dim: str, language: str) -> str:
    from playbook.i18n import TEXT

    key = f"adj_dim_{dim}"
    return TEXT[key][language] if key in TEXT else dim


def mix_reasons(
    model: MixModel,
    config: PilotConfig,
    *,
    language: str | None = None,
    min_share: float = 0.3,
    owners: Sequence[str] | None = None,
) -> dict[str, str]:
    """For each rep, the part of their deal mix that moves their expected conversion most.

    For every stage and dimension: the rep's average effect (logit) over their resolved
    deals minus the company's, times the stage's share of deals not advancing (a logit change
    moves a rate's logarithm by about that much). The largest one in the direction of the
    rep's overall expected conversion is kept (expected below the company's: the hardest part
    of their mix; above: the easiest), and named by the category most of those deals share
    with what the stage converts there, for every rep, against elsewhere.

    Parameters
    ----------
    owners : sequence of str, optional
        Only these reps (default every rep).

    Returns
    -------
    dict
        owner id -> sentence (e.g. "72% of their deals are in region West, where
        Negotiation → Signed converts 27% for every rep against 52% elsewhere"); reps whose
        telling category covers less than ``min_share`` of those deals are left out.
    """
    from playbook.i18n import t

    language = language or getattr(config, "language", "en")
    owners_all, owner_codes = model.owners.astype(str), model.owner_codes
    U = len(owners_all)
    direction = np.zeros(U)
    rows_of: dict[str, np.ndarray] = {}
    scores, keys = [], []  # one (U,) score per stage and dimension
    for s, stage in enumerate(model.stage_ids):
        rows = np.flatnonzero(model.resolved[:, s])
        rows_of[stage] = rows
        if not len(rows):
            continue
        oc = owner_codes[rows]
        n_o = np.bincount(oc, minlength=U).astype(float)
        has = n_o > 0
        exp = model.expected[rows, s]
        with np.errstate(invalid="ignore", divide="ignore"):
            rep_mean = np.bincount(oc, weights=exp, minlength=U) / n_o
            direction += np.where(has, np.log(rep_mean / exp.mean()), 0.0)
            weight = 1 - exp.mean()
            for dim, effect in model.effects.get(stage, {}).items():
                values = effect[model.codes[dim][rows]]
                mean = np.bincount(oc, weights=values, minlength=U) / n_o
                scores.append(np.where(has, weight * (mean - values.mean()), 0.0))
                keys.append((stage, dim))
    if not scores:
        return {}
    signed = np.stack(scores, axis=1) * np.where(direction < 0, -1.0, 1.0)[:, None]
    wanted = np.isin(owners_all, list(owners)) if owners is not None else np.ones(U, bool)
    chosen = [
        (u, *keys[int(signed[u].argmax())])
        for u in np.flatnonzero(wanted & (signed.max(axis=1) > 0))
    ]
    out = {}
    ids = list(config.funnel.ids) if config is not None else list(model.stage_ids)
    for owner, stage, dim in chosen:
        rows = rows_of[stage]
        s = list(model.stage_ids).index(stage)
        codes = model.codes[dim][rows]
        mine = owner_codes[rows] == owner
        counts = np.bincount(codes[mine], minlength=len(model.levels[dim]))
        level = int(counts.argmax())
        share = counts[level] / counts.sum()
        if share < min_share:
            continue
        inside = codes == level
        adv = model.advanced[rows, s]
        if inside.all() or not inside.any():
            continue
        nxt = ids[ids.index(stage) + 1] if stage in ids[:-1] else stage
        stage_text = (
            f"{config.stage_label(stage, language)} → {config.stage_label(nxt, language)}"
            if config is not None
            else f"{stage} → {nxt}"
        )
        out[str(owners_all[owner])] = t(
            "adj_reason_mix",
            language,
            share=f"{100 * share:.0f}%",
            dimension=_dimension_label(dim, language),
            value=str(model.levels[dim][level]),
            stage=stage_text,
            rate=f"{100 * adv[inside].mean():.0f}%",
            rest=f"{100 * adv[~inside].mean():.0f}%",
        )
    return out
