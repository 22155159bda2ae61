"""Step 3, handoffs: first contact, SLAs, sleeping leads, findings, missing tables."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest

from playbook.sample import generate
from playbook.steps import handoff
from playbook.steps.journey import prepare
from playbook.workspace.config import default_config
from playbook.workspace.load import load_workspace

# March 2026: Mon 2, Tue 3, Wed 4 (holiday), Thu 5, Fri 6, Sat 7 (make-up working day 调休),
# Sun 8, Mon 9. Office hours 9-18. The analysis date is the last activity, Fri 20 at 12:00.
CALENDAR = {"holidays": ["2026-03-04"], "extra_workdays": ["2026-03-07"]}


def _config(**overrides):
    overrides = {"min_group_size": 1, **overrides}
    return default_config(calendar=CALENDAR, sleeping_lead_days=5, **overrides)


def _frames():
    deals = pd.DataFrame(
        [
            # deal, created, owner, status, closed, amount, source
            ("D1", "2026-02-27 17:00", "R1", "won", "2026-03-05 10:00", 100.0, "web"),
            ("D2", "2026-03-03 17:30", "R1", "lost", "2026-03-06 10:00", 50.0, "web"),
            ("D3", "2026-03-06 17:00", "R2", "open", None, 300.0, "event"),
            ("D4", "2026-03-09 10:00", "R2", "open", None, 80.0, "event"),
            ("D5", "2026-03-09 11:00", "R3", "open", None, 500.0, "web"),
            ("D6", "2026-03-10 09:00", "R3", "lost", "2026-03-12 10:00", 20.0, "web"),
            ("D7", "2026-03-10 09:00", "R3", "open", None, 60.0, "event"),
        ],
        columns=["deal_id", "created_at", "owner_id", "status", "closed_at", "amount", "source"],
    )
    events = pd.DataFrame(
        [
            ("D1", "lead", "2026-02-27 17:00"),
            ("D1", "intent", "2026-03-02 12:00"),
            ("D1", "signed", "2026-03-05 10:00"),
            ("D2", "lead", "2026-03-03 17:30"),
            ("D3", "lead", "2026-03-06 17:00"),
            ("D3", "intent", "2026-03-09 12:00"),
            ("D3", "proposal", "2026-03-10 10:00"),
            ("D4", "lead", "2026-03-09 10:00"),
            ("D5", "lead", "2026-03-09 11:00"),
            ("D6", "lead", "2026-03-10 09:00"),
            ("D7", "lead", "2026-03-10 09:00"),
            ("D7", "proposal", "2026-03-11 16:00"),
            ("D7", "negotiation", "2026-03-13 16:00"),
        ],
        columns=["deal_id", "stage", "entered_at"],
    )
    acts = pd.DataFrame(
        [
            ("D1", "2026-03-02 10:00", "call", "R1", "sales"),
            ("D1", "2026-03-09 10:00", "kickoff", "CS1", "customer_success"),
            ("D2", "2026-03-04 10:00", "call_attempt", "R1", "sales"),  # missed call: no contact
            ("D2", "2026-03-05 09:30", "call", "R1", "sales"),
            ("D3", "2026-03-09 10:00", "call", "R2", "sales"),
            ("D4", "2026-03-09 08:00", "call", "R2", "sales"),  # logged before the lead existed
            ("D6", "2026-03-10 10:00", "email", "M1", "marketing"),
            ("D6", "2026-03-10 11:00", "email", "R3", "sales"),  # an email is not a contact
            ("D6", "2026-03-10 12:00", "call", "CS1", "customer_success"),  # not sales
            ("D7", "2026-03-11 15:00", "meeting", "R3", "sales"),
            ("D7", "2026-03-12 10:00", "demo", "R3", "sales"),
            ("D7", "2026-03-20 12:00", "note", "OPS1", "other"),
        ],
        columns=["deal_id", "at", "type", "actor_id", "team"],
    )
    reps = pd.DataFrame({"rep_id": ["R1", "R2", "R3"], "team": ["A", "A", "B"]})
    outcomes = pd.DataFrame(
        {
            "deal_id": ["D1"],
            "go_live_at": [pd.Timestamp("2026-03-15 10:00")],
            "delayed": pd.array([True], dtype="boolean"),
            "complaints": [2.0],
            "renewed": pd.array([pd.NA], dtype="boolean"),
            "upsell_at": [pd.NaT],
        }
    )
    deals["created_at"] = pd.to_datetime(deals["created_at"])
    deals["closed_at"] = pd.to_datetime(deals["closed_at"])
    events["stage"] = pd.Categorical(events["stage"], categories=default_config().funnel.ids)
    events["entered_at"] = pd.to_datetime(events["entered_at"])
    acts["at"] = pd.to_datetime(acts["at"])
    acts["type"] = acts["type"].astype("category")
    return deals, events, acts, reps, outcomes


@pytest.fixture
def frames():
    return _frames()


def test_first_contact_in_business_hours_by_hand(frames) -> None:
    deals, events, acts, reps, _ = frames
    c = handoff.first_contacts(deals, acts, _config(), reps).set_index("deal_id")
    assert c.loc["D1", "business_hours"] == pytest.approx(2.0)  # over a weekend
    assert c.loc["D1", "hours"] == pytest.approx(65.0)  # the wall clock
    assert c.loc["D2", "business_hours"] == pytest.approx(1.0)  # over the Wednesday holiday
    assert c.loc["D2", "attempts"] == 1  # the holiday's missed call counted, not a contact
    assert c.loc["D3", "business_hours"] == pytest.approx(11.0)  # Saturday worked (调休)
    assert c.loc["D4", "business_hours"] == 0  # contact before creation counts as immediate
    assert c.loc["D4", "contact_before_created"]
    assert c.loc["D7", "business_hours"] == pytest.approx(15.0)  # a meeting counts
    # no activity at all (D5), and only emails / a non-sales call (D6): not contacted
    assert not c.loc["D5", "contacted"] and not c.loc["D6", "contacted"]
    # censored: D5 open until the analysis date, D6 at its loss
    assert c.loc["D5", "business_hours"] == pytest.approx(82.0)
    assert c.loc["D6", "business_hours"] == pytest.approx(19.0)
    assert c.loc["D1", "team"] == "A" and c.loc["D5", "team"] == "B"
    pooled = handoff.first_contacts(deals, acts, _config(min_group_size=5), reps)
    # no team view over fewer than 5 reps: 3 in all, so even their pool is not shown
    assert pooled["team"].isna().all()


def test_sla_states_by_hand(frames) -> None:
    deals, events, acts, reps, _ = frames
    config = _config(
        sla={
            "custom": [
                {
                    "name": "demo after proposal",
                    "from_event": "proposal",
                    "to_event": "demo",
                    "within_hours": 9,
                }
            ]
        }
    )
    j = prepare(deals, events, config, as_of="2026-03-20 12:00")
    c = handoff.first_contacts(j.deals, acts, config, reps, as_of=j.as_of, journey=j)
    sla = handoff.sla_status(c, config, j, acts)
    state = sla.set_index(["sla", "deal_id"])["state"]
    first = state.loc["first_contact"].to_dict()
    assert first == {
        "D1": "met",
        "D2": "met",
        "D3": "met",
        "D4": "met",
        "D5": "breached",  # 82 business hours and still waiting
        "D6": "ended",  # lost after 19 business hours without a contact: not decided
        "D7": "met",
    }
    assert state.loc["proposal_review"].to_dict() == {"D3": "breached", "D7": "met"}
    assert state.loc["demo after proposal"].to_dict() == {"D3": "breached", "D7": "met"}
    overdue = sla[sla["overdue"]]
    assert set(zip(overdue["sla"].astype(str), overdue["deal_id"], strict=True)) == {
        ("first_contact", "D5"),
        ("proposal_review", "D3"),
        ("demo after proposal", "D3"),
    }
    d3 = sla[(sla["sla"] == "proposal_review") & (sla["deal_id"] == "D3")].iloc[0]
    assert d3["elapsed"] == pytest.approx(74 / 9)  # business days, proposal to analysis date
    assert d3["due_at"] == pd.Timestamp("2026-03-13 10:00")
    d7 = sla[(sla["sla"] == "proposal_review") & (sla["deal_id"] == "D7")].iloc[0]
    assert d7["elapsed"] == pytest.approx(2.0)
    comp = handoff.sla_compliance(sla).set_index("sla")
    assert comp.loc["first_contact", ["n", "met", "breached"]].tolist() == [6, 5, 1]
    assert comp.loc["first_contact", "compliance"] == pytest.approx(5 / 6)
    assert comp.loc["first_contact", "ci_low"] < 5 / 6 < comp.loc["first_contact", "ci_high"]
    by_owner = handoff.breaches_by_owner(sla)
    r3 = by_owner[(by_owner["sla"] == "first_contact") & (by_owner["owner_id"] == "R3")].iloc[0]
    assert (r3["n"], r3["breached"], r3["overdue"]) == (2, 1, 1)
    assert set(handoff.breach_list(sla)["deal_id"]) == {"D3", "D5"}


def test_sleeping_leads_and_alerts(frames) -> None:
    deals, events, acts, reps, _ = frames
    config = _config()
    j = prepare(deals, events, config, as_of="2026-03-20 12:00")
    s = handoff.sleeping_leads(j.deals, events, acts, config, reps, journey=j).set_index("deal_id")
    assert sorted(s.index) == ["D3", "D4", "D5", "D7"]  # open deals only
    assert s.loc["D3", "idle_days"] == pytest.approx(10 + 2 / 24)  # last touch: proposal
    assert s["sleeping"].to_dict() == {"D3": True, "D4": True, "D5": True, "D7": False}
    assert s.loc["D3", "stage"] == "proposal"
    top = handoff.sleeping_list(s.reset_index())
    assert top["deal_id"].tolist() == ["D5", "D3", "D4"]  # largest amount first
    rates = handoff.sleeping_rates(s.reset_index(), "team").set_index("team")
    assert rates.loc["A", ["open", "sleeping"]].tolist() == [2, 2]
    assert rates.loc["B", "share"] == pytest.approx(0.5)

    h = handoff.analyse(deals, events, config, acts, reps, as_of="2026-03-20 12:00")
    alerts = h.alerts
    assert list(alerts.columns[:6]) == [
        "kind",
        "severity",
        "owner_id",
        "deal_id",
        "reason",
        "action",
    ]
    pairs = set(zip(alerts["kind"], alerts["deal_id"], strict=True))
    assert pairs == {
        ("sla_breach", "D5"),
        ("sla_breach", "D3"),
        ("sleeping_lead", "D3"),
        ("sleeping_lead", "D4"),
        ("sleeping_lead", "D5"),
    }
    d5 = alerts[(alerts["kind"] == "sla_breach") & (alerts["deal_id"] == "D5")].iloc[0]
    assert d5["reason"] == (
        "No sales contact 82 business hours after the lead was created on 2026-03-09 11:00 "
        "(SLA 24 business hours)."
    )
    assert alerts["severity"].between(1, 3).all()


def test_missing_activities_is_a_clear_result_not_an_error(frames) -> None:
    deals, events, _, reps, outcomes = frames
    h = handoff.analyse(deals, events, _config(), None, reps, outcomes, language="en")
    assert not h.measured["first_contact"] and not h.measured["sleeping"]
    assert any("No activities table" in text for _, text in h.notes)
    assert set(h.sla["sla"].astype(str)) == {"proposal_review"}  # still measurable
    assert h.findings == [] and h.response.empty and h.curves.empty and h.sleeping.empty
    assert set(h.alerts["kind"]) == {"sla_breach"}
    assert "first_contact_sla" not in h.kpis and "proposal_sla" in h.kpis
    assert "days_to_kickoff" not in set(h.cs["metric"])  # needs activities
    assert {"days_to_go_live", "delay_rate", "renewal_rate"} <= set(h.cs["metric"])
    zh = handoff.analyse(deals, events, _config(), None, None, None, language="zh")
    texts = " ".join(text for _, text in zh.notes)
    assert "未提供活动表" in texts and "未提供交付结果表" in texts and "reps" in texts


def test_no_contact_types_and_unknown_sla_events_are_explained(frames) -> None:
    deals, events, acts, reps, _ = frames
    config = _config(
        sla={
            "custom": [{"name": "x", "from_event": "won", "to_event": "kikoff", "within_hours": 8}]
        }
    )
    emails = acts.assign(type="email")
    h = handoff.analyse(deals, events, config, emails, reps)
    notes = " ".join(text for _, text in h.notes)
    assert "first contact cannot be measured" in notes and "email" in notes
    assert "event 'kikoff'" in notes and "kickoff" not in set(h.sla["sla"].astype(str))
    assert h.findings == []


def test_customer_success_handoff_by_hand(frames) -> None:
    deals, _, acts, _, outcomes = frames
    cs = handoff.cs_handoff(deals, _config(), acts, outcomes, as_of="2026-03-20 12:00")
    overall = cs[cs["dimension"] == "all"].set_index("metric")
    assert overall.loc["days_to_kickoff", "estimate"] == pytest.approx(4.0)
    assert overall.loc["days_to_go_live", "estimate"] == pytest.approx(10.0)
    assert overall.loc["delay_rate", ["n", "events"]].tolist() == [1, 1]
    assert overall.loc["complaint_rate", "estimate"] == 1.0
    assert overall.loc["cs_before_signature", "estimate"] == 0.0
    assert "renewal_rate" in overall.index and overall.loc["renewal_rate", "n"] == 0
    view = handoff.cs_view(cs)
    assert view.loc[0, "delay_rate"].startswith("100% (")


def test_logrank_matches_lifelines() -> None:
    from lifelines.statistics import logrank_test

    rng = np.random.default_rng(11)
    n = 400
    group = rng.integers(0, 3, n)
    time = np.round(rng.exponential(np.array([1.0, 1.5, 2.5])[group]), 1)  # with ties
    event = rng.random(n) < 0.8
    got = handoff.logrank_vs_rest(time, event, group, 3)
    for g in range(3):
        a = group == g
        ref = logrank_test(time[a], time[~a], event[a], event[~a]).test_statistic
        assert got.loc[g, "z"] ** 2 == pytest.approx(ref, rel=1e-9)
    assert got.loc[2, "z"] < 0 < got.loc[0, "z"]  # group 2 is the slowest


def test_sleeping_findings_need_credible_excess() -> None:
    rng = np.random.default_rng(5)
    teams = np.repeat(["A", "B", "C", "D"], 60)
    rate = np.where(teams == "A", 0.45, 0.1)
    frame = pd.DataFrame(
        {
            "deal_id": [f"D{i}" for i in range(len(teams))],
            "owner_id": teams,
            "team": teams,
            "amount": 100.0,
            "sleeping": rng.random(len(teams)) < rate,
        }
    )
    found = handoff.find_sleeping_leads(frame, _config(), dimensions=["team"])
    assert [(f.kind, f.value) for f in found] == [("sleeping_leads", "A")]
    assert found[0].ci_low < found[0].observed < found[0].ci_high
    same = frame.assign(sleeping=rng.random(len(teams)) < 0.2)
    assert handoff.find_sleeping_leads(same, _config(), dimensions=["team"]) == []


def _analyse_sample(folder, **kwargs):
    truth = generate(folder, **kwargs)
    d = load_workspace(folder)
    h = handoff.analyse(d.deals, d.stage_events, d.config, d.activities, d.reps, d.outcomes)
    return truth, h


@pytest.mark.parametrize("seed", [1, 2, 3])
def test_planted_slow_team_is_the_top_slow_handoff(tmp_path, seed) -> None:
    truth, h = _analyse_sample(tmp_path / "ws", seed=seed, deals=4000)
    slow = [f for f in h.findings if f.kind == "slow_handoff"]
    assert slow, "the planted slow team was not found"
    top = slow[0]
    assert (top.dimension, top.value) == ("team", truth.slow_team["team"])
    assert top.observed > 2 * top.baseline
    assert top.extra["lead_rate"] < top.extra["rest_lead_rate"]
    assert top.evidence.startswith(f"Leads of team {truth.slow_team['team']} wait a median")
    # every rep named belongs to the slow team
    reps = set(truth.slow_team["reps"])
    assert all(f.value in reps for f in slow if f.dimension == "owner_id")
    conv = h.conversion
    assert conv["leads"].sum() == len(h.contacts) - h.contacts["contact_inferred"].sum()


def test_no_planted_slow_team_no_slow_handoff(tmp_path) -> None:
    _, h = _analyse_sample(tmp_path / "ws", seed=4, deals=4000, plant=())
    assert [f for f in h.findings if f.kind == "slow_handoff"] == []


def test_figures_draw_results_and_empty_frames(frames) -> None:
    from matplotlib.figure import Figure

    from playbook.plots import handoff as ph

    deals, events, acts, reps, _ = frames
    h = handoff.analyse(deals, events, _config(), acts, reps, as_of="2026-03-20 12:00")
    none = handoff.analyse(deals, events, _config(), None, None, as_of="2026-03-20 12:00")
    for result in (h, none):
        assert isinstance(ph.response_time_curves(result.curves, sla_hours=24), Figure)
        assert isinstance(ph.response_conversion(result.conversion, reference=0.5), Figure)
        assert isinstance(ph.sla_by_team(result.compliance_by_team), Figure)
        assert isinstance(ph.source_reach(result.sources, labels={}), Figure)


def test_team_views_count_the_reps_behind_the_deals() -> None:
    # Team K lists 5 reps but only 3 of them own deals, so its figures would describe
    # 3 people: it is pooled with the smallest other team (B, 6 reps); C (7) is shown.
    listed = {"K": 5, "B": 6, "C": 7}
    reps = pd.DataFrame(
        [(f"{team}{i}", team) for team, n in listed.items() for i in range(n)],
        columns=["rep_id", "team"],
    )
    owners = pd.Series(
        ["K0", "K1", "K2"] + [f"B{i}" for i in range(6)] + [f"C{i}" for i in range(7)]
    )
    teams = handoff.deal_teams(owners, reps, 5, "other teams")
    assert teams.iloc[:9].eq("other teams").all() and teams.iloc[9:].eq("C").all()
    assert handoff.deal_teams(owners, reps, 1).iloc[:3].eq("K").all()  # no threshold, no pooling
    # A view of a subset (e.g. open deals) recounts: here C has only 2 reps with open deals.
    open_deals = pd.DataFrame(
        {
            "deal_id": [f"d{i}" for i in range(8)],
            "owner_id": ["C0", "C1", "B0", "B1", "B2", "B3", "B4", "B5"],
            "team": pd.Categorical(["C", "C"] + ["other teams"] * 6),
            "amount": 1.0,
            "sleeping": [True, False] * 4,
        }
    )
    shown = handoff.sleeping_rates(handoff.safe_teams(open_deals, 5, "other teams"), "team")
    assert shown["team"].tolist() == ["other teams"] and shown["open"].tolist() == [8]
    assert set(handoff.sleeping_rates(open_deals, "team")["team"]) == {"C", "other teams"}


def test_customer_success_handoff_without_a_won_deal(frames) -> None:
    """Customer-success activities but no won deal yet (a small unit, early in a month)."""
    deals, _, acts, _, _ = frames
    not_won = deals[deals["status"] != "won"]
    cs = handoff.cs_handoff(not_won, _config(), acts, None, as_of="2026-03-20 12:00")
    assert "customer_success" in set(acts["team"])
    overall = cs[cs["dimension"] == "all"]
    assert (overall["n"] == 0).all()


def test_analysis_date_without_stage_events_reads_deals_and_activities():
    deals = pd.DataFrame(
        {
            "created_at": pd.to_datetime(["2026-01-05", "2026-02-01"]),
            "closed_at": pd.to_datetime(["2026-02-10", None]),
        }
    )
    activities = pd.DataFrame({"at": pd.to_datetime(["2026-02-20", None])})
    events = pd.DataFrame({"entered_at": pd.to_datetime(["2026-03-01"])})
    assert handoff.analysis_date(deals, None) == pd.Timestamp("2026-02-10")
    assert handoff.analysis_date(deals, None, activities) == pd.Timestamp("2026-02-20")
    assert handoff.analysis_date(deals, events, activities) == pd.Timestamp("2026-03-01")
