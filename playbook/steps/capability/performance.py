"""How each rep converts per stage (raw and on like deals), their profile, and group comparisons."""

from __future__ import annotations

import warnings
from collections.abc import Sequence

import numpy as np
import pandas as pd
from scipy import stats as _st

from playbook.stats import (
    SmallSampleWarning,
    benjamini_hochberg,
    shrink_rates,
)
from playbook.steps.adjust import (
    MixModel,
    compared_stage_rate,
)
from playbook.steps.journey import JourneyData
from playbook.steps.journey.tables import over_journey_and_frames
from playbook.steps.plan.kpi import kpi_by_rep
from playbook.steps.prepared import takes_pilot
from playbook.steps.stages import stage_rates
from playbook.workspace.config import PilotConfig
from playbook.workspace.privacy import pool_small_groups

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


@takes_pilot
@over_journey_and_frames
def rep_stage_performance(
    j: JourneyData,
    stage_events: pd.DataFrame,
    config: PilotConfig,
    *,
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
    sp = stage_performance
    frames: list[pd.DataFrame] = list(_stage_rows(sp)) if len(sp) else []
    if facts is not None and len(facts):
        frames.extend(_fact_rows(facts, min_n))
    if scores is not None and len(scores):
        frames.append(
            _rows(
                scores["rep_id"].astype(str),
                "competency",
                "score",
                scores["score"].to_numpy(dtype=float),
                scores["assessors"].to_numpy(),
                dimension=scores["dimension"].astype(str),
            )
        )
    columns = ["owner_id", "family", "metric", "stage", "dimension", "value", "n"]
    if not frames:
        return pd.DataFrame(columns=columns)
    out = pd.concat([f[columns] for f in frames], ignore_index=True)
    out["n"] = pd.to_numeric(out["n"]).fillna(0).astype(np.int64)
    return out


def _rows(owner_id, family, metric, value, n, *, stage=None, dimension=None) -> pd.DataFrame:
    """Rows of :func:`rep_profile`'s long form (columns in its order)."""
    return pd.DataFrame(
        {
            "owner_id": owner_id,
            "family": family,
            "metric": metric,
            "stage": stage,
            "dimension": dimension,
            "value": value,
            "n": n,
        }
    )


def _stage_rows(sp: pd.DataFrame) -> tuple[pd.DataFrame, pd.DataFrame]:
    """Each rep's stage rates (on like deals where known) and their product, conversion."""
    rates = _rows(
        sp["owner_id"].astype(str),
        "stage",
        "stage_rate",
        compared_stage_rate(sp).to_numpy(dtype=float),
        sp["mature_n"].to_numpy(),
        stage=sp["from"].astype(str),
    )
    first = sp["from"].cat.categories[0] if hasattr(sp["from"], "cat") else sp["from"].iloc[0]
    conv = (
        sp.assign(_value=compared_stage_rate(sp))
        .groupby("owner_id", observed=True)
        .agg(value=("_value", "prod"))
    )
    conv["n"] = sp[sp["from"] == first].groupby("owner_id", observed=True)["entered"].sum()
    conversion = conv.reset_index().assign(
        family="result", metric="conversion", stage=None, dimension=None
    )
    return rates, conversion


def _fact_rows(facts: pd.DataFrame, min_n: int) -> list[pd.DataFrame]:
    """Behaviour and customer metrics per rep from the deal facts, renewal rate shrunk."""
    metrics = [
        "meetings_per_deal",
        "sales_activities_per_deal",
        "first_contact_hours",
        "record_completeness",
        "nps",
    ]
    by_rep = kpi_by_rep(facts, metrics=metrics)
    by_rep = by_rep[by_rep["n"] >= min_n]
    family = np.where(by_rep["dimension"] == "customer", "customer", "behaviour")
    frames = [
        _rows(
            by_rep["owner_id"].astype(str), family, by_rep["metric"], by_rep["value"], by_rep["n"]
        )
    ]
    renew = facts.groupby("owner_id")[["renewed_n", "renewal_due"]].sum()
    renew = renew[renew["renewal_due"] > 0]
    if len(renew):
        frames.append(
            _rows(
                renew.index.astype(str),
                "customer",
                "renewal_rate",
                _shrunk_rate(renew["renewed_n"], renew["renewal_due"]),
                renew["renewal_due"].astype(np.int64).to_numpy(),
            )
        )
    return frames


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
