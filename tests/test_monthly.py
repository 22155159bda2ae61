"""Monthly metrics, worked out by hand: KPI table, pipeline change, findings diff, the cut."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest

from playbook.steps import monthly
from playbook.workspace.config import default_config
from playbook.workspace.dataset import Dataset
from playbook.workspace.load import as_of


def _deals() -> pd.DataFrame:
    return pd.DataFrame(
        {
            "deal_id": ["A", "B", "C", "D", "E"],
            "owner_id": ["r1", "r1", "r2", "r2", "r1"],
            "created_at": pd.to_datetime(
                ["2025-10-05", "2026-09-10", "2026-10-02", "2026-10-20", "2026-09-01"]
            ),
            "status": ["won", "won", "lost", "open", "won"],
            "closed_at": pd.to_datetime(
                ["2025-10-25", "2026-10-15", "2026-10-30", None, "2026-09-20"]
            ),
            "amount": [100.0, 200.0, 50.0, 80.0, 40.0],
        }
    )


REPS = pd.DataFrame({"rep_id": ["r1", "r2"], "team": ["T1", "T2"]})


def test_month_bounds_and_shift() -> None:
    start, end = monthly.month_bounds("2026-02")
    assert start == pd.Timestamp("2026-02-01") and end.date() == pd.Timestamp("2026-02-28").date()
    assert monthly.shift_month("2026-01", -1) == "2025-12"
    for bad in ("2026/10", "2026-13", "Oct", "2026-1"):
        with pytest.raises(ValueError, match="month must look like 2026-10"):
            monthly.month_bounds(bad)


def test_month_metrics_at_every_level() -> None:
    m = monthly.month_metrics(_deals(), None, None, REPS, "2026-10", min_group_size=1)
    company = m[m["level"] == "company"].set_index("metric")
    assert company.loc["won_revenue", "value"] == 200.0  # B closed in October
    assert company.loc["new_deals", "value"] == 2  # C and D
    assert company.loc["win_rate", "value"] == pytest.approx(0.5)  # B won, C lost
    assert company.loc["win_rate", "n"] == 2
    assert company.loc["win_rate", "ci_low"] < 0.5 < company.loc["win_rate", "ci_high"]
    teams = m[(m["level"] == "department") & (m["metric"] == "won_deals")].set_index("unit")
    assert teams.loc["T1", "value"] == 1 and teams.loc["T2", "value"] == 0
    people = m[(m["level"] == "individual") & (m["metric"] == "lost_deals")].set_index("unit")
    assert people.loc["r2", "value"] == 1


def test_kpi_table_compares_with_last_month_last_year_and_target() -> None:
    targets = pd.DataFrame(
        {
            "period": ["2026-10"],
            "level": ["company"],
            "unit": ["all"],
            "metric": ["won_revenue"],
            "target": [150.0],
        }
    )
    table = monthly.kpi_table(_deals(), None, None, REPS, "2026-10", targets)
    row = table[(table["level"] == "company") & (table["metric"] == "won_revenue")].iloc[0]
    assert row["last_month"] == 40.0  # E, September
    assert row["change"] == 160.0
    assert row["last_year"] == 100.0  # A, October 2025
    assert row["vs_target"] == 50.0
    view = monthly.kpi_view(table)
    assert (
        view.loc[(view["level"] == "company") & (view["metric"] == "win_rate"), "this_month"].iloc[
            0
        ]
        == "50.0%"
    )


def test_no_last_year_before_the_data_start() -> None:
    deals = _deals()[lambda d: d["created_at"] > "2026-01-01"]
    table = monthly.kpi_table(deals, None, None, REPS, "2026-10")
    assert table["last_year"].isna().all()


def test_pipeline_waterfall_adds_up() -> None:
    w = monthly.pipeline_waterfall(_deals(), "2026-10").set_index("step")
    # open on Oct 1: B (created Sep 10, closes Oct 15) -> 1 deal, 200
    assert w.loc["opening"].tolist() == [1, 200.0]
    assert w.loc["new"].tolist() == [2, 130.0]
    assert w.loc["won"].tolist() == [-1, -200.0]
    assert w.loc["lost"].tolist() == [-1, -50.0]
    assert w.loc["closing"].tolist() == [1, 80.0]
    flows = w.loc[["opening", "new", "won", "lost"], "amount"].sum()
    assert flows == w.loc["closing", "amount"]
    assert np.isnan(w.loc["pushed_out", "deals"])


def test_pushed_out_and_pulled_in_need_last_months_snapshot() -> None:
    deals = _deals().assign(
        expected_close_at=pd.to_datetime([None, None, None, "2026-11-15", None])
    )
    deals = pd.concat(
        [
            deals,
            pd.DataFrame(
                {
                    "deal_id": ["F"],
                    "owner_id": ["r1"],
                    "created_at": pd.to_datetime(["2026-08-01"]),
                    "status": ["open"],
                    "closed_at": pd.NaT,
                    "amount": [70.0],
                    "expected_close_at": pd.to_datetime(["2026-10-20"]),
                }
            ),
        ],
        ignore_index=True,
    )
    snapshot = pd.DataFrame(
        {"deal_id": ["D", "F"], "expected_close_at": pd.to_datetime(["2026-10-25", "2026-12-01"])}
    )
    w = monthly.pipeline_waterfall(deals, "2026-10", snapshot).set_index("step")
    assert w.loc["pushed_out"].tolist() == [1, 80.0]  # D: October -> November
    assert w.loc["pulled_in"].tolist() == [1, 70.0]  # F: December -> October


def test_findings_new_persisting_resolved() -> None:
    def f(kind, value, severity=2):
        return {
            "kind": kind,
            "dimension": "segment",
            "value": value,
            "stage": "proposal",
            "metric": "advance_rate",
            "severity": severity,
            "evidence": kind + value,
        }

    change = monthly.compare_findings(
        [f("bottleneck", "A"), f("bottleneck", "B")], [f("bottleneck", "B"), f("slow_handoff", "C")]
    )
    assert change[["status", "value"]].values.tolist() == [
        ["new", "A"],
        ["persisting", "B"],
        ["resolved", "C"],
    ]
    assert set(monthly.compare_findings([f("bottleneck", "A")], None)["status"]) == {"new"}


def test_as_of_forgets_what_happened_later() -> None:
    events = pd.DataFrame(
        {
            "deal_id": ["B", "B", "D"],
            "stage": ["lead", "signed", "lead"],
            "entered_at": pd.to_datetime(["2026-09-10", "2026-10-15", "2026-10-20"]),
        }
    )
    data = Dataset(config=default_config(), deals=_deals(), stage_events=events)
    cut = as_of(data, pd.Timestamp("2026-09-30 23:59:59"))
    assert set(cut.deals["deal_id"]) == {"A", "B", "E"}
    b = cut.deals.set_index("deal_id").loc["B"]
    assert b["status"] == "open" and pd.isna(b["closed_at"])
    assert cut.stage_events["deal_id"].tolist() == ["B"]
    assert data.deals.loc[1, "status"] == "won"  # the input is unchanged


def test_departments_never_describe_fewer_than_min_group_size_reps() -> None:
    # T1 has 3 reps, T2 6, T3 7 (each rep won one deal in October): T1 cannot be shown, and
    # pooled alone (3) it would still be too small, so T2 joins it; T3 stands on its own.
    sizes = {"T1": 3, "T2": 6, "T3": 7}
    reps = pd.DataFrame(
        [(f"{team}-r{i}", team) for team, n in sizes.items() for i in range(n)],
        columns=["rep_id", "team"],
    )
    deals = pd.DataFrame(
        {
            "deal_id": [f"d{i}" for i in range(len(reps))],
            "owner_id": reps["rep_id"],
            "created_at": pd.Timestamp("2026-10-02"),
            "status": "won",
            "closed_at": pd.Timestamp("2026-10-20"),
            "amount": 10.0,
        }
    )
    m = monthly.month_metrics(deals, None, None, reps, "2026-10", min_group_size=5, other="pool")
    won = m[m["metric"] == "won_deals"].set_index(["level", "unit"])["value"]
    assert won["department"].to_dict() == {"T3": 7.0, "pool": 9.0}
    assert won["company", "all"] == won["department"].sum()  # nothing left to subtract
    # Only T1's 3 reps own deals (T4's rep none): even their pool is not shown
    few = pd.DataFrame(
        {"rep_id": ["T1-r0", "T1-r1", "T1-r2", "T4-r0"], "team": ["T1"] * 3 + ["T4"]}
    )
    small = monthly.month_metrics(
        deals[deals["owner_id"].isin(few["rep_id"].iloc[:3])], None, None, few, "2026-10"
    )
    assert not (small["level"] == "department").any()  # even the pool is hidden
    assert (small["level"] == "company").any()


def test_unit_coverage_says_what_a_unit_holds_for_the_month() -> None:
    deals = _deals()
    full = monthly.unit_coverage(deals, "2026-10", min_deals=3)
    # created up to Oct 31: all 5; in October: C, D; closed in October: B (won), C (lost)
    assert (full.deals, full.new, full.closed) == (5, 2, 2)
    assert full.enough and full.key == "unit_coverage" and full.kind == "note"
    assert full.findings_key == "findings_scope"
    quiet = monthly.unit_coverage(deals, "2026-08", min_deals=1)  # only A exists by August
    assert (quiet.deals, quiet.new, quiet.closed) == (1, 0, 0)
    assert quiet.key == "unit_quiet_month" and quiet.kind == "warn"
    small = monthly.unit_coverage(deals, "2026-10", min_deals=30)
    assert small.key == "unit_too_small" and small.findings_key == "findings_not_analysed"
    empty = monthly.unit_coverage(deals, "2025-09")
    assert (empty.deals, empty.key) == (0, "unit_empty")
    assert empty.values["min"] == monthly.MIN_UNIT_DEALS


def test_a_unit_without_deals_gets_no_findings_instead_of_an_error() -> None:
    deals = _deals()
    data = Dataset(
        config=default_config(),
        deals=deals.iloc[:0],
        stage_events=pd.DataFrame(
            {"deal_id": pd.Series(dtype=str), "stage": [], "entered_at": pd.to_datetime([])}
        ),
    )
    coverage = monthly.unit_coverage(data.deals, "2026-10")
    found = monthly.month_findings(data, coverage, language="en", other_label="other")
    assert not found.analysed and found.findings == [] and found.alerts.empty
    previous = [{"kind": "bottleneck", "dimension": "region", "value": "East", "stage": "intent"}]
    # Nobody looked this month: last month's findings are not declared resolved.
    assert monthly.findings_change(found, previous).empty
