"""The company roll-up: units' additive counts summed into the company's figures."""

from __future__ import annotations

import dataclasses

import numpy as np
import pandas as pd
import pytest

from playbook.sample import generate
from playbook.stats import wilson_interval
from playbook.steps import stages
from playbook.steps.monthly import merge_units, month_bounds, month_metrics, unit_counts
from playbook.workspace.load import as_of, validate
from playbook.workspace.reading import read_workspace

MONTH = "2026-10"


def _unit(name: str, stage_rows: list[tuple], *, ok: bool = True, deals: int = 10) -> dict:
    """A unit's counts: ``stage_rows`` (from, to, entered, advanced, lost, open, mature_n)."""
    columns = ("from", "to", "entered", "advanced", "lost", "open", "mature_n")
    return {
        "unit": name,
        "ok": ok,
        "counts": {
            "month": MONTH,
            "deals": deals,
            "status": {"won": 2, "lost": 3, "open": deals - 5},
            "has_amounts": True,
            "month_counts": {
                "new_deals": 4,
                "won_deals": 2,
                "lost_deals": 1,
                "won_revenue_cents": 1_000_05,
                "activities": 7,
                "meetings": 1,
                "renewals_due": 0,
                "renewed": 0,
            },
            "stages": [dict(zip(columns, row, strict=True)) for row in stage_rows],
        }
        if ok
        else {},
    }


def test_merge_sums_units_including_a_stage_one_unit_never_reached() -> None:
    north = _unit("North", [("Lead", "Demo", 10, 6, 2, 2, 9), ("Demo", "Won", 6, 2, 3, 1, 5)])
    # South has no deal past Lead: its Demo row counts zero, which must not change the sum
    south = _unit("South", [("Lead", "Demo", 5, 0, 4, 1, 4), ("Demo", "Won", 0, 0, 0, 0, 0)])
    rollup = merge_units([north, south], ["North", "South"])
    assert rollup["complete"] and rollup["missing"] == [] and rollup["units"] == ["North", "South"]
    lead, demo = rollup["stages"]
    assert (lead["entered"], lead["advanced"], lead["mature_n"]) == (15, 6, 13)
    assert (demo["entered"], demo["advanced"], demo["mature_n"]) == (6, 2, 5)
    assert lead["rate"] == 6 / 13
    assert (lead["ci_low"], lead["ci_high"]) == wilson_interval(6, 13)
    assert rollup["totals"]["deals"] == 20
    kpis = rollup["kpis"]
    assert kpis["won_revenue"]["value"] == 2_000.10  # 2 x 1,000.05 added in cents
    assert kpis["win_rate"]["value"] == 4 / 6 and kpis["win_rate"]["n"] == 6
    assert (kpis["win_rate"]["ci_low"], kpis["win_rate"]["ci_high"]) == wilson_interval(4, 6)
    # no renewals due anywhere: the rate is unknown, not 0
    assert kpis["renewal_rate"]["value"] is None and kpis["renewal_rate"]["n"] == 0


def test_a_failed_or_unrun_unit_means_no_company_total() -> None:
    north = _unit("North", [("Lead", "Demo", 10, 6, 2, 2, 9)])
    failed = _unit("South", [], ok=False)
    rollup = merge_units([north, failed], ["East", "North", "South"])
    assert not rollup["complete"]
    assert rollup["missing"] == ["East", "South"]
    assert rollup["kpis"] is None and rollup["stages"] is None
    # what did run is still there, labelled as the sum of those units only
    assert rollup["units"] == ["North"] and rollup["totals"]["deals"] == 10


def test_deals_without_a_unit_mean_no_company_total() -> None:
    north = _unit("North", [("Lead", "Demo", 10, 6, 2, 2, 9)])
    rollup = merge_units([north], ["North"], unassigned_deals=3)
    assert not rollup["complete"] and rollup["kpis"] is None and rollup["unassigned_deals"] == 3


@pytest.fixture(scope="module")
def workspace(tmp_path_factory):
    folder = tmp_path_factory.mktemp("rollup") / "acme"
    generate(folder, seed=11, deals=1200)
    return folder


def whole_company(ws, month: str) -> tuple[pd.DataFrame, pd.DataFrame]:
    """The company's month metrics and stage rates computed on the unsplit workspace."""
    end = month_bounds(month)[1]
    data = as_of(validate(read_workspace(ws)), end)
    metrics = month_metrics(data.deals, data.activities, data.outcomes, data.reps, month)
    rates = stages.stage_rates(data.deals, data.stage_events, data.config, as_of=end, min_n=0)
    return metrics[metrics["level"] == "company"].set_index("metric"), rates


def assert_rollup_is_the_whole_company(rollup: dict, ws, month: str) -> None:
    """Counts, rates and intervals exactly as one run over the whole workspace gives them."""
    metrics, rates = whole_company(ws, month)
    assert rollup["complete"]
    for metric, got in rollup["kpis"].items():
        row = metrics.loc[metric]
        assert got["n"] == row["n"], metric
        for key in ("value", "ci_low", "ci_high"):
            want = None if pd.isna(row[key]) else float(row[key])
            if metric in ("won_revenue", "average_deal") and key == "value":
                # revenue is added in whole cents (float sums depend on their order)
                want = round(float(metrics.loc["won_revenue", "value"]), 2)
                if metric == "average_deal":
                    want = want / metrics.loc["won_deals", "value"]
            assert got[key] == want, (metric, key, got[key], want)
    merged = pd.DataFrame(rollup["stages"])
    assert list(merged["from"]) == [str(s) for s in rates["from"]]
    for column in ("entered", "advanced", "lost", "open", "mature_n"):
        assert merged[column].tolist() == rates[column].astype(int).tolist(), column
    for column in ("rate", "ci_low", "ci_high"):
        want = [None if np.isnan(v) else float(v) for v in rates[column]]
        assert merged[column].tolist() == want, column


def test_units_counted_apart_add_up_to_the_whole_company(workspace) -> None:
    raw = read_workspace(workspace)
    units = raw.units("region")
    assert len(units) >= 3
    end = month_bounds(MONTH)[1]
    counted = [
        {
            "unit": unit,
            "ok": True,
            "counts": unit_counts(as_of(validate(raw.restrict("region", {unit})), end), MONTH, end),
        }
        for unit in units
    ]
    rollup = merge_units(counted, units)
    assert_rollup_is_the_whole_company(rollup, workspace, MONTH)
    assert rollup["totals"]["deals"] == sum(c["counts"]["deals"] for c in counted)


def test_a_unit_with_no_deal_up_to_the_month_counts_zero(workspace) -> None:
    end = month_bounds(MONTH)[1]
    data = as_of(validate(read_workspace(workspace)), end)
    empty = dataclasses.replace(data, deals=data.deals.iloc[0:0])
    counts = unit_counts(empty, MONTH, end)
    assert counts["deals"] == 0 and counts["month_counts"]["new_deals"] == 0
    assert all(s["entered"] == 0 for s in counts["stages"])
