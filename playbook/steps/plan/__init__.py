"""Step 5, the development plan: learning paths, coaching pairs, KPIs, incentives, SLAs.

* :func:`diagnose` lists each rep's weaknesses with their evidence: stages where the
  rep's shrunk rate is clearly below the team's (lost there repeatedly), competencies
  below the consistent strong converters (or the team), first contact slower than
  the SLA, record completeness credibly below the team.
* :func:`learning_paths` turns them into modules by rules — weakness × role →
  modules — from ``config.plan.rules`` when set, else :data:`DEFAULT_RULES`.
* :func:`coaching_pairs` matches consistent strong converters with reps whose
  weakness is the coach's strength.
* :func:`analyse` runs it all, plus the KPI system, the incentive candidates and the
  SLA proposal of :mod:`playbook.steps.plan.kpi`.

The modules: ``settings`` (thresholds, and how evidence reads), ``rules`` (the learning-path
rules), ``diagnosis``, ``learning`` (paths and module demand), ``coaching`` (pairs) and
``kpi`` (the KPI system, incentives and SLAs).
"""

from __future__ import annotations

import logging
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any

import pandas as pd

from playbook.steps.plan.coaching import PAIR_COLUMNS, coaching_pairs
from playbook.steps.plan.diagnosis import WEAKNESS_COLUMNS, WEAKNESS_KINDS, diagnose
from playbook.steps.plan.kpi import (
    deal_facts,
    incentive_candidates,
    incentive_values,
    kpi_by_rep,
    kpi_matrix,
    kpi_table,
    sla_proposal,
)
from playbook.steps.plan.learning import PLAN_COLUMNS, learning_paths, module_demand
from playbook.steps.plan.rules import DEFAULT_RULES, plan_rules, validate_rules
from playbook.steps.plan.settings import DEFAULT_PLAN, plan_settings
from playbook.steps.prepared import journey_of
from playbook.workspace.config import PilotConfig

logger = logging.getLogger(__name__)

__all__ = [
    "DEFAULT_PLAN",
    "DEFAULT_RULES",
    "WEAKNESS_KINDS",
    "DevelopmentPlan",
    "plan_settings",
    "plan_rules",
    "validate_rules",
    "diagnose",
    "learning_paths",
    "coaching_pairs",
    "module_demand",
    "analyse",
    "WEAKNESS_COLUMNS",
    "PLAN_COLUMNS",
    "PAIR_COLUMNS",
]


@dataclass
class DevelopmentPlan:
    """Everything step 5 shows (see :func:`analyse`)."""

    settings: dict[str, Any]
    rules: list[dict[str, Any]]
    weaknesses: pd.DataFrame
    paths: pd.DataFrame
    demand: pd.DataFrame
    pairs: pd.DataFrame
    kpis: pd.DataFrame
    by_rep: pd.DataFrame
    incentives: pd.DataFrame
    incentive_values: pd.DataFrame
    sla: pd.DataFrame
    notes: list[str] = field(default_factory=list)
    #: the KPI system as the steering-committee table (:func:`playbook.steps.plan.kpi.kpi_matrix`)
    kpi_view: pd.DataFrame = field(default_factory=pd.DataFrame)
    #: SLA name -> label in the report language
    sla_labels: dict[str, str] = field(default_factory=dict)

    def headline(self) -> dict[str, dict]:
        """Headline numbers for summary.json: reps with a plan, pairs, renewal, NPS."""
        out: dict[str, dict] = {
            "reps_with_plan": {
                "value": int(self.paths["owner_id"].nunique()) if len(self.paths) else 0,
                "n": int(self.by_rep["owner_id"].nunique()) if len(self.by_rep) else 0,
                "unit": "reps",
            },
            "coaching_pairs": {"value": len(self.pairs), "unit": "pairs"},
        }
        company = self.kpis[self.kpis["level"] == "company"].set_index("metric")
        for name in ("renewal_rate", "nps"):
            if name in company.index and pd.notna(company.at[name, "current_value"]):
                row = company.loc[name]
                out[name] = {
                    "value": float(row["current_value"]),
                    "n": int(row["n"]),
                    "ci_low": None if pd.isna(row["ci_low"]) else float(row["ci_low"]),
                    "ci_high": None if pd.isna(row["ci_high"]) else float(row["ci_high"]),
                    "unit": "share" if row["unit"] == "share" else row["unit"],
                }
        return out


def analyse(
    data: Any,
    study: Any = None,
    *,
    language: str | None = None,
    rules: Sequence[Mapping[str, Any]] | None = None,
    **thresholds: Any,
) -> DevelopmentPlan:
    """Run step 5 on a :class:`playbook.workspace.dataset.Dataset`.

    Parameters
    ----------
    data : Dataset
        The workspace's tables and config.
    study : CapabilityStudy, optional
        :func:`playbook.steps.capability.analyse` of the same data (computed when omitted).
    language : {"en", "zh"}, optional
        Report language (default ``config.language``).
    rules : list of dict, optional
        Learning-path rules (default :func:`plan_rules` of the config).
    **thresholds
        Overrides of :data:`DEFAULT_PLAN`.

    Returns
    -------
    DevelopmentPlan
    """
    from playbook.i18n import t
    from playbook.steps import capability

    config: PilotConfig = data.config
    language = language or config.language
    if study is None:
        study = capability.analyse(data, language=language)
    settings = plan_settings(config, **thresholds)
    rule_set = validate_rules(rules) if rules is not None else plan_rules(config)
    facts = _facts(data, study)
    # what diagnosis and coaching both read: the same evidence, language and thresholds
    shared = {
        "stage_performance": study.stage_performance,
        "rep_gaps": study.rep_gaps,
        "reps": data.reps,
        "language": language,
        **settings,
    }
    weaknesses = diagnose(config, gaps=study.gaps, facts=facts, **shared)
    paths = learning_paths(weaknesses, rule_set, language=language)
    pairs = coaching_pairs(weaknesses, study.benchmark, config, **shared)
    notes = []
    if not study.benchmark:
        notes.append(t("plan_no_coaches", language))
    if not len(paths):
        notes.append(t("plan_no_weakness", language))
    return DevelopmentPlan(
        settings=settings,
        rules=rule_set,
        weaknesses=weaknesses,
        paths=paths,
        demand=module_demand(paths),
        pairs=pairs,
        sla=sla_proposal(
            facts,
            config,
            deals=data.deals,
            stage_events=data.stage_events,
            journey=journey_of(data),
        ),
        notes=notes,
        sla_labels={
            "first_contact": t("sla_first_contact", language),
            "proposal_review": t("sla_proposal_review", language),
        },
        **_kpi_system(facts, config, language),
    )


def _facts(data: Any, study: Any) -> pd.DataFrame:
    """The capability study's per-deal facts, or the same computed from the workspace."""
    if study.facts is not None:
        return study.facts
    tables = {name: getattr(data, name) for name in ("stage_events", "activities", "outcomes")}
    return deal_facts(data.deals, data.config, reps=data.reps, **tables)


def _kpi_system(facts: pd.DataFrame, config: PilotConfig, language: str) -> dict[str, Any]:
    """The KPI table and its view, the per-rep KPIs and the incentive candidates."""
    from playbook.i18n import t

    mgs = int(config.min_group_size)
    other = t("other_teams", language)
    by_rep = kpi_by_rep(facts, language=language, min_group_size=mgs, other=other)
    table = kpi_table(facts, min_group_size=mgs, language=language, other=other)
    # behaviours are judged by how they go with winning on like deals where that is known
    like_deals = bool(by_rep["metric"].eq("win_rate_vs_expected").any())
    outcome = "win_rate_vs_expected" if like_deals else "win_rate"
    candidates = incentive_candidates(by_rep, min_reps=mgs, outcome=outcome)
    return {
        "kpis": table,
        "by_rep": by_rep,
        "incentives": candidates,
        "incentive_values": incentive_values(by_rep, candidates),
        "kpi_view": kpi_matrix(table, language),
    }
