"""Step 5's diagnosis: each rep's weaknesses, with the evidence for each."""

from __future__ import annotations

from typing import Any

import numpy as np
import pandas as pd

from playbook.steps.adjust import compared_stage_rate
from playbook.steps.plan.kpi import kpi_by_rep
from playbook.steps.plan.kpi.facts import _rep_attribute
from playbook.steps.plan.settings import _dimension_labels, _pct, plan_settings
from playbook.workspace.config import PilotConfig

#: Weakness ids :func:`diagnose` produces (``stage:<id>`` and ``competency:<id>`` take the
#: funnel's stage ids and the config's competency ids).
WEAKNESS_KINDS = (
    "stage:<stage>",
    "competency:<dimension>",
    "slow_first_contact",
    "low_completeness",
)


WEAKNESS_COLUMNS = [
    "owner_id",
    "role",
    "weakness",
    "area",
    "observed",
    "reference",
    "ci_low",
    "ci_high",
    "n",
    "shortfall",
    "evidence",
]


def diagnose(
    config: PilotConfig,
    *,
    stage_performance: pd.DataFrame | None = None,
    rep_gaps: pd.DataFrame | None = None,
    gaps: pd.DataFrame | None = None,
    facts: pd.DataFrame | None = None,
    reps: pd.DataFrame | None = None,
    language: str | None = None,
    alpha: float = 0.05,
    **thresholds: Any,
) -> pd.DataFrame:
    """Each rep's weaknesses, with the evidence for each.

    * ``stage:<id>`` — the rep's shrunk rate at the stage is at least ``stage_gap``
      below the team's, on at least ``min_stage_n`` resolved deals (the raw rate and its
      Wilson interval are the evidence). Where ``stage_performance`` carries the rate
      adjusted for the deal mix (:func:`playbook.steps.capability.rep_stage_performance` with a
      model), that rate is compared: a stage weak for every rep in the rep's territory is
      nobody's weakness, and the evidence says what the company converts on the rep's
      deals.
    * ``competency:<id>`` — the score is at least ``score_gap`` × scale below the
      consistent strong converters' mean where they credibly differ from the team
      (adjusted p < ``alpha``), else at least ``team_score_gap`` × scale below the team
      mean. Nothing is compared with a suppressed group mean.
    * ``slow_first_contact`` — the median first contact (business hours, 10+ deals) is
      slower than ``sla.first_contact_hours``.
    * ``low_completeness`` — record completeness at least ``completeness_gap`` below the
      team's and its Wilson interval entirely below it.

    Parameters
    ----------
    config : PilotConfig
    stage_performance : DataFrame, optional
        :func:`playbook.steps.capability.rep_stage_performance`.
    rep_gaps, gaps : DataFrame, optional
        :func:`playbook.steps.capability.rep_gaps` and
        :func:`playbook.steps.capability.capability_gaps`.
    facts : DataFrame, optional
        :func:`playbook.steps.plan.kpi.deal_facts`.
    reps : DataFrame, optional
        For each rep's role (``unknown`` without it).
    language : {"en", "zh"}, optional
        Language of ``evidence`` (default ``config.language``).
    **thresholds
        Overrides of :data:`DEFAULT_PLAN`.

    Returns
    -------
    DataFrame
        ``owner_id | role | weakness | area | observed | reference | ci_low | ci_high | n |
        shortfall | evidence``; ``area`` is the stage or competency id (or the weakness);
        ``shortfall`` is reference minus observed in the metric's own unit (hours for
        first contact), largest first within each rep.
    """
    language = language or config.language
    s = plan_settings(config, **thresholds)
    frames = []
    if stage_performance is not None and len(stage_performance):
        frames.append(_stage_weaknesses(stage_performance, config, s, language))
    if rep_gaps is not None and len(rep_gaps):
        frames.extend(_competency_weaknesses(rep_gaps, gaps, config, s, language, alpha))
    if facts is not None and len(facts):
        frames.extend(_behaviour_weaknesses(facts, config, s, language))
    if not frames:
        return pd.DataFrame(columns=WEAKNESS_COLUMNS)
    out = pd.concat(frames, ignore_index=True)
    out["role"] = _rep_attribute(out["owner_id"], reps, "role")
    out["n"] = out["n"].astype(np.int64)
    out = out.sort_values(["owner_id", "shortfall"], ascending=[True, False], kind="stable")
    return out[WEAKNESS_COLUMNS].reset_index(drop=True)


def _stage_weaknesses(
    sp: pd.DataFrame, config: PilotConfig, s: dict[str, Any], language: str
) -> pd.DataFrame:
    """Stage weaknesses (see :func:`diagnose`), judged on like deals where the stage
    performance carries the adjusted rate."""
    from playbook.i18n import t

    value = compared_stage_rate(sp)
    adjusted = "adjusted_shrunk" in sp.columns and sp["adjusted_shrunk"].notna().any()
    weak = sp[(sp["mature_n"] >= s["min_stage_n"]) & (value <= sp["team_rate"] - s["stage_gap"])]
    value = value[weak.index]

    def evidence(r, v: float) -> str:
        values = {
            "stage": config.stage_label(str(r["from"]), language),
            "to": config.stage_label(str(r["to"]), language),
            "rate": _pct(r["rate"]),
            "n": int(r["mature_n"]),
            "team": _pct(r["team_rate"]),
        }
        if adjusted and pd.notna(r.get("expected_rate")):
            return t(
                "plan_weakness_stage_adjusted",
                language,
                expected=_pct(r["expected_rate"]),
                adjusted=_pct(v),
                **values,
            )
        return t("plan_weakness_stage", language, shrunk=_pct(r["shrunk"]), **values)

    return pd.DataFrame(
        {
            "owner_id": weak["owner_id"].astype(str).to_numpy(),
            "weakness": "stage:" + weak["from"].astype(str).to_numpy().astype(object),
            "area": weak["from"].astype(str).to_numpy(),
            "observed": weak["rate"].to_numpy(dtype=float),
            "reference": weak["team_rate"].to_numpy(dtype=float),
            "ci_low": weak["ci_low"].to_numpy(dtype=float),
            "ci_high": weak["ci_high"].to_numpy(dtype=float),
            "n": weak["mature_n"].to_numpy(),
            "shortfall": (weak["team_rate"] - value).to_numpy(dtype=float),
            "evidence": [evidence(r, v) for (_, r), v in zip(weak.iterrows(), value, strict=True)],
        },
        columns=WEAKNESS_COLUMNS[:1] + WEAKNESS_COLUMNS[2:],
    )


def _competency_weaknesses(
    rep_gaps: pd.DataFrame,
    gaps: pd.DataFrame | None,
    config: PilotConfig,
    s: dict[str, Any],
    language: str,
    alpha: float,
) -> list[pd.DataFrame]:
    """Competency weaknesses (see :func:`diagnose`): against the consistent strong converters
    where they credibly differ from the team, else against the team."""
    from playbook.i18n import t

    span = float(config.capability.scale_max - config.capability.scale_min)
    credible = set()
    if gaps is not None and len(gaps):
        ok = gaps[~gaps["suppressed"].astype(bool) & (gaps["p_adj"] < alpha) & (gaps["gap"] > 0)]
        credible = set(ok["dimension"])
    rg = rep_gaps.copy()
    use_bench = rg["dimension"].isin(credible) & rg["benchmark"].notna()
    rg["reference"] = np.where(use_bench, rg["benchmark"], rg["team"])
    rg["limit"] = np.where(use_bench, s["score_gap"], s["team_score_gap"]) * span
    weak = rg[rg["reference"].notna() & (rg["score"] <= rg["reference"] - rg["limit"])]
    if not len(weak):
        return []
    labels = _dimension_labels(config, language)
    against = {
        True: t("plan_against_benchmark", language),
        False: t("plan_against_team", language),
    }
    evidence = [
        t(
            "plan_weakness_competency",
            language,
            dimension=labels.get(r.dimension, r.dimension),
            score=f"{r.score:.1f}",
            reference=f"{r.reference:.1f}",
            against=against[bool(b)],
        )
        for r, b in zip(weak.itertuples(index=False), use_bench[weak.index], strict=True)
    ]
    frame = pd.DataFrame(
        {
            "owner_id": weak["rep_id"].astype(str).to_numpy(),
            "weakness": ("competency:" + weak["dimension"].astype(str)).to_numpy(),
            "area": weak["dimension"].astype(str).to_numpy(),
            "observed": weak["score"].to_numpy(dtype=float),
            "reference": weak["reference"].to_numpy(dtype=float),
            "ci_low": np.nan,
            "ci_high": np.nan,
            "n": 1,
            "shortfall": (weak["reference"] - weak["score"]).to_numpy(dtype=float),
            "evidence": evidence,
        }
    )
    return [frame]


def _behaviour_weaknesses(
    facts: pd.DataFrame, config: PilotConfig, s: dict[str, Any], language: str
) -> list[pd.DataFrame]:
    """Slow first contact (median over the SLA on 10+ deals) and record completeness
    credibly below the team's (see :func:`diagnose`)."""
    from playbook.i18n import t

    frames = []
    by_rep = kpi_by_rep(facts, metrics=["first_contact_hours", "record_completeness"])
    sla = float(config.sla.first_contact_hours)
    fc = by_rep[(by_rep["metric"] == "first_contact_hours") & (by_rep["n"] >= 10)]
    slow = fc[fc["value"] > sla]
    if len(slow):
        evidence = [
            t("plan_weakness_contact", language, hours=f"{v:.0f}", n=int(n), sla=f"{sla:g}")
            for v, n in zip(slow["value"], slow["n"], strict=True)
        ]
        shortfall = (slow["value"] - sla).to_numpy(dtype=float)
        frames.append(_kpi_weakness(slow, "slow_first_contact", sla, shortfall, evidence))
    rc = by_rep[by_rep["metric"] == "record_completeness"]
    if len(rc) and facts["applicable"].notna().any():
        team = float(facts["filled"].sum() / facts["applicable"].sum())
        low = rc[(rc["value"] <= team - s["completeness_gap"]) & (rc["ci_high"] < team)]
        if len(low):
            evidence = [
                t(
                    "plan_weakness_completeness",
                    language,
                    value=_pct(v),
                    lo=_pct(lo),
                    hi=_pct(hi),
                    team=_pct(team),
                )
                for v, lo, hi in zip(low["value"], low["ci_low"], low["ci_high"], strict=True)
            ]
            shortfall = (team - low["value"]).to_numpy(dtype=float)
            frames.append(_kpi_weakness(low, "low_completeness", team, shortfall, evidence))
    return frames


def _kpi_weakness(
    rows: pd.DataFrame, weakness: str, reference: float, shortfall: np.ndarray, evidence: list
) -> pd.DataFrame:
    """Weakness rows of reps whose KPI (rows of :func:`kpi_by_rep`) falls short of
    ``reference``."""
    return pd.DataFrame(
        {
            "owner_id": rows["owner_id"].astype(str).to_numpy(),
            "weakness": weakness,
            "area": weakness,
            "observed": rows["value"].to_numpy(dtype=float),
            "reference": reference,
            "ci_low": rows["ci_low"].to_numpy(dtype=float),
            "ci_high": rows["ci_high"].to_numpy(dtype=float),
            "n": rows["n"].to_numpy(),
            "shortfall": shortfall,
            "evidence": evidence,
        }
    )
