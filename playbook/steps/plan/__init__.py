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
"""

from __future__ import annotations

import fnmatch
import logging
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any

import numpy as np
import pandas as pd

from playbook.steps.adjust import compared_stage_rate
from playbook.steps.plan.kpi import (
    deal_facts,
    incentive_candidates,
    incentive_values,
    kpi_by_rep,
    kpi_matrix,
    kpi_table,
    sla_proposal,
)
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
]

#: Weakness ids :func:`diagnose` produces (``stage:<id>`` and ``competency:<id>`` take the
#: funnel's stage ids and the config's competency ids).
WEAKNESS_KINDS = (
    "stage:<stage>",
    "competency:<dimension>",
    "slow_first_contact",
    "low_completeness",
)

#: Default thresholds of :func:`diagnose` and :func:`coaching_pairs`.
DEFAULT_PLAN: dict[str, Any] = {
    "stage_gap": 0.05,  # shrunk stage rate at least 5 points below the team
    "min_stage_n": 10,  # resolved deals at the stage before judging a rep on it
    "score_gap": 0.10,  # share of the scale below the benchmark (0.4 points on 1-5)
    "team_score_gap": 0.15,  # share of the scale below the team mean (when no benchmark)
    "completeness_gap": 0.05,  # record completeness at least 5 points below the team
    "max_mentees": 3,  # per coach
    "max_coaches": 2,  # per mentee
}


def _module(mid: str, en: str, zh: str) -> dict[str, str]:
    return {"id": mid, "label_en": en, "label_zh": zh}


_M = {
    "speed_to_lead": _module(
        "speed_to_lead",
        "Speed-to-lead and first-call qualification",
        "线索快速响应与首次通话资格判断",
    ),
    "discovery_basics": _module(
        "discovery_basics",
        "Needs discovery fundamentals (SPIN questioning)",
        "需求挖掘基础（SPIN 提问）",
    ),
    "qualification_deep": _module(
        "qualification_deep",
        "Opportunity qualification deep-dive (MEDDICC)",
        "商机资格深度评估（MEDDICC）",
    ),
    "discovery_shadowing": _module(
        "discovery_shadowing",
        "Shadow a strong converter's discovery meetings",
        "跟访标杆销售的需求挖掘会谈",
    ),
    "value_proposal": _module("value_proposal", "Value-based proposal writing", "价值型方案撰写"),
    "value_storytelling": _module(
        "value_storytelling",
        "Value proposition and demo storytelling lab",
        "价值呈现与方案演示训练营",
    ),
    "exec_presentation": _module(
        "exec_presentation", "Presenting to executive sponsors", "面向高层决策者的汇报呈现"
    ),
    "negotiation_basics": _module("negotiation_basics", "Negotiation fundamentals", "商务谈判基础"),
    "objection_handling": _module(
        "objection_handling",
        "Advanced negotiation and objection handling",
        "高级谈判与异议处理",
    ),
    "procurement_navigation": _module(
        "procurement_navigation",
        "Multi-stakeholder negotiation and procurement",
        "多方谈判与采购流程推进",
    ),
    "lead_response_sop": _module(
        "lead_response_sop", "Lead response SOP and CRM reminders", "线索响应 SOP 与 CRM 提醒设置"
    ),
    "crm_hygiene": _module(
        "crm_hygiene", "CRM hygiene: the fields that matter", "CRM 规范录入：关键字段"
    ),
    "product_certification": _module(
        "product_certification", "Industry and product certification", "行业与产品知识认证"
    ),
    "deal_team_play": _module(
        "deal_team_play",
        "Deal-team coordination with presales and delivery",
        "与售前、交付的协同作战",
    ),
    "crm_power_user": _module(
        "crm_power_user", "CRM and sales-tool power user", "CRM 与销售工具进阶"
    ),
    "win_loss_review": _module("win_loss_review", "Win/loss review routine", "赢单/丢单复盘机制"),
}


def _rule(rid: str, weakness: str, modules: list[str], roles=(), priority: int = 2) -> dict:
    return {
        "id": rid,
        "weakness": weakness,
        "roles": list(roles),
        "modules": [dict(_M[m]) for m in modules],
        "priority": priority,
    }


#: The default learning-path rules: weakness pattern × roles (empty: any role) → modules.
#: ``weakness`` is matched with shell wildcards (``stage:*``); ``priority`` 1 comes first.
#: A rep whose role is not known (no reps table) follows the experienced track.
DEFAULT_RULES: list[dict[str, Any]] = [
    _rule("lead_any", "stage:lead", ["speed_to_lead"], priority=1),
    _rule("intent_new", "stage:intent", ["discovery_basics"], ["new"], 1),
    _rule(
        "intent_senior",
        "stage:intent",
        ["qualification_deep"],
        ["experienced", "key_account", "unknown"],
        1,
    ),
    _rule("proposal_any", "stage:proposal", ["value_proposal"], priority=1),
    _rule("proposal_ka", "stage:proposal", ["exec_presentation"], ["key_account"], 2),
    _rule("negotiation_new", "stage:negotiation", ["negotiation_basics"], ["new"], 1),
    _rule(
        "negotiation_exp",
        "stage:negotiation",
        ["objection_handling"],
        ["experienced", "unknown"],
        1,
    ),
    _rule("negotiation_ka", "stage:negotiation", ["procurement_navigation"], ["key_account"], 1),
    _rule("contact_any", "slow_first_contact", ["lead_response_sop"], priority=1),
    _rule("records_any", "low_completeness", ["crm_hygiene"], priority=2),
    _rule("knowledge_any", "competency:product_knowledge", ["product_certification"]),
    _rule("discovery_new", "competency:needs_discovery", ["discovery_basics"], ["new"]),
    _rule(
        "discovery_senior",
        "competency:needs_discovery",
        ["discovery_shadowing"],
        ["experienced", "key_account", "unknown"],
    ),
    _rule("value_any", "competency:value_proposition", ["value_storytelling"]),
    _rule("coordination_any", "competency:internal_coordination", ["deal_team_play"], priority=3),
    _rule("tools_any", "competency:digital_tools", ["crm_power_user"], priority=3),
    _rule("reflection_any", "competency:reflection", ["win_loss_review"], priority=3),
]

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
PLAN_COLUMNS = [
    "owner_id",
    "role",
    "priority",
    "module",
    "module_id",
    "weakness",
    "evidence",
    "rule",
]
PAIR_COLUMNS = ["coach_id", "mentee_id", "areas", "weakness", "same_team", "reason"]


# --- settings -----------------------------------------------------------------------------------


def _section(config: PilotConfig | None) -> Any:
    return getattr(config, "plan", None)


def plan_settings(config: PilotConfig | None = None, **overrides: Any) -> dict[str, Any]:
    """Thresholds of the plan: :data:`DEFAULT_PLAN`, then ``config.plan``, then overrides."""
    out = dict(DEFAULT_PLAN)
    section = _section(config)
    if section is not None:
        data = section.model_dump() if hasattr(section, "model_dump") else dict(section)
        out.update({k: v for k, v in data.items() if k in out and v is not None})
    out.update({k: v for k, v in overrides.items() if k in out and v is not None})
    return out


def validate_rules(rules: Sequence[Mapping[str, Any]]) -> list[dict[str, Any]]:
    """Check and normalise learning-path rules.

    Each rule needs ``weakness`` (a pattern) and ``modules`` (each with ``id`` and
    ``label_en``/``label_zh``, or a plain string used for both); ``roles`` (list,
    empty = any), ``priority`` (int, default 2) and ``id`` are optional.

    Raises
    ------
    ValueError
        Naming every bad rule at once.
    """
    problems = []
    out = []
    for i, raw in enumerate(rules):
        rule = dict(raw.model_dump() if hasattr(raw, "model_dump") else raw)
        where = f"plan.rules[{i}]"
        weakness = rule.get("weakness")
        if not isinstance(weakness, str) or not weakness:
            problems.append(f"{where}: 'weakness' must be a text such as 'stage:negotiation'")
        modules = []
        for m in rule.get("modules") or []:
            m = m.model_dump() if hasattr(m, "model_dump") else m
            if isinstance(m, str):
                modules.append({"id": m, "label_en": m, "label_zh": m})
            elif isinstance(m, Mapping) and m.get("id"):
                modules.append(
                    {
                        "id": str(m["id"]),
                        "label_en": str(m.get("label_en") or m["id"]),
                        "label_zh": str(m.get("label_zh") or m.get("label_en") or m["id"]),
                    }
                )
            else:
                problems.append(f"{where}: each module needs an 'id' (got {m!r})")
        if not modules:
            problems.append(f"{where}: 'modules' must list at least one module")
        roles = rule.get("roles") or []
        if isinstance(roles, str):
            roles = [roles]
        try:
            priority = int(rule.get("priority", 2))
        except (TypeError, ValueError):
            problems.append(f"{where}: 'priority' must be a whole number (1 = first)")
            priority = 2
        out.append(
            {
                "id": str(rule.get("id") or f"rule_{i + 1}"),
                "weakness": weakness,
                "roles": [str(r) for r in roles],
                "modules": modules,
                "priority": priority,
            }
        )
    if problems:
        raise ValueError("invalid learning-path rules: " + "; ".join(problems))
    return out


def plan_rules(config: PilotConfig | None = None) -> list[dict[str, Any]]:
    """The learning-path rules: ``config.plan.rules`` when set, else :data:`DEFAULT_RULES`."""
    section = _section(config)
    rules = getattr(section, "rules", None) if section is not None else None
    if isinstance(section, Mapping):
        rules = section.get("rules")
    return validate_rules(rules if rules else DEFAULT_RULES)


# --- diagnosis ----------------------------------------------------------------------------------


def _roles(owner_ids: pd.Series, reps: pd.DataFrame | None) -> pd.Series:
    if reps is None or "role" not in reps.columns:
        return pd.Series("unknown", index=owner_ids.index)
    mapping = dict(zip(reps["rep_id"].astype(str), reps["role"].astype(object), strict=False))
    return owner_ids.astype(str).map(mapping).fillna("unknown").astype(str)


def _pct(x: float) -> str:
    return "—" if pd.isna(x) else f"{100 * x:.0f}%"


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
    from playbook.i18n import t

    language = language or config.language
    s = plan_settings(config, **thresholds)
    span = float(config.capability.scale_max - config.capability.scale_min)
    frames = []
    if stage_performance is not None and len(stage_performance):
        frames.append(_stage_weaknesses(stage_performance, config, s, language))
    if rep_gaps is not None and len(rep_gaps):
        credible = set()
        if gaps is not None and len(gaps):
            ok = gaps[
                ~gaps["suppressed"].astype(bool) & (gaps["p_adj"] < alpha) & (gaps["gap"] > 0)
            ]
            credible = set(ok["dimension"])
        rg = rep_gaps.copy()
        use_bench = rg["dimension"].isin(credible) & rg["benchmark"].notna()
        rg["reference"] = np.where(use_bench, rg["benchmark"], rg["team"])
        rg["limit"] = np.where(use_bench, s["score_gap"], s["team_score_gap"]) * span
        weak = rg[rg["reference"].notna() & (rg["score"] <= rg["reference"] - rg["limit"])]
        if len(weak):
            labels = {
                d.id: (d.label_zh if language == "zh" else d.label_en)
                for d in config.capability.dimensions
            }
            against = {
                True: t("plan_against_benchmark", language),
                False: t("plan_against_team", language),
            }
            frames.append(
                pd.DataFrame(
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
                        "evidence": [
                            t(
                                "plan_weakness_competency",
                                language,
                                dimension=labels.get(r.dimension, r.dimension),
                                score=f"{r.score:.1f}",
                                reference=f"{r.reference:.1f}",
                                against=against[bool(b)],
                            )
                            for r, b in zip(
                                weak.itertuples(index=False),
                                use_bench[weak.index],
                                strict=True,
                            )
                        ],
                    }
                )
            )
    if facts is not None and len(facts):
        frames.extend(_behaviour_weaknesses(facts, config, s, language))
    if not frames:
        return pd.DataFrame(columns=WEAKNESS_COLUMNS)
    out = pd.concat(frames, ignore_index=True)
    out["role"] = _roles(out["owner_id"], reps).to_numpy()
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


def _behaviour_weaknesses(
    facts: pd.DataFrame, config: PilotConfig, s: dict[str, Any], language: str
) -> list[pd.DataFrame]:
    from playbook.i18n import t

    frames = []
    by_rep = kpi_by_rep(facts, metrics=["first_contact_hours", "record_completeness"])
    sla = float(config.sla.first_contact_hours)
    fc = by_rep[(by_rep["metric"] == "first_contact_hours") & (by_rep["n"] >= 10)]
    slow = fc[fc["value"] > sla]
    if len(slow):
        frames.append(
            pd.DataFrame(
                {
                    "owner_id": slow["owner_id"].astype(str).to_numpy(),
                    "weakness": "slow_first_contact",
                    "area": "slow_first_contact",
                    "observed": slow["value"].to_numpy(dtype=float),
                    "reference": sla,
                    "ci_low": slow["ci_low"].to_numpy(dtype=float),
                    "ci_high": slow["ci_high"].to_numpy(dtype=float),
                    "n": slow["n"].to_numpy(),
                    "shortfall": (slow["value"] - sla).to_numpy(dtype=float),
                    "evidence": [
                        t(
                            "plan_weakness_contact",
                            language,
                            hours=f"{v:.0f}",
                            n=int(n),
                            sla=f"{sla:g}",
                        )
                        for v, n in zip(slow["value"], slow["n"], strict=True)
                    ],
                }
            )
        )
    rc = by_rep[by_rep["metric"] == "record_completeness"]
    if len(rc) and facts["applicable"].notna().any():
        team = float(facts["filled"].sum() / facts["applicable"].sum())
        low = rc[(rc["value"] <= team - s["completeness_gap"]) & (rc["ci_high"] < team)]
        if len(low):
            frames.append(
                pd.DataFrame(
                    {
                        "owner_id": low["owner_id"].astype(str).to_numpy(),
                        "weakness": "low_completeness",
                        "area": "low_completeness",
                        "observed": low["value"].to_numpy(dtype=float),
                        "reference": team,
                        "ci_low": low["ci_low"].to_numpy(dtype=float),
                        "ci_high": low["ci_high"].to_numpy(dtype=float),
                        "n": low["n"].to_numpy(),
                        "shortfall": (team - low["value"]).to_numpy(dtype=float),
                        "evidence": [
                            t(
                                "plan_weakness_completeness",
                                language,
                                value=_pct(v),
                                lo=_pct(lo),
                                hi=_pct(hi),
                                team=_pct(team),
                            )
                            for v, lo, hi in zip(
                                low["value"], low["ci_low"], low["ci_high"], strict=True
                            )
                        ],
                    }
                )
            )
    return frames


# --- learning paths -----------------------------------------------------------------------------


def learning_paths(
    weaknesses: pd.DataFrame,
    rules: Sequence[Mapping[str, Any]] | None = None,
    *,
    language: str = "en",
) -> pd.DataFrame:
    """Each rep's modules: every rule whose weakness pattern and role match.

    A module recommended for several weaknesses appears once per rep, with the
    highest priority and all the evidence joined.

    Parameters
    ----------
    weaknesses : DataFrame
        :func:`diagnose`.
    rules : list of dict, optional
        Learning-path rules (see :func:`validate_rules`); default :data:`DEFAULT_RULES`.
    language : {"en", "zh"}
        Language of the module labels.

    Returns
    -------
    DataFrame
        ``owner_id | role | priority | module | module_id | weakness | evidence | rule``,
        by rep, then priority (1 first).
    """
    rules = validate_rules(rules if rules is not None else DEFAULT_RULES)
    if not len(weaknesses):
        return pd.DataFrame(columns=PLAN_COLUMNS)
    rows = []
    for rule in rules:
        match = np.array(
            [fnmatch.fnmatchcase(w, rule["weakness"]) for w in weaknesses["weakness"]], dtype=bool
        )
        if rule["roles"]:
            match &= weaknesses["role"].isin(rule["roles"]).to_numpy()
        hit = weaknesses[match]
        for module in rule["modules"]:
            label = module["label_zh"] if language == "zh" else module["label_en"]
            rows.append(
                hit.assign(
                    priority=rule["priority"],
                    module=label,
                    module_id=module["id"],
                    rule=rule["id"],
                )
            )
    if not rows:
        return pd.DataFrame(columns=PLAN_COLUMNS)
    plan = pd.concat(rows, ignore_index=True)
    sep = "；" if language == "zh" else "; "
    out = (
        plan.sort_values(["owner_id", "priority", "shortfall"], ascending=[True, True, False])
        .groupby(["owner_id", "module_id"], sort=False)
        .agg(
            role=("role", "first"),
            priority=("priority", "min"),
            module=("module", "first"),
            weakness=("weakness", lambda s: ", ".join(dict.fromkeys(s))),
            evidence=("evidence", lambda s: sep.join(dict.fromkeys(s))),
            rule=("rule", lambda s: ", ".join(dict.fromkeys(s))),
        )
        .reset_index()
    )
    out = out.sort_values(["owner_id", "priority", "module_id"], kind="stable")
    return out[PLAN_COLUMNS].reset_index(drop=True)


def module_demand(paths: pd.DataFrame) -> pd.DataFrame:
    """How many reps each module is recommended to (for planning sessions).

    Returns
    -------
    DataFrame
        ``module_id | module | reps | priority`` (most reps first; ``priority`` the most
        urgent any rep has for it).
    """
    columns = ["module_id", "module", "reps", "priority"]
    if not len(paths):
        return pd.DataFrame(columns=columns)
    out = (
        paths.groupby(["module_id", "module"])
        .agg(reps=("owner_id", "nunique"), priority=("priority", "min"))
        .reset_index()
        .sort_values(["reps", "priority", "module_id"], ascending=[False, True, True])
    )
    return out[columns].reset_index(drop=True)


# --- coaching pairs -----------------------------------------------------------------------------


def coaching_pairs(
    weaknesses: pd.DataFrame,
    coaches: Sequence[str],
    config: PilotConfig,
    *,
    stage_performance: pd.DataFrame | None = None,
    rep_gaps: pd.DataFrame | None = None,
    reps: pd.DataFrame | None = None,
    language: str | None = None,
    **thresholds: Any,
) -> pd.DataFrame:
    """Match consistent strong converters with reps whose weakness is their strength.

    A coach is strong at a stage when their shrunk rate (adjusted for the deal mix where
    ``stage_performance`` has it) is at least ``stage_gap`` above the team's, and at a
    competency when their score is at least ``score_gap`` × scale above the team mean.
    Candidate pairs (coach strength = mentee weakness) are taken greedily, largest
    difference first (same team first on ties), each coach taking at most ``max_mentees``
    mentees and each mentee at most ``max_coaches`` coaches (one per weakness). Stage
    strengths and weaknesses are both read on like deals when the stage performance carries
    the adjusted rate, so a coach is never chosen for a territory that flatters them.

    Returns
    -------
    DataFrame
        ``coach_id | mentee_id | areas | weakness | same_team | reason``: one row per
        pair; ``areas`` counts the weaknesses the coach covers, ``weakness`` lists them
        (largest difference first) and ``reason`` gives the evidence for each.
    """
    from playbook.i18n import t

    language = language or config.language
    s = plan_settings(config, **thresholds)
    coaches = [str(c) for c in coaches]
    if not coaches or not len(weaknesses):
        return pd.DataFrame(columns=PAIR_COLUMNS)
    span = float(config.capability.scale_max - config.capability.scale_min)
    strengths = []
    if stage_performance is not None and len(stage_performance):
        sp = stage_performance[stage_performance["owner_id"].astype(str).isin(coaches)]
        sp = sp.assign(_value=compared_stage_rate(sp))
        sp = sp[sp["_value"] >= sp["team_rate"] + s["stage_gap"]]
        strengths.append(
            pd.DataFrame(
                {
                    "coach_id": sp["owner_id"].astype(str).to_numpy(),
                    "weakness": ("stage:" + sp["from"].astype(str)).to_numpy(),
                    "coach_value": sp["_value"].to_numpy(dtype=float),
                    "team_value": sp["team_rate"].to_numpy(dtype=float),
                    "scale": 1.0,
                }
            )
        )
    if rep_gaps is not None and len(rep_gaps):
        rg = rep_gaps[rep_gaps["rep_id"].astype(str).isin(coaches) & rep_gaps["team"].notna()]
        rg = rg[rg["score"] >= rg["team"] + s["score_gap"] * span]
        strengths.append(
            pd.DataFrame(
                {
                    "coach_id": rg["rep_id"].astype(str).to_numpy(),
                    "weakness": ("competency:" + rg["dimension"].astype(str)).to_numpy(),
                    "coach_value": rg["score"].to_numpy(dtype=float),
                    "team_value": rg["team"].to_numpy(dtype=float),
                    "scale": span or 1.0,
                }
            )
        )
    if not strengths:
        return pd.DataFrame(columns=PAIR_COLUMNS)
    strong = pd.concat(strengths, ignore_index=True)
    weak = weaknesses[~weaknesses["owner_id"].astype(str).isin(coaches)]
    weak = weak[weak["weakness"].str.startswith(("stage:", "competency:"))]
    cand = weak.merge(strong, on="weakness")
    if not len(cand):
        return pd.DataFrame(columns=PAIR_COLUMNS)
    cand = cand.rename(columns={"owner_id": "mentee_id", "observed": "mentee_value"})
    # a stage weakness is judged on the shrunk rate (adjusted for the deal mix where
    # there is one), as the coach's strength is: compare like with like
    if stage_performance is not None and len(stage_performance):
        shr = stage_performance.assign(
            weakness="stage:" + stage_performance["from"].astype(str),
            mentee_id=stage_performance["owner_id"].astype(str),
            _value=compared_stage_rate(stage_performance),
        ).set_index(["mentee_id", "weakness"])["_value"]
        key = pd.MultiIndex.from_arrays([cand["mentee_id"], cand["weakness"]])
        stage_rows = cand["weakness"].str.startswith("stage:").to_numpy()
        shrunk = shr.reindex(key).to_numpy(dtype=float)
        cand["mentee_value"] = np.where(
            stage_rows & ~np.isnan(shrunk), shrunk, cand["mentee_value"]
        )
    team_of = {}
    if reps is not None and "team" in reps.columns:
        team_of = dict(zip(reps["rep_id"].astype(str), reps["team"].astype(str), strict=False))
    cand["same_team"] = [
        team_of.get(c) is not None and team_of.get(c) == team_of.get(m)
        for c, m in zip(cand["coach_id"], cand["mentee_id"], strict=True)
    ]
    cand["score"] = (cand["coach_value"] - cand["mentee_value"]) / cand["scale"]
    cand = cand.sort_values(
        ["score", "same_team", "coach_id", "mentee_id"], ascending=[False, False, True, True]
    )
    load: dict[str, set[str]] = {}
    taken: set[tuple[str, str]] = set()
    per_mentee: dict[str, set[str]] = {}
    keep = []
    for i, r in zip(cand.index, cand.itertuples(index=False), strict=True):
        mentees = load.setdefault(r.coach_id, set())
        mine = per_mentee.setdefault(r.mentee_id, set())
        if (r.mentee_id, r.weakness) in taken:
            continue
        if r.mentee_id not in mentees and len(mentees) >= s["max_mentees"]:
            continue
        if r.coach_id not in mine and len(mine) >= s["max_coaches"]:
            continue
        mentees.add(r.mentee_id)
        mine.add(r.coach_id)
        taken.add((r.mentee_id, r.weakness))
        keep.append(i)
    out = cand.loc[keep].copy()
    labels = {
        d.id: (d.label_zh if language == "zh" else d.label_en) for d in config.capability.dimensions
    }

    def reason(r) -> str:
        if r.weakness.startswith("stage:"):
            return t(
                "plan_pair_reason_stage",
                language,
                coach=r.coach_id,
                mentee=r.mentee_id,
                stage=_transition(config, r.area, language),
                coach_value=_pct(r.coach_value),
                mentee_value=_pct(r.mentee_value),
            )
        return t(
            "plan_pair_reason_competency",
            language,
            coach=r.coach_id,
            mentee=r.mentee_id,
            dimension=labels.get(r.area, r.area),
            coach_value=f"{r.coach_value:.1f}",
            mentee_value=f"{r.mentee_value:.1f}",
        )

    out["reason"] = [reason(r) for r in out.itertuples(index=False)]
    sep = "；" if language == "zh" else "; "
    out = (
        out.sort_values(["coach_id", "mentee_id", "score"], ascending=[True, True, False])
        .groupby(["coach_id", "mentee_id"], sort=True)
        .agg(
            areas=("weakness", "size"),
            weakness=("weakness", ", ".join),
            same_team=("same_team", "first"),
            reason=("reason", sep.join),
        )
        .reset_index()
    )
    return out[PAIR_COLUMNS]


def _transition(config: PilotConfig, stage: str, language: str) -> str:
    ids = config.funnel.ids
    if stage in ids and ids.index(stage) + 1 < len(ids):
        nxt = ids[ids.index(stage) + 1]
        return f"{config.stage_label(stage, language)} → {config.stage_label(nxt, language)}"
    return config.stage_label(stage, language)


# --- the whole step -----------------------------------------------------------------------------


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
    facts = study.facts
    if facts is None:
        facts = deal_facts(
            data.deals,
            config,
            stage_events=data.stage_events,
            activities=data.activities,
            outcomes=data.outcomes,
            reps=data.reps,
        )
    weaknesses = diagnose(
        config,
        stage_performance=study.stage_performance,
        rep_gaps=study.rep_gaps,
        gaps=study.gaps,
        facts=facts,
        reps=data.reps,
        language=language,
        **settings,
    )
    paths = learning_paths(weaknesses, rule_set, language=language)
    pairs = coaching_pairs(
        weaknesses,
        study.benchmark,
        config,
        stage_performance=study.stage_performance,
        rep_gaps=study.rep_gaps,
        reps=data.reps,
        language=language,
        **settings,
    )
    notes = []
    if not study.benchmark:
        notes.append(t("plan_no_coaches", language))
    if not len(paths):
        notes.append(t("plan_no_weakness", language))
    mgs = int(config.min_group_size)
    other = t("other_teams", language)
    by_rep = kpi_by_rep(facts, language=language, min_group_size=mgs, other=other)
    table = kpi_table(facts, min_group_size=mgs, language=language, other=other)
    # behaviours are judged by how they go with winning on like deals where that is known
    like_deals = bool(by_rep["metric"].eq("win_rate_vs_expected").any())
    outcome = "win_rate_vs_expected" if like_deals else "win_rate"
    candidates = incentive_candidates(by_rep, min_reps=mgs, outcome=outcome)
    return DevelopmentPlan(
        settings=settings,
        rules=rule_set,
        weaknesses=weaknesses,
        paths=paths,
        demand=module_demand(paths),
        pairs=pairs,
        kpis=table,
        by_rep=by_rep,
        incentives=candidates,
        incentive_values=incentive_values(by_rep, candidates),
        sla=sla_proposal(facts, config, deals=data.deals, stage_events=data.stage_events),
        notes=notes,
        kpi_view=kpi_matrix(table, language),
        sla_labels={
            "first_contact": t("sla_first_contact", language),
            "proposal_review": t("sla_proposal_review", language),
        },
    )
