"""The deal-mix model: each deal's expected chance to advance at each stage (see
:mod:`playbook.steps.adjust`)."""

from __future__ import annotations

import logging
from collections.abc import Sequence
from dataclasses import dataclass, field

import numpy as np
import pandas as pd
from scipy import special as _sp
from scipy import stats as _st

from playbook.stats import fit_beta_prior
from playbook.steps.adjust.compare import oe_table
from playbook.steps.adjust.mix import PERIOD_DIMENSION, adjustment_settings, deal_mix
from playbook.steps.adjust.ridge import calibrate, expit, fit_ridge_logit
from playbook.steps.journey import JourneyData
from playbook.steps.journey.tables import over_journey_and_frames
from playbook.steps.prepared import takes_pilot
from playbook.workspace.config import PilotConfig

logger = logging.getLogger(__name__)

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
#: Newton stops after a step that moved no coefficient by more than this: it converges
#: quadratically, so the coefficients are then within about 1e-3 of the optimum and the
#: expected chances within a few hundredths of a point (measured on the sample: 0.02 points).
MODEL_TOLERANCE = 0.1
LONG_COLUMNS = ["deal_id", "owner_id", "stage", "advanced", "expected"]


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
        out = oe_table(
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


@dataclass(frozen=True)
class _Design:
    """The deal-mix dimensions and the owners as integer codes, for every deal."""

    codes: dict[str, np.ndarray]  # dimension -> (D,) level code
    counts: dict[str, int]  # dimension -> number of levels
    owner_codes: np.ndarray  # (D,)
    n_owners: int

    @property
    def n_deals(self) -> int:
        return len(self.owner_codes)


@dataclass
class _StageFit:
    """One stage's expected chance for every deal, and how it was reached."""

    expected: np.ndarray | float
    method: str = "none"  # "model", "indirect" or "none"
    dimensions: list[str] = field(default_factory=list)
    effects: dict[str, np.ndarray] = field(default_factory=dict)  # logit effect per level


def _indirect_fit(design: _Design, y: np.ndarray, rows: np.ndarray, base: float) -> _StageFit:
    """Indirect standardisation over one dimension, calibrated on the fitted deals."""
    rate, dim, effect = _indirect(
        y, rows, design.owner_codes, design.n_owners, design.codes, design.counts
    )
    if dim is None:
        return _StageFit(base)
    eta = _sp.logit(rate)
    return _StageFit(expit(eta + calibrate(eta[rows], y)), "indirect", [dim], {dim: effect})


def _ridge_fit(design: _Design, y: np.ndarray, rows: np.ndarray) -> _StageFit:
    """The penalised logistic model over every dimension with two levels or more among the
    fitted deals, plus the owner's own effect (fitted, then left out), calibrated."""
    codes, counts = design.codes, design.counts
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
    blocks.append(("\x00owner", design.owner_codes[rows], design.n_owners, 1 / REP_PRIOR_SD**2))
    intercept, coefs = fit_ridge_logit(y, blocks, tol=MODEL_TOLERANCE)
    eta = np.full(design.n_deals, intercept)
    for name in present:
        eta += coefs[name][codes[name]]
    effects = {
        name: coefs[name] - float(np.mean(coefs[name][codes[name][rows]])) for name in present
    }
    return _StageFit(expit(eta + calibrate(eta[rows], y)), "model", present, effects)


def _fit_stage(design: _Design, y: np.ndarray, rows: np.ndarray) -> _StageFit:
    """A stage's fit from its resolved deals ``rows`` (outcomes ``y``): the model with
    enough deals, indirect standardisation with fewer, the stage's rate with fewer still."""
    n, a = len(rows), float(y.sum())
    base = a / n if n else np.nan
    minority = min(a, n - a)
    if not design.codes or n < MIN_INDIRECT_DEALS or minority < MIN_INDIRECT_EVENTS:
        return _StageFit(base)
    if n < MIN_MODEL_DEALS or minority < MIN_MODEL_EVENTS:
        return _indirect_fit(design, y, rows, base)
    return _ridge_fit(design, y, rows)


def _positional_mix(
    deals: pd.DataFrame, config: PilotConfig | None, mix: pd.DataFrame | None, on: bool
) -> pd.DataFrame:
    """The deal mix (computed when not given) on a positional index, its attrs kept."""
    if mix is None:
        mix = deal_mix(deals, config) if on else pd.DataFrame(index=deals.index)
    attrs = dict(mix.attrs)
    mix = mix.reset_index(drop=True)
    mix.attrs = attrs
    return mix


def _mix_codes(mix: pd.DataFrame, on: bool) -> tuple[dict[str, np.ndarray], dict[str, np.ndarray]]:
    """Each mix dimension's level code per deal, and its level labels (none when off)."""
    codes: dict[str, np.ndarray] = {}
    labels: dict[str, np.ndarray] = {}
    for column in mix.columns if on else []:
        values = pd.Categorical(mix[column])
        codes[column] = values.codes.astype(np.int64)
        labels[column] = np.asarray(values.categories, dtype=object)
    return codes, labels


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
        :func:`playbook.steps.journey.prepare` result (its deals carry the mix columns).
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
    mix = _positional_mix(deals, config, mix, on)
    notes = []
    missing = mix.attrs.get("missing", [])
    if missing and on:
        language = getattr(config, "language", "en")
        notes.append(t("adj_missing_columns", language, columns=", ".join(missing)))
    D, S = j.n_deals, j.n_stages - 1
    owner_codes, owner_levels = _owner_codes(deals[owner] if owner in deals else None, D)
    owners = owner_levels[owner_codes] if len(owner_levels) else np.full(D, "", dtype=object)
    codes, labels = _mix_codes(mix, on)
    counts = {name: len(labels[name]) for name in codes}
    design = _Design(codes, counts, owner_codes, len(owner_levels))
    expected = np.full((D, S), np.nan)
    method: dict[str, str] = {}
    used: dict[str, list[str]] = {}
    effects: dict[str, dict[str, np.ndarray]] = {}
    for s in range(S):
        stage = j.stage_ids[s]
        fitted = j.mature[:, s] if exclude is None else j.mature[:, s] & ~exclude
        rows = np.flatnonzero(fitted)
        y = j.advanced[rows, s].astype(float)
        if stages is not None and stage not in stages:
            fit = _StageFit(float(y.sum()) / len(rows) if len(rows) else np.nan)
        else:
            fit = _fit_stage(design, y, rows)
        expected[:, s] = fit.expected
        method[stage], used[stage], effects[stage] = fit.method, fit.dimensions, fit.effects
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


@takes_pilot
@over_journey_and_frames
def expected_conversion(j: JourneyData, config: PilotConfig) -> pd.DataFrame:
    """Each resolved deal's expected chance to advance at each stage, from its mix.

    Returns
    -------
    DataFrame
        ``deal_id | owner_id | stage | advanced | expected``, one row per deal and stage
        where the outcome is known (see :meth:`MixModel.frame`); ``attrs["adjusted_for"]``
        lists the dimensions used.
    """
    model = fit_mix_model(j, config)
    out = model.frame()
    out.attrs["adjusted_for"] = model.adjusted_for
    return out


def expected_wins(model: MixModel, status: np.ndarray, *, aligned: bool = False):
    """Each deal's expected chance to be won from its mix.

    The product of the stage chances, calibrated (one logit shift) so that over the closed
    deals the expected wins equal the wins: a rep's or team's win rate can be read against
    what the company wins on the same deals (:func:`playbook.steps.plan.kpi.deal_facts`).

    Parameters
    ----------
    status : array of int
        The journey's deal status (0 open, 1 won, 2 lost), in the model's order.
    aligned : bool
        Return a plain array in the model's (the journey's) deal order instead of a Series.

    Returns
    -------
    Series or ndarray
        The chances, indexed by deal id (text) unless ``aligned``.
    """
    p = np.clip(model.expected_win(), 1e-9, 1 - 1e-9)
    eta = np.log(p / (1 - p))
    closed = np.asarray(status) != 0
    won = (np.asarray(status) == 1).astype(float)
    chances = expit(eta + calibrate(eta[closed], won[closed]))
    if aligned:
        return chances
    return pd.Series(chances, index=pd.Index(model.deal_id.astype(str)))
