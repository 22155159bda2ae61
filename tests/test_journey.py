"""Journey: tracks, paths, stage monitor, variants and flows on hand-made event logs."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as hs

from playbook.steps.journey import (
    build_tracks,
    deal_paths,
    deal_stages,
    flows,
    prepare,
    stage_monitor,
    variants,
)
from playbook.workspace.config import default_config

IDS = ["lead", "intent", "proposal", "negotiation", "signed"]
DAY0 = pd.Timestamp("2024-01-01")


def day(n: float) -> pd.Timestamp:
    return DAY0 + pd.Timedelta(days=n)


def frames(deal_rows, event_rows):
    """deal_rows: (id, status, closed_day or None); event_rows: (id, stage, day)."""
    deals = pd.DataFrame(
        {
            "deal_id": [r[0] for r in deal_rows],
            "created_at": [DAY0] * len(deal_rows),
            "owner_id": "r1",
            "status": [r[1] for r in deal_rows],
            "closed_at": [day(r[2]) if r[2] is not None else pd.NaT for r in deal_rows],
            "amount": 100.0,
        }
    )
    events = pd.DataFrame(
        {
            "deal_id": [r[0] for r in event_rows],
            "stage": [r[1] for r in event_rows],
            "stage_raw": [r[1].title() for r in event_rows],
            "entered_at": [day(r[2]) for r in event_rows],
            "owner_id": "r1",
        }
    )
    return deals, events


def monitor_dict(deals, events, config=None, as_of=None):
    m = stage_monitor(deals, events, config or default_config(), as_of=as_of)
    return m.set_index("stage")


def cfg(skip=True):
    c = default_config()
    c.funnel.skip_counts_as_passed = skip
    return c


# --- hand-computed cases -------------------------------------------------------------------


def test_straight_path_tracks_and_dwell():
    deals, events = frames(
        [("a", "open", None)], [("a", "lead", 0), ("a", "intent", 2), ("a", "proposal", 7)]
    )
    t = build_tracks(deals, events, cfg(), as_of=day(10))
    assert list(t["stage"]) == ["lead", "intent", "proposal"]
    assert list(t["dwell_days"]) == [2, 5, 3]
    assert list(t["exit"]) == ["advance", "advance", "open"]
    assert list(t["censored"]) == [False, False, True]
    assert t["left_at"].isna().tolist() == [False, False, True]
    assert list(t["visit"]) == [1, 2, 3]


@pytest.mark.parametrize("skip, intent_entered", [(True, 1), (False, 0)])
def test_skipped_stage_follows_the_rule(skip, intent_entered):
    deals, events = frames([("a", "lost", 9)], [("a", "lead", 0), ("a", "proposal", 4)])
    m = monitor_dict(deals, events, cfg(skip))
    assert m.loc["intent", "entered"] == intent_entered
    assert m.loc["intent", "advanced"] == intent_entered
    assert m.loc["intent", "skipped"] == 1
    assert m.loc["lead", "advanced"] == 1  # advanced past lead either way
    assert m.loc["proposal", "lost"] == 1
    t = build_tracks(deals, events, cfg(skip))
    assert t["is_skip"].tolist() == [True, False]
    assert t["exit"].tolist() == ["skip", "lost"]


def test_deal_starting_mid_funnel_passes_earlier_stages_only_with_skip_rule():
    deals, events = frames([("a", "open", None)], [("a", "proposal", 0)])
    assert monitor_dict(deals, events, cfg(True), as_of=day(1))["entered"].tolist() == [
        1,
        1,
        1,
        0,
        0,
    ]
    assert monitor_dict(deals, events, cfg(False), as_of=day(1))["entered"].tolist() == [
        0,
        0,
        1,
        0,
        0,
    ]


def test_regression_counts_by_furthest_stage():
    # lead -> proposal -> intent (back), then lost while in intent
    deals, events = frames(
        [("a", "lost", 20)], [("a", "lead", 0), ("a", "proposal", 5), ("a", "intent", 10)]
    )
    m = monitor_dict(deals, events)
    assert m.loc["proposal", "lost"] == 1 and m.loc["intent", "lost"] == 0
    assert m.loc["intent", "advanced"] == 1
    t = build_tracks(deals, events, cfg())
    assert t["exit"].tolist() == ["skip", "regress", "lost"]
    assert t["is_regression"].tolist() == [False, True, False]
    p = deal_paths(deals, events, cfg()).iloc[0]
    assert p["path"] == "lead → proposal → intent"
    assert p["furthest_stage"] == "proposal" and p["end_stage"] == "intent"
    assert p["outcome"] == "lost_at_intent"
    assert (p["skips"], p["regressions"], p["repeats"]) == (1, 1, 0)


def test_repeated_entries_count_once_and_dwell_is_total():
    events_rows = [
        ("a", "lead", 0),
        ("a", "intent", 2),
        ("a", "lead", 5),
        ("a", "intent", 6),
        ("a", "proposal", 10),
    ]
    deals, events = frames([("a", "open", None)], events_rows)
    ds = deal_stages(deals, events, cfg(), as_of=day(12)).set_index("stage")
    assert ds.loc["intent", "visits"] == 2
    assert ds.loc["intent", "dwell_days"] == 3 + 4
    assert ds.loc["lead", "dwell_days"] == 2 + 1
    assert ds.loc["intent", "days_to_outcome"] == 8  # first entry day 2 -> proposal day 10
    m = monitor_dict(deals, events, as_of=day(12))
    assert m.loc["intent", "entered"] == 1 and m.loc["intent", "repeated"] == 1
    assert m.loc["intent", "median_dwell_days"] == 7
    t = build_tracks(deals, events, cfg(), as_of=day(12))
    assert t["is_repeat"].tolist() == [False, False, True, True, False]
    assert deal_paths(deals, events, cfg()).loc[0, "repeats"] == 2


def test_open_deals_are_censored_not_lost():
    deals, events = frames(
        [("a", "open", None), ("b", "lost", 4)], [("a", "lead", 0), ("b", "lead", 0)]
    )
    m = monitor_dict(deals, events, as_of=day(10))
    assert (m.loc["lead", "entered"], m.loc["lead", "lost"], m.loc["lead", "open"]) == (2, 1, 1)
    # KM: b leaves at 4 (S=1/2), a is censored at 10 -> median 4, p90 never reached
    assert m.loc["lead", "median_dwell_days"] == 4
    assert np.isnan(m.loc["lead", "p90_dwell_days"])
    p = deal_paths(deals, events, cfg(), as_of=day(10)).set_index("deal_id")
    assert p.loc["a", "censored"] and p.loc["a", "cycle_days"] == 10
    assert pd.isna(p.loc["a", "ended_at"]) and p.loc["b", "cycle_days"] == 4


def test_same_timestamp_events_follow_funnel_order_whatever_the_file_order():
    deals, events = frames(
        [("a", "open", None)], [("a", "proposal", 3), ("a", "intent", 3), ("a", "lead", 0)]
    )
    t = build_tracks(deals, events, cfg(), as_of=day(5))
    assert t["stage"].tolist() == ["lead", "intent", "proposal"]
    assert t["dwell_days"].tolist() == [3, 0, 2]


def test_won_deal_without_signed_event_reaches_the_last_stage_at_closing():
    deals, events = frames([("a", "won", 12)], [("a", "lead", 0), ("a", "negotiation", 5)])
    t = build_tracks(deals, events, cfg())
    assert t["stage"].tolist() == ["lead", "negotiation", "signed"]
    assert t["inferred"].tolist() == [False, False, True]
    assert t.loc[2, "entered_at"] == day(12)
    assert t.loc[1, "dwell_days"] == 7
    m = monitor_dict(deals, events)
    assert m.loc["negotiation", "advanced"] == 1
    assert m.loc["signed", "entered"] == 1 and m.loc["signed", "advanced"] == 1
    assert deal_paths(deals, events, cfg()).loc[0, "outcome"] == "won"


def test_deal_without_events_enters_first_stage_at_creation():
    deals, events = frames(
        [("a", "open", None), ("z", "open", None), ("b", "won", 3)], [("a", "lead", 1)]
    )
    t = build_tracks(deals, events, cfg(), as_of=day(5))
    assert t["deal_id"].tolist() == ["a", "z", "b", "b"]
    assert t["stage"].tolist() == ["lead", "lead", "lead", "signed"]
    assert t["inferred"].tolist() == [False, True, True, True]
    assert t["entered_at"].tolist() == [day(1), day(0), day(0), day(3)]


def test_consecutive_events_at_one_stage_are_one_visit():
    deals, events = frames(
        [("a", "open", None)],
        [("a", "lead", 0), ("a", "lead", 1), ("a", "lead", 1), ("a", "intent", 4)],
    )
    t = build_tracks(deals, events, cfg(), as_of=day(6))
    assert t["stage"].tolist() == ["lead", "intent"]
    assert t["dwell_days"].tolist() == [4, 2]


def test_as_of_reads_the_data_as_they_stood():
    deals, events = frames(
        [("a", "won", 20), ("b", "lost", 3)],
        [("a", "lead", 0), ("a", "intent", 5), ("a", "signed", 20), ("b", "lead", 0)],
    )
    m = monitor_dict(deals, events, as_of=day(10))
    assert m.loc["intent", "open"] == 1 and m.loc["signed", "entered"] == 0
    assert m.loc["lead", "lost"] == 1
    late = deals.assign(created_at=[day(0), day(15)])
    assert len(deal_paths(late, events, cfg(), as_of=day(10))) == 1


def test_deal_paths_outcomes_and_cycle():
    deals, events = frames(
        [("a", "won", 30), ("b", "lost", 10), ("c", "open", None)],
        [
            ("a", "lead", 0),
            ("a", "intent", 10),
            ("a", "signed", 30),
            ("b", "lead", 0),
            ("b", "intent", 2),
            ("c", "lead", 0),
        ],
    )
    p = deal_paths(deals, events, cfg(), as_of=day(40))
    assert p["outcome"].tolist() == ["won", "lost_at_intent", "open_at_lead"]
    assert p["cycle_days"].tolist() == [30, 10, 40]
    assert p["path"].tolist() == ["lead → intent → signed", "lead → intent", "lead"]
    assert p["status"].tolist() == ["won", "lost", "open"]


def test_variants_by_hand():
    deals, events = frames(
        [("a", "won", 9), ("b", "lost", 9), ("c", "lost", 9)],
        [
            ("a", "lead", 0),
            ("a", "intent", 1),
            ("a", "signed", 9),
            ("b", "lead", 0),
            ("b", "intent", 1),
            ("c", "lead", 0),
            ("c", "intent", 1),
        ],
    )
    v = variants(deals, events, cfg())
    assert v["path"].tolist() == ["lead → intent", "lead → intent → signed"]
    assert v["deals"].tolist() == [2, 1]
    assert v["share"].tolist() == pytest.approx([2 / 3, 1 / 3])
    assert v["won_share"].tolist() == [0, 1]
    assert len(variants(deals, events, cfg(), n=1)) == 1


def test_flows_include_skips_regressions_and_exits():
    deals, events = frames(
        [("a", "lost", 20), ("b", "open", None)],
        [
            ("a", "lead", 0),
            ("a", "proposal", 5),
            ("a", "intent", 10),
            ("b", "lead", 0),
            ("b", "intent", 2),
        ],
    )
    f = flows(deals, events, cfg()).set_index(["source", "target"])
    assert f.loc[("start", "lead"), "deals"] == 2
    assert f.loc[("lead", "proposal"), "kind"] == "skip"
    assert f.loc[("proposal", "intent"), "kind"] == "regress"
    assert f.loc[("intent", "lost"), "transitions"] == 1
    assert f.loc[("intent", "open"), "kind"] == "open"
    assert f.loc[("lead", "intent"), "kind"] == "advance"
    assert f["transitions"].sum() == 2 + 2 + 1 + 2  # entries + moves + exits


def test_ping_pong_counts_transitions_and_deals_separately():
    deals, events = frames(
        [("a", "open", None)],
        [("a", "lead", 0), ("a", "intent", 1), ("a", "lead", 2), ("a", "intent", 3)],
    )
    f = flows(deals, events, cfg(), as_of=day(4)).set_index(["source", "target"])
    assert f.loc[("lead", "intent"), "transitions"] == 2
    assert f.loc[("lead", "intent"), "deals"] == 1


def test_category_and_object_dtypes_agree():
    deals, events = frames(
        [("a", "won", 9), ("b", "open", None)],
        [("a", "lead", 0), ("a", "intent", 1), ("b", "lead", 2)],
    )
    cat_deals = deals.astype({"deal_id": "category", "status": "category"})
    cat_events = events.astype({"deal_id": "category"})
    cat_events["stage"] = pd.Categorical(events["stage"], categories=IDS)
    a = stage_monitor(deals, events, cfg())
    b = stage_monitor(cat_deals, cat_events, cfg())
    pd.testing.assert_frame_equal(a, b)
    ta = build_tracks(deals, events, cfg())
    tb = build_tracks(cat_deals, cat_events, cfg())
    assert ta["deal_id"].astype(str).tolist() == tb["deal_id"].astype(str).tolist()


def test_inputs_are_not_mutated():
    deals, events = frames([("a", "won", 9)], [("a", "intent", 1), ("a", "lead", 0)])
    before_d, before_e = deals.copy(), events.copy()
    build_tracks(deals, events, cfg())
    deal_paths(deals, events, cfg())
    pd.testing.assert_frame_equal(deals, before_d)
    pd.testing.assert_frame_equal(events, before_e)


def test_unknown_stages_and_deals_are_left_out():
    deals, events = frames(
        [("a", "open", None)], [("a", "lead", 0), ("a", "mystery", 1), ("zz", "lead", 1)]
    )
    t = build_tracks(deals, events, cfg(), as_of=day(2))
    assert t["stage"].tolist() == ["lead"]


def test_readable_errors():
    deals, events = frames([("a", "open", None)], [("a", "lead", 0)])
    with pytest.raises(ValueError, match="stage_events is missing column"):
        prepare(deals, events.drop(columns="entered_at"), cfg())
    with pytest.raises(ValueError, match="deals.status must be open, won or lost; found pending"):
        prepare(deals.assign(status="pending"), events, cfg())
    with pytest.raises(ValueError, match="deals.deal_id must be unique; repeated: a"):
        prepare(pd.concat([deals, deals]), events, cfg())
    with pytest.raises(ValueError, match="no stage_events.deal_id matches"):
        prepare(deals, events.assign(deal_id=1), cfg())


# --- properties ----------------------------------------------------------------------------


@hs.composite
def event_logs(draw):
    n_deals = draw(hs.integers(1, 6))
    statuses = draw(
        hs.lists(hs.sampled_from(["open", "won", "lost"]), min_size=n_deals, max_size=n_deals)
    )
    closed = draw(hs.lists(hs.integers(0, 12), min_size=n_deals, max_size=n_deals))
    rows = draw(
        hs.lists(
            hs.tuples(hs.integers(0, n_deals - 1), hs.sampled_from(IDS), hs.integers(0, 10)),
            max_size=25,
        )
    )
    deal_rows = [
        (f"d{i}", s, c if s != "open" else None)
        for i, (s, c) in enumerate(zip(statuses, closed, strict=True))
    ]
    event_rows = [(f"d{i}", s, t) for i, s, t in rows]
    skip = draw(hs.booleans())
    perm_e = draw(hs.permutations(range(len(event_rows))))
    perm_d = draw(hs.permutations(range(n_deals)))
    return deal_rows, event_rows, skip, perm_e, perm_d


@settings(max_examples=60, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(event_logs())
def test_properties_conservation_bounds_and_permutation(log):
    deal_rows, event_rows, skip, perm_e, perm_d = log
    deals, events = frames(deal_rows, event_rows)
    config = cfg(skip)
    as_of = day(15)
    m = stage_monitor(deals, events, config, as_of=as_of)
    assert (m["entered"] == m["advanced"] + m["lost"] + m["open"]).all()
    assert (m["skipped"] >= 0).all() and (m["entered"] >= m["repeated"]).all()
    if skip:
        # conservation along the funnel: whoever advanced past a stage entered the next
        assert m["entered"].iloc[1:].tolist() == m["advanced"].iloc[:-1].tolist()
        assert m["entered"].is_monotonic_decreasing
    assert m["entered"].iloc[0] <= len(deals)
    dwell = m[["median_dwell_days", "p90_dwell_days"]].dropna()
    assert (dwell["median_dwell_days"] <= dwell["p90_dwell_days"]).all()

    shuffled_e = events.iloc[list(perm_e)] if len(events) else events
    shuffled_d = deals.iloc[list(perm_d)]
    m2 = stage_monitor(shuffled_d, shuffled_e, config, as_of=as_of)
    pd.testing.assert_frame_equal(m, m2)
    t1 = build_tracks(deals, events, config, as_of=as_of)
    t2 = build_tracks(shuffled_d, shuffled_e, config, as_of=as_of)
    key = ["deal_id", "visit"]
    pd.testing.assert_frame_equal(
        t1.sort_values(key).reset_index(drop=True), t2.sort_values(key).reset_index(drop=True)
    )
    f1 = flows(deals, events, config, as_of=as_of)
    f2 = flows(shuffled_d, shuffled_e, config, as_of=as_of)
    assert f1["transitions"].sum() == f2["transitions"].sum()
    # every deal with a visit enters once and exits once
    n_paths = (deal_paths(deals, events, config, as_of=as_of)["n_visits"] > 0).sum()
    assert f1.loc[f1["kind"] == "entry", "deals"].sum() == n_paths
    assert f1.loc[f1["kind"].isin(["won", "lost", "open"]), "deals"].sum() == n_paths
    v = variants(deals, events, config, n=100, as_of=as_of)
    assert v["deals"].sum() == n_paths
    assert ((v["won_share"] >= 0) & (v["won_share"] <= 1)).all()


def test_phase_summary_places_stages_and_activities_on_one_timeline():
    from playbook.steps.journey import phase_summary

    deals = pd.DataFrame(
        {
            "deal_id": ["A", "B"],
            "owner_id": ["r", "r"],
            "status": ["won", "open"],
            "created_at": pd.to_datetime(["2026-01-10", "2026-01-10"]),
            "closed_at": pd.to_datetime(["2026-01-30", None]),
            "amount": [1.0, 1.0],
        }
    )
    events = pd.DataFrame(
        {
            "deal_id": ["A", "A", "A", "B"],
            "stage": ["lead", "intent", "signed", "lead"],
            "entered_at": pd.to_datetime(["2026-01-10", "2026-01-15", "2026-01-30", "2026-01-10"]),
        }
    )
    activities = pd.DataFrame(
        {
            "deal_id": ["A", "B", "B"],
            "type": ["webinar", "webinar", "kickoff"],
            "at": pd.to_datetime(["2026-01-05", "2026-01-08", "2026-02-01"]),
        }
    )
    config = default_config()
    out = phase_summary(deals, events, activities, config).set_index("phase")
    assert list(out.index) == ["awareness", "interest", "evaluation", "decision", "execution"]
    # awareness: webinars 5 and 2 days before creation
    assert out.loc["awareness", "deals"] == 2
    assert out.loc["awareness", "median_days_from_created"] == pytest.approx(-3.5)
    assert out.loc["awareness", "activities"] == 2
    # evaluation: A entered intent on day 5 and passed proposal (skip rule) when it
    # reached signed; B never got there
    assert out.loc["evaluation", "deals"] == 1
    assert out.loc["evaluation", "median_days_from_created"] == pytest.approx(5)
    assert out.loc["execution", "deals"] == 2  # A signed, B had a kickoff
    no_acts = phase_summary(deals, events, None, config).set_index("phase")
    assert no_acts.loc["awareness", "deals"] == 0 and pd.isna(
        no_acts.loc["awareness", "activities"]
    )


@pytest.mark.parametrize("table", [build_tracks, deal_paths, deal_stages, stage_monitor, flows])
def test_a_journey_table_shows_the_step_signature_and_its_own_docstring(table) -> None:
    import inspect

    assert list(inspect.signature(table).parameters) == [
        "deals",
        "stage_events",
        "config",
        "as_of",
        "journey",
    ]
    assert inspect.signature(table).parameters["journey"].kind is inspect.Parameter.KEYWORD_ONLY
    assert "Returns" in table.__doc__ and table.__module__.startswith("playbook.steps.journey")
    assert getattr(table, "takes_pilot", False)


def test_a_table_over_the_journey_and_frames_takes_the_rest_by_keyword() -> None:
    import inspect

    from playbook.steps.adjust import expected_conversion
    from playbook.steps.capability import rep_stage_performance

    assert str(inspect.signature(rep_stage_performance)) == (
        "(deals: 'pd.DataFrame', stage_events: 'pd.DataFrame', config: 'PilotConfig', *, "
        "as_of=None, journey: 'JourneyData | None' = None, model: 'MixModel | None' = None)"
        " -> 'pd.DataFrame'"
    )
    assert list(inspect.signature(expected_conversion).parameters) == [
        "deals",
        "stage_events",
        "config",
        "as_of",
        "journey",
    ]
    assert expected_conversion.__doc__.startswith("Each resolved deal's expected chance")
    with pytest.raises(TypeError):
        expected_conversion(None, None, None, None)
