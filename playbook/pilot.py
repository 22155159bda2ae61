"""Step 7, the pilot: how big must it be, and did it really lift conversion?

Pilots are assigned by rep or team, not by deal, so every inference here treats
the *unit* (rep or team) as the independent observation:

* **Design** (:func:`design`, :func:`design_from_data`, :func:`recommend_split`):
  deals and weeks a pilot needs for a given baseline rate, expected lift, weekly
  volume, power and alpha, with the design effect ``1 + (m - 1) * ICC`` of ``m``
  deals per unit (ICC estimated from the history); a balanced, matched-pair split.
* **Evaluation** (:func:`evaluate`): pilot vs control on deals created from the
  start, per stage (censoring-aware rates of :func:`playbook.stages.stage_rates`)
  and end to end (product of the stage rates); with a pre-period for both groups,
  the lift is the difference-in-differences. Intervals are cluster-robust by unit
  (the linear-probability DiD model's sandwich, t with G - 1 degrees of freedom,
  identical to statsmodels' cluster covariance); p-values come from re-assigning
  units to pilot/control at random (exact when there are few assignments); the
  probability that the lift is real is P(lift > 0) under a Bayesian bootstrap over
  units. p-values across stages are Benjamini–Hochberg adjusted unless a target
  stage was named in advance.

The core, :func:`cluster_inference`, works on unit x period x stage counts and is
vectorised (the calibration tests run it on hundreds of simulated null pilots).
"""

from __future__ import annotations

import itertools
import logging
import math
from collections.abc import Sequence
from dataclasses import dataclass, field, fields
from typing import Any, Literal

import numpy as np
import pandas as pd
from scipy import stats as _st

from playbook.config import section_values
from playbook.findings import Finding
from playbook.i18n import t
from playbook.stats import benjamini_hochberg

logger = logging.getLogger(__name__)

__all__ = [
    "PilotSettings",
    "PilotResult",
    "settings",
    "icc_anova",
    "power",
    "design",
    "design_from_data",
    "power_curve",
    "recommend_split",
    "assign",
    "cluster_inference",
    "evaluate",
]

PRE, POST = 0, 1
EFFECT_COLUMNS = [
    "from",
    "to",
    "pilot_n",
    "pilot_rate",
    "control_n",
    "control_rate",
    "pilot_pre_rate",
    "control_pre_rate",
    "effect",
    "effect_low",
    "effect_high",
    "p_raw",
    "p_adj",
    "prob_positive",
    "mde",
    "more_deals",
    "more_weeks",
]


# --- settings ------------------------------------------------------------------------------


@dataclass(frozen=True)
class PilotSettings:
    """Pilot settings (``pilot:`` in pilot.yml once the config has them).

    Attributes
    ----------
    group_column : deals column holding each deal's group.
    pilot_value, control_value : its values for the two groups.
    start, end : ISO dates; deals created from ``start`` (to ``end``) are the pilot period.
        Default start: the creation date of the first deal carrying a group value.
    reps, teams : the pilot's reps or teams (instead of the column); needs ``start``.
    control_reps, control_teams : the control group (default: every other rep).
    unit : "rep", "team" or "auto" (team when the pilot is given by teams, else rep).
    target_stage : the stage id the pilot means to move (its from-stage), named in advance;
        None: every stage is tested and p-values are adjusted for the number of stages.
    expected_lift : the lift (absolute, 0.10 = 10 points) the pilot should detect.
    alpha, power : test level and wanted power.
    pre_days : days before the start that form the pre-period (None: all history).
    min_weeks : a pilot shorter than this is reported as too short.
    """

    group_column: str = "pilot_group"
    pilot_value: str = "pilot"
    control_value: str = "control"
    start: str | None = None
    end: str | None = None
    reps: tuple[str, ...] = ()
    teams: tuple[str, ...] = ()
    control_reps: tuple[str, ...] = ()
    control_teams: tuple[str, ...] = ()
    unit: Literal["auto", "rep", "team"] = "auto"
    target_stage: str | None = None
    expected_lift: float = 0.10
    alpha: float = 0.05
    power: float = 0.8
    pre_days: int | None = None
    min_weeks: float = 4.0


def settings(config: Any = None, **overrides: Any) -> PilotSettings:
    """The pilot settings of ``config`` (``config.pilot`` when it exists), with defaults.

    Works before and after the config model has a ``pilot`` section; ``overrides`` win.

    Raises
    ------
    ValueError
        Naming an unknown setting or a value out of range.
    """
    values = section_values(config, "pilot", {f.name for f in fields(PilotSettings)}, overrides)
    for key in ("reps", "teams", "control_reps", "control_teams"):
        if key in values:
            values[key] = tuple(str(v) for v in (values[key] or ()))
    for key in ("start", "end"):
        if values.get(key) is not None:
            values[key] = str(values[key])
    out = PilotSettings(**values)
    if out.unit not in ("auto", "rep", "team"):
        raise ValueError(f"pilot.unit must be 'auto', 'rep' or 'team'; got {out.unit!r}")
    if not 0 < out.expected_lift < 1:
        raise ValueError(
            f"pilot.expected_lift is an absolute lift between 0 and 1 (0.1 = 10 points); "
            f"got {out.expected_lift!r}"
        )
    if not 0 < out.alpha < 0.5 or not 0.5 <= out.power < 1:
        raise ValueError(
            f"pilot.alpha must be in (0, 0.5) and pilot.power in [0.5, 1); "
            f"got {out.alpha!r} and {out.power!r}"
        )
    return out


# --- design --------------------------------------------------------------------------------


def icc_anova(successes, n) -> float:
    """Intraclass correlation of binary outcomes across units (ANOVA estimator, >= 0).

    Parameters
    ----------
    successes, n : array-like
        Successes and trials per unit.

    Returns
    -------
    float
        0 when there are fewer than two units with trials or no excess variation.
    """
    s = np.asarray(successes, dtype=float)
    m = np.asarray(n, dtype=float)
    keep = m > 0
    s, m = s[keep], m[keep]
    k, total = len(m), m.sum()
    if k < 2 or total <= k:
        return 0.0
    p = s / m
    mean = s.sum() / total
    msb = np.sum(m * (p - mean) ** 2) / (k - 1)
    msw = np.sum(m * p * (1 - p)) / (total - k)
    n0 = (total - np.sum(m * m) / total) / (k - 1)
    denom = msb + (n0 - 1) * msw
    return float(max((msb - msw) / denom, 0.0)) if denom > 0 else 0.0


def power(
    baseline,
    lift,
    n_pilot,
    n_control,
    *,
    alpha: float = 0.05,
    icc=0.0,
    units=None,
):
    """Power of a two-sided test of ``lift`` between two rates, with clustering.

    Normal approximation: ``se = sqrt(DE * (p1 q1 / n_pilot + p0 q0 / n_control))`` with
    design effect ``DE = 1 + (m - 1) * icc``, ``m`` the deals per unit
    (``(n_pilot + n_control) / units``; 1 when ``units`` is None). Broadcasts.

    Returns
    -------
    ndarray or float
        Probability of p < ``alpha`` when the true lift is ``lift``.
    """
    p0 = np.asarray(baseline, dtype=float)
    d = np.asarray(lift, dtype=float)
    p1 = np.clip(p0 + d, 1e-6, 1 - 1e-6)
    n1 = np.asarray(n_pilot, dtype=float)
    n0 = np.asarray(n_control, dtype=float)
    m = (n1 + n0) / np.asarray(units, dtype=float) if units is not None else 1.0
    de = 1 + (np.maximum(m, 1.0) - 1) * np.asarray(icc, dtype=float)
    with np.errstate(divide="ignore", invalid="ignore"):
        se = np.sqrt(de * (p1 * (1 - p1) / n1 + p0 * (1 - p0) / n0))
        out = _st.norm.cdf(np.abs(d) / se - _st.norm.ppf(1 - alpha / 2))
    out = np.where(n1 * n0 > 0, out, 0.0)
    return float(out) if np.ndim(out) == 0 else out


def design(
    baseline_rate: float,
    lift: float,
    deals_per_week: float,
    *,
    units: int,
    icc: float = 0.0,
    alpha: float = 0.05,
    power_wanted: float = 0.8,
    pilot_share: float = 0.5,
    max_weeks: int = 104,
) -> dict[str, float]:
    """Deals and weeks a pilot needs to detect ``lift`` at a stage.

    ``deals_per_week`` reach the stage over all participating units, ``pilot_share`` of
    them in the pilot. As the pilot runs longer, each unit holds more deals and the
    design effect grows, so with few units a small lift may never be detectable: then
    ``weeks_needed`` is NaN and ``achievable`` False. The analysis it plans is the
    post-period comparison; a long pre-period for difference-in-differences adds little.

    Returns
    -------
    dict
        ``baseline_rate, target_lift, deals_per_week, units, icc, weeks_needed, deals_needed,
        design_effect, power_at_max, achievable``.
    """
    if not 0 < pilot_share < 1:
        raise ValueError(f"pilot_share must be between 0 and 1; got {pilot_share!r}")
    weeks = np.arange(1, max_weeks + 1, dtype=float)
    total = deals_per_week * weeks
    pw = power(
        baseline_rate,
        lift,
        pilot_share * total,
        (1 - pilot_share) * total,
        alpha=alpha,
        icc=icc,
        units=max(units, 1),
    )
    ok = np.flatnonzero(pw >= power_wanted)
    w = float(weeks[ok[0]]) if len(ok) else float("nan")
    n = float(deals_per_week * w) if len(ok) else float("nan")
    m = n / max(units, 1) if len(ok) else float("nan")
    return {
        "baseline_rate": float(baseline_rate),
        "target_lift": float(lift),
        "deals_per_week": float(deals_per_week),
        "units": int(units),
        "icc": float(icc),
        "weeks_needed": w,
        "deals_needed": n,
        "design_effect": 1 + (max(m, 1.0) - 1) * icc if len(ok) else float("nan"),
        "power_at_max": float(pw[-1]) if len(pw) else float("nan"),
        "achievable": bool(len(ok)),
    }


def _unit_of(deals: pd.DataFrame, reps: pd.DataFrame | None, unit: str) -> pd.Series:
    owner = deals["owner_id"].astype(object)
    if unit != "team" or reps is None or "team" not in reps:
        return owner
    team = dict(zip(reps["rep_id"].astype(object), reps["team"].astype(object), strict=True))
    return owner.map(lambda r: team.get(r) if pd.notna(team.get(r)) else r)


def _weeks(start: pd.Timestamp, end: pd.Timestamp) -> float:
    return max((end - start).total_seconds() / (7 * 86400), 1 / 7)


def design_from_data(
    deals: pd.DataFrame,
    stage_events: pd.DataFrame,
    config: Any,
    reps: pd.DataFrame | None = None,
    *,
    pilot: PilotSettings | None = None,
    recent_weeks: int = 13,
    journey: Any = None,
) -> pd.DataFrame:
    """The pilot design for every stage, from the company's own history.

    Baseline rate: the stage's censoring-aware rate over all deals. Volume: deals
    entering the stage per week over the last ``recent_weeks``. ICC: across units
    (reps or teams) of the stage's rates. Units: those with deals in that window.

    Returns
    -------
    DataFrame
        ``from | to | baseline_rate | target_lift | deals_per_week | units | icc | weeks_needed |
        deals_needed | design_effect | power_at_max | achievable``, one row per stage.
    """
    from playbook.journey import resolve
    from playbook.stages import stage_rates

    ps = pilot or settings(config)
    unit = "team" if ps.unit == "team" or (ps.unit == "auto" and ps.teams) else "rep"
    j = resolve(deals, stage_events, config, None, journey)
    d = j.deals
    rates = stage_rates(d, stage_events, config, journey=j, min_n=1)
    created = pd.to_datetime(d["created_at"])
    recent = (created > j.as_of - pd.Timedelta(weeks=recent_weeks)).to_numpy()
    units = _unit_of(d, reps, unit)
    n_units = int(units[recent].nunique()) or int(units.nunique())
    first_enter = j.first_enter  # (D, K) ns, NaT as int64 min
    horizon = j.as_of.value - pd.Timedelta(weeks=recent_weeks).value
    codes, uniques = pd.factorize(units)
    rows = []
    for s in range(j.n_stages - 1):
        entered_recent = int(((first_enter[:, s] > horizon) & j.entered[:, s]).sum())
        per_week = entered_recent / recent_weeks
        adv = np.bincount(codes[j.advanced[:, s]], minlength=len(uniques))
        mat = np.bincount(codes[j.mature[:, s] & j.entered[:, s]], minlength=len(uniques))
        icc = icc_anova(adv, mat)
        base = float(rates["rate"].iloc[s])
        row = design(
            base if np.isfinite(base) else 0.5,
            min(ps.expected_lift, 0.99 - base) if np.isfinite(base) else ps.expected_lift,
            per_week,
            units=n_units,
            icc=icc,
            alpha=ps.alpha,
            power_wanted=ps.power,
        )
        rows.append({"from": j.stage_ids[s], "to": j.stage_ids[s + 1], **row})
    out = pd.DataFrame(rows)
    for column in ("weeks_needed", "deals_needed"):
        out[column] = pd.array(np.ceil(out[column]), dtype="Float64").astype("Int64")
    return out


def power_curve(
    design_rows: pd.DataFrame,
    *,
    stage: str | None = None,
    lifts: Sequence[float] | None = None,
    alpha: float = 0.05,
    max_weeks: int = 26,
) -> pd.DataFrame:
    """Power by pilot length for each design row and lift (for the power figure).

    Parameters
    ----------
    design_rows : rows of :func:`design_from_data` (from, to, baseline_rate,
        deals_per_week, units, icc, target_lift).
    stage : keep only the row of this from-stage (None: every row).
    lifts : lifts to draw; default each row's lift, half and one and a half of it.

    Returns
    -------
    DataFrame
        ``from | to | lift | weeks | power``.
    """
    weeks = np.arange(1, max_weeks + 1, dtype=float)
    if stage is not None:
        design_rows = design_rows[design_rows["from"].astype(str) == stage]
    frames = []
    for row in design_rows.to_dict("records"):
        lift0 = row["target_lift"]
        chosen = lifts or sorted({lift0 * 0.5, lift0, lift0 * 1.5})
        total = row["deals_per_week"] * weeks
        for lift in chosen:
            pw = power(
                row["baseline_rate"],
                lift,
                total / 2,
                total / 2,
                alpha=alpha,
                icc=row["icc"],
                units=max(row["units"], 1),
            )
            frames.append(
                pd.DataFrame(
                    {
                        "from": row["from"],
                        "to": row["to"],
                        "lift": lift,
                        "weeks": weeks,
                        "power": pw,
                    }
                )
            )
    if not frames:
        return pd.DataFrame(columns=["from", "to", "lift", "weeks", "power"])
    return pd.concat(frames, ignore_index=True)


def recommend_split(
    deals: pd.DataFrame,
    stage_events: pd.DataFrame,
    config: Any,
    reps: pd.DataFrame | None = None,
    *,
    pilot: PilotSettings | None = None,
    stage: str | None = None,
    seed: int = 0,
    journey: Any = None,
) -> pd.DataFrame:
    """A balanced pilot/control split of units: matched pairs, randomised within pairs.

    Units (reps or teams) are sorted by their historical rate at ``stage`` (default
    ``target_stage``, else the first stage) and volume, paired with their neighbour,
    and one of each pair goes to the pilot by a seeded coin flip; an odd unit out goes
    to control. Randomising within pairs keeps the groups alike before the pilot and
    makes the permutation test of :func:`evaluate` exact.

    Returns
    -------
    DataFrame
        ``unit_id | deals | rate | pair | group``; ``group`` is pilot or control.
    """
    from playbook.journey import resolve

    ps = pilot or settings(config)
    unit = "team" if ps.unit == "team" or (ps.unit == "auto" and ps.teams) else "rep"
    j = resolve(deals, stage_events, config, None, journey)
    ids = list(j.stage_ids)
    target = stage or ps.target_stage or ids[0]
    if target not in ids[:-1]:
        raise ValueError(f"stage must be one of {', '.join(ids[:-1])}; got {target!r}")
    s = ids.index(target)
    units = _unit_of(j.deals, reps, unit)
    codes, uniques = pd.factorize(units)
    G = len(uniques)
    adv = np.bincount(codes[j.advanced[:, s]], minlength=G)
    mat = np.bincount(codes[j.mature[:, s] & j.entered[:, s]], minlength=G)
    n = np.bincount(codes, minlength=G)
    with np.errstate(invalid="ignore", divide="ignore"):
        rate = np.where(mat > 0, adv / mat, np.nan)
    order = np.lexsort((-n, np.nan_to_num(rate, nan=-1.0)))
    pair = np.empty(G, np.int64)
    pair[order] = np.arange(G) // 2 + 1
    rng = np.random.default_rng(seed)
    flip = rng.random(G // 2 + 1) < 0.5
    rank_in_pair = np.empty(G, np.int64)
    rank_in_pair[order] = np.arange(G) % 2
    complete = np.bincount(pair, minlength=G // 2 + 2)[pair] == 2
    to_pilot = complete & ((rank_in_pair == 0) == flip[pair - 1])
    out = pd.DataFrame(
        {
            "unit_id": uniques.astype(object),
            "deals": n,
            "rate": rate,
            "pair": pair,
            "group": np.where(to_pilot, ps.pilot_value, ps.control_value),
        }
    )
    return out.sort_values(["pair", "group"], kind="stable").reset_index(drop=True)


# --- assignment ----------------------------------------------------------------------------


@dataclass
class Assignment:
    """Which deals are in the pilot or control group, and in which period.

    ``frame``: ``deal_id | unit | group | period`` aligned with ``deals`` (group and
    period None for deals outside the evaluation). ``problem`` is an i18n key when the
    pilot cannot be evaluated.
    """

    frame: pd.DataFrame
    start: pd.Timestamp | None
    end: pd.Timestamp | None
    unit: str
    membership: str
    dropped: int = 0
    problem: str | None = None


def assign(
    deals: pd.DataFrame,
    pilot: PilotSettings,
    reps: pd.DataFrame | None = None,
) -> Assignment:
    """Each deal's group (pilot/control) and period (pre/post), and its unit.

    Labels come from ``pilot.reps``/``pilot.teams`` when given (every deal of a listed
    rep; control: ``control_reps``/``control_teams`` or every other rep; needs
    ``pilot.start``), else from the ``group_column`` (start: the first labelled deal's
    day). A unit (rep or team) belongs to the group of the majority of its labelled
    deals, which also places its deals before the start in that group's pre-period.
    Labelled deals disagreeing with their unit's group, every deal of a unit labelled as
    often pilot as control, and unlabelled deals after the start are left out; the first
    two are counted in ``dropped``.
    """
    n = len(deals)
    owner = deals["owner_id"].astype(object).reset_index(drop=True)
    created = pd.to_datetime(deals["created_at"]).reset_index(drop=True)
    by_list = bool(pilot.reps or pilot.teams)
    unit_kind = "team" if pilot.unit == "team" or (pilot.unit == "auto" and pilot.teams) else "rep"
    if unit_kind == "team" and (reps is None or "team" not in reps):
        unit_kind = "rep"
    unit = _unit_of(deals.reset_index(drop=True), reps, unit_kind)
    empty = pd.DataFrame(
        {"deal_id": deals["deal_id"].to_numpy(), "unit": unit, "group": None, "period": None}
    )
    label = pd.Series([None] * n, dtype=object)
    if by_list:
        membership = "list"
        team_of = (
            dict(zip(reps["rep_id"].astype(object), reps["team"].astype(object), strict=True))
            if reps is not None and "team" in reps
            else {}
        )
        if pilot.teams and not team_of:
            return Assignment(empty, None, None, unit_kind, membership, problem="pilot_no_reps")
        if not pilot.start:
            return Assignment(empty, None, None, unit_kind, membership, problem="pilot_no_start")
        team = owner.map(team_of)
        is_p = owner.isin(pilot.reps) | team.isin(pilot.teams)
        if pilot.control_reps or pilot.control_teams:
            is_c = (owner.isin(pilot.control_reps) | team.isin(pilot.control_teams)) & ~is_p
        else:
            is_c = ~is_p
        label[is_p.to_numpy()] = pilot.pilot_value
        label[is_c.to_numpy()] = pilot.control_value
        start = pd.Timestamp(pilot.start)
    else:
        membership = "column"
        if pilot.group_column not in deals.columns:
            return Assignment(empty, None, None, unit_kind, membership, problem="pilot_none")
        raw = deals[pilot.group_column].astype(object).reset_index(drop=True)
        label = raw.where(raw.isin([pilot.pilot_value, pilot.control_value]), None)
        if label.isna().all():
            return Assignment(empty, None, None, unit_kind, membership, problem="pilot_none")
        start = (
            pd.Timestamp(pilot.start) if pilot.start else created[label.notna()].min().normalize()
        )
    # every unit belongs to one group: the majority of its labelled deals (ties: none)
    labelled = label.notna()
    counts = pd.crosstab(unit[labelled], label[labelled])
    for col in (pilot.pilot_value, pilot.control_value):
        if col not in counts:
            counts[col] = 0
    n_p, n_c = counts[pilot.pilot_value], counts[pilot.control_value]
    major = pd.Series(
        np.where(n_p > n_c, pilot.pilot_value, np.where(n_c > n_p, pilot.control_value, None)),
        index=counts.index,
        dtype=object,
    )
    unit_group = unit.map(major)
    disagree = labelled & (unit_group.isna() | (label != unit_group))
    dropped = int(disagree.sum())
    unit_group = unit_group.where(~disagree & ~(~labelled & (created >= start)))
    end = pd.Timestamp(pilot.end) + pd.Timedelta(days=1) if pilot.end else None
    post = created >= start
    if end is not None:
        post &= created < end
    pre = created < start
    if pilot.pre_days is not None:
        pre &= created >= start - pd.Timedelta(days=pilot.pre_days)
    period = pd.Series(np.where(post, "post", np.where(pre, "pre", None)), dtype=object)
    group = unit_group.where(period.notna())
    frame = pd.DataFrame(
        {"deal_id": deals["deal_id"].to_numpy(), "unit": unit, "group": group, "period": period}
    )
    frame.loc[frame["group"].isna(), "period"] = None
    frame["group"] = frame["group"].astype(object).where(frame["group"].notna(), None)
    has_post = frame["period"].eq("post")
    groups_post = set(frame.loc[has_post, "group"].dropna())
    problem = None
    if pilot.pilot_value not in groups_post:
        problem = "pilot_none"
    elif pilot.control_value not in groups_post:
        problem = "pilot_no_control"
    return Assignment(frame, start, end, unit_kind, membership, dropped, problem)


# --- inference core ------------------------------------------------------------------------


def _rates(SA: np.ndarray, SN: np.ndarray) -> np.ndarray:
    with np.errstate(invalid="ignore", divide="ignore"):
        return SA / SN


def _statistic(rp: np.ndarray, rc: np.ndarray, did: bool) -> np.ndarray:
    """Lift per row from arm rates (..., 2 periods, R rows)."""
    if did:
        return (rp[..., POST, :] - rp[..., PRE, :]) - (rc[..., POST, :] - rc[..., PRE, :])
    return rp[..., POST, :] - rc[..., POST, :]


def _with_overall(r: np.ndarray) -> np.ndarray:
    """Append the product of the stage rates (end-to-end conversion) as a last row."""
    return np.concatenate([r, np.prod(r, axis=-1, keepdims=True)], axis=-1)


def _assignments(G: int, k: int, n_perm: int, rng: np.random.Generator) -> tuple[np.ndarray, bool]:
    """Pilot indicator rows: all C(G, k) assignments when few, else ``n_perm`` random ones."""
    total = math.comb(G, k)
    if total <= n_perm:
        Z = np.zeros((total, G))
        for i, combo in enumerate(itertools.combinations(range(G), k)):
            Z[i, list(combo)] = 1.0
        return Z, True
    keys = rng.random((n_perm, G))
    idx = np.argsort(keys, axis=1)[:, :k]
    Z = np.zeros((n_perm, G))
    np.put_along_axis(Z, idx, 1.0, axis=1)
    return Z, False


def cluster_inference(
    advanced: np.ndarray,
    resolved: np.ndarray,
    is_pilot: np.ndarray,
    *,
    did: bool = True,
    overall: bool = True,
    alpha: float = 0.05,
    n_perm: int = 2000,
    n_boot: int = 2000,
    seed: int = 0,
) -> pd.DataFrame:
    """Lift of the pilot over control with inference at the unit level.

    Parameters
    ----------
    advanced, resolved : arrays, shape (G units, 2 periods [pre, post], S stages)
        Deals that advanced, and deals whose outcome at the stage is known.
    is_pilot : bool array (G,)
    did : difference-in-differences (needs pre-period counts in both groups);
        False: post-period difference.
    overall : add a row for the end-to-end conversion (product of the stage rates).

    Returns
    -------
    DataFrame
        One row per stage (then overall): ``pilot_n | control_n | pilot_rate |
        control_rate | pilot_pre_rate | control_pre_rate | effect | se | effect_low | effect_high |
        p_cluster | p_perm | exact | assignments | prob_positive | boot_low | boot_high``.
        ``se``/``ci`` are cluster-robust (CR1, as statsmodels' cluster covariance of the
        linear-probability model, delta method for the product), the interval uses t
        with G - 1 degrees of freedom; ``p_perm`` is two-sided over re-assignments of
        units; ``prob_positive`` is P(lift > 0) under a Bayesian bootstrap over units.
    """
    A = np.asarray(advanced, dtype=float)
    N = np.asarray(resolved, dtype=float)
    zp = np.asarray(is_pilot, dtype=bool)
    G, _, S = A.shape
    rng = np.random.default_rng(seed)
    zc = ~zp
    Ap, Np = A[zp].sum(0), N[zp].sum(0)  # (2, S)
    Ac, Nc = A[zc].sum(0), N[zc].sum(0)
    rp, rc = _rates(Ap, Np), _rates(Ac, Nc)
    if overall:
        rp, rc = _with_overall(rp), _with_overall(rc)
    lift = _statistic(rp[None], rc[None], did)[0]  # (R,)
    R = len(lift)

    # cluster-robust variance: influence of each unit on the lift
    arm_rate = np.where(zp[:, None, None], rp[None, :, :S], rc[None, :, :S])  # (G, 2, S)
    arm_n = np.where(zp[:, None, None], Np[None], Nc[None])
    with np.errstate(invalid="ignore", divide="ignore"):
        infl_cell = np.where(arm_n > 0, (A - N * arm_rate) / arm_n, 0.0)  # (G, 2, S)
    sign = np.where(zp, 1.0, -1.0)[:, None]  # pilot +, control -
    periods = np.array([-1.0, 1.0]) if did else np.array([0.0, 1.0])
    coef = sign * periods[None, :]  # (G, 2)
    infl = np.einsum("gt,gts->gs", coef, infl_cell)
    if overall:
        full = np.where(zp[:, None, None], rp[None, :, :S], rc[None, :, :S])
        others = np.empty_like(full)
        for s in range(S):
            others[..., s] = np.prod(np.delete(full, s, axis=-1), axis=-1)
        infl = np.concatenate(
            [infl, np.einsum("gt,gts->g", coef, others * infl_cell)[:, None]], axis=1
        )
    used = N if did else N[:, POST:]
    n_obs = used.sum(axis=(0, 1))
    n_params = 4 if did else 2
    units_with = (used.sum(axis=1) > 0).sum(axis=0)  # (S,)
    g_eff = np.r_[units_with, units_with.min() if S else 0] if overall else units_with
    n_eff = np.r_[n_obs, n_obs.min() if S else 0] if overall else n_obs
    with np.errstate(invalid="ignore", divide="ignore"):
        factor = g_eff / (g_eff - 1) * (n_eff - 1) / (n_eff - n_params)
    se = np.sqrt(factor * (infl**2).sum(axis=0))
    dof = np.maximum(g_eff - 1, 1)
    tq = _st.t.ppf(1 - alpha / 2, dof)
    with np.errstate(invalid="ignore", divide="ignore"):
        p_cluster = 2 * _st.t.sf(np.abs(lift / se), dof)
    p_cluster = np.where(se > 0, p_cluster, np.nan)

    # permutation over units
    k = int(zp.sum())
    Z, exact = _assignments(G, k, n_perm, rng)
    flatA, flatN = A.reshape(G, -1), N.reshape(G, -1)
    SAp, SNp = Z @ flatA, Z @ flatN
    SAc, SNc = flatA.sum(0) - SAp, flatN.sum(0) - SNp
    prp = _rates(SAp, SNp).reshape(-1, 2, S)
    prc = _rates(SAc, SNc).reshape(-1, 2, S)
    if overall:
        prp, prc = _with_overall(prp), _with_overall(prc)
    perm = _statistic(prp, prc, did)  # (B, R)
    tol = 1e-12
    with np.errstate(invalid="ignore"):
        extreme = np.abs(perm) >= np.abs(lift)[None] - tol
    if exact:
        p_perm = extreme.sum(0) / len(Z)
    else:
        p_perm = (1 + extreme.sum(0)) / (len(Z) + 1)

    # Bayesian bootstrap over units (Dirichlet weights within each group)
    W = rng.gamma(1.0, size=(n_boot, G))
    Wp, Wc = W * zp, W * zc
    brp = _rates(Wp @ flatA, Wp @ flatN).reshape(-1, 2, S)
    brc = _rates(Wc @ flatA, Wc @ flatN).reshape(-1, 2, S)
    if overall:
        brp, brc = _with_overall(brp), _with_overall(brc)
    boot = _statistic(brp, brc, did)
    valid = ~np.isnan(boot)
    with np.errstate(invalid="ignore", divide="ignore"):
        prob = (np.where(valid, boot > 0, False).sum(0)) / valid.sum(0)
    boot_q = np.full((2, R), np.nan)
    some = valid.any(axis=0)
    if some.any():
        boot_q[:, some] = np.nanquantile(boot[:, some], [alpha / 2, 1 - alpha / 2], axis=0)

    def npost(x: np.ndarray) -> np.ndarray:
        return np.r_[x[POST], x[POST, 0]] if overall and S else x[POST]

    return pd.DataFrame(
        {
            "pilot_n": npost(Np).astype(np.int64),
            "control_n": npost(Nc).astype(np.int64),
            "pilot_rate": rp[POST],
            "control_rate": rc[POST],
            "pilot_pre_rate": rp[PRE],
            "control_pre_rate": rc[PRE],
            "effect": lift,
            "se": se,
            "effect_low": lift - tq * se,
            "effect_high": lift + tq * se,
            "p_cluster": p_cluster,
            "p_perm": p_perm,
            "exact": exact,
            "assignments": len(Z),
            "prob_positive": prob,
            "boot_low": boot_q[0],
            "boot_high": boot_q[1],
        }
    )


# --- evaluation ----------------------------------------------------------------------------


@dataclass
class PilotResult:
    """What :func:`evaluate` found.

    Attributes
    ----------
    available : False when there is no pilot to evaluate (``message`` says why).
    groups : ``group | period | units | deals | first_created | last_created``.
    effects : one row per stage and one end to end: see :data:`EFFECT_COLUMNS`.
    trend : monthly rates of the primary stage per group (``group | cohort | rate | ci_low |
        ci_high | mature_n | immature_cohort``).
    stage, stage_label : the primary from-stage id (target stage, else the stage with the
        strongest evidence; the first stage when nothing was evaluated) and its
        "From → To" label in the report language.
    group_labels : group value -> display name (for legends).
    primary : the effects row the verdict is about (a dict).
    verdict : likely_real, likely_harmful, need_more or noise.
    """

    available: bool
    message: str = ""
    stage: str | None = None
    stage_label: str = ""
    group_labels: dict[str, str] = field(default_factory=dict)
    start: pd.Timestamp | None = None
    end: pd.Timestamp | None = None
    unit: str = "rep"
    method: str = "did"
    groups: pd.DataFrame = field(default_factory=pd.DataFrame)
    effects: pd.DataFrame = field(default_factory=lambda: pd.DataFrame(columns=EFFECT_COLUMNS))
    trend: pd.DataFrame = field(default_factory=pd.DataFrame)
    primary: dict[str, Any] = field(default_factory=dict)
    verdict: str = ""
    verdict_text: str = ""
    verdict_kind: str = "warn"
    method_text: str = ""
    warnings: list[str] = field(default_factory=list)
    findings: list[Finding] = field(default_factory=list)
    kpis: dict[str, dict] = field(default_factory=dict)


def _pts(x: float) -> str:
    return "–" if x is None or not np.isfinite(x) else f"{x * 100:+.1f}"


def _p(p: float) -> str:
    return "–" if p is None or not np.isfinite(p) else ("< 0.001" if p < 0.001 else f"{p:.3f}")


def evaluate(
    deals: pd.DataFrame,
    stage_events: pd.DataFrame,
    config: Any,
    reps: pd.DataFrame | None = None,
    *,
    pilot: PilotSettings | None = None,
    language: str | None = None,
    as_of: Any = None,
    n_perm: int = 2000,
    n_boot: int = 2000,
    seed: int = 0,
) -> PilotResult:
    """Did the pilot lift conversion? Pilot vs control, per stage and end to end.

    Parameters
    ----------
    deals, stage_events : canonical tables; ``reps`` (rep_id, team) for team units.
    config : PilotConfig; ``pilot`` settings are read with :func:`settings`.
    language : of the sentences; default ``config.language``.

    Returns
    -------
    PilotResult
        With ``available`` False and ``message`` when there is no pilot to evaluate.
        ``findings`` holds one ``pilot_effect`` Finding for the primary row and one for
        every other row whose adjusted p is below alpha.
    """
    from playbook.journey import prepare
    from playbook.stages import cohort_rates, stage_rates

    ps = pilot or settings(config)
    lang = language or getattr(config, "language", "en")
    ids = list(config.funnel.ids)
    if ps.target_stage is not None and ps.target_stage not in ids[:-1]:
        raise ValueError(
            f"pilot.target_stage must be one of {', '.join(ids[:-1])}; got {ps.target_stage!r}"
        )
    first = ps.target_stage or ids[0]
    nxt = ids[ids.index(first) + 1]
    group_labels = {
        ps.pilot_value: t("legend_pilot", lang),
        ps.control_value: t("legend_control", lang),
    }
    a = assign(deals, ps, reps)
    if a.problem:
        msg = t(
            a.problem, lang, column=ps.group_column, pilot=ps.pilot_value, control=ps.control_value
        )
        return PilotResult(
            available=False,
            message=msg,
            verdict_text=msg,
            unit=a.unit,
            stage=first,
            stage_label=f"{config.stage_label(first, lang)} → {config.stage_label(nxt, lang)}",
            group_labels=group_labels,
        )
    f = a.frame
    keep = f["group"].notna().to_numpy()
    sub = deals.reset_index(drop=True)[keep].assign(
        _unit=f["unit"][keep].to_numpy(),
        _group=f["group"][keep].to_numpy(),
        _period=f["period"][keep].to_numpy(),
    )
    j = prepare(sub, stage_events, config, as_of)
    sub = j.deals
    by_unit = stage_rates(sub, stage_events, config, by=["_unit", "_period"], journey=j, min_n=1)
    unit_codes, units = pd.factorize(sub["_unit"], sort=True)
    unit_group = sub.groupby("_unit", sort=True, observed=True)["_group"].first()
    is_pilot = (unit_group.reindex(units) == ps.pilot_value).to_numpy()
    G, S = len(units), len(ids) - 1
    A = np.zeros((G, 2, S))
    N = np.zeros((G, 2, S))
    E = np.zeros((G, 2, S))
    gi = units.get_indexer(by_unit["_unit"])
    ti = np.where(by_unit["_period"].to_numpy() == "post", POST, PRE)
    si = by_unit["from"].cat.codes.to_numpy()
    A[gi, ti, si] = by_unit["advanced"].to_numpy()
    N[gi, ti, si] = by_unit["mature_n"].to_numpy()
    E[gi, ti, si] = by_unit["entered"].to_numpy()
    has_pre = bool(N[is_pilot, PRE].sum() > 0 and N[~is_pilot, PRE].sum() > 0)
    res = cluster_inference(
        A, N, is_pilot, did=has_pre, alpha=ps.alpha, n_perm=n_perm, n_boot=n_boot, seed=seed
    )
    res.insert(0, "from", [*ids[:-1], ids[0]])
    res.insert(1, "to", [*ids[1:], ids[-1]])

    # which p-value: permutation unless too few distinct assignments to ever reach alpha
    n_assign = math.comb(G, int(is_pilot.sum()))
    perm_ok = n_assign >= 2 / ps.alpha
    res["p_raw"] = res["p_perm"] if perm_ok else res["p_cluster"]
    res["p_adj"] = benjamini_hochberg(res["p_raw"].to_numpy())
    z = _st.norm.ppf(1 - ps.alpha / 2) + _st.norm.ppf(ps.power)
    res["mde"] = z * res["se"]
    created = pd.to_datetime(sub["created_at"])
    post_mask = sub["_period"].to_numpy() == "post"
    post_end = min(j.as_of, a.end) if a.end is not None else j.as_of
    weeks = _weeks(a.start, post_end)
    per_week = np.r_[E[:, POST].sum(axis=0), E[:, POST, 0].sum()] / weeks
    n_post = res["pilot_n"].to_numpy() + res["control_n"].to_numpy()
    se_needed = ps.expected_lift / z
    with np.errstate(invalid="ignore", divide="ignore"):
        more = np.maximum(n_post * ((res["se"].to_numpy() / se_needed) ** 2 - 1), 0)
        more_weeks = more / per_week
    floor = _se_floor(A, N, is_pilot, has_pre)
    unreachable = np.r_[floor, floor.max() if len(floor) else np.nan] > se_needed
    res["more_deals"] = pd.array(np.where(unreachable, np.nan, np.ceil(more)), dtype="Float64")
    res["more_weeks"] = pd.array(
        np.where(unreachable | ~np.isfinite(more_weeks), np.nan, np.ceil(more_weeks)),
        dtype="Float64",
    )
    for column in ("more_deals", "more_weeks"):
        res[column] = res[column].round().astype("Int64")
    effects = res[EFFECT_COLUMNS].copy()
    effects["from"] = pd.Categorical(effects["from"], categories=ids)
    effects["to"] = pd.Categorical(effects["to"], categories=ids)

    # the primary row and the verdict
    stage_rows = res.iloc[:S]
    if ps.target_stage is not None:
        pi = ids.index(ps.target_stage)
        p_primary = float(stage_rows["p_raw"].iloc[pi])
    else:
        raw = stage_rows["p_raw"].to_numpy()
        pi = int(np.nanargmin(raw)) if S and np.isfinite(raw).any() else 0
        p_primary = float(stage_rows["p_adj"].iloc[pi])
    row = res.iloc[pi]
    label = f"{config.stage_label(ids[pi], lang)} → {config.stage_label(ids[pi + 1], lang)}"
    code = _verdict(row, p_primary, ps, unreachable[pi])
    values = {
        "stage": label,
        "lift": _pts(row["effect"]),
        "low": _pts(row["effect_low"]),
        "high": _pts(row["effect_high"]),
        "p": _p(p_primary)
        if ps.target_stage is not None
        else t("pilot_p_adjusted", lang, p=_p(p_primary), n=len(res)),
        "prob": f"{row['prob_positive']:.0%}" if np.isfinite(row["prob_positive"]) else "–",
        "n": int(row["pilot_n"] + row["control_n"]),
        "more": "–" if pd.isna(row["more_deals"]) else f"{int(row['more_deals']):,}",
        "weeks": "–" if pd.isna(row["more_weeks"]) else f"{int(row['more_weeks']):,}",
        "expected": f"{ps.expected_lift * 100:.0f}",
        "units": G,
        "unit": t(f"pilot_unit_{a.unit}", lang),
    }
    key = f"pilot_verdict_{code}" + ("_never" if code == "need_more" and unreachable[pi] else "")
    verdict_text = t(key, lang, **values)
    unit_word = t(f"pilot_unit_{a.unit}", lang)
    method_text = t(
        "pilot_method_did" if has_pre else "pilot_method_diff",
        lang,
        start=f"{a.start:%Y-%m-%d}",
        unit=unit_word,
        units=G,
        perm=f"{int(res['assignments'].iloc[0]):,}",
    )
    entered = j.entered[post_mask, pi]
    immature = entered & ~j.mature[post_mask, pi]
    warnings_ = _warnings(
        lang,
        ps,
        a,
        res.iloc[pi],
        label=label,
        unit_word=unit_word,
        groups=(int(is_pilot.sum()), int((~is_pilot).sum())),
        has_pre=has_pre,
        n_assign=None if perm_ok else n_assign,
        weeks=weeks,
        immature_share=immature.sum() / entered.sum() if entered.sum() else 0.0,
        n_rows=len(res),
    )
    findings = _findings(res, ps, pi, p_primary, code, verdict_text, lang, config, ids, S)
    groups = _groups(sub, created)
    trend = cohort_rates(sub, stage_events, config, freq="M", by="_group", journey=j)
    trend = trend[trend["from"] == ids[pi]].rename(columns={"_group": "group"})
    trend = trend[
        [
            "group",
            "cohort",
            "from",
            "to",
            "rate",
            "ci_low",
            "ci_high",
            "mature_n",
            "immature_cohort",
        ]
    ].reset_index(drop=True)
    primary = {k: (v.item() if hasattr(v, "item") else v) for k, v in row.items()}
    primary["p_primary"] = p_primary
    kpis = {
        "pilot_lift": {
            "value": float(row["effect"]),
            "n": int(row["pilot_n"] + row["control_n"]),
            "ci_low": float(row["effect_low"]),
            "ci_high": float(row["effect_high"]),
            "unit": "share",
        },
        "pilot_probability": {
            "value": float(row["prob_positive"]),
            "n": int(row["pilot_n"] + row["control_n"]),
            "unit": "share",
        },
    }
    return PilotResult(
        available=True,
        stage=ids[pi],
        stage_label=label,
        group_labels=group_labels,
        start=a.start,
        end=a.end,
        unit=a.unit,
        method="did" if has_pre else "diff",
        groups=groups,
        effects=effects,
        trend=trend,
        primary=primary,
        verdict=code,
        verdict_text=verdict_text,
        verdict_kind="p" if code == "likely_real" else "warn",
        method_text=method_text,
        warnings=warnings_,
        findings=findings,
        kpis=kpis,
    )


def _se_floor(A: np.ndarray, N: np.ndarray, is_pilot: np.ndarray, has_pre: bool) -> np.ndarray:
    """Smallest SE reachable however long the pilot runs: unit-level variation only.

    Estimated as the between-unit variance part of the current SE: ICC x p(1 - p) x
    (1/G_pilot + 1/G_control) per stage, with the ICC of the post-period unit rates.
    """
    S = A.shape[2]
    out = np.zeros(S)
    gp, gc = max(int(is_pilot.sum()), 1), max(int((~is_pilot).sum()), 1)
    for s in range(S):
        a, n = A[:, POST, s], N[:, POST, s]
        icc = icc_anova(a, n)
        p = a.sum() / n.sum() if n.sum() else 0.5
        out[s] = math.sqrt(icc * p * (1 - p) * (1 / gp + 1 / gc))
    return out


def _verdict(row: pd.Series, p: float, ps: PilotSettings, unreachable: bool) -> str:
    if np.isfinite(p) and p < ps.alpha:
        return "likely_real" if row["effect"] > 0 else "likely_harmful"
    n = row["pilot_n"] + row["control_n"]
    if unreachable or not np.isfinite(row["se"]) or n < 60 or row["mde"] > ps.expected_lift:
        return "need_more"
    return "noise"


def _warnings(
    lang: str,
    ps: PilotSettings,
    a: Assignment,
    row: pd.Series,
    *,
    label: str,
    unit_word: str,
    groups: tuple[int, int],
    has_pre: bool,
    n_assign: int | None,
    weeks: float,
    immature_share: float,
    n_rows: int,
) -> list[str]:
    """The caveats of an evaluation, as sentences in ``lang``."""
    out = []
    if weeks < ps.min_weeks:
        out.append(t("pilot_warn_short", lang, weeks=f"{weeks:.1f}", min_weeks=f"{ps.min_weeks:g}"))
    if immature_share > 0.2:
        out.append(t("pilot_warn_immature", lang, share=f"{immature_share:.0%}", stage=label))
    if min(groups) < 5:
        out.append(
            t("pilot_warn_few_units", lang, pilot=groups[0], control=groups[1], unit=unit_word)
        )
    if n_assign is not None:
        out.append(t("pilot_warn_perm", lang, n=n_assign, alpha=f"{ps.alpha:g}"))
    if not has_pre:
        out.append(t("pilot_warn_no_pre", lang, unit=unit_word))
    else:
        gap = row["pilot_pre_rate"] - row["control_pre_rate"]
        if np.isfinite(gap) and abs(gap) >= 0.05:
            out.append(t("pilot_warn_imbalance", lang, gap=_pts(gap), stage=label))
    if a.dropped:
        out.append(t("pilot_warn_dropped", lang, n=a.dropped, unit=unit_word))
    if ps.target_stage is None:
        out.append(t("pilot_warn_no_target", lang, n=n_rows, stage=label))
    return out


def _findings(res, ps, pi, p_primary, code, text, lang, config, ids, S) -> list[Finding]:
    out = []
    for i, row in res.iterrows():
        primary = i == pi
        significant = np.isfinite(row["p_adj"]) and row["p_adj"] < ps.alpha
        if not primary and not significant:
            continue
        p = p_primary if primary else float(row["p_adj"])
        strong = p < ps.alpha / 10
        if primary:
            # Harm is critical only when the evidence is strong, not at p just under alpha.
            sev = (
                (3 if strong else 2)
                if code == "likely_harmful"
                else (2 if code == "likely_real" else 1)
            )
            evidence = text
        else:
            # A stage the pilot did not target: worth a look, material when strong.
            sev = 2 if strong else 1
            label = (
                f"{config.stage_label(row['from'], lang)} → {config.stage_label(row['to'], lang)}"
            )
            evidence = t(
                "pilot_finding_other",
                lang,
                stage=label,
                lift=_pts(row["effect"]),
                low=_pts(row["effect_low"]),
                high=_pts(row["effect_high"]),
                p=_p(p),
            )
        out.append(
            Finding(
                kind="pilot_effect",
                severity=sev,
                evidence=evidence,
                dimension=ps.group_column,
                value=ps.pilot_value,
                stage=str(row["from"]),
                metric="advance_rate_lift" if i < S else "end_to_end_lift",
                observed=float(row["effect"]),
                baseline=0.0,
                ci_low=float(row["effect_low"]),
                ci_high=float(row["effect_high"]),
                n=int(row["pilot_n"] + row["control_n"]),
                p_value=p,
                impact=abs(float(row["effect"])) * float(row["pilot_n"] + row["control_n"]),
                extra={
                    "to_stage": str(row["to"]),
                    "pilot_rate": float(row["pilot_rate"]),
                    "control_rate": float(row["control_rate"]),
                    "prob_positive": float(row["prob_positive"]),
                    "verdict": code if primary else "",
                    "primary": bool(primary),
                },
            )
        )
    return out


def _groups(sub: pd.DataFrame, created: pd.Series) -> pd.DataFrame:
    frame = pd.DataFrame(
        {
            "group": sub["_group"].to_numpy(),
            "period": sub["_period"].to_numpy(),
            "unit": sub["_unit"].to_numpy(),
            "created": created.to_numpy(),
        }
    )
    out = frame.groupby(["group", "period"], sort=True).agg(
        units=("unit", "nunique"),
        deals=("unit", "size"),
        first_created=("created", "min"),
        last_created=("created", "max"),
    )
    out = out.reset_index()
    out["_order"] = out["period"].map({"pre": 0, "post": 1})
    out = out.sort_values(["group", "_order"], kind="stable").drop(columns="_order")
    return out.reset_index(drop=True)
