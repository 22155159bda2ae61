"""Stage rates: censoring-aware rates, curves, cohorts, losses, bottlenecks, growth formula."""

from __future__ import annotations

import time
import warnings

import numpy as np
import pandas as pd
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as hs

from playbook.stats import SmallSampleWarning, wilson_interval
from playbook.steps.stages import (
    cohort_rates,
    find_bottlenecks,
    growth_decomposition,
    lost_breakdown,
    stage_rates,
    stage_sensitivity,
    time_to_advance,
)
from playbook.workspace.config import default_config

IDS = ["lead", "intent", "proposal", "negotiation", "signed"]
DAY0 = pd.Timestamp("2024-01-01")


def day(n: float) -> pd.Timestamp:
    return DAY0 + pd.Timedelta(days=n)


def frames(deal_rows, event_rows, **columns):
    """deal_rows: (id, status, closed_day or None[, created_day]); event_rows: (id, stage, day)."""
    deals = pd.DataFrame(
        {
            "deal_id": [r[0] for r in deal_rows],
            "created_at": [day(r[3]) if len(r) > 3 else DAY0 for r in deal_rows],
            "owner_id": "r1",
            "status": [r[1] for r in deal_rows],
            "closed_at": [day(r[2]) if r[2] is not None else pd.NaT for r in deal_rows],
            "amount": 100.0,
            **columns,
        }
    )
    events = pd.DataFrame(
        {
            "deal_id": [r[0] for r in event_rows],
            "stage": [r[1] for r in event_rows],
            "entered_at": [day(r[2]) for r in event_rows],
        }
    )
    return deals, events


def quiet(fn, *args, **kwargs):
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", SmallSampleWarning)
        return fn(*args, **kwargs)


def synthetic(
    seed: int,
    n: int = 4000,
    plant: tuple[str, int, float] | None = None,
    rates=(0.6, 0.55, 0.5, 0.6),
    slow: tuple[str, int, int] | None = None,
):
    """A seeded company: four segments, one optionally converting worse at one stage.

    ``slow=(segment, stage, factor)`` makes that segment's deals wait ``factor`` times
    longer in that stage.
    """
    rng = np.random.default_rng(seed)
    segments = np.array(["Energy", "Finance", "Manufacturing", "Retail"])
    seg = rng.integers(0, 4, n)
    r = np.tile(np.array(rates), (n, 1))
    if plant:
        name, stage, rate = plant
        r[segments[seg] == name, stage] = rate
    furthest = np.zeros(n, dtype=np.int64)
    alive = np.ones(n, dtype=bool)
    for s in range(4):
        alive &= rng.random(n) < r[:, s]
        furthest[alive] = s + 1
    created = rng.integers(0, 300, n)
    counts = furthest + 1
    deal = np.repeat(np.arange(n), counts)
    pos = np.arange(len(deal)) - np.repeat(np.cumsum(counts) - counts, counts)
    gap = np.where(pos == 0, 0, rng.integers(1, 15, len(deal)))
    if slow:
        name, stage, factor = slow
        # the gap before visit pos is the time spent in stage pos - 1
        gap = np.where((segments[seg][deal] == name) & (pos == stage + 1), gap * factor, gap)
    offset = np.cumsum(gap) - np.repeat(np.cumsum(gap)[np.cumsum(counts) - counts], counts)
    t = created[deal] + offset
    last = t[np.cumsum(counts) - 1]
    won = furthest == 4
    status = np.where(won, "won", np.where(rng.random(n) < 0.9, "lost", "open"))
    delay = rng.integers(1, 10, n)
    if slow:
        delay = np.where((segments[seg] == name) & (furthest == stage), delay * factor, delay)
    closed = np.where(won, last, last + delay)
    ids = np.array([f"D{i:05d}" for i in range(n)])
    deals = pd.DataFrame(
        {
            "deal_id": ids,
            "created_at": DAY0 + pd.to_timedelta(created, unit="D"),
            "owner_id": rng.choice(["r1", "r2", "r3"], n),
            "status": status,
            "closed_at": (DAY0 + pd.to_timedelta(closed, unit="D")).where(status != "open"),
            "amount": rng.gamma(2.0, 5000.0, n),
            "segment": pd.Categorical(segments[seg]),
            "region": rng.choice(["North", "South"], n),
        }
    )
    events = pd.DataFrame(
        {
            "deal_id": ids[deal],
            "stage": pd.Categorical.from_codes(pos, categories=IDS),
            "entered_at": DAY0 + pd.to_timedelta(t, unit="D"),
        }
    )
    return deals, events


# --- stage_rates ---------------------------------------------------------------------------


def test_rate_is_censoring_aware_by_hand():
    # lead window is 14 days. a advanced, b lost, c open 30 days (mature: not advanced),
    # d open 5 days (immature: left out) -> rate 1/3 on mature_n 3
    deals, events = frames(
        [("a", "open", None), ("b", "lost", 3), ("c", "open", None), ("d", "open", None, 25)],
        [
            ("a", "lead", 0),
            ("a", "intent", 2),
            ("b", "lead", 0),
            ("c", "lead", 0),
            ("d", "lead", 25),
        ],
    )
    r = quiet(stage_rates, deals, events, default_config(), as_of=day(30)).set_index("from")
    lead = r.loc["lead"]
    assert (lead["entered"], lead["advanced"], lead["lost"], lead["open"]) == (4, 1, 1, 2)
    assert (lead["mature_n"], lead["immature"]) == (3, 1)
    assert lead["rate"] == pytest.approx(1 / 3)
    low, high = wilson_interval(1, 3)
    assert (lead["ci_low"], lead["ci_high"]) == pytest.approx((low, high))
    assert r.loc["intent", "to"] == "proposal"
    assert list(r.reset_index().columns) == [
        "from",
        "to",
        "entered",
        "advanced",
        "lost",
        "open",
        "rate",
        "ci_low",
        "ci_high",
        "mature_n",
        "immature",
        "median_dwell_days",
        "p90_dwell_days",
    ]
    assert len(r) == 4  # no row for the last stage


def test_rates_by_slice_keep_missing_values_and_category_dtype():
    deals, events = frames(
        [("a", "lost", 5), ("b", "lost", 5), ("c", "lost", 5)],
        [("a", "lead", 0), ("a", "intent", 1), ("b", "lead", 0), ("c", "lead", 0)],
        segment=pd.Categorical(["X", "Y", None]),
    )
    r = quiet(stage_rates, deals, events, default_config(), by="segment")
    lead = r[r["from"] == "lead"]
    assert lead["segment"].tolist()[:2] == ["X", "Y"] and pd.isna(lead["segment"].iloc[2])
    assert lead["rate"].tolist() == [1.0, 0.0, 0.0]
    assert lead["entered"].sum() == 3


def test_small_slices_raise_one_warning_that_says_what_to_do():
    deals, events = frames([("a", "lost", 5)], [("a", "lead", 0)], segment=["Energy"])
    with pytest.warns(
        SmallSampleWarning,
        match=r"^'lead → intent' in segment=Energy rests on 1 "
        r"deals; widen the period or merge segments$",
    ):
        stage_rates(deals, events, default_config(), by="segment")


def test_unknown_by_column_is_named():
    deals, events = frames([("a", "lost", 5)], [("a", "lead", 0)])
    with pytest.raises(ValueError, match="by names column\\(s\\) sector that deals does not have"):
        stage_rates(deals, events, default_config(), by="sector")


@settings(max_examples=40, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(
    hs.lists(hs.tuples(hs.integers(0, 4), hs.sampled_from(IDS), hs.integers(0, 40)), max_size=20),
    hs.lists(hs.sampled_from(["open", "won", "lost"]), min_size=5, max_size=5),
    hs.randoms(use_true_random=False),
)
def test_rate_properties(rows, statuses, rnd):
    deal_rows = [(f"d{i}", s, 45 if s != "open" else None) for i, s in enumerate(statuses)]
    deals, events = frames(
        deal_rows, [(f"d{i}", s, t) for i, s, t in rows], segment=["A", "B", "A", "B", "A"]
    )
    r = quiet(stage_rates, deals, events, default_config(), by="segment", as_of=day(50))
    assert (r["entered"] == r["advanced"] + r["lost"] + r["open"]).all()
    assert (r["mature_n"] + r["immature"] == r["entered"]).all()
    ok = r["rate"].dropna()
    assert ((ok >= 0) & (ok <= 1)).all()
    assert (r["ci_low"].dropna() <= r["rate"].dropna()).all()
    idx = list(range(len(events)))
    rnd.shuffle(idx)
    r2 = quiet(
        stage_rates,
        deals.iloc[::-1],
        events.iloc[idx],
        default_config(),
        by="segment",
        as_of=day(50),
    )
    pd.testing.assert_frame_equal(r, r2)


# --- time to advance, cohorts, losses ------------------------------------------------------


def test_time_to_advance_by_hand():
    # at lead: a advances at 1 (CIF 1/4), b is lost at 2 (3 at risk: 3/4 x 1/3 = 1/4),
    # at 4 c is censored and d advances (2 at risk: 1/2 x 1/2 = 1/4 more)
    deals, events = frames(
        [("a", "open", None), ("b", "lost", 2), ("c", "open", None), ("d", "open", None)],
        [
            ("a", "lead", 0),
            ("a", "intent", 1),
            ("b", "lead", 0),
            ("c", "lead", 0),
            ("d", "lead", 0),
            ("d", "intent", 4),
        ],
    )
    c = time_to_advance(deals, events, default_config(), as_of=day(4), max_days=4)
    lead = c[c["stage"] == "lead"].set_index("days")
    np.testing.assert_allclose(lead["cum_advanced"], [0, 0.25, 0.25, 0.25, 0.5])
    np.testing.assert_allclose(lead["cum_lost"], [0, 0, 0.25, 0.25, 0.25])
    assert lead.loc[0, "at_risk"] == 4
    assert set(c["stage"]) == {"lead", "intent"}


def test_cohort_rates_mark_young_cohorts():
    deals, events = frames(
        [("a", "lost", 3, 0), ("b", "lost", 63, 60)], [("a", "lead", 0), ("b", "lead", 60)]
    )
    c = quiet(cohort_rates, deals, events, default_config(), as_of=day(70))
    lead = c[c["from"] == "lead"].set_index("cohort")
    # January ends 31 Jan: 39 days before as_of >= 14 (lead window) -> mature
    assert not lead.loc[pd.Timestamp("2024-01-01"), "immature_cohort"]
    # March cohort (created 1 Mar) ends 31 Mar, after as_of -> immature
    assert lead.loc[pd.Timestamp("2024-03-01"), "immature_cohort"]
    intent = c[(c["from"] == "intent")].set_index("cohort")
    assert intent.loc[pd.Timestamp("2024-01-01"), "immature_cohort"]  # 39 < 14 + 30


def test_lost_breakdown_by_hand():
    deals, events = frames(
        [("a", "lost", 5), ("b", "lost", 5), ("c", "lost", 5), ("d", "won", 5)],
        [
            ("a", "lead", 0),
            ("b", "lead", 0),
            ("c", "lead", 0),
            ("c", "intent", 1),
            ("d", "lead", 0),
        ],
        lost_reason=["price", "price", "timing", None],
    )
    lb = lost_breakdown(deals, events, default_config())
    assert lb["stage"].tolist() == ["lead", "intent"]
    assert lb["lost_reason"].tolist() == ["price", "timing"]
    assert lb["lost"].tolist() == [2, 1]
    assert lb["share_of_stage"].tolist() == [1.0, 1.0]
    assert lb["share_of_lost"].tolist() == pytest.approx([2 / 3, 1 / 3])
    assert lb["amount"].tolist() == [200.0, 100.0]


# --- bottlenecks ---------------------------------------------------------------------------


@pytest.mark.parametrize("seed", [1, 2, 3])
def test_planted_bottleneck_is_the_top_finding(seed):
    deals, events = synthetic(seed, plant=("Energy", 2, 0.2))
    start = time.perf_counter()
    found = find_bottlenecks(
        deals, events, default_config(), dimensions=["segment", "region", "owner_id"]
    )
    assert time.perf_counter() - start < 5
    top = found[0]
    assert (top.kind, top.dimension, top.value, top.stage) == (
        "bottleneck",
        "segment",
        "Energy",
        "proposal",
    )
    assert top.severity >= 2
    assert top.observed < top.baseline and top.ci_high < top.baseline
    assert top.p_value < 0.05 and top.impact > 0
    assert top.evidence.startswith("Proposal → negotiation in Energy: ")
    assert "elsewhere" in top.evidence and "95% CI" in top.evidence


@pytest.mark.parametrize("seed", [4, 5, 6])
def test_no_planted_gap_gives_nothing_above_lowest_severity(seed):
    deals, events = synthetic(seed)
    found = find_bottlenecks(deals, events, default_config())
    assert all(f.severity == 1 for f in found)


def test_bottleneck_evidence_in_chinese_and_stage_ids_kept():
    deals, events = synthetic(7, plant=("Retail", 1, 0.25))
    top = find_bottlenecks(deals, events, default_config(), language="zh")[0]
    assert top.stage == "intent" and top.value == "Retail"
    assert top.evidence.startswith("Retail的意向→方案转化率为 ")
    assert "其他为" in top.evidence and top.evidence.endswith("。")
    assert top.to_summary()["stage"] == "intent"


def test_evidence_sentence_format():
    from playbook.steps.stages.bottlenecks import _evidence

    text = _evidence(
        "en", "Proposal", "Negotiation", "Manufacturing", 0.18, 0.15, 0.21, 640, 0.41, 23.0, 9.0
    )
    assert text == (
        "Proposal → negotiation in Manufacturing: 18% (95% CI 15–21%, n=640) "
        "vs 41% elsewhere; deals wait a median 23 days vs 9."
    )
    assert _evidence(
        "en", "Proposal", "Negotiation", "X", 0.18, 0.15, 0.21, 640, 0.41, np.nan, 9.0
    ).endswith("vs 41% elsewhere.")


def test_bottleneck_rejects_bad_language():
    deals, events = frames([("a", "lost", 5)], [("a", "lead", 0)])
    with pytest.raises(ValueError, match="language must be 'en' or 'zh'; got 'fr'"):
        find_bottlenecks(deals, events, default_config(), language="fr")


# --- growth formula ------------------------------------------------------------------------


def growth_case():
    # January: 2 deals, 1 won (100). February: 4 deals, 2 won (100 each)
    rows = [
        ("a", "won", 20, 0),
        ("b", "lost", 5, 0),
        ("c", "won", 50, 31),
        ("d", "won", 50, 31),
        ("e", "lost", 40, 31),
        ("f", "lost", 40, 31),
    ]
    ev = []
    for r in rows:
        ev.append((r[0], "lead", r[3]))
        if r[1] == "won":
            ev.append((r[0], "signed", r[2]))
    return frames(rows, ev)


def test_growth_decomposition_identity_and_contributions():
    deals, events = growth_case()
    g = growth_decomposition(deals, events, default_config(), as_of=day(400))
    wide = g.assign(key=np.where(g["factor"] == "rate", g["stage"].astype(str), g["factor"]))
    v = wide.pivot(index="period", columns="key", values="value")
    product = v["leads"] * v["frequency"] * v[IDS[:4]].prod(axis=1) * v["aov"]
    np.testing.assert_allclose(product, v["revenue"])
    assert v["revenue"].tolist() == [100.0, 200.0]
    assert v["leads"].tolist() == [2, 4]
    feb = g[g["period"] == pd.Timestamp("2024-02-01")]
    parts = feb.loc[feb["factor"] != "revenue", "contribution"].sum()
    assert parts == pytest.approx(100.0)  # contributions add up to the change
    leads = feb.loc[feb["factor"] == "leads", "contribution"].item()
    assert leads == pytest.approx(100.0)  # leads doubled, everything else equal
    assert g.loc[g["period"] == pd.Timestamp("2024-01-01"), "contribution"].isna().all()
    assert not g["immature"].any()


def test_frequency_uses_accounts_when_known():
    deals, events = growth_case()
    deals = deals.assign(account_id=["A", "A", "B", "C", "D", "D"])
    g = growth_decomposition(deals, events, default_config(), as_of=day(400))
    jan = g[(g["period"] == pd.Timestamp("2024-01-01"))].set_index("factor")["value"]
    assert jan["leads"] == 1 and jan["frequency"] == 2


def test_stage_sensitivity_by_hand():
    # one month of leads: 4 deals; lead rate 1/2, later rates 1 -> revenue 2 x 100 per month
    deals, events = frames(
        [("a", "won", 5), ("b", "won", 5), ("c", "lost", 5), ("d", "lost", 5)],
        [("a", "lead", 0), ("b", "lead", 0), ("c", "lead", 0), ("d", "lead", 0)],
    )
    s = quiet(stage_sensitivity, deals, events, default_config()).set_index("from")
    assert s.loc["lead", "rate"] == 0.5
    assert s.loc["lead", "revenue"] == pytest.approx(200.0)
    assert s.loc["lead", "gain_points"] == pytest.approx(4 * 0.01 * 100)
    assert s.loc["lead", "gain_relative"] == pytest.approx(4 * 0.05 * 100)
    assert s.loc["intent", "gain_points"] == 0  # already 100%, capped


def test_slow_slice_dwell_is_combined_into_the_finding():
    deals, events = synthetic(8, plant=("Finance", 2, 0.35), slow=("Finance", 2, 4))
    top = find_bottlenecks(deals, events, default_config(), dimensions=["segment"])[0]
    assert (top.value, top.stage) == ("Finance", "proposal")
    assert top.extra["slow"]
    assert top.extra["median_dwell_days"] >= 3 * top.extra["rest_median_dwell_days"]
    assert "deals wait a median" in top.evidence


def test_prepared_journey_is_reused_and_checked():
    from playbook.steps.journey import prepare

    deals, events = synthetic(9, n=300)
    config = default_config()
    j = prepare(deals, events, config)
    a = quiet(stage_rates, deals, events, config, by="segment")
    b = quiet(stage_rates, deals, events, config, by="segment", journey=j)
    pd.testing.assert_frame_equal(a, b)
    other = default_config()
    other.funnel.skip_counts_as_passed = False
    with pytest.raises(ValueError, match="journey was prepared with another funnel"):
        stage_rates(deals, events, other, journey=j)
    with pytest.raises(ValueError, match="journey was prepared as of"):
        stage_rates(deals, events, config, as_of="2020-01-01", journey=j)


# --- on generated samples: the planted bottleneck is found, and only it ---------------------


def _sample(tmp_path, seed, plant):
    from playbook.sample import generate
    from playbook.workspace.load import load_workspace

    folder = tmp_path / f"s{seed}"
    truth = generate(folder, seed=seed, deals=6000, plant=plant)
    return load_workspace(folder), truth


@pytest.mark.parametrize("seed", [3, 11, 29])
def test_planted_bottleneck_is_found_on_generated_samples(tmp_path, seed):
    data, truth = _sample(tmp_path, seed, ("bottleneck",))
    findings = find_bottlenecks(data.deals, data.stage_events, data.config)
    top = findings[0]
    planted = truth.bottleneck
    assert (top.dimension, top.value, top.stage) == (
        planted["dimension"],
        planted["value"],
        planted["stage"],
    )
    assert top.severity >= 2
    assert top.ci_high < top.baseline


@pytest.mark.parametrize("seed", [3, 11])
def test_no_planted_bottleneck_means_no_material_finding(tmp_path, seed):
    data, _ = _sample(tmp_path, seed, ())
    findings = find_bottlenecks(data.deals, data.stage_events, data.config)
    assert all(f.severity == 1 for f in findings), [f.evidence for f in findings]


def test_focus_rates_split_the_company(tmp_path):
    from playbook.steps.stages import focus_rates

    data, truth = _sample(tmp_path, 5, ("bottleneck",))
    rates = focus_rates(data.deals, data.stage_events, data.config, labels=("F", "R"))
    assert set(rates["group"]) == {"F", "R"}
    proposal = rates[rates["from"] == "proposal"].set_index("group")
    assert proposal.loc["F", "rate"] < proposal.loc["R", "rate"]
    total = stage_rates(data.deals, data.stage_events, data.config)
    assert proposal["entered"].sum() == total.loc[total["from"] == "proposal", "entered"].iloc[0]


def test_latest_change_adds_up_to_the_revenue_change():
    from playbook.steps.stages import latest_change

    rows = []
    for period, leads, rate, aov, immature in (
        ("2026-01-01", 100, 0.2, 10.0, False),
        ("2026-02-01", 120, 0.25, 10.0, False),
        ("2026-03-01", 50, 0.1, 10.0, True),
    ):
        revenue = leads * rate * aov
        rows += [
            {"period": pd.Timestamp(period), "factor": "leads", "stage": None, "value": leads},
            {"period": pd.Timestamp(period), "factor": "rate", "stage": "lead", "value": rate},
            {"period": pd.Timestamp(period), "factor": "aov", "stage": None, "value": aov},
            {"period": pd.Timestamp(period), "factor": "revenue", "stage": None, "value": revenue},
        ]
        for r in rows[-4:]:
            r["immature"] = immature
    frame = pd.DataFrame(rows)
    # LMDI: contribution = L(V1, V0) * ln(x1 / x0); filled as growth_decomposition would.
    import numpy as np

    v0, v1 = 200.0, 300.0
    weight = (v1 - v0) / np.log(v1 / v0)
    contributions = {
        "leads": weight * np.log(120 / 100),
        "rate": weight * np.log(0.25 / 0.2),
        "aov": 0.0,
        "revenue": v1 - v0,
    }
    frame["contribution"] = [
        contributions[f] if p == pd.Timestamp("2026-02-01") else np.nan
        for f, p in zip(frame["factor"], frame["period"], strict=True)
    ]
    change = latest_change(frame)
    assert change["period_after"].iloc[0] == pd.Timestamp(
        "2026-02-01"
    )  # the immature March is skipped
    parts = change[change["factor"] != "revenue"]["contribution"].sum()
    assert parts == pytest.approx(100.0)
    assert change.set_index("factor").loc["revenue", "value_before"] == 200.0
    assert latest_change(frame[frame["period"] == pd.Timestamp("2026-01-01")]).empty


def test_focus_sensitivity_values_stages_in_each_group(tmp_path):
    from playbook.steps.stages import focus_sensitivity, stage_sensitivity

    data, _ = _sample(tmp_path, 5, ("bottleneck",))
    table = focus_sensitivity(data.deals, data.stage_events, data.config, labels=("F", "R"))
    assert set(table["group"]) == {"F", "R"}
    focus = data.config.focus
    only = data.deals[data.deals[focus.dimension].astype(str) == focus.value]
    alone = stage_sensitivity(only, data.stage_events, data.config)
    mine = table[table["group"] == "F"].reset_index(drop=True)
    assert mine["rate"].tolist() == pytest.approx(alone["rate"].tolist())
    assert (mine["gain_relative"] >= 0).all()


def test_the_sliced_stage_tables_show_their_full_signature() -> None:
    import inspect

    from playbook.steps import stages

    assert str(inspect.signature(stages.stage_rates)) == (
        "(deals: 'pd.DataFrame', stage_events: 'pd.DataFrame', config: 'PilotConfig', "
        "by: 'str | Sequence[str] | None' = None, as_of=None, *, min_n: 'int' = 30, "
        "confidence: 'float' = 0.95, journey: 'JourneyData | None' = None) -> 'pd.DataFrame'"
    )
    cohort = inspect.signature(stages.cohort_rates).parameters
    assert list(cohort)[:6] == ["deals", "stage_events", "config", "freq", "by", "as_of"]
    assert stages.lost_breakdown.__name__ == "lost_breakdown"
    assert "furthest stage" in stages.lost_breakdown.__doc__
    with pytest.raises(TypeError):
        stages.lost_breakdown(None, None, None, None, None, None)
