"""Step 4, the capability radar: what do consistently strong converters do better?

The benchmark group is found from conversion, period by period, so that one lucky
quarter does not make a star:

1. :func:`rep_period_rates` — per rep, creation period (quarters by default) and
   stage, the censoring-aware stage rate of :func:`playbook.steps.stages.cohort_rates`,
   read against what the rep's own deals would be expected to do from their mix
   (:mod:`playbook.steps.adjust`: observed / expected × the period's mean expected rate, so a
   rep in a hard territory is compared on like deals), and shrunk toward the team's
   rate of that period and stage by an empirical-Bayes beta prior
   (:func:`playbook.stats.fit_beta_prior`), so a rep with few deals is not ranked on
   noise. Only complete periods count (ended by ``as_of``). The raw rates are kept and
   ranked the same way, side by side.
2. :func:`rank_periods` — per rep and period, lead-to-won conversion as the product
   of the shrunk stage rates (with a posterior interval), ranked among reps with at
   least ``min_deals`` deals; the top ``top_share`` (and above the team) is the top
   group of the period.
3. :func:`consistent_converters` — a rep is a *consistent strong converter* when in
   the top group in at least ``top_k_of_n`` of the last ``periods`` periods **and**,
   leaving out their best period, still converts above the team with posterior
   probability ``min_probability`` (:func:`leave_best_out`). A one-off big quarter is
   labelled ``one_off``; enough top periods without that support ``unconfirmed``. The
   ``reason`` column says why.

The profile joins the group with assessments (:func:`assessment_scores`: the
manager's score where there is one, else the mean of the assessors — the policy is
a parameter), stage-level performance, behaviour and customer retention
(:func:`rep_profile`); :func:`compare_groups` ranks the differences with Welch
intervals and Benjamini–Hochberg-adjusted p-values; :func:`stage_competency_links`
correlates stage performance with competency scores across reps.

Privacy: no group mean over fewer than ``min_group_size`` people is returned. Group
pairs that would let a hidden group be recovered by subtraction are suppressed
together (complementary suppression, :func:`playbook.workspace.privacy.pool_small_groups`);
suppressed rows say so in a ``suppressed`` column and carry no value.
"""

from __future__ import annotations

import logging
import math
import warnings
from collections.abc import Sequence
from dataclasses import dataclass, field
from typing import Any

import numpy as np
import pandas as pd
from scipy import stats as _st

from playbook.findings import Finding, rank
from playbook.stats import (
    SmallSampleWarning,
    benjamini_hochberg,
    shrink_rates,
)
from playbook.steps.adjust import (
    MixModel,
    compared_stage_rate,
    expected_wins,
    fit_mix_model,
    mix_reasons,
)
from playbook.steps.capability.consistency import (
    CONSISTENCY_COLUMNS,
    RANK_COLUMNS,
    RATE_COLUMNS,
    STATUSES,
    consistent_converters,
    leave_best_out,
    rank_periods,
    rep_period_rates,
)
from playbook.steps.journey import JourneyData, resolve
from playbook.steps.plan.kpi import correlation_interval, deal_facts, kpi_by_rep
from playbook.steps.stages import stage_rates
from playbook.workspace.config import PilotConfig
from playbook.workspace.privacy import people_groups, pool_small_groups

logger = logging.getLogger(__name__)

__all__ = [
    "CONSISTENCY_COLUMNS",
    "RANK_COLUMNS",
    "RATE_COLUMNS",
    "STATUSES",
    "DEFAULT_CONSISTENCY",
    "MANAGER_NAMES",
    "CapabilityStudy",
    "consistency_settings",
    "rep_period_rates",
    "rank_periods",
    "leave_best_out",
    "consistent_converters",
    "assessment_scores",
    "assessment_basis",
    "rep_stage_performance",
    "rep_profile",
    "compare_groups",
    "capability_gaps",
    "team_capability",
    "stage_competency_links",
    "rep_gaps",
    "focus_reps",
    "capability_findings",
    "consistency_view",
    "profile_view",
    "findings_view",
    "analyse",
]

#: Defaults of "consistent strong converter": quarters; in the top quarter of reps in at
#: least 3 of the last 4 complete quarters (quarters with 15+ deals count); and, leaving
#: out the rep's best quarter, conversion still above the team's with posterior
#: probability 0.95 or more.
DEFAULT_CONSISTENCY: dict[str, Any] = {
    "freq": "Q",
    "periods": 4,
    "top_k_of_n": 3,
    "top_share": 0.25,
    "min_deals": 15,
    "min_probability": 0.95,
}
#: Assessor values read as "the manager" (case-insensitive).
MANAGER_NAMES = ("manager", "supervisor", "line manager", "经理", "主管", "上级", "领导")

COMPARE_COLUMNS = [
    "family",
    "metric",
    "stage",
    "dimension",
    "benchmark_reps",
    "rest_reps",
    "benchmark_mean",
    "rest_mean",
    "team_mean",
    "gap",
    "ci_low",
    "ci_high",
    "p_raw",
    "p_adj",
    "effect_size",
    "suppressed",
]


# --- settings ----------------------------------------------------------------------------------


def consistency_settings(config: PilotConfig | None = None, **overrides: Any) -> dict[str, Any]:
    """The consistency rule: defaults, then ``config.capability.consistency``, then overrides.

    Works with configs that do not (yet) have the setting.

    Returns
    -------
    dict
        ``freq``, ``periods``, ``top_k_of_n``, ``top_share``, ``min_deals``.

    Raises
    ------
    ValueError
        When the rule cannot be met (``top_k_of_n`` above ``periods``) or a value is
        out of range.
    """
    out = dict(DEFAULT_CONSISTENCY)
    section = getattr(getattr(config, "capability", None), "consistency", None)
    if section is not None:
        data = section.model_dump() if hasattr(section, "model_dump") else dict(section)
        out.update({k: v for k, v in data.items() if k in out and v is not None})
    out.update({k: v for k, v in overrides.items() if v is not None})
    if not 0 < float(out["top_share"]) < 1:
        raise ValueError(f"top_share must be between 0 and 1 (e.g. 0.25); got {out['top_share']!r}")
    if int(out["periods"]) < 1 or not 1 <= int(out["top_k_of_n"]) <= int(out["periods"]):
        raise ValueError(
            "top_k_of_n must be between 1 and periods; got "
            f"top_k_of_n={out['top_k_of_n']!r}, periods={out['periods']!r}"
        )
    if int(out["min_deals"]) < 0:
        raise ValueError(f"min_deals must be 0 or more; got {out['min_deals']!r}")
    if not 0 <= float(out["min_probability"]) < 1:
        raise ValueError(
            f"min_probability must be in [0, 1) (e.g. 0.95); got {out['min_probability']!r}"
        )
    return out


def _assessor_setting(config: PilotConfig | None) -> str:
    value = getattr(getattr(config, "capability", None), "assessor", None)
    return str(value) if value else "manager"


# --- assessments --------------------------------------------------------------------------------


def assessment_scores(
    assessments: pd.DataFrame | None,
    config: PilotConfig,
    *,
    assessor: str | None = None,
) -> pd.DataFrame:
    """One score per rep and competency, from possibly several assessors.

    The latest assessment of each (rep, competency, assessor) is used. With
    ``assessor="manager"`` (the default) the manager's score is taken where there is
    one (any of :data:`MANAGER_NAMES`), else the mean of the other assessors; with
    ``"mean"`` the mean of all assessors; any other value keeps only that assessor.
    Scores stay on the config's scale (``capability.scale_min`` … ``scale_max``).

    Parameters
    ----------
    assessments : DataFrame or None
        Canonical assessments (rep_id, dimension as a competency id, score, optional
        assessed_at and assessor).
    config : PilotConfig
        Supplies the competencies; rows of other dimensions are left out.
    assessor : str, optional
        The policy; default ``config.capability.assessor`` when set, else "manager".

    Returns
    -------
    DataFrame
        ``rep_id | dimension | score | assessor_basis | assessors``; ``assessor_basis`` is the
        assessor used ("manager", a name, or "mean"), ``assessors`` how many were available.
    """
    columns = ["rep_id", "dimension", "score", "assessor_basis", "assessors"]
    if assessments is None or not len(assessments):
        return pd.DataFrame(columns=columns)
    policy = " ".join((assessor or _assessor_setting(config)).split())
    if not policy:
        raise ValueError("assessor must be 'manager', 'mean' or an assessor name; got ''")
    dims = [d.id for d in config.capability.dimensions]
    a = assessments[assessments["dimension"].astype(str).isin(dims)].copy()
    a["rep_id"] = a["rep_id"].astype(str)
    a["dimension"] = a["dimension"].astype(str)
    raw = a["assessor"] if "assessor" in a.columns else pd.Series("all", index=a.index)
    # Spaces collapsed: "Chen  Jing" and "Chen Jing" are one assessor (as when anonymised).
    who = raw.astype(object).where(raw.notna(), "unknown").astype(str).str.split().str.join(" ")
    is_manager = who.str.casefold().isin([m.casefold() for m in MANAGER_NAMES])
    a["who"] = np.where(is_manager, "manager", who)
    a = a.dropna(subset=["score"])
    if "assessed_at" in a.columns:
        a = a.sort_values("assessed_at", kind="stable", na_position="first")
    latest = a.drop_duplicates(["rep_id", "dimension", "who"], keep="last")
    counts = latest.groupby(["rep_id", "dimension"])["who"].nunique().rename("assessors")
    keys = ["rep_id", "dimension"]
    if policy.casefold() == "mean":
        scores = latest.groupby(keys)["score"].mean().to_frame()
        scores["assessor_basis"] = "mean"
    elif policy.casefold() == "manager":
        mean = latest.groupby(keys)["score"].mean().rename("mean")
        manager = latest[latest["who"] == "manager"].set_index(keys)["score"].rename("manager")
        scores = pd.concat([mean, manager], axis=1)
        scores["assessor_basis"] = np.where(scores["manager"].notna(), "manager", "mean")
        scores["score"] = scores["manager"].fillna(scores["mean"])
        scores = scores[["score", "assessor_basis"]]
    else:
        chosen = latest[latest["who"].str.casefold() == policy.casefold()]
        if not len(chosen):
            known = ", ".join(sorted(latest["who"].unique()))
            raise ValueError(
                f"assessor {policy!r} gave no score; use 'manager', 'mean' or one of: {known}"
            )
        scores = chosen.set_index(keys)[["score"]]
        scores["assessor_basis"] = policy
    scores = scores.join(counts)
    out = scores.reset_index()[columns]
    out["assessors"] = out["assessors"].astype(np.int64)
    return out.sort_values(keys, kind="stable").reset_index(drop=True)


def assessment_basis(scores: pd.DataFrame, language: str = "en") -> str:
    """One sentence saying which assessor's scores were used, for how many reps."""
    from playbook.i18n import t

    if not len(scores):
        return t("cap_no_assessments", language)
    by_rep = scores.groupby("rep_id")["assessor_basis"].agg(lambda s: s.mode().iloc[0])
    counts = by_rep.value_counts()
    manager = int(counts.get("manager", 0))
    mean = int(counts.get("mean", 0))
    other = int(len(by_rep) - manager - mean)
    if other:
        return t("cap_basis_named", language, name=by_rep[by_rep.ne("manager")].iloc[0], n=other)
    return t("cap_basis_manager", language, manager=manager, mean=mean)


# --- rep profile --------------------------------------------------------------------------------


def rep_stage_performance(
    deals: pd.DataFrame,
    stage_events: pd.DataFrame,
    config: PilotConfig,
    *,
    as_of=None,
    journey: JourneyData | None = None,
    model: MixModel | None = None,
) -> pd.DataFrame:
    """Per rep and stage over the whole analysed period: rate, interval, shrunk rate, and
    the same against the rep's deal mix.

    Returns
    -------
    DataFrame
        ``owner_id | from | to | entered | advanced | mature_n | rate | ci_low | ci_high |
        shrunk | team_rate | expected_rate | o_minus_e | o_e | adjusted_rate |
        adjusted_shrunk``; ``shrunk`` is the empirical-Bayes rate (prior fitted per stage
        across reps), ``team_rate`` the pooled rate of all reps. With a ``model``
        (:func:`playbook.steps.adjust.fit_mix_model`): ``expected_rate`` is what the company
        converts on the rep's deals, ``o_minus_e`` = rate − expected_rate, ``o_e`` =
        observed / expected, ``adjusted_rate`` the rate on the company's average mix
        (``o_e`` × the stage's mean expected rate) and ``adjusted_shrunk`` that rate shrunk
        like ``shrunk``; without a model they are NaN.
    """
    j = resolve(deals, stage_events, config, as_of, journey)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", SmallSampleWarning)
        sr = stage_rates(j.deals, stage_events, config, by="owner_id", min_n=0, journey=j)
    sr = sr.copy()
    sr["owner_id"] = sr["owner_id"].astype(str)
    sr["shrunk"] = np.nan
    sr["team_rate"] = np.nan
    for column in ("expected_rate", "o_minus_e", "o_e", "adjusted_rate", "adjusted_shrunk"):
        sr[column] = np.nan
    for _stage, idx in sr.groupby("from", observed=True).groups.items():
        adv = sr.loc[idx, "advanced"].to_numpy(dtype=float)
        n = sr.loc[idx, "mature_n"].to_numpy(dtype=float)
        team = adv.sum() / n.sum() if n.sum() else np.nan
        shrunk = shrink_rates(adv, n)
        sr.loc[idx, "shrunk"] = np.where(np.isnan(shrunk), team, shrunk)
        sr.loc[idx, "team_rate"] = team
    if model is not None:
        _add_like_deals(sr, model)
    sr["o_minus_e"] = sr["rate"] - sr["expected_rate"]
    cols = ["owner_id", "from", "to", "entered", "advanced", "mature_n", "rate", "ci_low"]
    cols += ["ci_high", "shrunk", "team_rate", "expected_rate", "o_minus_e", "o_e"]
    return sr[[*cols, "adjusted_rate", "adjusted_shrunk"]].reset_index(drop=True)


def _add_like_deals(sr: pd.DataFrame, model: MixModel) -> None:
    """The like-deals columns of :func:`rep_stage_performance`, in place."""
    sums = model.by_owner().set_index(["owner_id", "stage"])
    key = pd.MultiIndex.from_arrays([sr["owner_id"], sr["from"].astype(str)])
    e = sums["expected"].reindex(key).fillna(0.0).to_numpy()
    adv = sr["advanced"].to_numpy(dtype=float)
    n = sr["mature_n"].to_numpy(dtype=float)
    stage = sr["from"].cat.codes.to_numpy() if hasattr(sr["from"], "cat") else None
    if stage is None:
        stage = pd.factorize(sr["from"])[0]
    with np.errstate(invalid="ignore", divide="ignore"):
        base = (np.bincount(stage, weights=e) / np.bincount(stage, weights=n))[stage]
        adjusted = np.clip(np.where(e > 0, adv / e * base, np.nan), 0, 1)
        sr["expected_rate"] = np.where(n > 0, e / n, np.nan)
        sr["o_e"] = np.where(e > 0, adv / e, np.nan)
    adjusted_adv = np.nan_to_num(adjusted) * n
    shrunk = np.full(len(sr), np.nan)
    for code in np.unique(stage):
        sel = stage == code
        shrunk[sel] = shrink_rates(adjusted_adv[sel], n[sel])
    sr["adjusted_rate"] = adjusted
    sr["adjusted_shrunk"] = np.where(np.isnan(shrunk), sr["team_rate"], shrunk)


def _shrunk_rate(successes: pd.Series, n: pd.Series) -> np.ndarray:
    s = successes.to_numpy(dtype=float)
    m = n.to_numpy(dtype=float)
    out = shrink_rates(s, m)
    pooled = s.sum() / m.sum() if m.sum() else np.nan
    return np.where(np.isnan(out), pooled, out)


def rep_profile(
    stage_performance: pd.DataFrame,
    *,
    scores: pd.DataFrame | None = None,
    facts: pd.DataFrame | None = None,
    min_n: int = 5,
) -> pd.DataFrame:
    """Everything known about each rep, long form: stages, result, behaviour, customers,
    competencies.

    Parameters
    ----------
    stage_performance : DataFrame
        :func:`rep_stage_performance`.
    scores : DataFrame, optional
        :func:`assessment_scores`.
    facts : DataFrame, optional
        :func:`playbook.steps.plan.kpi.deal_facts` — for behaviour (meetings and sales
        activities per deal, first-contact hours, record completeness) and customers
        (renewal rate, shrunk toward the team; NPS).
    min_n : int
        A behaviour or customer value resting on fewer observations is left out.

    Returns
    -------
    DataFrame
        ``owner_id | family | metric | stage | dimension | value | n``. ``family`` is
        stage (``metric`` stage_rate: the shrunk rate, adjusted for the deal mix where
        ``stage_performance`` has it, see :func:`playbook.steps.adjust.compared_stage_rate`),
        result (conversion: the product of those stage rates), behaviour, customer or
        competency (``metric`` score, ``dimension`` the competency id).
    """
    frames = []
    sp = stage_performance
    if len(sp):
        frames.append(
            pd.DataFrame(
                {
                    "owner_id": sp["owner_id"].astype(str),
                    "family": "stage",
                    "metric": "stage_rate",
                    "stage": sp["from"].astype(str),
                    "dimension": None,
                    "value": compared_stage_rate(sp).to_numpy(dtype=float),
                    "n": sp["mature_n"].to_numpy(),
                }
            )
        )
        first = sp["from"].cat.categories[0] if hasattr(sp["from"], "cat") else sp["from"].iloc[0]
        conv = (
            sp.assign(_value=compared_stage_rate(sp))
            .groupby("owner_id", observed=True)
            .agg(value=("_value", "prod"))
        )
        conv["n"] = sp[sp["from"] == first].groupby("owner_id", observed=True)["entered"].sum()
        frames.append(
            conv.reset_index().assign(
                family="result", metric="conversion", stage=None, dimension=None
            )
        )
    if facts is not None and len(facts):
        by_rep = kpi_by_rep(
            facts,
            metrics=[
                "meetings_per_deal",
                "sales_activities_per_deal",
                "first_contact_hours",
                "record_completeness",
                "nps",
            ],
        )
        by_rep = by_rep[by_rep["n"] >= min_n]
        family = np.where(by_rep["dimension"] == "customer", "customer", "behaviour")
        frames.append(
            pd.DataFrame(
                {
                    "owner_id": by_rep["owner_id"].astype(str),
                    "family": family,
                    "metric": by_rep["metric"],
                    "stage": None,
                    "dimension": None,
                    "value": by_rep["value"],
                    "n": by_rep["n"],
                }
            )
        )
        renew = facts.groupby("owner_id")[["renewed_n", "renewal_due"]].sum()
        renew = renew[renew["renewal_due"] > 0]
        if len(renew):
            frames.append(
                pd.DataFrame(
                    {
                        "owner_id": renew.index.astype(str),
                        "family": "customer",
                        "metric": "renewal_rate",
                        "stage": None,
                        "dimension": None,
                        "value": _shrunk_rate(renew["renewed_n"], renew["renewal_due"]),
                        "n": renew["renewal_due"].astype(np.int64).to_numpy(),
                    }
                )
            )
    if scores is not None and len(scores):
        frames.append(
            pd.DataFrame(
                {
                    "owner_id": scores["rep_id"].astype(str),
                    "family": "competency",
                    "metric": "score",
                    "stage": None,
                    "dimension": scores["dimension"].astype(str),
                    "value": scores["score"].to_numpy(dtype=float),
                    "n": scores["assessors"].to_numpy(),
                }
            )
        )
    columns = ["owner_id", "family", "metric", "stage", "dimension", "value", "n"]
    if not frames:
        return pd.DataFrame(columns=columns)
    out = pd.concat([f[columns] for f in frames], ignore_index=True)
    out["n"] = pd.to_numeric(out["n"]).fillna(0).astype(np.int64)
    return out


# --- group comparisons (privacy-safe) -----------------------------------------------------------


def _split_sizes(k: int, m: int, min_group_size: int) -> tuple[bool, bool]:
    """(benchmark and rest shown?, team shown?) under complementary suppression."""
    sizes = pd.Series({"benchmark": k, "rest": m})
    sizes = sizes[sizes > 0]
    mapping = pool_small_groups(sizes, min_group_size, "all")
    split = all(v != "all" for v in mapping.values()) and len(sizes) == 2
    return split, (k + m) >= min_group_size


def compare_groups(
    profile: pd.DataFrame,
    benchmark: Sequence[str],
    *,
    min_group_size: int = 5,
    confidence: float = 0.95,
) -> pd.DataFrame:
    """Benchmark group against the rest of the team, metric by metric, privacy-safe.

    Each rep counts once (their value of the metric). The gap is ``benchmark_mean -
    rest_mean`` with a Welch t interval and two-sided p-value, adjusted by
    Benjamini–Hochberg within each family; ``effect_size`` is Hedges' g. Where the
    benchmark group or the rest has fewer than ``min_group_size`` reps, both means and
    the gap are suppressed (either one and the team mean would reveal the other), and
    the team mean too when the whole team is that small.

    Stage and result metrics are what the benchmark was selected on: their gaps are
    descriptive, not evidence.

    Parameters
    ----------
    profile : DataFrame
        :func:`rep_profile`.
    benchmark : sequence of str
        Rep ids of the benchmark group.

    Returns
    -------
    DataFrame
        ``family | metric | stage | dimension | benchmark_reps | rest_reps |
        benchmark_mean | rest_mean | team_mean | gap | ci_low | ci_high | p_raw | p_adj |
        effect_size | suppressed``.
    """
    if not len(profile):
        return pd.DataFrame(columns=COMPARE_COLUMNS)
    p = profile.dropna(subset=["value"]).copy()
    p["group"] = np.where(p["owner_id"].isin(set(map(str, benchmark))), "b", "r")
    keys = ["family", "metric", "stage", "dimension"]
    p[["stage", "dimension"]] = p[["stage", "dimension"]].fillna("")
    agg = p.groupby([*keys, "group"], sort=False)["value"].agg(["mean", "var", "count"])
    wide = agg.unstack("group")
    for g in ("b", "r"):
        for stat in ("mean", "var", "count"):
            if (stat, g) not in wide.columns:
                wide[(stat, g)] = np.nan
    team = p.groupby(keys, sort=False)["value"].mean()
    m1, m2 = wide[("mean", "b")].to_numpy(), wide[("mean", "r")].to_numpy()
    v1, v2 = wide[("var", "b")].to_numpy(), wide[("var", "r")].to_numpy()
    n1 = wide[("count", "b")].fillna(0).to_numpy()
    n2 = wide[("count", "r")].fillna(0).to_numpy()
    with np.errstate(invalid="ignore", divide="ignore"):
        se2 = v1 / n1 + v2 / n2
        se = np.sqrt(se2)
        df = se2**2 / ((v1 / n1) ** 2 / (n1 - 1) + (v2 / n2) ** 2 / (n2 - 1))
        gap = m1 - m2
        crit = _st.t.ppf(0.5 + confidence / 2, df)
        tstat = gap / se
        pval = 2 * _st.t.sf(np.abs(tstat), df)
        pooled = np.sqrt(((n1 - 1) * v1 + (n2 - 1) * v2) / (n1 + n2 - 2))
        hedges = gap / pooled * (1 - 3 / (4 * (n1 + n2) - 9))
    pval = np.where(se > 0, pval, np.where(gap != 0, 0.0, 1.0))
    out = wide.index.to_frame(index=False)
    out["benchmark_reps"] = n1.astype(np.int64)
    out["rest_reps"] = n2.astype(np.int64)
    out["benchmark_mean"] = m1
    out["rest_mean"] = m2
    out["team_mean"] = team.reindex(wide.index).to_numpy()
    out["gap"] = gap
    out["ci_low"] = gap - crit * se
    out["ci_high"] = gap + crit * se
    out["p_raw"] = pval
    out["effect_size"] = hedges
    shown = [_split_sizes(int(a), int(b), min_group_size) for a, b in zip(n1, n2, strict=True)]
    split = np.array([s for s, _ in shown], dtype=bool)
    whole = np.array([w for _, w in shown], dtype=bool)
    hide = ["benchmark_mean", "rest_mean", "gap", "ci_low", "ci_high", "p_raw", "effect_size"]
    out.loc[~split, hide] = np.nan
    out.loc[~whole, "team_mean"] = np.nan
    out["suppressed"] = ~split
    out["p_adj"] = np.nan
    for _fam, idx in out.groupby("family").groups.items():
        out.loc[idx, "p_adj"] = benjamini_hochberg(out.loc[idx, "p_raw"].to_numpy(dtype=float))
    out[["stage", "dimension"]] = out[["stage", "dimension"]].replace("", None)
    return out[COMPARE_COLUMNS]


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


# --- display views -------------------------------------------------------------------------------


def _pct_text(value: float) -> str:
    return "" if pd.isna(value) else f"{100 * value:.1f}%"


def consistency_view(consistency: pd.DataFrame, language: str = "en") -> pd.DataFrame:
    """The consistency table as shown in the report: status in words, rates as text, and
    — when reps were compared on like deals — the raw ranking beside the adjusted one.

    Returns
    -------
    DataFrame
        ``owner_id | status | top_periods | eligible_periods | conversion |
        conversion_without_best | team_conversion | prob_above_team | reason``; the
        conversions are percentages as text, ``prob_above_team`` two decimals. Adjusted:
        ``owner_id | status | unadjusted_status | adjusted_rank | unadjusted_rank |
        top_periods | eligible_periods | adjusted_conversion | unadjusted_conversion |
        expected_conversion | o_e | conversion_without_best | team_conversion |
        prob_above_team | reason`` (``adjusted_conversion`` is ``conversion``).
    """
    from playbook.i18n import t

    adjusted = "unadjusted_status" in consistency.columns and bool(
        consistency["unadjusted_status"].astype(str).ne("").any()
    )
    cols = ["owner_id", "status", "top_periods", "eligible_periods", "conversion"]
    cols += ["conversion_without_best", "team_conversion", "prob_above_team", "reason"]
    if adjusted:
        cols[2:2] = ["unadjusted_status", "adjusted_rank", "unadjusted_rank"]
        cols[cols.index("conversion") + 1 : cols.index("conversion") + 1] = [
            "unadjusted_conversion",
            "expected_conversion",
            "o_e",
        ]
    out = consistency[[c for c in cols if c in consistency.columns]].copy()
    for column in ("status", "unadjusted_status"):
        if column in out:
            out[column] = [t(f"cap_status_{s}", language) if s else "" for s in out[column]]
    for column in ("adjusted_rank", "unadjusted_rank"):
        if column in out:
            out[column] = out[column].astype("Int64")
    for column in (
        "conversion",
        "unadjusted_conversion",
        "expected_conversion",
        "conversion_without_best",
        "team_conversion",
    ):
        if column in out:
            out[column] = [_pct_text(v) for v in out[column]]
    for column in ("prob_above_team", "o_e"):
        if column in out:
            out[column] = ["" if pd.isna(v) else f"{v:.2f}" for v in out[column]]
    if adjusted:
        out = out.rename(columns={"conversion": "adjusted_conversion"})
    return out.reset_index(drop=True)


_PERCENT_METRICS = {"stage_rate", "conversion", "record_completeness", "renewal_rate"}


def _value_text(metric: str, value: float, *, signed: bool = False) -> str:
    if pd.isna(value):
        return ""
    if metric in _PERCENT_METRICS:
        return f"{100 * value:+.1f} pt" if signed else f"{100 * value:.1f}%"
    return f"{value:+.2f}" if signed else f"{value:.2f}"


def profile_view(
    comparison: pd.DataFrame, config: PilotConfig, language: str = "en"
) -> pd.DataFrame:
    """What consistent strong converters do differently, one readable row per metric.

    Values are text in each metric's unit (rates in %, gaps of rates in points);
    suppressed rows are empty and marked. Stage and conversion rows say "on like deals" when
    ``comparison.attrs["adjusted_for"]`` names the dimensions they were adjusted for (as
    :func:`analyse` sets it).

    Returns
    -------
    DataFrame
        ``label | benchmark_reps | rest_reps | benchmark_mean | rest_mean | gap | ci_low |
        ci_high | p_adj | suppressed`` — stages, conversion, behaviour, customers, then
        competencies.
    """
    from playbook.i18n import TEXT, t

    cols = [
        "label",
        "benchmark_reps",
        "rest_reps",
        "benchmark_mean",
        "rest_mean",
        "gap",
        "ci_low",
        "ci_high",
        "p_adj",
        "suppressed",
    ]
    if not len(comparison):
        return pd.DataFrame(columns=cols)

    like_deals = (
        t("cap_like_deals_suffix", language) if comparison.attrs.get("adjusted_for") else ""
    )

    def label(r) -> str:
        if r.family == "stage":
            ids = config.funnel.ids
            nxt = ids[ids.index(r.stage) + 1] if r.stage in ids[:-1] else r.stage
            stage = config.stage_label(r.stage, language)
            return f"{stage} → {config.stage_label(nxt, language)}{like_deals}"
        if r.family == "competency":
            return _dim_label(config, r.dimension, language)
        if r.metric == "conversion":
            return t("cap_conversion_label", language) + like_deals
        key = f"kpi_{r.metric}"
        return TEXT[key][language] if key in TEXT else str(r.metric)

    order = {"stage": 0, "result": 1, "behaviour": 2, "customer": 3, "competency": 4}
    dims = {d.id: i for i, d in enumerate(config.capability.dimensions)}
    src = comparison.assign(
        _o=comparison["family"].map(order),
        _d=comparison["dimension"].map(dims).fillna(-1),
    ).sort_values(["_o", "_d"], kind="stable")
    out = pd.DataFrame(
        {
            "label": [label(r) for r in src.itertuples(index=False)],
            "benchmark_reps": src["benchmark_reps"].to_numpy(),
            "rest_reps": src["rest_reps"].to_numpy(),
        }
    )
    metrics = src["metric"].to_numpy()
    for column, signed in (
        ("benchmark_mean", False),
        ("rest_mean", False),
        ("gap", True),
        ("ci_low", True),
        ("ci_high", True),
    ):
        out[column] = [
            _value_text(m, v, signed=signed)
            for m, v in zip(metrics, src[column].to_numpy(), strict=True)
        ]
    out["p_adj"] = src["p_adj"].to_numpy(dtype=float)
    out["suppressed"] = src["suppressed"].to_numpy(dtype=bool)
    return out[cols]


def findings_view(findings: Sequence[Finding]) -> pd.DataFrame:
    """Findings as a table: ``severity | kind | evidence``."""
    return pd.DataFrame(
        [{"severity": f.severity, "kind": f.kind, "evidence": f.evidence} for f in findings],
        columns=["severity", "kind", "evidence"],
    )


# --- findings -----------------------------------------------------------------------------------


def _dim_label(config: PilotConfig, dim: str, language: str) -> str:
    for d in config.capability.dimensions:
        if d.id == dim:
            return d.label_zh if language == "zh" else d.label_en
    return dim


def capability_findings(
    consistency: pd.DataFrame,
    comparison: pd.DataFrame,
    links: pd.DataFrame,
    config: PilotConfig,
    *,
    settings: dict[str, Any] | None = None,
    alpha: float = 0.05,
    language: str | None = None,
    adjusted_for: Sequence[str] | None = None,
) -> list[Finding]:
    """Findings: the benchmark group's profile and the team's competency gaps.

    ``top_performer_profile`` — one for the group (its conversion against the rest),
    one per behaviour or customer metric where the group differs credibly
    (BH-adjusted p < ``alpha``). ``capability_gap`` — one per competency where the
    benchmark scores credibly higher than the rest of the team; ``observed`` is the
    rest's mean score, ``baseline`` the benchmark's, ``stage`` the stage whose rates
    correlate most with the competency (when credible). Severity 3 when the gap is at
    least 15% of the scale, p_adj < 0.01 and a stage is linked; 2 when it is at least
    10% of the scale; else 1. Nothing is reported about suppressed
    groups. Every finding carries ``adjusted_for``, the deal-mix dimensions the group was
    chosen on (empty list: raw conversion).

    Returns
    -------
    list of Finding
        Most important first.
    """
    from playbook.i18n import t

    language = language or config.language
    settings = settings or consistency_settings(config)
    used = list(adjusted_for or [])
    findings: list[Finding] = []
    if comparison is None or not len(comparison):
        return findings
    members = consistency.loc[consistency["consistent"], "owner_id"] if len(consistency) else []
    k = len(members)
    span = float(config.capability.scale_max - config.capability.scale_min)
    conv = comparison[(comparison["family"] == "result") & (comparison["metric"] == "conversion")]
    if k and len(conv) and not bool(conv["suppressed"].iloc[0]):
        row = conv.iloc[0]
        gaps = capability_gaps(comparison, config)
        credible = gaps[(gaps["p_adj"] < alpha) & (gaps["gap"] > 0)].head(3)
        strengths = ", ".join(
            f"{_dim_label(config, d, language)} (+{g:.1f})"
            for d, g in zip(credible["dimension"], credible["gap"], strict=True)
        )
        key = "cap_finding_profile" if strengths else "cap_finding_profile_plain"
        key += "_adjusted" if used else ""
        freq_word = t(f"cap_period_{_freq_key(settings['freq'])}", language)
        findings.append(
            Finding(
                kind="top_performer_profile",
                severity=2,
                adjusted_for=used,
                metric="lead_to_won_conversion",
                observed=float(row["benchmark_mean"]),
                baseline=float(row["rest_mean"]),
                ci_low=float(row["benchmark_mean"] - (row["gap"] - row["ci_low"])),
                ci_high=float(row["benchmark_mean"] + (row["ci_high"] - row["gap"])),
                n=int(row["benchmark_reps"]),
                evidence=t(
                    key,
                    language,
                    k=k,
                    share=f"{100 * settings['top_share']:.0f}%",
                    top=settings["top_k_of_n"],
                    n=settings["periods"],
                    periods=freq_word,
                    conv=f"{100 * row['benchmark_mean']:.1f}%",
                    rest=f"{100 * row['rest_mean']:.1f}%",
                    strengths=strengths,
                    **({"dims": _dimension_list(used, language)} if used else {}),
                ),
                impact=float(row["gap"]),
                extra={
                    "benchmark_reps": int(row["benchmark_reps"]),
                    "rest_reps": int(row["rest_reps"]),
                },
            )
        )
        beh = comparison[
            comparison["family"].isin(["behaviour", "customer"])
            & ~comparison["suppressed"].astype(bool)
            & (comparison["p_adj"] < alpha)
        ]
        for r in beh.itertuples(index=False):
            findings.append(
                Finding(
                    kind="top_performer_profile",
                    severity=1,
                    adjusted_for=used,
                    metric=str(r.metric),
                    observed=float(r.benchmark_mean),
                    baseline=float(r.rest_mean),
                    ci_low=float(r.benchmark_mean - (r.gap - r.ci_low)),
                    ci_high=float(r.benchmark_mean + (r.ci_high - r.gap)),
                    n=int(r.benchmark_reps),
                    p_value=float(r.p_adj),
                    evidence=t(
                        "cap_finding_behaviour",
                        language,
                        metric=t(f"kpi_{r.metric}", language),
                        value=_fmt(r.metric, r.benchmark_mean),
                        rest=_fmt(r.metric, r.rest_mean),
                        k=int(r.benchmark_reps),
                        m=int(r.rest_reps),
                    ),
                    impact=abs(float(r.effect_size)) if pd.notna(r.effect_size) else 0.0,
                )
            )
    gaps = capability_gaps(comparison, config)
    gaps = gaps[~gaps["suppressed"] & (gaps["p_adj"] < alpha) & (gaps["gap"] > 0)]
    for r in gaps.itertuples(index=False):
        link = None
        if links is not None and len(links):
            lk = links[(links["dimension"] == r.dimension) & (links["p_adj"] < alpha)]
            lk = lk[lk["r"] > 0].sort_values("r", ascending=False)
            if len(lk):
                link = lk.iloc[0]
        rel = r.gap / span if span > 0 else 0.0
        strong = r.p_adj < 0.01
        if rel >= 0.15 and strong and link is not None:
            severity = 3
        elif rel >= 0.1:
            severity = 2
        else:
            severity = 1
        label = _dim_label(config, r.dimension, language)
        # interval of the rest's mean, from the gap's standard error split is not
        # available: report the gap interval in extra and the rest mean's own here
        text = t(
            "cap_finding_gap",
            language,
            dimension=label,
            rest=f"{r.rest_mean:.1f}",
            bench=f"{r.benchmark_mean:.1f}",
            lo=f"{r.ci_low:.1f}",
            hi=f"{r.ci_high:.1f}",
            k=int(r.benchmark_reps),
            m=int(r.rest_reps),
        )
        if link is not None:
            text += t(
                "cap_finding_gap_link",
                language,
                stage=config.stage_label(str(link["stage"]), language),
                r=f"{link['r']:.2f}",
            )
        findings.append(
            Finding(
                kind="capability_gap",
                severity=severity,
                adjusted_for=used,
                dimension="dimension",
                value=str(r.dimension),
                stage=None if link is None else str(link["stage"]),
                metric="assessment_score",
                observed=float(r.rest_mean),
                baseline=float(r.benchmark_mean),
                ci_low=float(r.rest_mean - (r.ci_high - r.gap)),
                ci_high=float(r.rest_mean + (r.gap - r.ci_low)),
                n=int(r.rest_reps),
                p_value=float(r.p_adj),
                evidence=text,
                impact=float(rel),
                extra={
                    "gap": float(r.gap),
                    "gap_ci_low": float(r.ci_low),
                    "gap_ci_high": float(r.ci_high),
                    "benchmark_reps": int(r.benchmark_reps),
                    "effect_size": float(r.effect_size),
                    "link_r": None if link is None else float(link["r"]),
                },
            )
        )
    return rank(findings)


def _dimension_list(dimensions: Sequence[str], language: str) -> str:
    """The adjusted-for dimensions in words, e.g. "region, deal-size band"."""
    from playbook.i18n import TEXT

    sep = "、" if language == "zh" else ", "
    return sep.join(
        TEXT[f"adj_dim_{d}"][language] if f"adj_dim_{d}" in TEXT else d for d in dimensions
    )


def _freq_key(freq: str) -> str:
    f = str(freq).upper().lstrip("0123456789")
    return {"Q": "q", "QS": "q", "M": "m", "MS": "m", "Y": "y", "A": "y", "W": "w"}.get(
        f.split("-")[0], "p"
    )


def _fmt(metric: str, value: float) -> str:
    if metric in ("record_completeness", "renewal_rate", "first_contact_sla"):
        return f"{100 * value:.0f}%"
    return f"{value:.1f}"


# --- the whole step -----------------------------------------------------------------------------


@dataclass
class CapabilityStudy:
    """Everything step 4 shows (see :func:`analyse`)."""

    settings: dict[str, Any]
    rates: pd.DataFrame
    ranking: pd.DataFrame
    consistency: pd.DataFrame
    benchmark: list[str]
    benchmark_suppressed: bool
    scores: pd.DataFrame
    basis: str
    stage_performance: pd.DataFrame
    facts: pd.DataFrame | None
    profile: pd.DataFrame
    comparison: pd.DataFrame
    gaps: pd.DataFrame
    links: pd.DataFrame
    team_scores: pd.DataFrame
    rep_gaps: pd.DataFrame
    focus: list[str]
    findings: list[Finding]
    notes: list[str] = field(default_factory=list)
    #: competency id -> label in the report language, in config order
    dimension_labels: dict[str, str] = field(default_factory=dict)
    #: the assessment scale (scale_min, scale_max)
    scale: tuple[float, float] = (1.0, 5.0)
    #: what a figure says where a group value is not shown
    suppressed_label: str = "suppressed"
    #: the deal-mix model reps are compared against (None: raw comparisons)
    model: MixModel | None = None
    #: per rep and stage: observed against expected from the deal mix
    #: (:func:`playbook.steps.adjust.observed_vs_expected`)
    rep_adjusted: pd.DataFrame = field(default_factory=pd.DataFrame)

    @property
    def adjusted_for(self) -> list[str]:
        """The deal-mix dimensions people were compared on (empty: raw comparisons)."""
        return self.model.adjusted_for if self.model is not None else []

    def kpis(self) -> dict[str, dict]:
        """Headline numbers for the report: the benchmark group's size."""
        ranked = (
            int(self.consistency["eligible_periods"].gt(0).sum()) if len(self.consistency) else 0
        )
        return {
            "strong_converters": {
                "value": len(self.benchmark),
                "n": ranked,
                "unit": "reps",
            }
        }


def analyse(
    data: Any,
    *,
    language: str | None = None,
    as_of=None,
    assessor: str | None = None,
    min_group_size: int | None = None,
    seed: int = 0,
    adjust: bool | None = None,
    **consistency: Any,
) -> CapabilityStudy:
    """Run step 4 on a :class:`playbook.workspace.load.Dataset` (or any object with its tables).

    Parameters
    ----------
    data : Dataset
        ``config``, ``deals``, ``stage_events`` and optional ``activities``, ``reps``,
        ``assessments``, ``outcomes``.
    language : {"en", "zh"}, optional
        Report language (default ``config.language``).
    as_of : datetime-like, optional
        Analysis date.
    assessor : str, optional
        Assessment policy (see :func:`assessment_scores`).
    min_group_size : int, optional
        Default ``config.min_group_size``.
    seed : int
        Seed of the posterior draws behind conversion intervals.
    adjust : bool, optional
        Compare reps against their deal mix (:mod:`playbook.steps.adjust`); default
        ``adjustment.enabled`` of the config (on).
    **consistency
        Overrides of :data:`DEFAULT_CONSISTENCY` (freq, periods, top_k_of_n, top_share,
        min_deals, min_probability).

    Returns
    -------
    CapabilityStudy
    """
    from playbook.i18n import t
    from playbook.steps.journey import prepare

    config: PilotConfig = data.config
    language = language or config.language
    settings = consistency_settings(config, **consistency)
    mgs = int(min_group_size if min_group_size is not None else config.min_group_size)
    j = prepare(data.deals, data.stage_events, config, as_of)
    model = fit_mix_model(j, config, enabled=adjust)
    if not model.adjusted_for:
        model = None
    rates = rep_period_rates(
        data.deals,
        data.stage_events,
        config,
        freq=settings["freq"],
        periods=settings["periods"],
        journey=j,
        model=model,
    )
    ranking = rank_periods(
        rates, top_share=settings["top_share"], min_deals=settings["min_deals"], seed=seed
    )
    consistency_table = consistent_converters(
        ranking,
        rates=rates,
        top_k_of_n=settings["top_k_of_n"],
        min_probability=settings["min_probability"],
        seed=seed,
        periods=settings["periods"],
        top_share=settings["top_share"],
        min_deals=settings["min_deals"],
        language=language,
        mix_reasons=(
            (lambda who: mix_reasons(model, config, language=language, owners=who))
            if model is not None
            else None
        ),
    )
    notes: list[str] = []
    if model is not None:
        notes.extend(model.notes)
    available = ranking["period"].nunique() if len(ranking) else 0
    if available < settings["top_k_of_n"]:
        notes.append(
            t(
                "cap_too_few_periods",
                language,
                available=available,
                k=settings["top_k_of_n"],
            )
        )
    benchmark = (
        consistency_table.loc[consistency_table["consistent"], "owner_id"].astype(str).tolist()
    )
    scores = assessment_scores(data.assessments, config, assessor=assessor)
    sp = rep_stage_performance(data.deals, data.stage_events, config, journey=j, model=model)
    facts = deal_facts(
        j.deals,
        config,
        stage_events=data.stage_events,
        activities=data.activities,
        outcomes=data.outcomes,
        reps=data.reps,
        as_of=j.as_of,
        expected_won=expected_wins(model, j.status, aligned=True) if model is not None else None,
    )
    profile = rep_profile(sp, scores=scores, facts=facts)
    comparison = compare_groups(profile, benchmark, min_group_size=mgs)
    comparison.attrs["adjusted_for"] = model.adjusted_for if model is not None else []
    reps_total = profile["owner_id"].nunique() if len(profile) else 0
    suppressed = (
        bool(benchmark) and not _split_sizes(len(benchmark), reps_total - len(benchmark), mgs)[0]
    )
    if suppressed:
        notes.append(t("cap_benchmark_suppressed", language, k=len(benchmark), min=mgs))
    if not benchmark:
        notes.append(t("cap_no_benchmark", language))
    links = stage_competency_links(profile)
    gaps = capability_gaps(comparison, config)
    rg = rep_gaps(scores, comparison)
    team_scores = team_capability(
        scores, data.reps, min_group_size=mgs, other=t("other_teams", language)
    )
    findings = capability_findings(
        consistency_table,
        comparison,
        links,
        config,
        settings=settings,
        language=language,
        adjusted_for=model.adjusted_for if model is not None else None,
    )
    return CapabilityStudy(
        settings=settings,
        rates=rates,
        ranking=ranking,
        consistency=consistency_table,
        benchmark=benchmark,
        benchmark_suppressed=suppressed,
        scores=scores,
        basis=assessment_basis(scores, language),
        stage_performance=sp,
        facts=facts,
        profile=profile,
        comparison=comparison,
        gaps=gaps,
        links=links,
        team_scores=team_scores,
        rep_gaps=rg,
        focus=focus_reps(rg, exclude=benchmark),
        findings=findings,
        notes=notes,
        dimension_labels={
            d.id: (d.label_zh if language == "zh" else d.label_en)
            for d in config.capability.dimensions
        },
        scale=(float(config.capability.scale_min), float(config.capability.scale_max)),
        suppressed_label=(
            t("cap_suppressed_note", language, min=mgs)
            if benchmark
            else t("cap_no_benchmark_short", language)
        ),
        model=model,
        rep_adjusted=(model.by_owner() if model is not None else pd.DataFrame()),
    )
