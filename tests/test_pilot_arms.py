"""Pilot arms compared like with like: on small companies where the naive answer is wrong.

Every scenario computes the naive answer (pilot vs control rates, a deal-level test) in
the test itself, so each one shows what the comparison would claim without the check.
"""

from __future__ import annotations

import math

import numpy as np
import pandas as pd
import pytest
import statsmodels.api as sm
from scipy import stats

from playbook.steps import pilot
from playbook.steps.pilot import arms as pilot_arms
from playbook.steps.pilot import regression as pilot_regression
from playbook.workspace.config import default_config

DAY0 = pd.Timestamp("2026-01-05 10:00")


def company(reps, rate, *, deals_per_rep=80, seed=0, lift=0.0, products=("A", "B")):
    """A one-stage company: each deal is a lead that advances to intent or is lost.

    reps: {rep: (group, region)}; rate(region, product) -> chance to advance; ``lift``
    added for pilot deals. The group is marked on every deal (no pre-period).
    """
    rng = np.random.default_rng(seed)
    deals, events = [], []
    for rep, (group, region) in reps.items():
        for k in range(deals_per_rep):
            product = products[rng.integers(len(products))]
            created = DAY0 + pd.Timedelta(days=int(rng.integers(0, 60)), hours=k % 8)
            p = rate(region, product) + (lift if group == "pilot" else 0.0)
            did = f"{rep}-{k}"
            advanced = rng.random() < p
            deals.append(
                {
                    "deal_id": did,
                    "created_at": created,
                    "owner_id": rep,
                    "status": "lost",
                    "closed_at": created + pd.Timedelta(days=30),
                    "region": region,
                    "product": product,
                    "pilot_group": group,
                }
            )
            events.append((did, "lead", created))
            if advanced:
                events.append((did, "intent", created + pd.Timedelta(days=3)))
    events = pd.DataFrame(events, columns=["deal_id", "stage", "entered_at"])
    return pd.DataFrame(deals), events


def naive(deals: pd.DataFrame, events: pd.DataFrame) -> tuple[float, float]:
    """Pilot minus control lead -> intent rate, and the deal-level two-proportion p."""
    advanced = deals["deal_id"].isin(events.loc[events["stage"] == "intent", "deal_id"])
    p = deals.assign(adv=advanced).groupby("pilot_group")["adv"].agg(["mean", "size"])
    d = p.loc["pilot", "mean"] - p.loc["control", "mean"]
    pooled = advanced.mean()
    se = math.sqrt(
        pooled * (1 - pooled) * (1 / p.loc["pilot", "size"] + 1 / p.loc["control", "size"])
    )
    return float(d), float(2 * stats.norm.sf(abs(d) / se))


def config():
    return default_config(dimensions=["region", "product"])


def evaluate(deals, events, **overrides):
    ps = pilot.settings(target_stage="lead", **overrides)
    return pilot.evaluate(deals, events, config(), pilot=ps, n_perm=400, n_boot=400)


# --- arms that share no region: no claim --------------------------------------------------


def test_arms_perfectly_separated_by_region_cannot_be_told_apart() -> None:
    """Every pilot rep works East, every control rep West; West converts worse for all."""
    reps = {f"R{i}": ("pilot", "East") for i in range(6)}
    reps |= {f"R{i}": ("control", "West") for i in range(6, 12)}
    deals, events = company(reps, lambda region, _: 0.6 if region == "East" else 0.3, seed=1)
    lift, p = naive(deals, events)
    assert lift > 0.2 and p < 1e-6  # the naive comparison credits the pilot with the region

    res = evaluate(deals, events)
    assert res.design == "post_only" and res.verdict == "cannot_separate"
    (finding,) = res.findings  # says so, with the design, and claims no effect
    assert finding.severity == 1 and finding.observed is None and finding.p_value is None
    assert finding.to_summary()["design"] == "post_only" and finding.evidence == res.verdict_text
    assert res.kpis["pilot_lift"]["value"] is None
    assert res.verdict_text.startswith(
        "Lead → Intent: the data cannot separate the pilot from region."
    )
    assert "East (100%)" in res.verdict_text and "West (100%)" in res.verdict_text
    region = res.arms.dimensions.set_index("dimension").loc["region"]
    assert region["overlap"] == 0 and bool(region["separated"])
    assert res.effects["effect"].isna().all()  # nothing is estimated …
    assert res.effects["raw_effect"].iloc[0] == pytest.approx(lift)  # … the raw gap is shown
    zh = pilot.evaluate(
        deals, events, config(), pilot=pilot.settings(target_stage="lead"), language="zh"
    )
    assert "数据无法区分试点与region的影响" in zh.verdict_text
    assert [f.observed for f in zh.findings] == [None]


# --- a balanced randomised pilot: the effect is found, and called "lifted" ------------------


def _balanced(lift: float, seed: int):
    reps = {}
    for region in ("East", "West"):
        for i in range(12):
            reps[f"{region}-{i}"] = ("pilot" if i % 2 else "control", region)
    return company(reps, lambda region, _: 0.55 if region == "East" else 0.35, seed=seed, lift=lift)


def test_a_balanced_randomised_pilot_finds_the_effect_and_says_lifted() -> None:
    deals, events = _balanced(0.15, seed=2)
    res = evaluate(deals, events, randomised=True)
    assert res.design == "randomised" and res.method == "adjusted"
    assert res.verdict == "likely_real", res.verdict_text
    assert "the pilot lifted conversion" in res.verdict_text
    row = res.effects.iloc[0]
    assert row["effect_low"] > 0 and abs(row["effect"] - 0.15) < 0.07
    (finding,) = res.findings
    assert finding.severity == 2 and finding.design == "randomised"
    assert finding.adjusted_for == ["region", "product"]
    assert finding.to_summary()["design"] == "randomised"
    # the same data, without saying the reps were assigned at random: an association only
    post = evaluate(deals, events)
    assert post.design == "post_only" and post.verdict == "associated"
    assert "An association, not proof" in post.verdict_text
    assert [f.severity for f in post.findings] == [1]


def test_a_randomised_pilot_whose_arms_differ_where_it_matters_is_only_associated() -> None:
    """Randomised, but most pilot reps landed in the strong region: no causal claim."""
    reps = {f"E{i}": ("pilot" if i < 10 else "control", "East") for i in range(12)}
    reps |= {f"W{i}": ("pilot" if i < 2 else "control", "West") for i in range(12)}
    deals, events = company(reps, lambda region, _: 0.6 if region == "East" else 0.3, seed=3)
    res = evaluate(deals, events, randomised=True)
    assert res.design == "randomised" and res.arms.unlike == ["region"]
    assert res.verdict not in ("likely_real", "likely_harmful")
    assert all(f.severity == 1 for f in res.findings)


# --- arms that share part of their territory: compared within it ---------------------------


def test_arms_sharing_a_region_are_compared_within_it_and_the_territory_gap_vanishes() -> None:
    """Pilot reps mostly in the strong region, control mostly in the weak one; no effect."""
    reps = {f"A{i}": ("pilot" if i < 6 else "control", "A") for i in range(8)}
    reps |= {f"B{i}": ("pilot" if i < 2 else "control", "B") for i in range(8)}
    deals, events = company(reps, lambda region, _: 0.6 if region == "A" else 0.3, seed=4)
    lift, p = naive(deals, events)
    assert lift > 0.1 and p < 1e-4  # naive: a "lift" of 15 points, entirely the territory's

    res = evaluate(deals, events)
    assert res.design == "post_only" and res.adjusted_for == ["region", "product"]
    row = res.effects.iloc[0]
    assert row["raw_effect"] == pytest.approx(lift)
    assert row["effect_low"] < 0 < row["effect_high"] and abs(row["effect"]) < 0.06
    assert res.verdict in ("noise", "need_more")
    assert all(f.severity == 1 for f in res.findings)
    mix = res.arms.dimensions.set_index("dimension").loc["region", "mix_effect"]
    # the region mix alone accounts for (0.75 - 0.25) x (0.6 - 0.3) = 15 points
    assert mix == pytest.approx(0.15, abs=0.04)


# --- the pieces, on paper -------------------------------------------------------------------


def test_mix_effect_on_paper() -> None:
    """Pilot deals 3 hi : 1 lo, control 1 hi : 3 lo; hi converts 3/4, lo 0/4 over both arms:
    the mix alone moves the comparison by (0.75 - 0.25) x 0.75 + (0.25 - 0.75) x 0 points."""
    mix = pd.DataFrame({"segment": pd.Categorical(["hi"] * 3 + ["lo", "hi"] + ["lo"] * 3)})
    is_pilot = np.array([1, 1, 1, 1, 0, 0, 0, 0], bool)
    advanced = np.array([1, 1, 1, 0, 0, 0, 0, 0], bool)[:, None]
    resolved = np.ones((8, 1), bool)
    got = pilot_arms.mix_effects(mix, advanced, resolved, is_pilot, np.ones(8, bool), did=False)
    assert got["mix_effect"].iloc[0] == pytest.approx(0.5 * 0.75)


def test_balance_table_on_paper() -> None:
    mix = pd.DataFrame({"region": pd.Categorical(["E", "E", "E", "W", "E", "W", "W", "W"])})
    is_pilot = np.array([1, 1, 1, 1, 0, 0, 0, 0], bool)
    b = pilot_arms.arm_balance(mix, is_pilot, np.ones(8, bool), pre=False).set_index("value")
    assert b.loc["E", "pilot_share"] == 0.75 and b.loc["E", "control_share"] == 0.25
    # (0.75 - 0.25) / sqrt((0.75 * 0.25 + 0.25 * 0.75) / 2)
    assert b.loc["E", "std_diff"] == pytest.approx(0.5 / math.sqrt(0.1875))
    dims = pilot_arms.dimension_balance(b.reset_index())
    assert dims["overlap"].iloc[0] == pytest.approx(0.5)
    # two categories: the generalised difference is the category's own
    assert dims["std_diff"].iloc[0] == pytest.approx(0.5 / math.sqrt(0.1875))


def test_adjusted_lift_equals_a_deal_level_statsmodels_logit() -> None:
    rng = np.random.default_rng(5)
    n, G = 3000, 24
    unit = rng.integers(0, G, n)
    is_pilot = unit < 10
    region = np.where(unit % 2 == 0, "E", "W")
    product = rng.choice(["a", "b", "c"], n)
    eta = -0.3 + 0.8 * (region == "E") - 0.5 * (product == "c") + 0.35 * is_pilot
    y = rng.random(n) < 1 / (1 + np.exp(-(eta + rng.normal(0, 0.3, G)[unit])))
    cov = pd.DataFrame({"region": region, "product": product}).astype("category")
    got = pilot_regression.adjusted_effects(y[:, None], np.ones((n, 1), bool), is_pilot, unit, cov)

    X = pd.get_dummies(cov, drop_first=True).astype(float)
    X.insert(0, "pilot", is_pilot.astype(float))
    X = sm.add_constant(X)
    fit = sm.GLM(y.astype(float), X, family=sm.families.Binomial()).fit(
        cov_type="cluster", cov_kwds={"groups": unit}, use_t=True
    )
    on, off = X.assign(pilot=1.0), X.assign(pilot=0.0)
    assert got["effect"].iloc[0] == pytest.approx((fit.predict(on) - fit.predict(off)).mean())
    assert got["p"].iloc[0] == pytest.approx(fit.pvalues["pilot"], rel=1e-6)


def test_design_names() -> None:
    assert pilot_arms.choose_design(True, True) == "randomised"
    assert pilot_arms.choose_design(False, True) == "difference_in_differences"
    assert pilot_arms.choose_design(False, False) == "post_only"


def test_deal_size_bands_keep_missing_amounts_apart() -> None:
    band = pilot_arms.deal_size_band(pd.Series([10.0, 20, 30, 40, 50, 60, None]))
    assert band.iloc[-1] == "(missing)" and band.iloc[:6].nunique() == 3
    assert pilot_arms.deal_size_band(pd.Series([5.0, 5.0, None])) is None


# --- the generated sample's pilot variants, over several seeds ------------------------------


def _variant(tmp_path, seed: int, variant: str, *, lift: bool = False):
    from playbook.sample import generate
    from playbook.workspace.load import open_dataset

    folder = tmp_path / f"{variant}-{seed}"
    plant = ("bottleneck", "top_performers", variant) + (("pilot",) if lift else ())
    truth = generate(folder, seed=seed, deals=12000, plant=plant)
    for name in ("activities", "assessments", "outcomes"):  # not needed: faster to load
        (folder / f"{name}.csv").unlink()
    data = open_dataset(folder)
    res = pilot.evaluate(data.deals, data.stage_events, data.config, data.reps, n_perm=500)
    return res, truth


def _naive_row(res, stage: str) -> tuple[float, float]:
    """The naive answer at a stage: pilot minus control rate, deal-level two-proportion p."""
    row = res.effects[res.effects["from"] == stage].iloc[0]
    p1, n1, p0, n0 = row["pilot_rate"], row["pilot_n"], row["control_rate"], row["control_n"]
    pooled = (p1 * n1 + p0 * n0) / (n1 + n0)
    se = math.sqrt(pooled * (1 - pooled) * (1 / n1 + 1 / n0))
    return float(p1 - p0), float(2 * stats.norm.sf(abs(p1 - p0) / se))


@pytest.mark.parametrize("seed", [1, 2])
@pytest.mark.parametrize(
    ("variant", "sign"), [("pilot_territory", 1), ("pilot_territory_mirror", -1)]
)
def test_pilot_groups_in_other_regions_than_control_claim_nothing(
    tmp_path, seed, variant, sign
) -> None:
    """No pre-period; pilot reps in two regions, the weak negotiation in a third (or the
    mirror): the naive comparison claims a lift (or a drop); the report claims nothing."""
    res, truth = _variant(tmp_path, seed, variant)
    stage = truth.pilot["target_stage"]
    gap, p = _naive_row(res, stage)
    assert sign * gap > 0.08 and p < 0.001, (gap, p)
    assert res.design == "post_only" and res.stage == stage
    assert res.verdict == "cannot_separate" and res.arms.separated == ["region"]
    assert not [f for f in res.findings if f.severity >= 2]
    assert [(f.extra["verdict"], f.observed) for f in res.findings] == [("cannot_separate", None)]


@pytest.mark.parametrize("seed", [1, 2, 3])
def test_a_null_pilot_sharing_a_region_with_control_stays_quiet(tmp_path, seed) -> None:
    res, truth = _variant(tmp_path, seed, "pilot_territory_shared")
    stage = truth.pilot["target_stage"]
    gap, p = _naive_row(res, stage)
    assert gap > 0.04  # naive: control holds the weak West, so the pilot looks better
    assert res.design == "post_only" and res.adjusted_for
    assert res.verdict in ("noise", "need_more"), res.verdict_text
    assert all(f.severity == 1 for f in res.findings)
    row = res.effects[res.effects["from"] == stage].iloc[0]
    assert row["effect_low"] < 0 < row["effect_high"]
