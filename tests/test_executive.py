"""The executive summary, grouped findings, scorecard and what changed, on small
constructed findings whose right order differs from the naive one."""

from __future__ import annotations

import pytest

from playbook.findings import Finding, finding_record, is_material, rank
from playbook.report.executive import (
    assured_share,
    build_executive,
    checked_clean,
    money_at_stake,
    period_months,
)
from playbook.report.finding_groups import group_findings
from playbook.report.scorecard import scorecard, what_changed
from playbook.steps.plan import plan_rules
from playbook.workspace.config import PilotConfig

CONFIG = PilotConfig()
REP_TEAMS = {"R1": "East-2", "R2": "East-2", "R3": "West", "R4": "West"}
YEAR = {"start": "2026-01-01", "end": "2026-12-31"}  # 365 days: 12 months


def _f(kind, severity, dimension, value, *, impact=0.0, p=0.001, **more) -> dict:
    stage = more.pop("stage", "lead")
    return finding_record(
        Finding(
            kind=kind,
            severity=severity,
            evidence=f"{kind} in {value}",
            dimension=dimension,
            value=value,
            stage=stage,
            impact=impact,
            p_value=p,
            n=more.pop("n", 100),
            **more,
        )
    )


def _label(stage: str) -> str:
    return CONFIG.stage_label(stage, "en")


def test_reps_findings_become_details_of_their_teams_finding() -> None:
    team = _f("slow_handoff", 2, "team", "East-2", impact=1200)
    reps = [_f("slow_handoff", 2, "owner_id", r, impact=900) for r in ("R1", "R2")]
    other = _f("slow_handoff", 2, "owner_id", "R3", impact=500)  # West has no team finding
    groups = group_findings([*reps, other, team], REP_TEAMS)
    # naive ranking lists four rows, the team's reps beside their team
    assert len(rank(Finding(**r) for r in [*reps, other, team])) == 4
    assert [g.lead["value"] for g in groups] == ["East-2", "R3"]
    assert sorted(m["value"] for m in groups[0].members) == ["R1", "R2"]
    assert sum(len(g.findings) for g in groups) == 4  # nothing dropped


def test_findings_sharing_a_cause_sit_together() -> None:
    slow = _f("slow_handoff", 2, "team", "East-2", impact=1000)
    sleeping = _f("sleeping_leads", 1, "team", "East-2", impact=400, stage=None)
    elsewhere = _f("bottleneck", 2, "segment", "Retail", impact=800)
    groups = group_findings([sleeping, elsewhere, slow], REP_TEAMS)
    assert [g.lead["kind"] for g in groups] == ["slow_handoff", "bottleneck"]
    assert [r["kind"] for r in groups[0].related] == ["sleeping_leads"]


def test_money_not_a_unitless_impact_orders_equally_severe_findings() -> None:
    # capability gaps carry a relative gap as ``impact``, not money: the naive ranking
    # (severity, then impact) puts the 0.4-point gap before a 600,000 bottleneck.
    gap = _f("capability_gap", 2, "dimension", "needs_discovery", impact=900000.0, stage=None)
    bottleneck = _f("bottleneck", 2, "segment", "Retail", impact=600000.0)
    naive = rank(Finding(**r) for r in (gap, bottleneck))
    assert naive[0].kind == "capability_gap"
    groups = group_findings(
        [gap, bottleneck], money=lambda r: money_at_stake(r, months=12, win_rate=0.3)
    )
    assert groups[0].lead["kind"] == "bottleneck"


def test_equal_severity_and_money_prefers_the_better_evidenced() -> None:
    weak = _f("bottleneck", 2, "region", "North", impact=100.0, p=0.04)
    strong = _f("bottleneck", 2, "region", "South", impact=100.0, p=0.0001)
    assert [g.lead["value"] for g in group_findings([weak, strong])] == ["South", "North"]


def test_money_per_month_follows_the_findings_reach() -> None:
    assert period_months(YEAR) == pytest.approx(365 / (365.25 / 12))
    months = 12.0
    bottleneck = _f("bottleneck", 2, "segment", "Retail", impact=120000.0)
    assert money_at_stake(bottleneck, months=months, win_rate=0.25) == pytest.approx(10000.0)
    sleeping = _f("sleeping_leads", 2, "team", "West", impact=120000.0, stage=None)
    # sleeping pipeline is worth the win rate of it
    assert money_at_stake(sleeping, months=months, win_rate=0.25) == pytest.approx(2500.0)
    gap = _f("capability_gap", 2, "dimension", "reflection", impact=3.0, stage=None)
    assert money_at_stake(gap, months=months, win_rate=0.25) == 0.0


def test_expected_gain_is_the_part_of_the_gap_the_interval_is_sure_of() -> None:
    # 20% observed (95% CI 14-29%) against 60% elsewhere: a gap of 40 points, of which
    # 31 (60 - 29) survive the interval.
    record = _f(
        "bottleneck",
        3,
        "segment",
        "Retail",
        observed=0.20,
        baseline=0.60,
        ci_low=0.14,
        ci_high=0.29,
    )
    assert assured_share(record) == pytest.approx(0.31 / 0.40)
    sleeping = _f(
        "sleeping_leads", 2, "team", "West", observed=0.5, baseline=0.3, ci_low=0.45, ci_high=0.55
    )
    assert assured_share(sleeping) == pytest.approx(0.15 / 0.20)
    unsure = _f("bottleneck", 1, "segment", "Retail", observed=0.5, baseline=0.6, ci_high=0.65)
    assert assured_share(unsure) == 0.0


def _summary(findings: list[dict]) -> dict:
    return {
        "period": YEAR,
        "kpis": {
            "win_rate": {"value": 0.25, "n": 400},
            "won_revenue": {"value": 1e6, "n": 100},
            "first_contact_sla": {"value": 0.9, "n": 500},
        },
        "stages": [
            {"from": "lead", "to": "intent", "rate": 0.6, "entered": 1000},
            {"from": "intent", "to": "proposal", "rate": 0.5, "entered": 600},
        ],
        "findings": findings,
    }


def _executive(records: list[dict], rep_teams=REP_TEAMS):
    return build_executive(
        records,
        _summary(records),
        rep_teams=rep_teams,
        rules=plan_rules(CONFIG),
        min_group_size=2,
        language="en",
        stage_label=_label,
    )


def test_executive_ranks_by_money_not_severity_and_names_no_person() -> None:
    critical_but_small = _f("bottleneck", 3, "segment", "Retail", impact=12000.0)
    material_and_big = _f("bottleneck", 1, "region", "North", impact=1200000.0, stage="intent")
    team = _f("slow_handoff", 2, "team", "East-2", impact=240000.0)
    rep = _f("slow_handoff", 2, "owner_id", "R1", impact=360000.0)
    lone_rep = _f("slow_handoff", 2, "owner_id", "R3", impact=9e9)  # a person: never an item
    records = [critical_but_small, material_and_big, team, rep, lone_rep]
    _, items, _ = _executive(records)
    months = period_months(YEAR)
    assert [i["value"] for i in items] == ["North", "East-2", "Retail"]
    assert items[0]["revenue_at_stake"] == pytest.approx(1200000.0 / months, abs=0.01)
    assert all(i["dimension"] != "owner_id" for i in items)
    text = " ".join(f"{i['owner']} {i['action']}" for i in items)
    assert "R1" not in text and "R3" not in text
    assert items[1]["owner"] == "sales manager of team East-2"
    assert "Lead response SOP" in items[1]["action"]  # the plan's module for slow contact
    assert items[0]["owner"] == "head of region North"


def test_executive_holds_at_most_five_and_no_context_findings() -> None:
    records = [
        _f("bottleneck", 2, "region", f"R{i}", impact=1000.0 * (i + 1)) for i in range(7)
    ] + [_f("pilot_effect", 3, "pilot_group", "pilot", impact=1e12)]
    _, items, _ = _executive(records, {})
    assert len(items) == 5
    assert [i["value"] for i in items] == ["R6", "R5", "R4", "R3", "R2"]


def test_a_problem_without_a_money_figure_comes_after_the_priced_ones() -> None:
    gap = _f("capability_gap", 3, "dimension", "needs_discovery", impact=5.0, stage=None)
    small = _f("bottleneck", 1, "segment", "Retail", impact=12.0)
    _, items, _ = _executive([gap, small], {})
    assert [i["kind"] for i in items] == ["bottleneck", "capability_gap"]
    assert items[1]["revenue_at_stake"] is None and items[1]["expected_gain"] is None
    assert items[1]["owner"] == "sales enablement lead"
    # the plan's rule for experienced reps (the default track), not the one for new reps
    rules = [r for r in plan_rules(CONFIG) if r["weakness"] == "competency:needs_discovery"]
    senior = next(r for r in rules if "experienced" in r["roles"])["modules"][0]["label_en"]
    junior = next(r for r in rules if r["roles"] == ["new"])["modules"][0]["label_en"]
    assert f"'{senior}'" in items[1]["action"] and junior not in items[1]["action"]


def test_checked_clean_lists_only_what_was_tested_and_found_healthy() -> None:
    records = [_f("bottleneck", 2, "segment", "Retail", impact=100.0, stage="lead")]
    teams = {"R1": "East-2", "R2": "East-2", "R3": "West", "R4": "West", "R5": "Solo"}
    clean = checked_clean(
        _summary(records), teams, min_group_size=2, language="en", stage_label=_label
    )
    ids = [(c["area"], c["id"]) for c in clean]
    assert ("stage", "lead") not in ids  # the lead stage has a bottleneck
    assert ("stage", "intent") in ids
    assert ("handoff", "first_contact") in ids  # no slow handoff found
    assert ("team", "East-2") in ids and ("team", "West") in ids
    assert ("team", "Solo") not in ids  # too few people to say anything about


def test_what_changed_folds_reps_into_their_team_and_moves_kpis() -> None:
    last = {
        "findings": [_f("bottleneck", 2, "segment", "Retail")],
        "kpis": {"win_rate": {"value": 0.20}, "median_cycle_days": {"value": 40.0}},
    }
    now = {
        "findings": [
            _f("slow_handoff", 2, "team", "East-2"),
            _f("slow_handoff", 2, "owner_id", "R1"),
            _f("slow_handoff", 2, "owner_id", "R3"),
        ],
        "kpis": {"win_rate": {"value": 0.25}, "median_cycle_days": {"value": 45.0}},
    }
    change = what_changed(now, last, REP_TEAMS)
    assert [f["value"] for f in change["new"]] == ["East-2", "R3"]
    assert [f["value"] for f in change["resolved"]] == ["Retail"]
    moves = {r["name"]: r["direction"] for r in change["kpi_moves"]}
    assert moves == {"win_rate": "better", "median_cycle_days": "worse"}  # longer is worse
    assert what_changed(now, None) is None


def test_scorecard_compares_with_target_and_last_period() -> None:
    rows = scorecard(
        {"win_rate": {"value": 0.25, "n": 10}, "deals": {"value": 5}, "nps": {"value": 7}},
        {"win_rate": {"value": 0.30}},
        {"win_rate": 0.2},
    )
    assert [r["name"] for r in rows] == ["deals", "win_rate"]  # headline KPIs only
    win = rows[1]
    assert win["previous"] == 0.30 and win["direction"] == "worse"
    assert win["target"] == 0.2 and win["vs_target"] == "better"


def test_revenue_at_stake_is_material_from_five_percent_of_a_positive_whole():
    assert is_material(5.0, 100.0)
    assert not is_material(4.99, 100.0)
    assert not is_material(0.0, 0.0)  # nothing won (or no pipeline): nothing is material
    assert not is_material(3.0, -1.0)
