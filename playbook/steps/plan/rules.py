"""Step 5's learning-path rules: weakness × role → training modules.

The shipped catalogue of modules and :data:`DEFAULT_RULES`; a workspace replaces them with
``plan.rules`` in ``pilot.yml``, checked by :func:`validate_rules`.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import Any

from playbook.steps.plan.settings import _section
from playbook.workspace.config import PilotConfig


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


def _as_dict(value: Any) -> Any:
    """A config model as a plain dict (anything else unchanged)."""
    return value.model_dump() if hasattr(value, "model_dump") else value


def _normalise_module(m: Any) -> dict[str, str] | None:
    """A module as ``id | label_en | label_zh`` (a plain string serves as all three);
    None when it has no id."""
    m = _as_dict(m)
    if isinstance(m, str):
        return {"id": m, "label_en": m, "label_zh": m}
    if isinstance(m, Mapping) and m.get("id"):
        return {
            "id": str(m["id"]),
            "label_en": str(m.get("label_en") or m["id"]),
            "label_zh": str(m.get("label_zh") or m.get("label_en") or m["id"]),
        }
    return None


def _normalise_rule(i: int, raw: Any, problems: list[str]) -> dict[str, Any]:
    """Rule number ``i`` in its normal form; what is wrong with it goes to ``problems``."""
    rule = dict(_as_dict(raw))
    where = f"plan.rules[{i}]"
    weakness = rule.get("weakness")
    if not isinstance(weakness, str) or not weakness:
        problems.append(f"{where}: 'weakness' must be a text such as 'stage:negotiation'")
    modules = []
    for m in rule.get("modules") or []:
        module = _normalise_module(m)
        if module is None:
            problems.append(f"{where}: each module needs an 'id' (got {_as_dict(m)!r})")
        else:
            modules.append(module)
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
    return {
        "id": str(rule.get("id") or f"rule_{i + 1}"),
        "weakness": weakness,
        "roles": [str(r) for r in roles],
        "modules": modules,
        "priority": priority,
    }


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
    problems: list[str] = []
    out = [_normalise_rule(i, raw, problems) for i, raw in enumerate(rules)]
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
