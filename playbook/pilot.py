"""Step 7, the pilot: did it really lift conversion?

Pilots are assigned by rep or team, not by deal, so every inference treats the *unit*
(rep or team) as the independent observation. :func:`evaluate` compares pilot and
control on deals created from the start, per stage (censoring-aware rates of
:func:`playbook.stages.stage_rates`) and end to end (product of the stage rates); with a
pre-period for both groups, the lift is the difference-in-differences. Intervals are
cluster-robust by unit; p-values come from re-assigning units to pilot/control at
random (:mod:`playbook.pilot_inference`). Sizing a pilot lives in
:mod:`playbook.pilot_design`, the settings in :mod:`playbook.pilot_settings`; all are
re-exported here.
"""

from __future__ import annotations

import logging
import math
from dataclasses import dataclass, field
from typing import Any

import numpy as np
import pandas as pd
from scipy import stats as _st

from playbook.findings import Finding
from playbook.i18n import t
from playbook.pilot_design import (
    design,
    design_from_data,
    icc_anova,
    power,
    power_curve,
    recommend_split,
)
from playbook.pilot_inference import POST, PRE, cluster_inference, se_floor
from playbook.pilot_settings import PilotSettings, settings, unit_kind, unit_of
from playbook.stats import benjamini_hochberg, format_probability

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


def _weeks(start: pd.Timestamp, end: pd.Timestamp) -> float:
    return max((end - start).total_seconds() / (7 * 86400), 1 / 7)


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
    kind = unit_kind(pilot)
    if kind == "team" and (reps is None or "team" not in reps):
        kind = "rep"
    unit = unit_of(deals.reset_index(drop=True), reps, kind)
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
            return Assignment(empty, None, None, kind, membership, problem="pilot_no_reps")
        if not pilot.start:
            return Assignment(empty, None, None, kind, membership, problem="pilot_no_start")
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
            return Assignment(empty, None, None, kind, membership, problem="pilot_none")
        raw = deals[pilot.group_column].astype(object).reset_index(drop=True)
        label = raw.where(raw.isin([pilot.pilot_value, pilot.control_value]), None)
        if label.isna().all():
            return Assignment(empty, None, None, kind, membership, problem="pilot_none")
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
    return Assignment(frame, start, end, kind, membership, dropped, problem)


# --- inference core ------------------------------------------------------------------------


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
    floor = se_floor(A, N, is_pilot, has_pre)
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
        "prob": format_probability(row["prob_positive"]),
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
