"""What the overview page (``index.html``) shows first, built from the run's results.

Pure: the summary, the finding records the steps saved, the reps' teams, the previous
report's summary and company targets in; the executive items, the checked-and-clean
list, the scorecard, the grouped findings and what changed out (ready for the template
and for ``summary.json``).
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from typing import Any

import pandas as pd

from playbook.display import short_label
from playbook.i18n import TEXT, t
from playbook.report import format_kpi
from playbook.report.executive import build_executive
from playbook.report.finding_groups import FindingGroup
from playbook.report.scorecard import scorecard, what_changed
from playbook.workspace.config import PilotConfig

#: Groups shown on the overview (the rest are counted, and all are in summary.json).
SHOWN_GROUPS = 12


@dataclass
class Overview:
    """Everything the overview page and the exports show before the step links."""

    executive: list[dict[str, Any]]
    clean: list[dict[str, Any]]
    scorecard: list[dict[str, Any]]
    groups: list[FindingGroup]
    changed: dict[str, Any] | None = None
    monthly: bool = False
    language: str = "en"
    currency: str = ""


def rep_teams_of(reps: pd.DataFrame | None, deals: pd.DataFrame | None = None) -> dict[str, str]:
    """rep id -> team, from a reps table (empty without one or without a team column);
    with ``deals``, only the reps who own a deal there (the people the steps looked at)."""
    if reps is None or "team" not in reps or "rep_id" not in reps:
        return {}
    known = reps.dropna(subset=["rep_id", "team"])
    if deals is not None and "owner_id" in deals:
        known = known[known["rep_id"].astype(str).isin(set(deals["owner_id"].astype(str)))]
    return {str(r): str(tm) for r, tm in zip(known["rep_id"], known["team"], strict=True)}


def build_overview(
    records: Sequence[Mapping[str, Any]],
    summary: Mapping[str, Any],
    config: PilotConfig,
    language: str,
    *,
    rep_teams: Mapping[str, str] | None = None,
    previous: Mapping[str, Any] | None = None,
    targets: Mapping[str, float] | None = None,
    monthly: bool = False,
    findings_period: Mapping[str, Any] | None = None,
) -> Overview:
    """The overview's content (see the module docstring)."""
    from playbook.steps.plan import plan_rules

    def stage_label(stage: str) -> str:
        return config.stage_label(stage, language)

    groups, items, clean = build_executive(
        records,
        summary,
        rep_teams=rep_teams or {},
        rules=plan_rules(config),
        min_group_size=config.min_group_size,
        language=language,
        stage_label=stage_label,
        findings_period=findings_period,
    )
    return Overview(
        executive=items,
        clean=clean,
        scorecard=scorecard(summary.get("kpis", {}), (previous or {}).get("kpis"), targets or {}),
        groups=groups,
        changed=what_changed(summary, previous, rep_teams) if monthly else None,
        monthly=monthly,
        language=language,
        currency=config.currency,
    )


def money_text(amount: float | None, unit: str, currency: str, language: str) -> str:
    """Money (or won deals) per month in words."""
    if amount is None:
        return "–"
    if unit == "won_deals":
        return t("exec_deals_per_month", language, amount=f"{amount:,.1f}")
    return t("exec_per_month", language, amount=f"{amount:,.0f}", currency=currency).strip()


def _kind_label(kind: str, language: str) -> str:
    key = f"kind_{kind}"
    return TEXT[key][language] if key in TEXT else kind


def _kpi_label(name: str, language: str) -> str:
    key = f"kpi_{name}"
    return TEXT[key][language] if key in TEXT else name


def _plain(value: float | None, entry: Mapping[str, Any]) -> str:
    if value is None:
        return "–"
    return format_kpi({"value": value, "unit": entry.get("unit")})


def page_context(view: Overview) -> dict[str, Any]:
    """The overview's content as the template shows it (labels, formatted numbers)."""
    lang = view.language
    executive = [
        {
            **item,
            "kind_label": _kind_label(item["kind"], lang),
            "at_stake_text": money_text(
                item["revenue_at_stake"], item["at_stake_unit"], view.currency, lang
            ),
            "gain_text": money_text(
                item["expected_gain"], item["at_stake_unit"], view.currency, lang
            ),
        }
        for item in view.executive
    ]
    score_rows = [
        {
            "label": _kpi_label(row["name"], lang),
            "text": format_kpi(row["entry"], row["name"]),
            "n": row["entry"].get("n"),
            "target": _plain(row["target"], row["entry"]),
            "previous": _plain(row["previous"], row["entry"]),
            "direction": row["direction"] or "",
            "vs_target": row["vs_target"] or "",
        }
        for row in view.scorecard
    ]
    groups = [
        {
            "kind_label": _kind_label(g.lead["kind"], lang),
            "severity": g.lead.get("severity"),
            "evidence": g.lead.get("evidence"),
            "related": [
                {"kind_label": _kind_label(r["kind"], lang), "evidence": r.get("evidence")}
                for r in g.related
            ],
            "members": [short_label(str(m.get("value"))) for m in g.members],
            "members_title": t("groups_members", lang, n=len(g.members)),
        }
        for g in view.groups[:SHOWN_GROUPS]
    ]
    changed = None
    if view.monthly:
        changed = {"first": view.changed is None}
        if view.changed is not None:
            changed |= {
                "new": [f.get("evidence") for f in view.changed["new"]],
                "resolved": [f.get("evidence") for f in view.changed["resolved"]],
                "kpis": [
                    {
                        "label": _kpi_label(r["name"], lang),
                        "from": _plain(r["previous"], r["entry"]),
                        "to": _plain(r["entry"].get("value"), r["entry"]),
                        "direction": r["direction"],
                    }
                    for r in view.changed["kpi_moves"]
                ],
            }
    return {
        "executive": executive,
        "exec_few": t("exec_few", lang, n=len(executive)) if 0 < len(executive) < 3 else "",
        "clean": [c["text"] for c in view.clean],
        "scorecard": score_rows,
        "has_target": any(r["target"] is not None for r in view.scorecard),
        "has_previous": any(r["previous"] is not None for r in view.scorecard),
        "groups": groups,
        "groups_more": t("groups_more", lang, n=len(view.groups) - SHOWN_GROUPS)
        if len(view.groups) > SHOWN_GROUPS
        else "",
        "changed": changed,
        "etext": {k: t(k, lang) for k in EXECUTIVE_PAGE_KEYS},
    }


#: Static texts the overview template uses.
EXECUTIVE_PAGE_KEYS = (
    "exec_title",
    "exec_intro",
    "exec_none",
    "exec_at_stake",
    "exec_owner",
    "exec_action",
    "exec_gain",
    "exec_clean_title",
    "exec_clean_intro",
    "exec_clean_none",
    "score_title",
    "score_target",
    "score_previous",
    "score_all_kpis",
    "groups_title",
    "groups_related",
    "changed_title",
    "changed_new",
    "changed_resolved",
    "changed_kpis",
    "changed_nothing",
    "changed_first",
)


def summary_fields(view: Overview) -> dict[str, Any]:
    """The ``summary.json`` fields of schema 1.2: ``executive``, ``checked_clean`` and
    ``currency`` (the workspace's label for amounts)."""
    return {
        "currency": view.currency,
        "executive": [{k: v for k, v in item.items() if k != "details"} for item in view.executive],
        "checked_clean": [{k: c[k] for k in ("area", "id", "text")} for c in view.clean],
    }
