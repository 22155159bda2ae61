"""The executive summary: the problems that cost the most, with owner, action and gain.

Pure functions over what the steps already recorded (the finding records with their
``impact`` and ``extra``, the summary's KPIs and stages); the runner writes the result
into ``summary.json`` (``executive``, ``checked_clean``) and the overview page.

Money at stake per month follows the growth formula (revenue = leads x stage rates x
average won amount) over each finding's reach: a bottleneck's or slow handoff's
``impact`` is already gap x deals reaching it x downstream conversion x average won
amount over the analysed period; sleeping leads hold pipeline, worth the company's win
rate of it. Divided by the period's months, it is money per month. The expected gain if
the action works is the part of that gap the finding's 95% interval is sure of (the
slice brought to the edge of its interval nearest the rest), so it never promises
more than the evidence holds.
"""

from __future__ import annotations

import fnmatch
from collections.abc import Mapping, Sequence
from datetime import date
from typing import Any

from playbook.i18n import t
from playbook.report.finding_groups import (
    PERSON_DIMENSION,
    TEAM_DIMENSION,
    FindingGroup,
    group_findings,
    is_problem,
)

MIN_ITEMS, MAX_ITEMS = 3, 5
#: Kinds whose ``impact`` is money over the analysed period (or won deals without amounts).
MONEY_KINDS = ("bottleneck", "slow_handoff")
#: Kinds the executive summary can put a money figure on.
PRICED_KINDS = (*MONEY_KINDS, "sleeping_leads")
DAYS_PER_MONTH = 365.25 / 12


def period_months(period: Mapping[str, Any]) -> float:
    """Months in the analysed period (``start``/``end`` ISO dates), at least 1."""
    try:
        start = date.fromisoformat(str(period.get("start")))
        end = date.fromisoformat(str(period.get("end")))
    except ValueError:
        return 1.0
    return max(1.0, ((end - start).days + 1) / DAYS_PER_MONTH)


def money_at_stake(record: Mapping[str, Any], *, months: float, win_rate: float | None) -> float:
    """A finding's money at stake per month (0 when it has none).

    Bottlenecks and slow handoffs: ``impact`` / months. Sleeping leads: the excess
    sleeping pipeline x the company's win rate / months (a sleeping deal is not yet
    lost). Other kinds carry no money figure.
    """
    impact = float(record.get("impact") or 0.0)
    if record.get("kind") in MONEY_KINDS:
        return max(impact, 0.0) / months
    if record.get("kind") == "sleeping_leads" and win_rate is not None:
        return max(impact, 0.0) * win_rate / months
    return 0.0


def _share(gap: float, sure: float) -> float:
    if not gap or gap <= 0:
        return 0.0
    return min(max(sure / gap, 0.0), 1.0)


def assured_share(record: Mapping[str, Any]) -> float:
    """The part (0-1) of a finding's gap that its 95% interval is sure of."""
    kind = record.get("kind")
    observed, baseline = record.get("observed"), record.get("baseline")
    low, high = record.get("ci_low"), record.get("ci_high")
    extra = record.get("extra") or {}
    if kind == "bottleneck" and None not in (observed, baseline, high):
        return _share(baseline - observed, baseline - high)
    if kind == "slow_handoff":
        rate, rest = extra.get("lead_rate"), extra.get("rest_lead_rate")
        rate_high = extra.get("lead_ci_high")
        if None not in (rate, rest, rate_high):
            return _share(rest - rate, rest - rate_high)
    if kind == "sleeping_leads" and None not in (observed, baseline, low):
        return _share(observed - baseline, low - baseline)
    return 0.0


def _module_label(module: Mapping[str, Any], language: str) -> str:
    return str(module.get("label_zh" if language == "zh" else "label_en") or module.get("id"))


def weakness_of(record: Mapping[str, Any]) -> str | None:
    """The plan step's weakness name a finding corresponds to (for its learning rules)."""
    kind = record.get("kind")
    if kind == "bottleneck" and record.get("stage"):
        return f"stage:{record['stage']}"
    if kind in ("slow_handoff", "sleeping_leads"):
        return "slow_first_contact"
    if kind == "capability_gap" and record.get("value"):
        return f"competency:{record['value']}"
    return None


def plan_module(
    record: Mapping[str, Any], rules: Sequence[Mapping[str, Any]], language: str
) -> str | None:
    """The first learning module the plan's rules give for the finding's weakness.

    Rules for every role (or for experienced reps, the plan's default track) are
    preferred; among them the lowest ``priority`` wins.
    """
    weakness = weakness_of(record)
    if weakness is None:
        return None
    matching = [
        r
        for r in rules
        if fnmatch.fnmatchcase(weakness, str(r.get("weakness")))
        and r.get("modules")
        and (not r.get("roles") or {"experienced", "unknown"} & set(r.get("roles")))
    ]
    if not matching:
        return None
    best = min(matching, key=lambda r: int(r.get("priority") or 9))
    return _module_label(best["modules"][0], language)


def slice_text(record: Mapping[str, Any], language: str, stage_label) -> str:
    """Where the problem is, in words: "team East-2", "segment Manufacturing", a stage."""
    dimension, value = record.get("dimension"), record.get("value")
    if dimension == TEAM_DIMENSION:
        return t("exec_slice_team", language, value=value)
    if record.get("kind") == "capability_gap":
        return t("exec_slice_competency", language, value=value)
    if dimension and value is not None and dimension != PERSON_DIMENSION:
        return _about_slice("exec_slice_other", language, dimension, value)
    if record.get("stage"):
        return stage_label(str(record["stage"]))
    return t("exec_slice_company", language)


def _about_slice(key: str, language: str, dimension: str, value) -> str:
    """The text ``key`` about one slice, its dimension in words ("segment Manufacturing")."""
    return t(key, language, dimension=_dimension_word(dimension, language), value=value)


def _dimension_word(dimension: str, language: str) -> str:
    from playbook.i18n import TEXT

    key = f"col_{dimension}"
    return TEXT[key][language] if key in TEXT else dimension


def owner_of(record: Mapping[str, Any], language: str, stage_label) -> str:
    """Who owns the fix: a team's manager, a slice's head, a stage's or a role's owner.

    Never a person: a finding about a single rep is owned by the reps' line manager.
    """
    dimension, value, kind = record.get("dimension"), record.get("value"), record.get("kind")
    if dimension == TEAM_DIMENSION:
        return t("exec_owner_team", language, value=value)
    if dimension == PERSON_DIMENSION:
        return t("exec_owner_line_manager", language)
    if kind == "capability_gap":
        return t("exec_owner_enablement", language)
    if kind == "data_quality":
        return t("exec_owner_crm", language)
    if dimension and value is not None:
        return _about_slice("exec_owner_slice", language, dimension, value)
    if record.get("stage"):
        return t("exec_owner_stage", language, stage=stage_label(str(record["stage"])))
    return t("exec_owner_sales_lead", language)


def action_of(
    record: Mapping[str, Any],
    rules: Sequence[Mapping[str, Any]],
    language: str,
    stage_label,
) -> str:
    """What to do, in one sentence, with the plan step's learning module for it."""
    module = plan_module(record, rules, language) or t("exec_no_module", language)
    where = slice_text(record, language, stage_label)
    stage = stage_label(str(record["stage"])) if record.get("stage") else ""
    key = {
        "bottleneck": "exec_action_bottleneck",
        "slow_handoff": "exec_action_slow_handoff",
        "sleeping_leads": "exec_action_sleeping_leads",
        "capability_gap": "exec_action_capability_gap",
    }.get(str(record.get("kind")), "exec_action_other")
    return t(key, language, module=module, where=where, stage=stage)


def executive_items(
    groups: Sequence[FindingGroup],
    *,
    period: Mapping[str, Any],
    kpis: Mapping[str, Mapping[str, Any]],
    rules: Sequence[Mapping[str, Any]],
    language: str,
    stage_label,
) -> list[dict[str, Any]]:
    """The 3-5 problems that matter most, by money at stake per month.

    A group's money is its lead's plus its related findings' (one cause, one figure;
    rep details are part of their team's figure already). Groups about a single rep
    are left to the findings list: the summary names teams, slices, stages and roles.
    Fewer than three items only when fewer problems passed the evidence standard.

    Returns
    -------
    list of dict
        ``kind, severity, stage, dimension, value, revenue_at_stake, at_stake_unit,
        owner, action, expected_gain, evidence, n, ci_low, ci_high, details`` —
        money per month in the workspace currency (``at_stake_unit`` ``amount``), or in
        won deals per month when the deals carry no amounts (``won_deals``); None for a
        problem the data cannot price (a competency gap).
    """
    months = period_months(period)
    win_rate = (kpis.get("win_rate") or {}).get("value")
    amounts = _amounts_known(kpis, [g.lead for g in groups])
    candidates = []
    for group in groups:
        lead = group.lead
        if not is_problem(lead) or lead.get("dimension") == PERSON_DIMENSION:
            continue
        parts = [lead, *group.related]
        at_stake = gain = None
        if any(r.get("kind") in PRICED_KINDS for r in parts):
            at_stake = sum(money_at_stake(r, months=months, win_rate=win_rate) for r in parts)
            gain = sum(
                money_at_stake(r, months=months, win_rate=win_rate) * assured_share(r)
                for r in parts
            )
        candidates.append((group, at_stake, gain))
    # a problem without a money figure (a competency gap) comes after every priced one
    candidates.sort(
        key=lambda c: (c[1] is None, -(c[1] or 0.0), -int(c[0].lead.get("severity") or 0))
    )
    items = []
    for group, at_stake, gain in candidates[:MAX_ITEMS]:
        lead = group.lead
        items.append(
            {
                "kind": lead["kind"],
                "severity": lead.get("severity"),
                "stage": lead.get("stage"),
                "dimension": lead.get("dimension"),
                "value": lead.get("value"),
                "revenue_at_stake": None if at_stake is None else round(at_stake, 2),
                "at_stake_unit": "amount" if amounts else "won_deals",
                "owner": owner_of(lead, language, stage_label),
                "action": action_of(lead, rules, language, stage_label),
                "expected_gain": None if gain is None else round(gain, 2),
                "evidence": lead.get("evidence"),
                "n": lead.get("n"),
                "ci_low": lead.get("ci_low"),
                "ci_high": lead.get("ci_high"),
                "details": len(group.related) + len(group.members),
            }
        )
    return items


def _amounts_known(
    kpis: Mapping[str, Mapping[str, Any]], records: Sequence[Mapping[str, Any]]
) -> bool:
    """Whether money is in amounts (else in won deals): the intake's won revenue says so;
    a partial run without it has the bottleneck step's own ``impact_unit``."""
    if "won_revenue" in kpis:
        return (kpis.get("won_revenue") or {}).get("value") is not None
    units = {(r.get("extra") or {}).get("impact_unit") for r in records} - {None}
    return "won deals" not in units


def checked_clean(
    summary: Mapping[str, Any],
    rep_teams: Mapping[str, str],
    *,
    min_group_size: int,
    language: str,
    stage_label,
) -> list[dict[str, Any]]:
    """What the playbook tested and found healthy: stages, handoffs and teams.

    Returns
    -------
    list of dict
        ``area`` (stage / handoff / team), ``id`` and ``text`` (one sentence with the
        figure and its n where the summary has them).
    """
    findings = summary.get("findings", [])
    flagged_stages = {f.get("stage") for f in findings if f.get("kind") == "bottleneck"}
    out: list[dict[str, Any]] = []
    for row in summary.get("stages", []):
        if row.get("from") in flagged_stages or row.get("rate") is None:
            continue
        out.append(
            {
                "area": "stage",
                "id": row["from"],
                "text": t(
                    "exec_clean_stage",
                    language,
                    stage=stage_label(row["from"]),
                    to=stage_label(row["to"]),
                    rate=f"{row['rate']:.0%}",
                    n=f"{int(row.get('entered') or 0):,}",
                ),
            }
        )
    kinds = {f.get("kind") for f in findings}
    kpis = summary.get("kpis", {})
    sla = kpis.get("first_contact_sla") or {}
    if "slow_handoff" not in kinds and sla.get("value") is not None:
        out.append(
            {
                "area": "handoff",
                "id": "first_contact",
                "text": t(
                    "exec_clean_first_contact",
                    language,
                    rate=f"{sla['value']:.0%}",
                    n=f"{int(sla.get('n') or 0):,}",
                ),
            }
        )
    if (
        "sleeping_leads" not in kinds
        and (kpis.get("sleeping_share") or {}).get("value") is not None
    ):
        out.append(
            {
                "area": "handoff",
                "id": "sleeping_leads",
                "text": t(
                    "exec_clean_sleeping",
                    language,
                    rate=f"{kpis['sleeping_share']['value']:.0%}",
                    n=f"{int(kpis['sleeping_share'].get('n') or 0):,}",
                ),
            }
        )
    flagged_teams = {f.get("value") for f in findings if f.get("dimension") == TEAM_DIMENSION}
    flagged_teams |= {
        rep_teams.get(str(f.get("value")))
        for f in findings
        if f.get("dimension") == PERSON_DIMENSION
    }
    sizes: dict[str, int] = {}
    for team in rep_teams.values():
        sizes[team] = sizes.get(team, 0) + 1
    for team in sorted(sizes):
        if team in flagged_teams or sizes[team] < min_group_size:
            continue
        out.append(
            {
                "area": "team",
                "id": team,
                "text": t("exec_clean_team", language, team=team, reps=sizes[team]),
            }
        )
    return out


def build_executive(
    records: Sequence[Mapping[str, Any]],
    summary: Mapping[str, Any],
    *,
    rep_teams: Mapping[str, str],
    rules: Sequence[Mapping[str, Any]],
    min_group_size: int,
    language: str,
    stage_label,
    findings_period: Mapping[str, Any] | None = None,
) -> tuple[list[FindingGroup], list[dict[str, Any]], list[dict[str, Any]]]:
    """Groups for the overview, the executive items and the checked-and-clean list.

    ``findings_period`` is the span of data the findings were measured on (default: the
    summary's period; a monthly report's findings look at the whole history up to the
    month's end, not at the month alone).
    """
    period = findings_period or summary.get("period", {})
    months = period_months(period)
    win_rate = (summary.get("kpis", {}).get("win_rate") or {}).get("value")
    groups = group_findings(
        records,
        rep_teams,
        money=lambda r: money_at_stake(r, months=months, win_rate=win_rate),
    )
    items = executive_items(
        groups,
        period=period,
        kpis=summary.get("kpis", {}),
        rules=rules,
        language=language,
        stage_label=stage_label,
    )
    clean = checked_clean(
        summary,
        rep_teams,
        min_group_size=min_group_size,
        language=language,
        stage_label=stage_label,
    )
    return groups, items, clean
