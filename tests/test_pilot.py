"""Pilot design and evaluation: unit-level inference that is calibrated and finds real lifts."""

from __future__ import annotations

import math
import warnings
from types import SimpleNamespace

import numpy as np
import pandas as pd
import pytest
from scipy import stats

from playbook import plots
from playbook.steps import pilot
from playbook.workspace.config import default_config

DAY0 = pd.Timestamp("2026-01-01 10:00")


def day(x: float) -> pd.Timestamp:
    return DAY0 + pd.Timedelta(days=x)


# --- design ---------------------------------------------------------------------------------


def test_icc_on_paper() -> None:
    assert pilot.icc_anova([5, 5, 5, 5], [10, 10, 10, 10]) == 0.0
    assert pilot.icc_anova([10, 0, 10, 0], [10, 10, 10, 10]) == pytest.approx(1.0)
    assert pilot.icc_anova([3], [10]) == 0.0


def test_design_matches_the_textbook_sample_size() -> None:
    # two proportions 0.5 vs 0.6, alpha 0.05 two-sided, power 0.8, no clustering:
    # n per group = (1.96 + 0.8416)^2 (0.25 + 0.24) / 0.01 = 384.6
    n = (stats.norm.ppf(0.975) + stats.norm.ppf(0.8)) ** 2 * 0.49 / 0.01
    assert pilot.power(0.5, 0.1, n, n) == pytest.approx(0.8, abs=1e-3)
    plan = pilot.design(0.5, 0.1, 100, units=1000, icc=0.0)
    assert plan["weeks_needed"] == math.ceil(2 * n / 100)  # 50 per group per week
    assert plan["achievable"]
    # the same lift with 6 reps that differ a lot can never be shown, however long
    hopeless = pilot.design(0.5, 0.05, 100, units=6, icc=0.1)
    assert not hopeless["achievable"] and math.isnan(hopeless["weeks_needed"])
    # clustering only ever costs power
    assert pilot.power(0.5, 0.1, 300, 300, icc=0.05, units=10) < pilot.power(0.5, 0.1, 300, 300)


# --- the inference core -----------------------------------------------------------------------


def _expand(A, N, zp, s, did=True):
    rows = []
    for g in range(A.shape[0]):
        for t in (0, 1) if did else (1,):
            a, n = int(A[g, t, s]), int(N[g, t, s])
            rows += [(g, float(zp[g]), t, 1.0)] * a + [(g, float(zp[g]), t, 0.0)] * (n - a)
    return pd.DataFrame(rows, columns=["g", "p", "t", "y"])


def test_cluster_robust_intervals_equal_statsmodels() -> None:
    import statsmodels.api as sm

    rng = np.random.default_rng(3)
    N = rng.integers(5, 40, (12, 2, 2)).astype(float)
    A = rng.binomial(N.astype(int), 0.4).astype(float)
    zp = np.arange(12) < 5
    res = pilot.cluster_inference(A, N, zp, n_perm=100, n_boot=100)
    for s in range(2):
        df = _expand(A, N, zp, s)
        X = sm.add_constant(np.column_stack([df.p, df.t, df.p * df.t]))
        fit = sm.OLS(df.y, X).fit(cov_type="cluster", cov_kwds={"groups": df.g}, use_t=True)
        assert res["effect"][s] == pytest.approx(fit.params.iloc[3], abs=1e-12)
        assert res["se"][s] == pytest.approx(fit.bse.iloc[3], rel=1e-9)
        assert res["p_cluster"][s] == pytest.approx(fit.pvalues.iloc[3], rel=1e-6)
        assert [res["effect_low"][s], res["effect_high"][s]] == pytest.approx(
            fit.conf_int().iloc[3].tolist(), rel=1e-6
        )
    post = pilot.cluster_inference(A, N, zp, did=False, overall=False, n_perm=100, n_boot=100)
    df = _expand(A, N, zp, 0, did=False)
    fit = sm.OLS(df.y, sm.add_constant(df.p)).fit(
        cov_type="cluster", cov_kwds={"groups": df.g}, use_t=True
    )
    assert post["se"][0] == pytest.approx(fit.bse.iloc[1], rel=1e-9)


def test_few_units_are_permuted_exactly() -> None:
    rng = np.random.default_rng(1)
    N = np.full((6, 2, 1), 20.0)
    A = rng.binomial(20, 0.5, (6, 2, 1)).astype(float)
    res = pilot.cluster_inference(A, N, np.arange(6) < 3, n_perm=1000, n_boot=50)
    assert bool(res["exact"][0]) and res["assignments"][0] == math.comb(6, 3) == 20
    assert (res["p_perm"] * 20).round(9).eq((res["p_perm"] * 20).round()).all()


def simulate(rng, sims, *, units=30, effect=0.0, drift=0.5, pre=60, post=30):
    """Fast null (or planted) pilots: unit effects, unit x period drift, binomial deals."""
    unit = rng.normal(0, 0.4, (sims, units, 1, 1))
    shock = rng.normal(0, drift, (sims, units, 2, 1)) * np.array([0.0, 1.0])[None, None, :, None]
    p = 1 / (1 + np.exp(-(unit + shock)))
    zp = np.arange(units) < units // 2
    p[:, zp, 1] = np.clip(p[:, zp, 1] + effect, 0, 1)
    N = rng.poisson(np.array([pre, post])[None, None, :, None], (sims, units, 2, 1)).astype(float)
    A = rng.binomial(N.astype(np.int64), p).astype(float)
    return A, N, zp


def naive_p(A, N, zp) -> float:
    """The deal-level two-proportion DiD test that ignores the units (for contrast)."""
    a, n = A[:, :, 0], N[:, :, 0]
    r = {(g, t): a[m, t].sum() / n[m, t].sum() for g, m in ((1, zp), (0, ~zp)) for t in (0, 1)}
    did = r[1, 1] - r[1, 0] - r[0, 1] + r[0, 0]
    var = sum(
        r[g, t] * (1 - r[g, t]) / n[m, t].sum() for g, m in ((1, zp), (0, ~zp)) for t in (0, 1)
    )
    return float(2 * stats.norm.sf(abs(did) / math.sqrt(var)))


def test_false_positives_at_the_nominal_rate_and_real_effects_found() -> None:
    """400 simulated pilots without effect: rejections within a binomial 99% band around 5%.

    The band cannot be met by accident: the same test must find a real 20-point lift in
    nearly every simulated pilot, and the naive deal-level test (which ignores that reps,
    not deals, were assigned) must fail the band on the same data.
    """
    rng = np.random.default_rng(20261127)
    sims, alpha = 400, 0.05
    low, high = stats.binom.ppf([0.005, 0.995], sims, alpha) / sims
    A, N, zp = simulate(rng, sims)
    results = [
        pilot.cluster_inference(A[i], N[i], zp, overall=False, n_perm=400, n_boot=200, seed=i)
        for i in range(sims)
    ]
    p_perm = np.array([r["p_perm"][0] for r in results])
    p_cluster = np.array([r["p_cluster"][0] for r in results])
    assert low <= (p_perm < alpha).mean() <= high
    assert low <= (p_cluster < alpha).mean() <= high
    naive = np.array([naive_p(A[i], N[i], zp) for i in range(sims)])
    assert (naive < alpha).mean() > high  # ignoring clustering is anti-conservative
    prob = np.array([r["prob_positive"][0] for r in results])
    assert abs(prob.mean() - 0.5) < 0.05  # no lean either way under the null

    A, N, zp = simulate(rng, 200, effect=0.20, drift=0.3)
    found = [
        pilot.cluster_inference(A[i], N[i], zp, overall=False, n_perm=400, n_boot=200, seed=i)
        for i in range(200)
    ]
    assert np.mean([r["p_perm"][0] < alpha and r["effect"][0] > 0 for r in found]) >= 0.9


# --- assignment ----------------------------------------------------------------------------


def _deals(rows):
    """rows: (deal_id, owner, created_day, group)."""
    return pd.DataFrame(
        {
            "deal_id": [r[0] for r in rows],
            "owner_id": [r[1] for r in rows],
            "created_at": [day(r[2]) for r in rows],
            "status": "open",
            "pilot_group": [r[3] for r in rows],
        }
    )


def test_groups_from_the_column_place_earlier_deals_in_the_pre_period() -> None:
    deals = _deals(
        [
            ("a", "R1", 1, None),
            ("b", "R1", 40, "pilot"),
            ("c", "R2", 2, None),
            ("d", "R2", 41, "control"),
            ("e", "R2", 42, "pilot"),  # R2 is mostly control: this label disagrees, left out
            ("g", "R2", 43, "control"),
            ("f", "R3", 43, None),  # after the start without a label: not evaluated
            ("h", "R4", 44, "pilot"),  # R4 is as often pilot as control: left out
            ("i", "R4", 45, "control"),
        ]
    )
    a = pilot.assign(deals, pilot.settings())
    assert a.start == day(40).normalize() and a.problem is None and a.dropped == 3
    got = a.frame.set_index("deal_id")
    assert got["group"].tolist() == [
        "pilot",
        "pilot",
        "control",
        "control",
        None,
        "control",
        None,
        None,
        None,
    ]
    assert got["period"].tolist() == ["pre", "post", "pre", "post", None, "post", None, None, None]


def test_groups_from_team_lists_need_a_start_date() -> None:
    deals = _deals([("a", "R1", 1, None), ("b", "R2", 50, None), ("c", "R3", 51, None)])
    reps = pd.DataFrame({"rep_id": ["R1", "R2", "R3"], "team": ["T1", "T1", "T2"]})
    ps = pilot.settings(teams=["T1"])
    assert pilot.assign(deals, ps, reps).problem == "pilot_no_start"
    a = pilot.assign(deals, pilot.settings(teams=["T1"], start="2026-02-01"), reps)
    assert a.unit == "team"
    assert a.frame["group"].tolist() == ["pilot", "pilot", "control"]
    assert a.frame["period"].tolist() == ["pre", "post", "post"]
    assert a.frame["unit"].tolist() == ["T1", "T1", "T2"]


def test_a_team_split_across_both_groups_is_left_out_not_mixed() -> None:
    deals = _deals([("a", "R1", 1, None), ("b", "R2", 50, None), ("c", "R3", 51, None)])
    reps = pd.DataFrame({"rep_id": ["R1", "R2", "R3"], "team": ["T1", "T1", "T2"]})
    ps = pilot.settings(reps=["R1"], control_reps=["R2", "R3"], unit="team", start="2026-02-01")
    a = pilot.assign(deals, ps, reps)
    assert a.dropped == 2  # T1 holds one pilot and one control rep: no group for it
    assert a.frame["group"].tolist() == [None, None, "control"]
    assert a.problem == "pilot_none"


def test_settings_accessor_with_and_without_a_pilot_section() -> None:
    assert pilot.settings(default_config()) == pilot.PilotSettings()
    cfg = SimpleNamespace(pilot={"start": "2026-08-01", "teams": ["East-1"], "expected_lift": 0.05})
    got = pilot.settings(cfg)
    assert got.start == "2026-08-01" and got.teams == ("East-1",) and got.expected_lift == 0.05
    with pytest.raises(ValueError, match="unknown pilot setting"):
        pilot.settings(SimpleNamespace(pilot={"strat": "2026-08-01"}))
    with pytest.raises(ValueError, match="absolute lift between 0 and 1"):
        pilot.settings(expected_lift=12)


def test_no_pilot_is_said_plainly() -> None:
    deals = _deals([("a", "R1", 1, None)]).drop(columns="pilot_group")
    events = pd.DataFrame({"deal_id": ["a"], "stage": ["lead"], "entered_at": [day(1)]})
    res = pilot.evaluate(deals, events, default_config())
    assert not res.available and res.findings == [] and res.effects.empty
    assert res.message.startswith("No pilot to evaluate: add a deals column 'pilot_group'")


# --- evaluation on paper --------------------------------------------------------------------


def test_difference_in_differences_on_paper() -> None:
    """Four reps x 10 deals before and after; lead -> intent 5/10 everywhere except the
    pilot after the start, 8/10: the lift is 0.8 - 0.5 - (0.5 - 0.5) = 0.3."""
    deals, events = [], []
    reps = {"R1": "pilot", "R2": "pilot", "R3": "control", "R4": "control"}
    for rep, group in reps.items():
        for period, start in (("pre", 0), ("post", 100)):
            advanced = 8 if (group == "pilot" and period == "post") else 5
            for k in range(10):
                did = f"{rep}-{period}-{k}"
                created = day(start + k)
                deals.append(
                    {
                        "deal_id": did,
                        "created_at": created,
                        "owner_id": rep,
                        "status": "lost",
                        "closed_at": created + pd.Timedelta(days=20),
                        "pilot_group": group if period == "post" else None,
                    }
                )
                events.append((did, "lead", created))
                if k < advanced:
                    events.append((did, "intent", created + pd.Timedelta(days=5)))
    deals = pd.DataFrame(deals)
    events = pd.DataFrame(events, columns=["deal_id", "stage", "entered_at"])
    res = pilot.evaluate(deals, events, default_config(), n_perm=500, n_boot=500)
    assert res.available and res.method == "did" and res.start == day(100).normalize()
    lead = res.effects.iloc[0]
    assert (lead["from"], lead["to"]) == ("lead", "intent")
    assert lead["effect"] == pytest.approx(0.3)
    assert (lead["pilot_rate"], lead["control_rate"]) == pytest.approx((0.8, 0.5))
    assert (lead["pilot_pre_rate"], lead["control_pre_rate"]) == pytest.approx((0.5, 0.5))
    assert (lead["pilot_n"], lead["control_n"]) == (20, 20)
    assert res.groups["units"].tolist() == [2, 2, 2, 2]
    # two reps per group: C(4, 2) = 6 assignments cannot reach p < 0.05, so it says so
    assert any("Only 6 distinct ways to split the units" in w for w in res.warnings)
    assert any(w.startswith("Only 2 pilot and 2 control reps") for w in res.warnings)
    assert res.verdict in ("need_more", "likely_real")
    assert res.findings[0].kind == "pilot_effect" and res.findings[0].stage == "lead"


# --- the generated sample ------------------------------------------------------------------


def _sample(tmp_path, seed: int, plant):
    from playbook.sample import generate
    from playbook.workspace.load import open_dataset

    folder = tmp_path / f"s{seed}"
    truth = generate(folder, seed=seed, deals=20000, plant=plant)
    for name in ("activities", "assessments", "outcomes"):  # not needed: faster to load
        (folder / f"{name}.csv").unlink()
    return open_dataset(folder), truth


@pytest.mark.parametrize("seed", [1, 2, 3])
def test_planted_pilot_lift_is_found_at_the_planted_stage(tmp_path, seed) -> None:
    data, truth = _sample(tmp_path, seed, ("pilot",))
    res = pilot.evaluate(data.deals, data.stage_events, data.config, data.reps, n_perm=1000)
    assert res.verdict == "likely_real", res.verdict_text
    assert res.stage == truth.pilot["stage"]
    row = res.effects[res.effects["from"] == truth.pilot["stage"]].iloc[0]
    assert row["to"] == truth.pilot["to"]
    assert row["effect_low"] < truth.pilot["lift"] < row["effect_high"]
    assert row["p_adj"] < 0.05 and row["prob_positive"] > 0.95
    primary = [f for f in res.findings if f.extra["primary"]][0]
    assert primary.kind == "pilot_effect" and primary.stage == truth.pilot["stage"]
    assert primary.severity == 2 and "Likely real." in primary.evidence
    assert res.design == primary.design == "difference_in_differences"
    assert primary.adjusted_for == [] and res.arms.causal
    assert [f.severity >= 2 for f in res.findings] == [True] + [False] * (len(res.findings) - 1)
    # no probability prints as 100%
    assert "100%" not in res.verdict_text and "> 99%" in res.verdict_text
    units = set(res.groups["units"])
    assert units == {len(truth.pilot["pilot_reps"])}  # every rep of the pilot teams, each period


def test_the_default_sample_claims_only_the_planted_pilot_effect(tmp_path) -> None:
    """Seed 42, every planting: the pilot lifted intent -> proposal and nothing else.

    The naive reading (every stage and the end-to-end row tested, Benjamini–Hochberg)
    would also claim lead -> intent, negotiation -> signed and end to end.
    """
    from playbook.stats import benjamini_hochberg

    data, truth = _sample(tmp_path, 42, ("bottleneck", "slow_team", "top_performers", "pilot"))
    res = pilot.evaluate(data.deals, data.stage_events, data.config, data.reps)
    naive = benjamini_hochberg(res.effects["p_raw"].to_numpy())
    assert (naive < 0.05).sum() >= 3
    assert [(f.stage, f.extra["role"]) for f in res.findings] == [(truth.pilot["stage"], "primary")]
    roles = dict(zip(res.effects["from"].astype(str)[:4], res.effects["role"][:4], strict=True))
    assert roles == {
        "lead": "exploratory",
        "intent": "primary",
        "proposal": "after_moved_stage",
        "negotiation": "after_moved_stage",
    }
    zh = pilot.evaluate(data.deals, data.stage_events, data.config, data.reps, language="zh")
    assert "100%" not in zh.verdict_text and "> 99%" in zh.verdict_text


@pytest.mark.parametrize("seed", [4, 5, 6])
def test_a_sample_without_a_planted_lift_claims_nothing(tmp_path, seed) -> None:
    data, truth = _sample(tmp_path, seed, ())
    assert truth.pilot["lift"] == 0.0
    res = pilot.evaluate(data.deals, data.stage_events, data.config, data.reps, n_perm=1000)
    assert res.verdict in ("noise", "need_more")
    assert all(f.severity == 1 for f in res.findings)
    design = pilot.design_from_data(data.deals, data.stage_events, data.config, data.reps)
    assert list(design["from"]) == ["lead", "intent", "proposal", "negotiation"]
    assert design["achievable"].all() and (design["weeks_needed"] > 0).all()
    split = pilot.recommend_split(data.deals, data.stage_events, data.config, data.reps)
    pairs = split.groupby("pair")["group"].agg(lambda g: tuple(sorted(g)))
    assert (pairs == ("control", "pilot")).all()  # 40 reps: twenty complete pairs
    assert split.equals(
        pilot.recommend_split(data.deals, data.stage_events, data.config, data.reps)
    )


# --- figures --------------------------------------------------------------------------------


def test_pilot_figures_draw_in_chinese_without_missing_glyphs() -> None:
    effects = pd.DataFrame(
        {
            "from": ["lead", "intent"],
            "to": ["intent", "proposal"],
            "effect": [0.02, 0.12],
            "effect_low": [-0.03, 0.05],
            "effect_high": [0.07, 0.19],
            "p_raw": [0.4, 0.001],
            "prob_positive": [0.78, 0.999],
        }
    )
    trend = pd.DataFrame(
        {
            "group": ["pilot", "pilot", "control", "control"],
            "cohort": pd.to_datetime(["2026-07-01", "2026-08-01"] * 2),
            "rate": [0.5, 0.65, 0.5, 0.52],
            "ci_low": [0.4, 0.55, 0.4, 0.42],
            "ci_high": [0.6, 0.75, 0.6, 0.62],
            "immature_cohort": [False, True, False, True],
        }
    )
    curve = pilot.power_curve(
        pd.DataFrame(
            [{"from": "intent", "to": "proposal", **pilot.design(0.55, 0.1, 60, units=40)}]
        )
    )
    draws = [
        lambda: plots.pilot_effects(
            effects,
            labels={"lead": "线索", "intent": "意向", "proposal": "方案"},
            expected=0.1,
            words=plots.Words(title="各阶段试点提升"),
        ),
        lambda: plots.pilot_trend(
            trend,
            start="2026-08-01",
            group_labels={"pilot": "试点组", "control": "对照组"},
            words=plots.Words(title="意向 → 方案"),
        ),
        lambda: plots.pilot_power(
            curve, words=plots.Words(title="检验力", marks={"lift": "提升 {lift} 个百分点"})
        ),
        lambda: plots.pilot_effects(effects.iloc[:0], words=plots.Words(empty="没有可评估的试点")),
        lambda: plots.pilot_balance(
            pd.DataFrame(
                {
                    "dimension": ["区域", "区域", "商机金额"],
                    "value": ["华东", "西部", "(missing)"],
                    "std_diff": [1.2, float("-inf"), 0.05],
                    "std_diff_pre": [1.1, -1.3, 0.02],
                }
            ),
            words=plots.Words(
                title="两组是否可比？",
                xlabel="标准化差异",
                marks={"after": "试点开始后", "before": "试点开始前"},
            ),
        ),
        lambda: plots.pilot_balance(pd.DataFrame(), words=plots.Words(empty="没有可评估的试点")),
    ]
    for draw in draws:
        with warnings.catch_warnings(record=True) as caught:
            warnings.simplefilter("always")
            fig = draw()
            fig.canvas.draw()
        assert not [w for w in caught if "missing from font" in str(w.message)]
    legend = [t.get_text() for t in plots.pilot_power(curve).axes[0].get_legend().get_texts()]
    assert legend[:3] == ["lift 5 points", "lift 10 points", "lift 15 points"]
