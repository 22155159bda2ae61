"""Bottlenecks that survive the other slices: Simpson's paradox on small companies.

Each company is built so that the one-dimension-at-a-time comparison is wrong; the test
computes that naive answer itself before checking what the report claims.
"""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest
from scipy import stats
from statsmodels.stats.contingency_tables import StratifiedTable

from playbook.steps.stages import find_bottlenecks
from playbook.steps.stages.bottlenecks import bottleneck_tests, mantel_haenszel, retest_table
from playbook.workspace.config import default_config

DAY0 = pd.Timestamp("2026-02-02 09:00")


def company(rate, mix, *, deals_per_region=1500, seed=0):
    """Leads that advance to intent or are lost; ``mix[region]`` = share of product Weak,
    ``rate(region, product)`` = chance to advance."""
    rng = np.random.default_rng(seed)
    deals, events = [], []
    for region, weak_share in mix.items():
        for k in range(deals_per_region):
            product = "Weak" if rng.random() < weak_share else "Good"
            did = f"{region}-{k}"
            created = DAY0 + pd.Timedelta(hours=k)
            deals.append(
                {
                    "deal_id": did,
                    "created_at": created,
                    "owner_id": f"{region}-R{k % 5}",
                    "status": "lost",
                    "closed_at": created + pd.Timedelta(days=20),
                    "region": region,
                    "product": product,
                }
            )
            events.append((did, "lead", created))
            if rng.random() < rate(region, product):
                events.append((did, "intent", created + pd.Timedelta(days=2)))
    return pd.DataFrame(deals), pd.DataFrame(events, columns=["deal_id", "stage", "entered_at"])


def naive(deals, events, column, value) -> tuple[float, float, float]:
    """The one-dimension comparison: slice rate, rest rate, one-sided Fisher p."""
    adv = deals["deal_id"].isin(events.loc[events["stage"] == "intent", "deal_id"])
    inside = deals[column] == value
    a, n = adv[inside].sum(), inside.sum()
    b, m = adv[~inside].sum(), (~inside).sum()
    p = stats.fisher_exact([[a, n - a], [b, m - b]], alternative="less").pvalue
    return a / n, b / m, p


CONFIG = default_config(dimensions=["region", "product"])


def test_a_region_weak_only_through_its_product_is_not_claimed_the_product_is() -> None:
    """West sells mostly the Weak product; product for product, West converts like East."""
    deals, events = company(
        lambda region, product: 0.3 if product == "Weak" else 0.6,
        {"East": 0.2, "West": 0.8},
        seed=1,
    )
    west, rest, p = naive(deals, events, "region", "West")
    assert rest - west > 0.12 and p < 1e-10  # naive: West is a bottleneck

    found = find_bottlenecks(deals, events, CONFIG)
    assert [(f.dimension, f.value, f.stage) for f in found] == [("product", "Weak", "lead")]
    (weak,) = found
    assert weak.adjusted_for == ["region"]
    assert "it is also why region West looks weak here" in weak.evidence
    assert "with product held fixed West converts like the rest" in weak.evidence
    assert weak.evidence.endswith(".") and weak.evidence.count(".") == 1
    assert weak.extra["explains"][0]["dimension"] == "region"
    tests = bottleneck_tests(deals, events, CONFIG)
    row = tests[(tests["value"] == "West") & (tests["stage"] == 0)].iloc[0]
    assert row["flagged"] and row["status"] == "explained"
    assert (row["explained_by"], row["explained_value"]) == ("product", "Weak")
    assert abs(row["adjusted_gap"]) < 0.03  # expected from its product mix ≈ observed
    table = retest_table(tests, CONFIG, "en")
    assert "carried by product = Weak" in set(table["status"])
    zh = find_bottlenecks(deals, events, CONFIG, language="zh")[0]
    assert "这也是region West 在此阶段显得偏弱的原因" in zh.evidence


def test_a_product_weak_only_where_it_is_sold_is_not_claimed_the_region_is() -> None:
    """The mirror: West converts badly whatever it sells, and sells most of product Weak."""
    deals, events = company(
        lambda region, product: 0.3 if region == "West" else 0.6,
        {"East": 0.2, "West": 0.8},
        seed=2,
    )
    weak, rest, p = naive(deals, events, "product", "Weak")
    assert rest - weak > 0.12 and p < 1e-10  # naive: product Weak is a bottleneck

    found = find_bottlenecks(deals, events, CONFIG)
    assert [(f.dimension, f.value) for f in found] == [("region", "West")]
    assert "product Weak looks weak here" in found[0].evidence


def test_a_bottleneck_in_both_dimensions_is_kept_in_both() -> None:
    deals, events = company(
        lambda region, product: 0.6 - 0.2 * (region == "West") - 0.2 * (product == "Weak"),
        {"East": 0.3, "West": 0.7},
        seed=3,
    )
    found = find_bottlenecks(deals, events, CONFIG)
    assert {(f.dimension, f.value) for f in found} == {("region", "West"), ("product", "Weak")}
    assert all("looks weak here" not in f.evidence for f in found)


def test_mantel_haenszel_equals_statsmodels_stratified_table() -> None:
    rng = np.random.default_rng(4)
    n = rng.integers(5, 60, size=(3, 6)).astype(float)  # 3 slices x 6 strata
    a = rng.binomial(n.astype(int), 0.4).astype(float)
    rest_n = rng.integers(10, 90, size=6).astype(float)
    rest_a = rng.binomial(rest_n.astype(int), 0.5).astype(float)
    # each slice against a rest that excludes it: totals are slice + rest
    z, p, odds = mantel_haenszel(a, n, a + rest_a, n + rest_n)
    for g in range(3):
        tables = [
            np.array([[a[g, k], n[g, k] - a[g, k]], [rest_a[k], rest_n[k] - rest_a[k]]])
            for k in range(6)
        ]
        st = StratifiedTable(tables)
        assert z[g] ** 2 == pytest.approx(st.test_null_odds(correction=False).statistic)
        assert odds[g] == pytest.approx(st.oddsratio_pooled)
        assert p[g] == pytest.approx(stats.norm.cdf(z[g]))
