"""How big must a pilot be? Power, sample size and a balanced split (step 7).

* :func:`design` / :func:`design_from_data`: deals and weeks a pilot needs for a given
  baseline rate, expected lift, weekly volume, power and alpha, with the design effect
  ``1 + (m - 1) * ICC`` of ``m`` deals per unit (ICC estimated from the history);
* :func:`power_curve`: power by pilot length for the power figure;
* :func:`recommend_split`: a balanced, matched-pair split of units, randomised within pairs.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

import numpy as np
import pandas as pd
from scipy import stats as _st

from playbook.steps.pilot.settings import PilotSettings, settings, unit_kind, unit_of
from playbook.steps.prepared import takes_pilot

__all__ = ["icc_anova", "power", "design", "design_from_data", "power_curve", "recommend_split"]


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


@takes_pilot
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
    from playbook.steps.journey import resolve
    from playbook.steps.stages import stage_rates

    ps = pilot or settings(config)
    unit = unit_kind(ps)
    j = resolve(deals, stage_events, config, None, journey)
    d = j.deals
    rates = stage_rates(d, stage_events, config, journey=j, min_n=1)
    created = pd.to_datetime(d["created_at"])
    recent = (created > j.as_of - pd.Timedelta(weeks=recent_weeks)).to_numpy()
    units = unit_of(d, reps, unit)
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


@takes_pilot
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
    from playbook.steps.journey import resolve

    ps = pilot or settings(config)
    unit = unit_kind(ps)
    j = resolve(deals, stage_events, config, None, journey)
    ids = list(j.stage_ids)
    target = stage or ps.target_stage or ids[0]
    if target not in ids[:-1]:
        raise ValueError(f"stage must be one of {', '.join(ids[:-1])}; got {target!r}")
    s = ids.index(target)
    units = unit_of(j.deals, reps, unit)
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
