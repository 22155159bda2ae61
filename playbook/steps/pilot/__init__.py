"""Step 7, the pilot: did it really lift conversion, comparing like with like?

Pilots are assigned by rep or team, not by deal, so every inference treats the *unit*
(rep or team) as the independent observation. :func:`evaluate` first checks that the
pilot and control groups are alike (:mod:`playbook.steps.pilot.arms`: the design, the balance
of the groups on every slice dimension and deal size, whether they overlap at all), then
compares them on deals created from the start, per stage (censoring-aware rates of
:func:`playbook.steps.stages.stage_rates`) and end to end (product of the stage rates):

* with a pre-period for both groups, the lift is the difference-in-differences; intervals
  are cluster-robust by unit, p-values come from re-assigning units to pilot/control at
  random (:mod:`playbook.steps.pilot.inference`);
* without one, the lift is estimated among deals alike in their mix
  (:mod:`playbook.steps.pilot.regression`), or not at all when the groups share no region (or
  segment, …).

What the verdict may claim follows the design (:mod:`playbook.steps.pilot.verdict`). Sizing a
pilot lives in :mod:`playbook.steps.pilot.design`, the settings and the assignment of deals in
:mod:`playbook.steps.pilot.settings`; all are re-exported here.
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
from playbook.stats import format_probability
from playbook.steps.pilot.arms import MIX_BIAS_SHARE, ArmsCheck, check_arms, mix_dimensions
from playbook.steps.pilot.design import (
    design,
    design_from_data,
    icc_anova,
    power,
    power_curve,
    recommend_split,
)
from playbook.steps.pilot.inference import POST, PRE, cluster_inference, se_floor
from playbook.steps.pilot.regression import adjusted_effects
from playbook.steps.pilot.settings import Assignment, PilotSettings, assign, settings
from playbook.steps.pilot.verdict import (
    adjust_across_stages,
    balance_shown,
    balance_text,
    caveats,
    dimensions_shown,
    dims_text,
    fmt_p,
    kpis_of,
    method_sentence,
    pilot_findings,
    pts,
    stage_roles,
    verdict_code,
    verdict_sentence,
)
from playbook.steps.prepared import takes_pilot

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
    "raw_effect",
    "p_raw",
    "p_adj",
    "prob_positive",
    "mde",
    "more_deals",
    "more_weeks",
    "role",
]


def _weeks(start: pd.Timestamp, end: pd.Timestamp) -> float:
    return max((end - start).total_seconds() / (7 * 86400), 1 / 7)


# --- evaluation ----------------------------------------------------------------------------


@dataclass
class PilotResult:
    """What :func:`evaluate` found.

    Attributes
    ----------
    available : False when there is no pilot to evaluate (``message`` says why).
    groups : ``group | period | units | deals | first_created | last_created``.
    effects : one row per stage and one end to end: see :data:`EFFECT_COLUMNS`; ``effect``
        is the design's estimate (difference-in-differences, post-period difference or
        mix-adjusted), ``raw_effect`` the plain post-period difference beside it, ``role``
        one of :data:`playbook.steps.pilot.verdict.ROLES`.
    trend : monthly rates of the primary stage per group (``group | cohort | rate | ci_low |
        ci_high | mature_n | immature_cohort``).
    stage, stage_label : the primary from-stage id (target stage, else the stage with the
        strongest evidence; the first stage when nothing was evaluated) and its
        "From → To" label in the report language.
    group_labels : group value -> display name (for legends).
    primary : the effects row the verdict is about (a dict).
    verdict : one of :data:`playbook.steps.pilot.verdict.VERDICTS`.
    design : randomised, difference_in_differences or post_only.
    design_text : sentences naming the design and the balance of the arms.
    adjusted_for : the deal-mix dimensions the estimate is adjusted for.
    arms : the balance check (:class:`playbook.steps.pilot.arms.ArmsCheck`), None when unavailable.
    balance : the arms' share per category of every dimension, with standardised
        differences (:func:`playbook.steps.pilot.arms.arm_balance`).
    balance_dimensions : one line per dimension: ``dimension | categories | std_diff |
        overlap | shift | status`` (status in the report language).
    pre_balance : each stage's conversion in the two arms before the start (empty
        without a pre-period).
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
    design: str = ""
    design_text: list[str] = field(default_factory=list)
    adjusted_for: list[str] = field(default_factory=list)
    arms: ArmsCheck | None = None
    balance: pd.DataFrame = field(default_factory=pd.DataFrame)
    balance_dimensions: pd.DataFrame = field(default_factory=pd.DataFrame)
    pre_balance: pd.DataFrame = field(default_factory=pd.DataFrame)
    language: str = "en"

    @property
    def effects_table(self) -> pd.DataFrame:
        """``effects`` with each row's role in the report language (for display)."""
        out = self.effects.copy()
        if "role" in out:
            out["role"] = [t(f"pilot_role_{r}", self.language) for r in out["role"]]
        return out


@dataclass
class _Counts:
    """The evaluated deals and their unit x period x stage counts."""

    sub: pd.DataFrame  # evaluated deals (journey order) with _unit, _group, _period
    journey: Any
    advanced: np.ndarray  # (G, 2, S)
    resolved: np.ndarray
    entered: np.ndarray
    units: pd.Index
    is_pilot: np.ndarray  # (G,)
    deal_pilot: np.ndarray  # (D,)
    post: np.ndarray  # (D,)

    @property
    def has_pre(self) -> bool:
        n, zp = self.resolved, self.is_pilot
        return bool(n[zp, PRE].sum() > 0 and n[~zp, PRE].sum() > 0)


def _unit_counts(deals, stage_events, config, a: Assignment, ps: PilotSettings, as_of) -> _Counts:
    from playbook.steps.journey import prepare
    from playbook.steps.stages import stage_rates

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
    _, units = pd.factorize(sub["_unit"], sort=True)
    unit_group = sub.groupby("_unit", sort=True, observed=True)["_group"].first()
    is_pilot = (unit_group.reindex(units) == ps.pilot_value).to_numpy()
    G, S = len(units), len(config.funnel.ids) - 1
    A, N, E = np.zeros((G, 2, S)), np.zeros((G, 2, S)), np.zeros((G, 2, S))
    gi = units.get_indexer(by_unit["_unit"])
    ti = np.where(by_unit["_period"].to_numpy() == "post", POST, PRE)
    si = by_unit["from"].cat.codes.to_numpy()
    A[gi, ti, si] = by_unit["advanced"].to_numpy()
    N[gi, ti, si] = by_unit["mature_n"].to_numpy()
    E[gi, ti, si] = by_unit["entered"].to_numpy()
    return _Counts(
        sub=sub,
        journey=j,
        advanced=A,
        resolved=N,
        entered=E,
        units=units,
        is_pilot=is_pilot,
        deal_pilot=(sub["_group"] == ps.pilot_value).to_numpy(),
        post=(sub["_period"] == "post").to_numpy(),
    )


def _estimate(
    c: _Counts, ps: PilotSettings, config: Any, *, n_perm: int, n_boot: int, seed: int
) -> tuple[pd.DataFrame, ArmsCheck, bool]:
    """Per-stage lifts by the design's estimator, the arms' balance, and whether the
    permutation p-values were used."""
    ids = list(config.funnel.ids)
    S = len(ids) - 1
    A, N, zp = c.advanced, c.resolved, c.is_pilot
    has_pre = c.has_pre
    res = cluster_inference(
        A, N, zp, did=has_pre, alpha=ps.alpha, n_perm=n_perm, n_boot=n_boot, seed=seed
    )
    res.insert(0, "from", [*ids[:-1], ids[0]])
    res.insert(1, "to", [*ids[1:], ids[-1]])
    # which p-value: permutation unless too few distinct assignments to ever reach alpha
    perm_ok = math.comb(len(zp), int(zp.sum())) >= 2 / ps.alpha
    res["p_raw"] = res["p_perm"] if perm_ok else res["p_cluster"]
    res["raw_effect"] = res["pilot_rate"] - res["control_rate"]
    mix = mix_dimensions(c.sub, getattr(config, "dimensions", []))
    j, post = c.journey, c.post
    check = check_arms(
        mix,
        c.deal_pilot,
        post,
        (j.advanced[:, :S], j.mature[:, :S]),
        (A[:, PRE], N[:, PRE], zp) if has_pre else None,
        ids,
        randomised=ps.randomised,
        min_overlap=ps.min_overlap,
    )
    estimated = ["effect", "se", "effect_low", "effect_high", "p_raw", "prob_positive"]
    if check.blocked:
        res.loc[:, estimated] = np.nan  # no estimate can separate the pilot from the territory
    elif check.estimator == "adjusted":
        adj = adjusted_effects(
            j.advanced[post][:, :S],
            j.mature[post][:, :S],
            c.deal_pilot[post],
            c.sub["_unit"].to_numpy()[post],
            mix.loc[post, check.adjusted_for],
            alpha=ps.alpha,
        ).rename(columns={"p": "p_raw"})
        res.loc[: S - 1, estimated] = adj[estimated].to_numpy()
        res.loc[S, estimated] = np.nan  # end to end: shown raw only
        perm_ok = False
    return res, check, perm_ok


def _sizes(res: pd.DataFrame, c: _Counts, ps: PilotSettings, weeks: float) -> np.ndarray:
    """Adds ``mde``, ``more_deals``, ``more_weeks``; returns which rows can never reach
    the expected lift (unit-level variation alone exceeds it)."""
    z = _st.norm.ppf(1 - ps.alpha / 2) + _st.norm.ppf(ps.power)
    res["mde"] = z * res["se"]
    E = c.entered
    per_week = np.r_[E[:, POST].sum(axis=0), E[:, POST, 0].sum()] / weeks
    n_post = res["pilot_n"].to_numpy() + res["control_n"].to_numpy()
    se_needed = ps.expected_lift / z
    with np.errstate(invalid="ignore", divide="ignore"):
        more = np.maximum(n_post * ((res["se"].to_numpy() / se_needed) ** 2 - 1), 0)
        more_weeks = more / per_week
    floor = se_floor(c.advanced, c.resolved, c.is_pilot, c.has_pre)
    unreachable = np.r_[floor, floor.max() if len(floor) else np.nan] > se_needed
    res["more_deals"] = pd.array(
        np.where(unreachable | ~np.isfinite(more), np.nan, np.ceil(more)), dtype="Float64"
    )
    res["more_weeks"] = pd.array(
        np.where(unreachable | ~np.isfinite(more_weeks), np.nan, np.ceil(more_weeks)),
        dtype="Float64",
    )
    for column in ("more_deals", "more_weeks"):
        res[column] = res[column].round().astype("Int64")
    return unreachable


def _strongest(p: np.ndarray) -> int:
    return int(np.nanargmin(p)) if len(p) and np.isfinite(p).any() else 0


@dataclass(frozen=True)
class _Primary:
    """The stage the verdict is about, and what was decided there."""

    index: int  # position of its from-stage in the funnel
    label: str  # "From → To" in the report language
    row: pd.Series  # its effects row (before ``p_adj`` and ``role`` are added)
    p: float  # its adjusted p-value
    code: str  # the verdict
    roles: list[str]  # the role of every effects row
    unreachable: bool  # unit-level variation alone exceeds the expected lift

    def summary(self) -> dict[str, Any]:
        """The effects row as plain Python values, with the adjusted p-value."""
        out = {k: (v.item() if hasattr(v, "item") else v) for k, v in self.row.items()}
        out["p_primary"] = self.p
        return out


def _judge(
    res: pd.DataFrame,
    check: ArmsCheck,
    ps: PilotSettings,
    unreachable: np.ndarray,
    config: Any,
    lang: str,
) -> _Primary:
    """Pick the primary stage (the target, else the strongest evidence) and give its verdict;
    the other stages are exploratory (Holm). Adds ``p_adj`` and ``role`` to ``res``."""
    ids = list(config.funnel.ids)
    S = len(ids) - 1
    target_named = ps.target_stage is not None
    pi = ids.index(ps.target_stage) if target_named else _strongest(res["p_raw"].iloc[:S])
    check.judge_primary(pi, MIX_BIAS_SHARE * ps.expected_lift)
    p_adj = adjust_across_stages(res["p_raw"].to_numpy(), stage_roles(S, pi, False), target_named)
    p_primary = float(p_adj[pi])
    row = res.iloc[pi]
    code = verdict_code(row, p_primary, ps, bool(unreachable[pi]), check)
    moved = code in ("likely_real", "likely_harmful", "associated", "associated_drop")
    roles = stage_roles(S, pi, moved)
    res["p_adj"] = np.where(np.isin(roles, ["primary", "exploratory"]), p_adj, np.nan)
    res["role"] = roles
    label = f"{config.stage_label(ids[pi], lang)} → {config.stage_label(ids[pi + 1], lang)}"
    return _Primary(pi, label, row, p_primary, code, roles, bool(unreachable[pi]))


def _group_labels(ps: PilotSettings, lang: str) -> dict[str, str]:
    """Group value -> its name in the legends."""
    return {ps.pilot_value: t("legend_pilot", lang), ps.control_value: t("legend_control", lang)}


def _effects(res: pd.DataFrame, ids: list[str]) -> pd.DataFrame:
    """The effects table shown: :data:`EFFECT_COLUMNS`, stages as funnel categoricals."""
    effects = res[EFFECT_COLUMNS].copy()
    effects["from"] = pd.Categorical(effects["from"], categories=ids)
    effects["to"] = pd.Categorical(effects["to"], categories=ids)
    return effects


@takes_pilot
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

    First the arms are checked for being alike (:func:`playbook.steps.pilot.arms.check_arms`):
    the design is named, the balance table built, and a comparison without a pre-period
    is adjusted for the deal mix, or refused when the arms do not overlap on a dimension.
    The verdict and findings follow :mod:`playbook.steps.pilot.verdict`.

    Parameters
    ----------
    deals, stage_events : canonical tables; ``reps`` (rep_id, team) for team units.
    config : PilotConfig; ``pilot`` settings are read with :func:`settings`, the deal-mix
        dimensions from ``config.dimensions`` (and deal size from ``amount``).
    language : of the sentences; default ``config.language``.

    Returns
    -------
    PilotResult
        With ``available`` False and ``message`` when there is no pilot to evaluate.
        ``findings`` holds one ``pilot_effect`` Finding for the primary stage (none when
        the pilot cannot be separated from a dimension) and one for every exploratory
        stage that survives the Holm adjustment; each carries ``design`` and
        ``adjusted_for``.
    """
    ps = pilot or settings(config)
    lang = language or getattr(config, "language", "en")
    ids = list(config.funnel.ids)
    if ps.target_stage is not None and ps.target_stage not in ids[:-1]:
        raise ValueError(
            f"pilot.target_stage must be one of {', '.join(ids[:-1])}; got {ps.target_stage!r}"
        )
    group_labels = _group_labels(ps, lang)
    a = assign(deals, ps, reps)
    if a.problem:
        return _unavailable(a, ps, config, lang, group_labels)
    c = _unit_counts(deals, stage_events, config, a, ps, as_of)
    res, check, perm_ok = _estimate(c, ps, config, n_perm=n_perm, n_boot=n_boot, seed=seed)
    post_end = min(c.journey.as_of, a.end) if a.end is not None else c.journey.as_of
    weeks = _weeks(a.start, post_end)
    pr = _judge(res, check, ps, _sizes(res, c, ps, weeks), config, lang)
    verdict_text, design_text, notes = _sentences(
        c, a, ps, check, pr, lang, weeks=weeks, perm_ok=perm_ok
    )
    findings = pilot_findings(
        res,
        pr.roles,
        ps,
        check,
        primary=pr.index,
        p_primary=pr.p,
        code=pr.code,
        text=verdict_text,
        lang=lang,
        config=config,
    )
    unit_word = t(f"pilot_unit_{a.unit}", lang)
    return PilotResult(
        available=True,
        stage=ids[pr.index],
        stage_label=pr.label,
        group_labels=group_labels,
        start=a.start,
        end=a.end,
        unit=a.unit,
        method=check.estimator,
        groups=_groups(c.sub, pd.to_datetime(c.sub["created_at"])),
        effects=_effects(res, ids),
        trend=_trend(c, stage_events, config, ids[pr.index]),
        primary=pr.summary(),
        verdict=pr.code,
        verdict_text=verdict_text,
        verdict_kind="p" if pr.code == "likely_real" else "warn",
        method_text=method_sentence(check, a, res, lang, unit_word, len(c.units)),
        warnings=notes,
        findings=findings,
        kpis=kpis_of(pr.row, pr.code),
        design=check.design,
        design_text=design_text,
        adjusted_for=list(check.adjusted_for),
        arms=check,
        balance=balance_shown(check.balance, lang),
        balance_dimensions=dimensions_shown(check, lang),
        pre_balance=check.pre_conversion,
        language=lang,
    )


def _sentences(
    c: _Counts,
    a: Assignment,
    ps: PilotSettings,
    check: ArmsCheck,
    pr: _Primary,
    lang: str,
    *,
    weeks: float,
    perm_ok: bool,
) -> tuple[str, list[str], list[str]]:
    """The verdict sentence, the design and balance sentences, and the caveats."""
    unit_word = t(f"pilot_unit_{a.unit}", lang)
    S = len(pr.roles) - 1
    target_named = ps.target_stage is not None
    pi, row, label = pr.index, pr.row, pr.label
    values = {
        "stage": label,
        "lift": pts(row["effect"]),
        "low": pts(row["effect_low"]),
        "high": pts(row["effect_high"]),
        "p": fmt_p(pr.p) if target_named else t("pilot_p_adjusted", lang, p=fmt_p(pr.p), n=S),
        "prob": format_probability(row["prob_positive"]),
        "n": int(row["pilot_n"] + row["control_n"]),
        "more": "–" if pd.isna(row["more_deals"]) else f"{int(row['more_deals']):,}",
        "weeks": "–" if pd.isna(row["more_weeks"]) else f"{int(row['more_weeks']):,}",
        "expected": f"{ps.expected_lift * 100:.0f}",
        "units": len(c.units),
        "unit": unit_word,
    }
    verdict_text = verdict_sentence(
        pr.code, row, check, lang, values=values, unreachable=pr.unreachable
    )
    design_text = [
        t(
            f"pilot_design_{check.design}",
            lang,
            unit=unit_word,
            start=f"{a.start:%Y-%m-%d}",
            dims=dims_text(list(check.balance["dimension"].unique()), lang),
        )
    ] + balance_text(check, lang, primary=pi, stage_label=label, expected=ps.expected_lift)
    entered = c.journey.entered[c.post, pi]
    immature = entered & ~c.journey.mature[c.post, pi]
    notes = caveats(
        lang,
        ps,
        a,
        label=label,
        unit_word=unit_word,
        groups=(int(c.is_pilot.sum()), int((~c.is_pilot).sum())),
        n_assign=None if perm_ok or check.estimator == "adjusted" else _n_assign(c),
        weeks=weeks,
        immature_share=immature.sum() / entered.sum() if entered.sum() else 0.0,
        n_rows=S,
        after_moved=label if "after_moved_stage" in pr.roles else None,
        pre_gap=row["pilot_pre_rate"] - row["control_pre_rate"],
    )
    return verdict_text, design_text, notes


def _unavailable(a: Assignment, ps: PilotSettings, config, lang: str, group_labels) -> PilotResult:
    ids = list(config.funnel.ids)
    first = ps.target_stage or ids[0]
    nxt = ids[ids.index(first) + 1]
    msg = t(a.problem, lang, column=ps.group_column, pilot=ps.pilot_value, control=ps.control_value)
    return PilotResult(
        available=False,
        message=msg,
        verdict_text=msg,
        unit=a.unit,
        stage=first,
        stage_label=f"{config.stage_label(first, lang)} → {config.stage_label(nxt, lang)}",
        group_labels=group_labels,
        language=lang,
    )


def _n_assign(c: _Counts) -> int:
    return math.comb(len(c.is_pilot), int(c.is_pilot.sum()))


def _trend(c: _Counts, stage_events, config, stage: str) -> pd.DataFrame:
    from playbook.steps.stages import cohort_rates

    trend = cohort_rates(c.sub, stage_events, config, freq="M", by="_group", journey=c.journey)
    trend = trend[trend["from"] == stage].rename(columns={"_group": "group"})
    columns = ["group", "cohort", "from", "to", "rate", "ci_low", "ci_high", "mature_n"]
    return trend[[*columns, "immature_cohort"]].reset_index(drop=True)


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
