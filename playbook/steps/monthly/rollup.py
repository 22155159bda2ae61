"""The company roll-up of a monthly batch: each unit's additive counts, and their sum.

A workspace too large for one machine is split by unit (:mod:`playbook.report.batch`);
each unit reports on its own. What can be put back together from the parts is what
adds up: deals by status, the month's deal, activity and renewal counts, and each
stage's entered / advanced / lost / open / mature counts. Ratios of those sums (stage
rates, win rate, renewal rate, average deal) are then exactly the company's, with
their Wilson intervals. Medians, dwell times, models and findings need every deal
at once and are not merged.

Revenue is carried in whole cents so that adding units up in any order gives the
same total (sums of floats depend on their order).
"""

from __future__ import annotations

import math

import numpy as np
import pandas as pd

from playbook.stats import wilson_interval
from playbook.steps.monthly.metrics import (
    COMPANY_COUNTS,
    company_counts,
    company_metrics,
    has_amounts,
)

#: A stage's counts that add up over units (``rates_table`` columns).
STAGE_COUNTS = ("entered", "advanced", "lost", "open", "mature_n")

#: Deal statuses counted at the month's end.
STATUSES = ("won", "lost", "open")


def unit_counts(data, month: str, as_of: pd.Timestamp) -> dict:
    """The additive counts of one unit's data, cut at the month's end.

    Parameters
    ----------
    data : :class:`playbook.workspace.dataset.Dataset` (or a Pilot) of the unit, cut at ``as_of``.
    as_of : the month's end; open deals are censored there, in every unit alike (the data's
        own latest moment would differ from unit to unit).

    Returns
    -------
    dict
        ``month | as_of | deals | status {won, lost, open} | has_amounts | month_counts
        {COMPANY_COUNTS} | stages [{from, to, entered, advanced, lost, open, mature_n}]``;
        ``won_revenue`` in whole cents as ``won_revenue_cents``.
    """
    from playbook.steps import stages

    deals = data.deals
    status = deals["status"].astype(str).value_counts()
    counts = company_counts(data, month)
    revenue = counts.pop("won_revenue")
    counts["won_revenue_cents"] = round(revenue * 100) if has_amounts(deals) else 0
    # min_n=0: a unit's small stages are expected; only the summed counts are read
    rates = stages.stage_rates(deals, data.stage_events, data.config, as_of=as_of, min_n=0)
    return {
        "month": month,
        "as_of": pd.Timestamp(as_of).isoformat(),
        "deals": len(deals),
        "status": {s: int(status.get(s, 0)) for s in STATUSES},
        "has_amounts": has_amounts(deals),
        "month_counts": {k: int(v) for k, v in counts.items()},
        "stages": [
            {
                "from": str(row["from"]),
                "to": str(row["to"]),
                **{c: int(row[c]) for c in STAGE_COUNTS},
            }
            for _, row in rates.iterrows()
        ],
    }


def merge_units(units: list[dict], expected: list[str], *, unassigned_deals: int = 0) -> dict:
    """The company roll-up of the units' :func:`unit_counts`.

    Parameters
    ----------
    units : one ``{"unit", "ok", "counts"}`` per unit run; a unit that failed (or has no
        counts) is missing.
    expected : every unit of the workspace; one not run is missing too.
    unassigned_deals : deals of the workspace in no unit (their unit column is empty).

    Returns
    -------
    dict
        ``month | units (the units summed) | missing | unassigned_deals | complete |
        totals | kpis | stages``. ``totals`` holds the summed counts of the units that ran;
        ``kpis`` (``{metric: {value, n, ci_low, ci_high, unit}}``) and ``stages`` (each
        stage's summed counts with ``rate = advanced / mature_n`` and its 95% Wilson
        interval) are the company's only when ``complete`` (no unit missing, no deal
        without a unit), else ``None``: a sum of some units is not the company.
    """
    ran = [u for u in units if u.get("ok") and u.get("counts")]
    ran_names = {u["unit"] for u in ran}
    missing = sorted({*expected, *(u["unit"] for u in units)} - ran_names)
    totals = _summed([u["counts"] for u in ran])
    complete = bool(ran) and not missing and unassigned_deals == 0
    months = {u["counts"]["month"] for u in ran}
    return {
        "month": months.pop() if len(months) == 1 else None,
        "units": sorted(ran_names),
        "missing": missing,
        "unassigned_deals": int(unassigned_deals),
        "complete": complete,
        "totals": totals,
        "kpis": _kpis(totals) if complete else None,
        "stages": _stage_rates(totals["stages"]) if complete else None,
    }


def _summed(counts: list[dict]) -> dict:
    """Every count added over the units; stages matched by their (from, to) pair."""
    stages: dict[tuple[str, str], dict] = {}
    for unit in counts:
        for row in unit["stages"]:
            key = (row["from"], row["to"])
            into = stages.setdefault(key, {"from": key[0], "to": key[1]})
            for column in STAGE_COUNTS:
                into[column] = into.get(column, 0) + row[column]
    month_keys = [c for c in COMPANY_COUNTS if c != "won_revenue"] + ["won_revenue_cents"]
    return {
        "deals": sum(u["deals"] for u in counts),
        "status": {s: sum(u["status"][s] for u in counts) for s in STATUSES},
        "has_amounts": any(u["has_amounts"] for u in counts),
        "month_counts": {k: sum(u["month_counts"][k] for u in counts) for k in month_keys},
        "stages": list(stages.values()),
    }


def _number(value) -> float | None:
    return None if value is None or (isinstance(value, float) and math.isnan(value)) else value


def _kpis(totals: dict) -> dict:
    """The company KPIs of :func:`playbook.steps.monthly.metrics.company_metrics`."""
    counts = dict(totals["month_counts"])
    counts["won_revenue"] = counts.pop("won_revenue_cents") / 100
    frame = company_metrics(counts, amounts=totals["has_amounts"])
    return {
        row.metric: {
            "value": _number(float(row.value)),
            "n": int(row.n),
            "ci_low": _number(float(row.ci_low)),
            "ci_high": _number(float(row.ci_high)),
            "unit": row.value_unit,
        }
        for row in frame.itertuples(index=False)
    }


def _stage_rates(stages: list[dict]) -> list[dict]:
    """Each stage's summed counts with its rate (advanced / mature_n) and Wilson interval."""
    if not stages:
        return []
    advanced = np.array([s["advanced"] for s in stages], dtype=float)
    mature = np.array([s["mature_n"] for s in stages], dtype=float)
    low, high = wilson_interval(advanced, mature)
    with np.errstate(invalid="ignore", divide="ignore"):
        rate = np.where(mature > 0, advanced / mature, np.nan)
    return [
        {
            **stage,
            "rate": _number(float(r)),
            "ci_low": _number(float(lo)),
            "ci_high": _number(float(hi)),
        }
        for stage, r, lo, hi in zip(stages, rate, low, high, strict=True)
    ]
