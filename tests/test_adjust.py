"""Comparing people on like deals (playbook.steps.adjust): the model, observed vs expected, and
small
constructed companies where the naive (raw) answer is wrong."""

from __future__ import annotations

from types import SimpleNamespace

import numpy as np
import pandas as pd
import pytest
from sklearn.linear_model import LogisticRegression

from playbook.stats import wilson_interval
from playbook.steps import adjust, capability, journey, plan
from playbook.steps.capability import consistency
from playbook.workspace.config import default_config, dump_config, parse_config

STAGES = default_config().funnel.ids  # lead, intent, proposal, negotiation, signed
BASE = np.array([0.6, 0.55, 0.6, 0.55])


# --- a small company, simulated stage by stage -------------------------------------------------


def _company(
    reps: dict[str, dict],
    effects: dict[str, dict[str, np.ndarray]],
    *,
    per_quarter: int = 100,
    seed: int = 0,
) -> SimpleNamespace:
    """Deals of four quarters of 2025 walking the funnel.

    ``reps``: rep id -> {"skill": logit lift at every stage, "mix": {dimension: {value:
    share}}}; ``effects``: dimension -> value -> logit effect per stage (4 values). Every deal
    closes (won, or lost at the stage where it stopped) within a few weeks.
    """
    rng = np.random.default_rng(seed)
    rows, events = [], []
    k = 0
    for quarter in range(4):
        start = pd.Timestamp("2025-01-01") + pd.DateOffset(months=3 * quarter)
        for rep, spec in reps.items():
            for _ in range(per_quarter):
                k += 1
                deal = f"D{k:05d}"
                created = start + pd.Timedelta(days=float(rng.uniform(0, 85)))
                values = {
                    dim: rng.choice(list(shares), p=list(shares.values()))
                    for dim, shares in spec["mix"].items()
                }
                logit = np.log(BASE / (1 - BASE)) + spec.get("skill", 0.0)
                for dim, value in values.items():
                    logit = logit + effects.get(dim, {}).get(value, np.zeros(4))
                p = 1 / (1 + np.exp(-logit))
                status, closed = "won", None
                for s in range(5):
                    at = created + pd.Timedelta(days=4 * s)
                    events.append((deal, STAGES[s], at))
                    if s < 4 and rng.random() >= p[s]:
                        status, closed = "lost", at + pd.Timedelta(days=2)
                        break
                    closed = at
                rows.append(
                    {
                        "deal_id": deal,
                        "created_at": created,
                        "owner_id": rep,
                        "status": status,
                        "closed_at": closed,
                        "amount": float(rng.lognormal(11, 0.5)),
                        **values,
                    }
                )
    deals = pd.DataFrame(rows)
    stage_events = pd.DataFrame(events, columns=["deal_id", "stage", "entered_at"])
    config = default_config(dimensions=[d for d in ("segment", "region") if d in deals.columns])
    return SimpleNamespace(
        config=config,
        deals=deals,
        stage_events=stage_events,
        activities=None,
        reps=None,
        assessments=None,
        outcomes=None,
    )


def _consistency(data: SimpleNamespace, *, adjust_on: bool) -> pd.DataFrame:
    """Step 4's consistency table, with or without comparing on like deals."""
    study = capability.analyse(data, adjust=adjust_on, language="en")
    return study.consistency.set_index("owner_id")


@pytest.fixture(scope="module")
def easy_deals() -> SimpleNamespace:
    """Twelve reps of equal skill but one star; "easy" sells mostly to the segment that
    converts well for everybody."""
    ordinary = {"segment": {"Easy": 0.3, "Hard": 0.7}}
    reps = {f"R{i:02d}": {"mix": ordinary} for i in range(10)}
    reps["easy"] = {"mix": {"segment": {"Easy": 0.95, "Hard": 0.05}}}
    reps["star"] = {"mix": ordinary, "skill": 0.7}
    effects = {"segment": {"Easy": np.full(4, 0.9), "Hard": np.full(4, -0.3)}}
    return _company(reps, effects, seed=1)


@pytest.fixture(scope="module")
def weak_territory() -> SimpleNamespace:
    """South's negotiation stage is weak for everybody; "south_star" is strong and works only
    the South, which ordinary reps also work part of the time."""
    north = {"region": {"North": 0.8, "South": 0.2}}
    south = {"region": {"North": 0.2, "South": 0.8}}
    reps = {f"N{i}": {"mix": north} for i in range(6)}
    reps |= {f"S{i}": {"mix": south} for i in range(4)}
    reps["north_star"] = {"mix": north, "skill": 0.7}
    reps["south_star"] = {"mix": {"region": {"South": 1.0}}, "skill": 0.7}
    effects = {"region": {"North": np.zeros(4), "South": np.array([0.0, 0.0, 0.0, -2.0])}}
    return _company(reps, effects, seed=2)


def test_a_rep_strong_only_on_easy_deals_is_not_flagged(easy_deals) -> None:
    naive = _consistency(easy_deals, adjust_on=False)
    adjusted = _consistency(easy_deals, adjust_on=True)
    # the naive ranking takes the easy segment for skill
    assert naive.at["easy", "consistent"], naive.loc["easy", ["status", "reason"]]
    # on like deals the easy rep is average; the real star stays
    assert not adjusted.at["easy", "consistent"], adjusted.loc["easy", ["status", "reason"]]
    assert adjusted.at["star", "consistent"]
    assert set(adjusted.index[adjusted["consistent"]]) == {"star"}
    assert adjusted.at["easy", "unadjusted_status"] == naive.at["easy", "status"]
    assert 0.8 < adjusted.at["easy", "o_e"] < 1.25
    # the why column says what changed: the segment that converts well for everybody
    reason = adjusted.at["easy", "reason"]
    assert "segment Easy" in reason and "raw rank 1 of 12" in reason, reason


def test_a_rep_strong_in_the_weak_territory_is_flagged(weak_territory) -> None:
    naive = _consistency(weak_territory, adjust_on=False)
    adjusted = _consistency(weak_territory, adjust_on=True)
    assert not naive.at["south_star", "consistent"], naive.loc["south_star", "reason"]
    assert adjusted.at["south_star", "consistent"], adjusted.loc["south_star", "reason"]
    assert adjusted.at["north_star", "consistent"] and naive.at["north_star", "consistent"]
    assert adjusted.at["south_star", "adjusted_rank"] < adjusted.at["south_star", "unadjusted_rank"]
    reason = adjusted.at["south_star", "reason"]
    assert "100% of their deals are in region South" in reason, reason
    assert "Negotiation → Signed" in reason


def test_the_territory_is_judged_by_everyone_who_works_it(weak_territory) -> None:
    """Fitted with a term per rep, the region's effect comes from reps who work both regions,
    so a star concentrated in the weak region does not make the region look better."""
    data = weak_territory
    j = journey.prepare(data.deals, data.stage_events, data.config)
    model = adjust.fit_mix_model(j, data.config)
    effect = model.effects["negotiation"]["region"]
    levels = list(model.levels["region"])
    gap = effect[levels.index("South")] - effect[levels.index("North")]
    assert -2.5 < gap < -1.5, gap  # planted: -2.0
    table = model.by_owner().set_index(["owner_id", "stage"])
    star = table.loc[("south_star", "negotiation")]
    assert star["o_e"] > 1.3 and star["ci_low"] > 0
    ordinary = table.xs("negotiation", level="stage").drop(["south_star", "north_star"])
    # ordinary reps of both regions convert about as expected at the weak stage (raw, the
    # South reps would be ~25 points below the North ones)
    assert abs(ordinary["o_minus_e"].median()) < 0.05
    south = ordinary.index.str.startswith("S")
    assert (
        abs(ordinary.loc[south, "o_minus_e"].mean() - ordinary.loc[~south, "o_minus_e"].mean())
        < 0.05
    )
    assert ordinary.loc[~south, "rate"].mean() - ordinary.loc[south, "rate"].mean() > 0.15


# --- the model ------------------------------------------------------------------------------------


def test_ridge_logit_matches_scikit_learn() -> None:
    """The same penalised likelihood as scikit-learn's L2 logistic regression on one-hot
    columns scaled by 1/sqrt(penalty)."""
    rng = np.random.default_rng(3)
    n = 3000
    a, b, c = rng.integers(0, 4, n), rng.integers(0, 6, n), rng.integers(0, 25, n)
    eta = -0.4 + np.array([0, 0.6, -1.0, 0.3])[a] + rng.normal(0, 0.5, 6)[b]
    eta += rng.normal(0, 0.3, 25)[c]
    y = (rng.random(n) < 1 / (1 + np.exp(-eta))).astype(float)
    penalties = (0.25, 1.0, 4.0)
    intercept, coefs = adjust.fit_ridge_logit(
        y, [("a", a, 4, penalties[0]), ("b", b, 6, penalties[1]), ("c", c, 25, penalties[2])]
    )
    X = np.zeros((n, 35))
    for offset, codes, pen in ((0, a, penalties[0]), (4, b, penalties[1]), (10, c, penalties[2])):
        X[np.arange(n), offset + codes] = 1 / np.sqrt(pen)
    ref = LogisticRegression(C=1.0, tol=1e-10, max_iter=10_000).fit(X, y)
    w = ref.coef_[0]
    assert intercept == pytest.approx(ref.intercept_[0], abs=1e-4)
    np.testing.assert_allclose(coefs["a"], w[:4] / np.sqrt(penalties[0]), atol=1e-4)
    np.testing.assert_allclose(coefs["b"], w[4:10] / np.sqrt(penalties[1]), atol=1e-4)
    np.testing.assert_allclose(coefs["c"], w[10:] / np.sqrt(penalties[2]), atol=1e-4)
    with pytest.raises(ValueError, match="only 0 and 1"):
        adjust.fit_ridge_logit(np.array([0.0, 0.5]), [("a", np.array([0, 1]), 2, 1.0)])


def test_expected_is_calibrated_and_censoring_follows_the_stage_rates(easy_deals) -> None:
    data = easy_deals
    deals = data.deals.copy()
    # three deals still open at lead: one long past the lead window, two entered a day ago
    late = data.stage_events["entered_at"].max() - pd.Timedelta(days=1)
    extra = pd.DataFrame(
        {
            "deal_id": ["OPEN_OLD", "OPEN_NEW1", "OPEN_NEW2"],
            "created_at": [late - pd.Timedelta(days=200), late, late],
            "owner_id": "R00",
            "status": "open",
            "closed_at": pd.NaT,
            "amount": 1000.0,
            "segment": "Hard",
        }
    )
    deals = pd.concat([deals, extra], ignore_index=True)
    events = pd.concat(
        [
            data.stage_events,
            pd.DataFrame(
                {"deal_id": extra["deal_id"], "stage": "lead", "entered_at": extra["created_at"]}
            ),
        ],
        ignore_index=True,
    )
    j = journey.prepare(deals, events, data.config)
    model = adjust.fit_mix_model(j, data.config)
    frame = model.frame()
    ids = set(frame["deal_id"])
    assert "OPEN_OLD" in ids and not {"OPEN_NEW1", "OPEN_NEW2"} & ids
    old = frame[frame["deal_id"] == "OPEN_OLD"]
    assert list(old["stage"]) == ["lead"] and not old["advanced"].any()
    by_stage = frame.groupby("stage", observed=True)[["advanced", "expected"]].sum()
    np.testing.assert_allclose(by_stage["expected"], by_stage["advanced"], rtol=1e-6)
    assert model.method == dict.fromkeys(STAGES[:-1], "model")
    assert model.adjusted_for == ["segment", "deal_size", "created_quarter"]
    long = adjust.expected_conversion(deals, events, data.config)
    assert len(long) == len(frame) and long.attrs["adjusted_for"] == model.adjusted_for


def test_observed_vs_expected_on_paper() -> None:
    frame = pd.DataFrame(
        {
            "team": ["A"] * 10 + ["B"] * 4,
            "advanced": [1] * 8 + [0] * 2 + [1, 0, 0, 0],
            "expected": [0.5] * 10 + [0.25] * 4,
        }
    )
    out = adjust.observed_vs_expected(frame, "team").set_index("team")
    low, high = wilson_interval(8, 10)
    a = out.loc["A"]
    assert (a["n"], a["observed"], a["expected"]) == (10, 8, 5.0)
    assert a["rate"] == 0.8 and a["expected_rate"] == 0.5
    assert a["o_minus_e"] == pytest.approx(0.3)
    assert (a["ci_low"], a["ci_high"]) == pytest.approx((low - 0.5, high - 0.5))
    assert a["o_e"] == pytest.approx(1.6) and a["o_e_low"] == pytest.approx(low / 0.5)
    assert a["z"] == pytest.approx(3 / np.sqrt(2.5))
    assert out.at["B", "o_e"] == pytest.approx(1.0) and out.at["B", "z"] == 0


def test_thin_stages_use_indirect_standardisation_without_the_rep() -> None:
    """Too few resolved deals for a model: the rate of the deal's category over the other
    reps' deals, shrunk toward the stage's rate."""
    reps = {
        "A": {"mix": {"region": {"North": 1.0}}, "skill": 1.5},
        "B": {"mix": {"region": {"North": 1.0}}},
        "C": {"mix": {"region": {"South": 1.0}}},
        "D": {"mix": {"region": {"South": 0.5, "North": 0.5}}},
    }
    effects = {"region": {"North": np.full(4, 1.0), "South": np.full(4, -1.0)}}
    data = _company(reps, effects, per_quarter=10, seed=4)
    j = journey.prepare(data.deals, data.stage_events, data.config)
    model = adjust.fit_mix_model(j, data.config)
    assert model.method["lead"] == "indirect"
    assert model.dimensions["lead"] == ["region"]
    # A's North deals are expected at the North rate of B and D only (before calibration)
    rows = np.flatnonzero(j.mature[:, 0])
    north = (data.deals["region"].to_numpy() == "North")[rows]
    owner = data.deals["owner_id"].to_numpy()[rows]
    adv = j.advanced[rows, 0]
    exp = model.expected[rows, 0]
    a_deal = (owner == "A") & north
    b_deal = (owner == "B") & north
    assert np.unique(exp[a_deal].round(12)).size == 1
    others_for_a = adv[north & (owner != "A")].mean()
    others_for_b = adv[north & (owner != "B")].mean()
    assert adv[a_deal].mean() > adv[b_deal].mean() and others_for_a < others_for_b
    # the strong rep's own deals do not raise what is expected of them
    assert exp[a_deal][0] < exp[b_deal][0]
    np.testing.assert_allclose(exp.sum(), adv.sum(), rtol=1e-6)


def test_deal_mix_bands_amount_and_reports_missing_columns() -> None:
    deals = pd.DataFrame(
        {
            "deal_id": ["a", "b", "c", "d", "e"],
            "created_at": pd.to_datetime(
                ["2025-01-05", "2025-02-01", "2025-04-01", "2025-07-01", "2025-10-01"]
            ),
            "amount": [10.0, 20.0, 30.0, np.nan, 50.0],
            "region": ["N", " N", None, "S", ""],
            "size": [1.0, 2.0, 3.0, 4.0, 5.0],
        }
    )
    config = parse_config(
        {"dimensions": ["region", "segment"], "adjustment": {"features": ["size"]}}
    )
    mix = adjust.deal_mix(deals, config, amount_bands=2)
    assert list(mix.columns) == ["region", "size", "deal_size", "created_quarter"]
    assert list(mix["region"].astype(str)) == ["N", "N", "unknown", "S", "unknown"]
    assert mix["deal_size"].astype(str).tolist()[3] == "unknown"
    assert mix["deal_size"].astype(str).str[:1].tolist() == ["1", "1", "2", "u", "2"]
    assert mix["created_quarter"].astype(str).tolist() == [
        "2025Q1",
        "2025Q1",
        "2025Q2",
        "2025Q3",
        "2025Q4",
    ]
    assert mix.attrs["missing"] == ["segment"]
    off = adjust.deal_mix(deals, config, amount_bands=0, period=False, features=[])
    assert list(off.columns) == ["region"]


def test_adjustment_settings_and_pilot_yml() -> None:
    assert adjust.adjustment_settings(default_config()) == adjust.DEFAULT_ADJUSTMENT
    assert "adjustment" not in dump_config(default_config())  # older pilot.yml keep their bytes
    custom = parse_config({"adjustment": {"features": ["company_size"], "amount_bands": 3}})
    assert "company_size" in dump_config(custom)
    assert parse_config(__import__("yaml").safe_load(dump_config(custom))) == custom
    assert adjust.adjustment_settings(custom)["amount_bands"] == 3
    with pytest.raises(ValueError, match="amount_bands"):
        adjust.adjustment_settings(None, amount_bands=-1)


def test_switched_off_the_ranking_is_the_raw_one(easy_deals) -> None:
    data = easy_deals
    j = journey.prepare(data.deals, data.stage_events, data.config)
    off = adjust.fit_mix_model(j, data.config, enabled=False)
    assert off.adjusted_for == [] and set(off.method.values()) == {"none"}
    rates = consistency.rep_period_rates(data.deals, data.stage_events, data.config, journey=j)
    assert rates["adjusted_shrunk"].isna().all()
    ranking = consistency.rank_periods(rates)
    assert ranking["unadjusted_rank"].isna().all()
    table = consistency.consistent_converters(ranking, rates=rates)
    assert (table["unadjusted_status"] == "").all() and "raw rank" not in table["reason"].iloc[0]


def test_findings_and_plan_compare_on_like_deals(weak_territory) -> None:
    data = weak_territory
    study = capability.analyse(data, adjust=True, language="en")
    assert study.adjusted_for == ["region", "deal_size", "created_quarter"]
    sp = study.stage_performance.set_index(["owner_id", "from"])
    star = sp.loc[("south_star", "negotiation")]
    # raw: below the team at negotiation; against its own deals: well above
    assert star["rate"] < star["team_rate"] < star["adjusted_shrunk"]
    assert star["expected_rate"] < star["rate"] and star["o_e"] > 1.3
    weak = plan.diagnose(data.config, stage_performance=study.stage_performance, language="en")
    flagged = set(weak.loc[weak["weakness"] == "stage:negotiation", "owner_id"])
    naive = capability.analyse(data, adjust=False, language="en")
    naive_weak = plan.diagnose(data.config, stage_performance=naive.stage_performance)
    naive_flagged = set(naive_weak.loc[naive_weak["weakness"] == "stage:negotiation", "owner_id"])
    assert "south_star" in naive_flagged and "south_star" not in flagged
    assert not {f"S{i}" for i in range(4)} <= flagged  # weak for everyone is nobody's weakness
