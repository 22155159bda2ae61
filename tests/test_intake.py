"""Step 0: data quality, record completeness and privacy-respecting team views."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest

from playbook.steps import intake


def _deals() -> pd.DataFrame:
    return pd.DataFrame(
        {
            "deal_id": ["D1", "D2", "D3", "D4"],
            "created_at": pd.to_datetime(["2026-01-01", "2026-01-02", "2026-01-03", "2026-01-04"]),
            "owner_id": ["R1", "R1", "R2", "R3"],
            "status": ["won", "lost", "lost", "open"],
            "closed_at": pd.to_datetime(["2026-02-01", "2026-02-02", "2026-02-03", None]),
            "amount": [100.0, np.nan, 50.0, 10.0],
            "segment": ["A", "A", None, "B"],
            "lost_reason": [None, "price", None, None],
        }
    )


def _events() -> pd.DataFrame:
    return pd.DataFrame(
        {
            "deal_id": ["D1", "D1", "D2", "D3", "D3"],
            "stage": ["lead", "intent", "lead", "lead", "intent"],
            "entered_at": pd.to_datetime(
                ["2026-01-01", "2026-01-05", "2026-01-02", "2026-01-03", "2026-01-03"]
            ),
        }
    )


def test_deal_completeness_counts_only_applicable_fields() -> None:
    per_deal = intake.deal_completeness(_deals(), _events()).set_index("deal_id")
    # amount, segment, stage history (+ lost_reason when lost)
    assert per_deal.loc["D1", ["filled", "applicable"]].tolist() == [3, 3]
    assert per_deal.loc["D2", ["filled", "applicable"]].tolist() == [3, 4]  # no amount
    assert per_deal.loc["D3", ["filled", "applicable"]].tolist() == [2, 4]  # no segment, reason
    assert per_deal.loc["D4", ["filled", "applicable"]].tolist() == [2, 3]  # no stage events


def test_rep_completeness_with_intervals() -> None:
    reps = pd.DataFrame({"rep_id": ["R1", "R2", "R3"], "team": ["T1", "T1", "T2"]})
    per_rep = intake.rep_completeness(intake.deal_completeness(_deals(), _events()), reps)
    r1 = per_rep.set_index("owner_id").loc["R1"]
    assert r1["completeness"] == pytest.approx(6 / 7)
    assert r1["ci_low"] < 6 / 7 < r1["ci_high"]
    assert r1["team"] == "T1"
    assert per_rep["completeness"].is_monotonic_increasing


def test_small_teams_are_pooled_with_complementary_suppression() -> None:
    sizes = pd.Series({"A": 10, "B": 6, "C": 2})
    mapping = intake.pool_small_groups(sizes, 5, "other")
    # C alone (2) is too small; pooling it alone would still be 2 < 5 and could be
    # recovered from the total, so the smallest shown team (B) joins the pool.
    assert mapping == {"A": "A", "B": "other", "C": "other"}
    assert intake.pool_small_groups(pd.Series({"A": 5, "B": 5}), 5, "o") == {"A": "A", "B": "B"}


def test_team_view_never_averages_fewer_than_min_group_size() -> None:
    rows = []
    for team, n in (("big", 6), ("mid", 5), ("tiny", 1)):
        for i in range(n):
            rows.append(
                {
                    "owner_id": f"{team}{i}",
                    "team": team,
                    "deals": 2,
                    "filled": 1 + i % 2,
                    "applicable": 2,
                }
            )
    per_rep = pd.DataFrame(rows)
    teams = intake.team_completeness(per_rep, 5, "other teams")
    assert (teams["reps"] >= 5).all()
    assert "tiny" not in set(teams["team"])
    assert set(teams["team"]) == {"big", "other teams"}  # mid pooled with tiny
    assert teams["reps"].sum() == 12
    view = intake.rep_view(
        per_rep.assign(completeness=0.5, ci_low=0.1, ci_high=0.9), 5, "other teams"
    )
    assert set(view.loc[view["owner_id"] == "tiny0", "team"]) == {"other teams"}
    assert view["team_completeness"].notna().all()


def test_data_quality_reports_every_check() -> None:
    quality = intake.data_quality(_deals(), _events()).set_index("check")
    assert quality.loc["missing amount", "count"] == 1
    assert quality.loc["missing lost reason", "count"] == 1  # only lost deals count
    assert quality.loc["missing close date", "count"] == 0
    assert quality.loc["deals without any stage event", "count"] == 1
    assert (
        quality.loc["events sharing a timestamp with another stage of the same deal", "count"] == 2
    )


def test_data_quality_checks_are_named_in_the_report_language() -> None:
    quality = intake.data_quality(_deals(), _events(), language="zh").set_index("check")
    assert quality.loc["缺少金额", "count"] == 1
    assert quality.loc["缺少丢单原因", "count"] == 1
    assert quality.loc["没有任何阶段记录的商机", "count"] == 1
    assert not quality.index.str.contains("[A-Za-z]{3,}", regex=True).any(), quality.index


def test_without_amounts_won_revenue_is_unknown_not_zero() -> None:
    kpis = intake.headline_kpis(_deals().drop(columns=["amount"]))
    assert kpis["won_revenue"]["value"] is None
    assert kpis["won_revenue"]["n"] == 1
    assert intake.headline_kpis(_deals())["won_revenue"]["value"] == 100.0


def test_headline_kpis_do_not_count_open_deals_as_lost() -> None:
    kpis = intake.headline_kpis(_deals())
    assert kpis["win_rate"]["value"] == pytest.approx(1 / 3)
    assert kpis["win_rate"]["n"] == 3
    assert kpis["open_deals"]["value"] == 1
    assert kpis["median_cycle_days"]["value"] == pytest.approx(31.0)
    assert kpis["won_revenue"]["value"] == 100.0
