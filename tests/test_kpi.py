"""KPI system: business clock, per-deal facts, aggregation levels, incentives, SLA proposal."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest

from playbook.stats import wilson_interval
from playbook.steps.plan import kpi
from playbook.workspace.config import default_config


def _ts(values) -> pd.Series:
    return pd.Series(pd.to_datetime(values))


# --- business clock -------------------------------------------------------------------------


def test_business_hours_skip_nights_weekends_holidays_and_count_make_up_days() -> None:
    cal = default_config(
        calendar={"holidays": ["2026-03-04"], "extra_workdays": ["2026-03-07"]}
    ).calendar
    start = _ts(["2026-03-02 17:00", "2026-03-06 17:00", "2026-03-03 08:00", "2026-03-02 10:00"])
    end = _ts(["2026-03-03 10:00", "2026-03-09 10:00", "2026-03-05 09:30", None])
    hours = kpi.business_hours(start, end, cal)
    # Mon 17-18 (1) + Tue 9-10 (1)
    assert hours[0] == pytest.approx(2.0)
    # Fri 17-18 (1) + Sat 7 Mar make-up day (9) + Mon 9-10 (1)
    assert hours[1] == pytest.approx(11.0)
    # Tue 9-18 (9), Wed holiday (0), Thu 9-9:30 (0.5)
    assert hours[2] == pytest.approx(9.5)
    assert np.isnan(hours[3])


def test_median_interval_is_order_statistic_and_covers_median() -> None:
    med, lo, hi = kpi.median_interval(np.arange(1, 102, dtype=float))
    assert med == 51
    assert lo < 51 < hi
    assert (lo, hi) == (41.0, 61.0)
    assert np.isnan(kpi.median_interval([1.0, 2.0])[1])


def test_correlation_interval_contains_r_and_refuses_constants() -> None:
    rng = np.random.default_rng(1)
    x = rng.normal(size=60)
    y = x + rng.normal(size=60)
    r, lo, hi, p, n = kpi.correlation_interval(x, y)
    assert n == 60 and lo < r < hi and p < 0.001
    assert np.isnan(kpi.correlation_interval([1, 1, 1, 1, 1], [1, 2, 3, 4, 5])[0])


# --- facts and aggregation ----------------------------------------------------------------------


def _deals() -> pd.DataFrame:
    return pd.DataFrame(
        {
            "deal_id": ["D1", "D2", "D3", "D4"],
            "created_at": pd.to_datetime(
                ["2026-03-02 10:00", "2026-03-02 10:00", "2026-03-02 10:00", "2026-03-09 10:00"]
            ),
            "owner_id": ["R1", "R1", "R2", "R2"],
            "status": ["won", "lost", "won", "open"],
            "closed_at": pd.to_datetime(["2026-03-20", "2026-03-10", "2026-03-25", None]),
            "amount": [100.0, 50.0, 300.0, 70.0],
        }
    )


def _activities() -> pd.DataFrame:
    return pd.DataFrame(
        {
            "deal_id": ["D1", "D1", "D2", "D3", "D3", "D4"],
            "at": pd.to_datetime(
                [
                    "2026-03-02 09:00",  # an hour before the deal was created
                    "2026-03-02 12:00",
                    "2026-03-05 10:00",  # 27 business hours: misses a 24 h SLA
                    "2026-03-02 11:00",
                    "2026-03-03 10:00",
                    "2026-03-09 11:00",
                ]
            ),
            "type": ["call", "meeting", "call_attempt", "email", "demo", "call"],
            "team": ["sales"] * 6,
        }
    )


def _outcomes() -> pd.DataFrame:
    return pd.DataFrame(
        {
            "deal_id": ["D1", "D3"],
            "renewed": pd.array([True, pd.NA], dtype="boolean"),
            "delayed": pd.array([False, True], dtype="boolean"),
            "nps": [9.0, 6.0],
            "complaints": [0.0, 2.0],
        }
    )


def test_deal_facts_default_to_the_latest_timestamp_of_deals_and_activities() -> None:
    late = pd.DataFrame(
        {"deal_id": ["D4"], "at": pd.to_datetime(["2026-04-01 10:00"]), "type": ["email"]}
    )
    activities = pd.concat([_activities(), late.assign(team="sales")], ignore_index=True)
    inferred = kpi.deal_facts(_deals(), default_config(), activities=activities)
    given = kpi.deal_facts(
        _deals(), default_config(), activities=activities, as_of="2026-04-01 10:00"
    )
    pd.testing.assert_frame_equal(inferred, given)
    deals_only = kpi.deal_facts(
        _deals(), default_config(), activities=activities, as_of="2026-03-25"
    )
    # D4 is open: its waiting time runs to the analysis date, here set by the late activity
    assert inferred["elapsed_hours"].iloc[3] > deals_only["elapsed_hours"].iloc[3]


def test_deal_facts_on_paper() -> None:
    reps = pd.DataFrame({"rep_id": ["R1", "R2"], "team": ["A", "B"], "role": ["new", "new"]})
    events = pd.DataFrame(
        {
            "deal_id": ["D3", "D3"],
            "stage": ["lead", "intent"],
            "entered_at": pd.to_datetime(["2026-03-02 10:00", "2026-03-02 10:30"]),
        }
    )
    kwargs = {"activities": _activities(), "outcomes": _outcomes(), "reps": reps}
    facts = kpi.deal_facts(
        _deals(), default_config(), stage_events=events, as_of="2026-03-31", **kwargs
    ).set_index("deal_id")
    # a call logged an hour before the deal was created counts as immediate
    assert facts.loc["D1", "first_contact_hours"] == pytest.approx(0.0)
    # D3: an email is no contact; the demo came Tuesday 10:00 (9 business hours), but the
    # deal moved to intent at 10:30 on Monday: someone had talked to the lead by then
    assert facts.loc["D3", "first_contact_hours"] == pytest.approx(0.5)
    no_events = kpi.deal_facts(_deals(), default_config(), as_of="2026-03-31", **kwargs)
    assert no_events.set_index("deal_id").loc["D3", "first_contact_hours"] == pytest.approx(9.0)
    # D2 had only a call attempt: no contact, lost after 6 business days -> SLA missed
    assert np.isnan(facts.loc["D2", "first_contact_hours"])
    assert facts.loc["D2", ["sla_met", "sla_known"]].tolist() == [0.0, 1.0]
    assert facts["sales_activities"].tolist() == [2.0, 1.0, 2.0, 1.0]
    assert facts["meetings"].tolist() == [1.0, 0.0, 1.0, 0.0]
    assert facts.loc["D1", ["renewal_due", "renewed_n", "on_time"]].tolist() == [1.0, 1.0, 1.0]
    assert facts.loc["D3", ["renewal_due", "on_time", "go_live_known"]].tolist() == [0.0, 0.0, 1.0]
    assert facts.loc["D4", "team"] == "B"
    assert facts.loc["D1", ["filled", "applicable"]].tolist() == [2.0, 3.0]  # no stage event


def test_kpi_table_levels_and_department_suppression() -> None:
    reps = pd.DataFrame({"rep_id": ["R1", "R2"], "team": ["A", "B"]})
    facts = kpi.deal_facts(_deals(), default_config(), activities=_activities(), reps=reps)
    table = kpi.kpi_table(facts, min_group_size=2, metrics=["win_rate", "won_revenue"])
    company = table[(table["level"] == "company")].set_index("metric")
    assert company.at["win_rate", "current_value"] == pytest.approx(2 / 3)
    assert company.at["win_rate", "n"] == 3
    assert company.at["win_rate", "ci_low"] < 2 / 3 < company.at["win_rate", "ci_high"]
    assert company.at["won_revenue", "current_value"] == 400.0
    dept = table[table["level"] == "department"]
    # two one-rep teams: pooled into one group of 2 reps, shown
    assert set(dept["scope"]) == {"other teams"}
    assert not dept["suppressed"].any()
    one_rep = kpi.kpi_table(
        facts[facts["owner_id"] == "R1"], min_group_size=2, metrics=["win_rate"]
    )
    assert one_rep.loc[one_rep["level"] == "department", "suppressed"].all()
    assert one_rep.loc[one_rep["level"] == "department", "current_value"].isna().all()
    assert one_rep.loc[one_rep["level"] == "individual", "suppressed"].all()
    with pytest.raises(ValueError, match="unknown KPI"):
        kpi.kpi_table(facts, metrics=["wins"])


def test_kpi_by_rep_names_a_team_only_where_the_department_level_may() -> None:
    # A and B have one rep each: with min_group_size 2 they are shown as one pool, so the
    # per-rep rows must not say A or B (averaging them would give the hidden team figure).
    reps = pd.DataFrame({"rep_id": ["R1", "R2"], "team": ["A", "B"]})
    facts = kpi.deal_facts(_deals(), default_config(), reps=reps)
    pooled = kpi.kpi_by_rep(facts, metrics=["win_rate"], min_group_size=2, other="pool")
    assert set(pooled["team"]) == {"pool"}
    hidden = kpi.kpi_by_rep(facts, metrics=["win_rate"], min_group_size=3, other="pool")
    assert hidden["team"].isna().all() and hidden["value"].notna().all()
    assert set(kpi.kpi_by_rep(facts, metrics=["win_rate"])["team"]) == {"A", "B"}


def test_kpi_matrix_reads_value_and_interval() -> None:
    reps = pd.DataFrame({"rep_id": ["R1", "R2"], "team": ["A", "A"]})
    facts = kpi.deal_facts(_deals(), default_config(), reps=reps)
    matrix = kpi.kpi_matrix(kpi.kpi_table(facts, min_group_size=2, metrics=["win_rate"]), "en")
    row = matrix.iloc[0]
    assert row["company"].startswith("66.7% (")
    assert row["A"] == row["company"]
    assert "median rep" in matrix.columns


def test_incentive_candidates_spread_and_privacy() -> None:
    by_rep = pd.DataFrame(
        {
            "owner_id": [f"R{i}" for i in range(10)] * 2,
            "metric": ["meetings_per_deal"] * 10 + ["win_rate"] * 10,
            "label": ["m"] * 10 + ["w"] * 10,
            "value": list(np.arange(10) / 10 + 1) + list(np.arange(10) / 100),
            "n": [20] * 20,
        }
    )
    cand = kpi.incentive_candidates(by_rep, min_reps=5).set_index("metric")
    assert cand.at["meetings_per_deal", "median"] == pytest.approx(1.45)
    assert cand.at["meetings_per_deal", "r_outcome"] == pytest.approx(1.0, abs=1e-5)
    few = kpi.incentive_candidates(by_rep, min_reps=11)
    assert few["suppressed"].all() and few["median"].isna().all()


def test_sla_proposal_marks_current_and_pending() -> None:
    facts = pd.DataFrame(
        {
            "first_contact_hours": [1.0, 3.0, 30.0, np.nan, np.nan],
            "elapsed_hours": [50.0, 50.0, 50.0, 40.0, 2.0],
        }
    )
    sla = kpi.sla_proposal(facts, default_config(), first_contact_thresholds=(2, 24))
    rows = sla.set_index("threshold")
    assert rows.at[24.0, "current"] and not rows.at[2.0, "current"]
    # 24 h: met 2, missed 1 late + 1 never contacted after 40 h; 1 pending (2 h waited)
    assert rows.at[24.0, "n"] == 4 and rows.at[24.0, "compliant"] == 2
    assert rows.at[24.0, "pending"] == 1
    assert rows.at[2.0, "compliant"] == 1 and rows.at[2.0, "n"] == 4


def test_win_rate_against_the_deal_mix_on_paper() -> None:
    """R1 wins 1 of 2 closed deals that the company wins 80% of the time: 30 points below
    expected; R2 wins 1 of 1 that it wins 25% of the time. Open deals count for neither."""
    expected = pd.Series({"D1": 0.8, "D2": 0.8, "D3": 0.25, "D4": 0.9})
    facts = kpi.deal_facts(_deals(), default_config(), as_of="2026-03-31", expected_won=expected)
    assert facts["expected_won"].isna().tolist() == [False, False, False, True]
    by_rep = kpi.kpi_by_rep(
        facts, metrics=["win_rate", "expected_win_rate", "win_rate_vs_expected"]
    )
    table = by_rep.set_index(["owner_id", "metric"])
    assert table.at[("R1", "win_rate"), "value"] == pytest.approx(0.5)
    assert table.at[("R1", "expected_win_rate"), "value"] == pytest.approx(0.8)
    assert table.at[("R1", "win_rate_vs_expected"), "value"] == pytest.approx(-0.3)
    low, high = wilson_interval(1, 2)
    assert table.at[("R1", "win_rate_vs_expected"), "ci_low"] == pytest.approx(low - 0.8)
    assert table.at[("R1", "win_rate_vs_expected"), "ci_high"] == pytest.approx(high - 0.8)
    assert table.at[("R2", "win_rate_vs_expected"), "value"] == pytest.approx(0.75)
    # without expected wins the like-deals rows are simply absent
    plain = kpi.kpi_by_rep(kpi.deal_facts(_deals(), default_config(), as_of="2026-03-31"))
    assert not plain["metric"].isin(["expected_win_rate", "win_rate_vs_expected"]).any()
    table = kpi.kpi_table(facts, min_group_size=1, metrics=["win_rate_vs_expected"])
    typical = table[table["level"] == "individual"].iloc[0]
    assert typical["current_value"] == pytest.approx(np.median([-0.3, 0.75]))


@pytest.mark.parametrize(
    "values",
    [
        pd.Series(pd.Categorical(["call", None, "meeting", "call"])),
        pd.Series(pd.Categorical([3, None, 1, 3])),  # categories that are not text
        pd.Series(pd.Categorical([None, None], categories=["call"])),
        pd.Series(["r1", None, "r2"], dtype=object),
        pd.Series([], dtype="category"),
    ],
)
def test_text_values_equal_astype_str(values: pd.Series) -> None:
    from playbook.steps.plan.kpi.facts import text_values

    expected = values.astype(str).to_numpy()
    got = text_values(values)
    assert got.dtype == object and len(got) == len(expected)
    assert [str(v) for v in got] == [str(v) for v in expected]
