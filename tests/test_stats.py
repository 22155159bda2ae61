"""Shared statistics: every number here is worked out by hand (or by a reference library)."""

from __future__ import annotations

import warnings

import numpy as np
import pandas as pd
import pytest
from scipy import stats as st
from statsmodels.stats.proportion import proportion_confint

from playbook.stats import (
    SmallSampleWarning,
    _blocks,
    benjamini_hochberg,
    cumulative_incidence,
    fit_beta_prior,
    format_probability,
    holm,
    km_quantiles,
    rate_table,
    shrink_rates,
    slice_vs_rest_test,
    small_sample_message,
    wilson_interval,
)


def test_wilson_matches_statsmodels_and_handles_zero_n():
    s = np.array([0, 5, 10, 3])
    n = np.array([10, 10, 10, 0])
    low, high = wilson_interval(s, n)
    ref_low, ref_high = proportion_confint(s[:3], n[:3], method="wilson")
    np.testing.assert_allclose(low[:3], ref_low)
    np.testing.assert_allclose(high[:3], ref_high)
    assert np.isnan(low[3]) and np.isnan(high[3])


def test_wilson_scalar_and_series():
    low, high = wilson_interval(5, 10)
    assert isinstance(low, float)
    assert low == pytest.approx(0.2366, abs=1e-4) and high == pytest.approx(0.7634, abs=1e-4)
    s = pd.Series([1, 2], index=["a", "b"])
    low, high = wilson_interval(s, pd.Series([4, 4], index=["a", "b"]))
    assert list(low.index) == ["a", "b"]
    assert wilson_interval(1, 0)[0] != wilson_interval(1, 0)[0]  # NaN


def test_wilson_rejects_bad_confidence():
    with pytest.raises(ValueError, match="confidence must be between 0 and 1"):
        wilson_interval(1, 2, confidence=95)


def test_rate_table_columns_and_values():
    t = rate_table(pd.Series([3, 0], index=["x", "y"]), [4, 0])
    assert list(t.columns) == ["n", "successes", "rate", "ci_low", "ci_high"]
    assert t.loc["x", "rate"] == 0.75 and t.loc["x", "n"] == 4
    assert np.isnan(t.loc["y", "rate"])


def test_benjamini_hochberg_by_hand_and_nan():
    # sorted: .005*4/1=.02, .01*4/2=.02, .03*4/3=.04, .04*4/4=.04
    adj = benjamini_hochberg([0.01, 0.04, 0.03, 0.005, np.nan])
    np.testing.assert_allclose(adj[:4], [0.02, 0.04, 0.04, 0.02])
    assert np.isnan(adj[4])


def test_holm_matches_statsmodels_and_leaves_nan_out():
    from statsmodels.stats.multitest import multipletests

    rng = np.random.default_rng(11)
    for _ in range(50):
        p = rng.random(rng.integers(1, 9)) ** 3
        assert holm(p) == pytest.approx(multipletests(p, method="holm")[1])
    # by hand: sorted 0.01 x 3, then max(0.03 x 2, 0.03), then 0.04 x 1 -> 0.06 (monotone)
    got = holm([0.04, np.nan, 0.01, 0.03])
    assert np.isnan(got[1]) and got[[0, 2, 3]] == pytest.approx([0.06, 0.03, 0.06])


def test_no_probability_prints_as_certain():
    assert [format_probability(x) for x in (0.9996, 0.995, 0.5, 0.004, 0.0)] == [
        "> 99%",
        "> 99%",
        "50%",
        "< 1%",
        "< 1%",
    ]
    assert format_probability(0.99951, decimals=1) == "> 99.9%"
    assert format_probability(0.9984, decimals=1) == "99.8%"
    assert format_probability(float("nan")) == format_probability(None) == "–"


def test_beta_prior_pools_homogeneous_groups_fully():
    # identical rates: no heterogeneity beyond chance -> shrunk rates equal the pooled rate
    shrunk = shrink_rates([10, 20, 30], [100, 200, 300])
    np.testing.assert_allclose(shrunk, 0.1, atol=1e-6)


def test_beta_prior_shrinks_small_groups_more():
    s = np.array([50, 300, 5, 1])
    n = np.array([100, 1000, 10, 10])
    a, b = fit_beta_prior(s, n)
    assert a > 0 and b > 0
    shrunk = shrink_rates(s, n, (a, b))
    raw = s / n
    mean = a / (a + b)
    # every shrunk rate lies between its raw rate and the prior mean
    assert np.all((shrunk - raw) * (shrunk - mean) <= 1e-12)
    # the 10-deal groups move further than the 1000-deal group
    assert abs(shrunk[3] - raw[3]) > abs(shrunk[1] - raw[1])


def test_shrink_rates_fits_the_groups_own_prior_by_default():
    # the steps rely on this: shrink_rates(s, n) is the shrinkage toward the groups' own prior
    rng = np.random.default_rng(7)
    n = rng.integers(0, 400, size=40)  # some empty groups among them
    s = rng.binomial(n, rng.uniform(0.05, 0.6, size=40))
    prior = fit_beta_prior(s, n)
    assert 0 < prior[0] < 1e6  # a real, finite prior: the default is not the flat one
    np.testing.assert_array_equal(shrink_rates(s, n), shrink_rates(s, n, prior))
    assert not np.allclose(shrink_rates(s, n, (0.0, 0.0))[n > 0], shrink_rates(s, n)[n > 0])


def test_beta_prior_without_enough_groups_is_flat():
    assert fit_beta_prior([3], [10]) == (0.0, 0.0)
    np.testing.assert_allclose(shrink_rates([3], [10]), [0.3])


def test_fisher_less_matches_scipy():
    # slice 3/20 vs population 30/100 -> rest 27/80
    p = slice_vs_rest_test([3], [20], [30], [100])[0]
    ref = st.fisher_exact([[3, 17], [27, 53]], alternative="less")[1]
    assert p == pytest.approx(ref)
    two = slice_vs_rest_test([3], [20], [30], [100], alternative="two-sided")[0]
    assert two == pytest.approx(st.fisher_exact([[3, 17], [27, 53]])[1])
    greater = slice_vs_rest_test([3], [20], [30], [100], alternative="greater")[0]
    assert greater == pytest.approx(st.fisher_exact([[3, 17], [27, 53]], alternative="greater")[1])


def test_z_test_close_to_fisher_for_large_n_and_empty_rest_is_nan():
    pz = slice_vs_rest_test([300], [1000], [3500], [10000], method="z")[0]
    pf = slice_vs_rest_test([300], [1000], [3500], [10000])[0]
    # 30% vs 3200/9000 = 35.6%: z = -3.5, p ~ 2.4e-4 either way
    assert pz == pytest.approx(2.4e-4, rel=0.1)
    assert pf == pytest.approx(pz, rel=0.5)
    assert np.isnan(slice_vs_rest_test([3], [10], [3], [10])[0])
    with pytest.raises(ValueError, match="method must be 'fisher' or 'z'"):
        slice_vs_rest_test([1], [2], [3], [4], method="t")


def test_km_quantiles_without_censoring_is_the_lower_median():
    q = km_quantiles([1, 2, 3, 4], [True] * 4)
    assert q[0, 0] == 2  # S(2) = 0.5
    assert q[0, 1] == 4  # S(4) = 0 <= 0.1


def test_km_quantiles_with_censoring_by_hand():
    # times 1, 2, 3+, 4, 5+ : S(1)=4/5, S(2)=3/5, S(4)=3/5*1/2=0.3 -> median 4; p90 never
    q = km_quantiles([1, 2, 3, 4, 5], [True, True, False, True, False])
    assert q[0, 0] == 4
    assert np.isnan(q[0, 1])


def test_km_quantiles_per_group_and_ties():
    # group 0: 2, 2, 2, 10 -> S(2)=0.25 -> median 2; group 1 empty; group 2: 5+ only
    q = km_quantiles([2, 2, 2, 10, 5], [1, 1, 1, 1, 0], group=[0, 0, 0, 0, 2], n_groups=3, q=(0.5,))
    assert q[0, 0] == 2
    assert np.isnan(q[1, 0]) and np.isnan(q[2, 0])


def test_km_quantiles_agree_with_lifelines():
    import lifelines  # a pinned dependency: the cross-check always runs

    rng = np.random.default_rng(3)
    t = np.round(rng.exponential(10, 300), 1)
    e = rng.random(300) < 0.7
    kmf = lifelines.KaplanMeierFitter().fit(t, e)
    ours = km_quantiles(t, e, q=(0.5,))[0, 0]
    assert ours == pytest.approx(kmf.median_survival_time_)


def test_cumulative_incidence_by_hand():
    # advanced at 1, lost at 2, censored at 3, advanced at 4
    res = cumulative_incidence([1, 2, 3, 4], [1, 2, 0, 1], grid=[0, 1, 2, 3, 4])[0]
    np.testing.assert_allclose(res[:, 0], [4, 4, 3, 2, 1])
    np.testing.assert_allclose(res[:, 1], [0, 0.25, 0.25, 0.25, 0.75])
    np.testing.assert_allclose(res[:, 2], [0, 0, 0.25, 0.25, 0.25])


def test_cumulative_incidence_empty_group_is_nan():
    res = cumulative_incidence([1.0], [1], group=[1], n_groups=2, grid=[0, 1])
    assert np.isnan(res[0, :, 1]).all()
    np.testing.assert_allclose(res[1, :, 1], [0, 1])


def test_small_sample_message_says_what_to_do():
    msg = small_sample_message("proposal → negotiation", "Energy", 12)
    assert msg == (
        "'proposal → negotiation' in Energy rests on 12 deals; widen the period or merge segments"
    )
    assert "(3 more slices too small)" in small_sample_message("a → b", None, 4, more=3)
    assert issubclass(SmallSampleWarning, UserWarning)
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        warnings.warn(msg, SmallSampleWarning, stacklevel=1)
    assert caught[0].category is SmallSampleWarning


def test_rounded_fast_path_matches_exact_estimates():
    rng = np.random.default_rng(11)
    t = np.round(rng.exponential(10, 2000) * 24) / 24  # whole hours, in days
    e = rng.random(2000) < 0.6
    ev = np.where(e, rng.integers(1, 3, 2000), 0)
    g = rng.integers(0, 3, 2000)
    exact = km_quantiles(t, e, g, 3)
    fast = km_quantiles(t, e, g, 3, resolution=1 / 24)
    np.testing.assert_allclose(fast, exact)
    grid = np.arange(0, 30)
    np.testing.assert_allclose(
        cumulative_incidence(t, ev, g, 3, grid, resolution=1 / 24),
        cumulative_incidence(t, ev, g, 3, grid),
    )


def _blocks_by_sorting(time, group, payload, n_payload, resolution):
    """The earlier ``_blocks`` (sort one key, reduce runs): the reference for the counting one."""
    ticks = np.round(time / resolution).astype(np.int64)
    tmin = int(ticks.min())
    span = int(ticks.max()) - tmin + 1
    key = np.sort((group * span + ticks - tmin) * n_payload + payload)
    p = key % n_payload
    key //= n_payload
    starts = np.flatnonzero(np.r_[True, key[1:] != key[:-1]])
    counts = np.stack(
        [np.add.reduceat((p == v).astype(np.int64), starts) for v in range(n_payload)], 1
    )
    bkey = key[starts]
    return bkey // span, (bkey % span + tmin) * resolution, counts


def test_blocks_by_hand():
    # hours 1, 1, 2 in group 0; hour 2 in group 1 (times in days, one-hour grid)
    time = np.array([2, 1, 1, 2]) / 24
    group = np.array([1, 0, 0, 0])
    payload = np.array([1, 0, 1, 1], dtype=np.int8)
    bg, bt, counts = _blocks(time, group, payload, 2, resolution=1 / 24)
    np.testing.assert_array_equal(bg, [0, 0, 1])
    np.testing.assert_allclose(bt * 24, [1, 2, 2])
    np.testing.assert_array_equal(counts, [[1, 1], [0, 1], [0, 1]])


@pytest.mark.parametrize("seed", range(5))
def test_blocks_counting_equals_sorting(seed):
    rng = np.random.default_rng(seed)
    n = int(rng.integers(1, 3000))
    n_payload = int(rng.integers(2, 4))
    time = rng.exponential(20, n) + rng.integers(0, 2)  # days
    group = rng.integers(0, int(rng.integers(1, 40)), n)
    payload = rng.integers(0, n_payload, n).astype(np.int8)
    got = _blocks(time, group, payload, n_payload, resolution=1 / 24)
    want = _blocks_by_sorting(time, group, payload, n_payload, 1 / 24)
    for a, b in zip(got, want, strict=True):
        np.testing.assert_array_equal(a, b)
    assert got[2].dtype == np.int64
