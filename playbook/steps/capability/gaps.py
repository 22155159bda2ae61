"""Competency gaps: strong converters against the team, by team, by stage and per rep."""

from __future__ import annotations

import math
from collections.abc import Sequence

import numpy as np
import pandas as pd
from scipy import stats as _st

from playbook.stats import (
    benjamini_hochberg,
)
from playbook.steps.plan.kpi import correlation_interval
from playbook.workspace.config import PilotConfig
from playbook.workspace.privacy import people_groups


def capability_gaps(comparison: pd.DataFrame, config: PilotConfig | None = None) -> pd.DataFrame:
    """The competency rows of :func:`compare_groups`, largest gap first, in config order
    for ties; every configured competency appears (NaN when not assessed).

    Returns
    -------
    DataFrame
        Columns of :func:`compare_groups` plus ``rank`` (1 = largest credible gap).
    """
    comp = comparison[comparison["family"] == "competency"].copy()
    if config is not None:
        dims = [d.id for d in config.capability.dimensions]
        missing = [d for d in dims if d not in set(comp["dimension"])]
        if missing:
            extra = pd.DataFrame({"family": "competency", "metric": "score", "dimension": missing})
            comp = pd.concat([comp, extra], ignore_index=True)
        comp["_order"] = comp["dimension"].map({d: i for i, d in enumerate(dims)})
    else:
        comp["_order"] = 0
    comp["suppressed"] = comp["suppressed"].astype("boolean").fillna(False).astype(bool)
    comp = comp.sort_values(["gap", "_order"], ascending=[False, True], na_position="last")
    comp["rank"] = np.arange(1, len(comp) + 1)
    return comp.drop(columns="_order").reset_index(drop=True)


def team_capability(
    scores: pd.DataFrame,
    reps: pd.DataFrame | None,
    *,
    min_group_size: int = 5,
    other: str = "other teams",
    confidence: float = 0.95,
) -> pd.DataFrame:
    """Mean competency scores per team, never over fewer than ``min_group_size`` reps.

    Each competency counts the reps scored on it; teams too small are pooled into
    ``other`` with complementary suppression (:func:`playbook.workspace.privacy.people_groups`); a
    pool still too small keeps its row with ``suppressed`` True and no value.

    Returns
    -------
    DataFrame
        ``team | reps | dimension | mean | ci_low | ci_high | suppressed``.
    """
    columns = ["team", "reps", "dimension", "mean", "ci_low", "ci_high", "suppressed"]
    if not len(scores):
        return pd.DataFrame(columns=columns)
    team = pd.Series("unknown", index=scores.index)
    if reps is not None and "team" in reps.columns:
        mapping = dict(zip(reps["rep_id"].astype(str), reps["team"].astype(object), strict=False))
        team = scores["rep_id"].astype(str).map(mapping).fillna("unknown").astype(str)
    # counted per competency: a rep without a score there is not behind that mean
    pooled = people_groups(
        team, scores["rep_id"].astype(str), min_group_size, other, within=scores["dimension"]
    )
    s = scores.assign(team=pooled.where(pooled.notna(), other))  # a pool too small: suppressed
    keys = ["team", "dimension"]
    agg = s.groupby(keys)["score"].agg(["mean", "std", "count"]).reset_index()
    reps = s.groupby(keys)["rep_id"].nunique().rename("reps").reset_index()
    agg = agg.merge(reps, on=keys, how="left").astype({"reps": np.int64})
    crit = _st.t.ppf(0.5 + confidence / 2, np.maximum(agg["count"] - 1, 1))
    half = crit * agg["std"] / np.sqrt(agg["count"])
    agg["ci_low"] = agg["mean"] - half
    agg["ci_high"] = agg["mean"] + half
    agg["suppressed"] = agg["reps"] < min_group_size
    agg.loc[agg["suppressed"], ["mean", "ci_low", "ci_high"]] = np.nan
    return agg[columns]


def stage_competency_links(
    profile: pd.DataFrame,
    *,
    min_reps: int = 8,
    confidence: float = 0.95,
) -> pd.DataFrame:
    """Which stage weaknesses go with which competency gaps: correlation across reps.

    For every stage and competency: Pearson's r between the reps' shrunk stage rate
    and their score, with a Fisher-z interval and a two-sided p-value adjusted by
    Benjamini–Hochberg over all pairs. A positive r means reps weak at the stage tend
    to score low on the competency. Correlation across people, not cause.

    Returns
    -------
    DataFrame
        ``stage | dimension | n | r | ci_low | ci_high | p_raw | p_adj``; pairs with
        fewer than ``min_reps`` reps have NaN statistics.
    """
    columns = ["stage", "dimension", "n", "r", "ci_low", "ci_high", "p_raw", "p_adj"]
    stage = profile[profile["family"] == "stage"].pivot_table(
        index="owner_id", columns="stage", values="value", aggfunc="first", observed=True
    )
    comp = profile[profile["family"] == "competency"].pivot_table(
        index="owner_id", columns="dimension", values="value", aggfunc="first", observed=True
    )
    if stage.empty or comp.empty:
        return pd.DataFrame(columns=columns)
    stage_order = list(dict.fromkeys(profile.loc[profile["family"] == "stage", "stage"]))
    dim_order = list(dict.fromkeys(profile.loc[profile["family"] == "competency", "dimension"]))
    joined = stage.join(comp, how="inner", lsuffix="_stage")
    rows = []
    for s in stage_order:
        for d in dim_order:
            x = joined[s if s not in comp.columns else f"{s}_stage"]
            r, lo, hi, p, n = correlation_interval(x, joined[d], confidence)
            if n < min_reps:
                r = lo = hi = p = math.nan
            rows.append(
                {
                    "stage": s,
                    "dimension": d,
                    "n": n,
                    "r": r,
                    "ci_low": lo,
                    "ci_high": hi,
                    "p_raw": p,
                }
            )
    out = pd.DataFrame(rows, columns=columns[:-1])
    out["p_adj"] = benjamini_hochberg(out["p_raw"].to_numpy())
    return out[columns]


def rep_gaps(scores: pd.DataFrame, comparison: pd.DataFrame) -> pd.DataFrame:
    """Each rep's competency scores beside the benchmark and team means (per-rep radar).

    Returns
    -------
    DataFrame
        ``rep_id | dimension | score | benchmark | team | gap_to_benchmark``;
        ``benchmark``/``team`` are NaN where suppressed; ``gap_to_benchmark`` is
        ``score - benchmark`` (negative: below the benchmark).
    """
    columns = ["rep_id", "dimension", "score", "benchmark", "team", "gap_to_benchmark"]
    if not len(scores):
        return pd.DataFrame(columns=columns)
    comp = comparison[comparison["family"] == "competency"].set_index("dimension")
    out = scores[["rep_id", "dimension", "score"]].copy()
    out["benchmark"] = out["dimension"].map(comp["benchmark_mean"]).astype(float)
    out["team"] = out["dimension"].map(comp["team_mean"]).astype(float)
    out["gap_to_benchmark"] = out["score"] - out["benchmark"]
    return out[columns].reset_index(drop=True)


def focus_reps(gaps: pd.DataFrame, *, exclude: Sequence[str] = (), n: int = 8) -> list[str]:
    """The ``n`` reps furthest below the benchmark in total (for per-rep radars).

    Returns
    -------
    list of str
        Rep ids, largest total shortfall first; the ``exclude`` ids (e.g. the
        benchmark group) are left out.
    """
    if not len(gaps) or gaps["gap_to_benchmark"].isna().all():
        return []
    g = gaps[~gaps["rep_id"].isin(set(exclude))]
    short = g["gap_to_benchmark"].clip(upper=0).groupby(g["rep_id"]).sum().sort_values()
    return [str(r) for r in short.index[: int(n)]]
