"""The monthly report's metrics: KPI table against last month, last year and targets;
pipeline change; trends; findings new and resolved since last month.

Pure functions over canonical frames (DataFrame in, DataFrame out). The batch that
runs the monthly report for many units unattended is :mod:`playbook.report.batch`.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import pandas as pd

from playbook.steps.monthly.metrics import (  # noqa: F401 (the API)
    DIMENSIONS,
    LEVELS,
    METRICS,
    month_bounds,
    month_metrics,
    shift_month,
)
from playbook.steps.monthly.rollup import merge_units, unit_counts  # noqa: F401 (the API)
from playbook.steps.prepared import takes_pilot


def kpi_table(
    deals: pd.DataFrame,
    activities: pd.DataFrame | None,
    outcomes: pd.DataFrame | None,
    reps: pd.DataFrame | None,
    month: str,
    targets: pd.DataFrame | None = None,
    *,
    min_group_size: int = 5,
    other: str = "other teams",
) -> pd.DataFrame:
    """The KPI system for ``month``: value beside last month, the same month last year
    (where data reach back that far) and the target.

    Parameters
    ----------
    targets : optional frame ``period | level | unit | metric | target``; ``period``
        is ``YYYY-MM``, ``unit`` ``all`` for the company.
    min_group_size, other : departments as in :func:`month_metrics`.

    Returns
    -------
    DataFrame
        :func:`month_metrics` columns plus ``last_month | change | last_year |
        change_last_year | target | vs_target``. ``last_year`` is empty when the data
        start after that month.
    """
    privacy = {"min_group_size": min_group_size, "other": other}
    now = month_metrics(deals, activities, outcomes, reps, month, **privacy)
    key = ["level", "unit", "metric"]
    prev = month_metrics(deals, activities, outcomes, reps, shift_month(month, -1), **privacy)
    out = now.merge(
        prev[key + ["value"]].rename(columns={"value": "last_month"}), on=key, how="left"
    )
    year_ago = shift_month(month, -12)
    first = deals["created_at"].min()
    if pd.notna(first) and first <= month_bounds(year_ago)[1]:
        ly = month_metrics(deals, activities, outcomes, reps, year_ago, **privacy)
        out = out.merge(
            ly[key + ["value"]].rename(columns={"value": "last_year"}), on=key, how="left"
        )
    else:
        out["last_year"] = np.nan
    out["change"] = out["value"] - out["last_month"]
    out["change_last_year"] = out["value"] - out["last_year"]
    out["target"] = np.nan
    if targets is not None and len(targets):
        t = targets.copy()
        t = t[t["period"].astype(str).str[:7] == month]
        t = t.assign(unit=t["unit"].astype(str), level=t["level"].astype(str))
        out = out.drop(columns="target").merge(
            t[key + ["target"]].drop_duplicates(key), on=key, how="left"
        )
    out["vs_target"] = out["value"] - out["target"]
    columns = list(now.columns) + [
        "last_month",
        "change",
        "last_year",
        "change_last_year",
        "target",
        "vs_target",
    ]
    return out[columns]


def pipeline_waterfall(
    deals: pd.DataFrame, month: str, previous_snapshot: pd.DataFrame | None = None
) -> pd.DataFrame:
    """How the open pipeline changed during ``month``, in count and value.

    opening (open at the month's start) + new − won − lost = closing. When deals
    carry ``expected_close_at`` and last month's snapshot is given
    (``deal_id | expected_close_at``), deals whose expected close moved out of or
    into this month are counted as pushed out / pulled in (they stay in the
    pipeline, so they do not change the total).

    Returns
    -------
    DataFrame
        ``step | deals | amount``, steps: opening, new, won, lost, pushed_out,
        pulled_in, closing (pushed/pulled NaN when they cannot be measured; ``amount``
        NaN throughout when the data has no amounts).
    """
    start, end = month_bounds(month)
    created = deals["created_at"]
    closed = deals["closed_at"] if "closed_at" in deals else pd.Series(pd.NaT, index=deals.index)
    amount = deals["amount"] if "amount" in deals else pd.Series(np.nan, index=deals.index)
    # missing amounts count as 0 in the sums; with no amount at all the sums are unknown
    amount = amount.fillna(0.0) if amount.notna().any() else amount

    def total(mask: pd.Series) -> float:
        return float(amount[mask].sum()) if amount.notna().any() else np.nan

    open_at_start = (created < start) & (closed.isna() | (closed >= start))
    new = created.between(start, end)
    won = closed.between(start, end) & (deals["status"] == "won")
    lost = closed.between(start, end) & (deals["status"] == "lost")
    open_at_end = (created <= end) & (closed.isna() | (closed > end))
    pushed = pulled = (np.nan, np.nan)
    if previous_snapshot is not None and "expected_close_at" in deals.columns:
        prev = previous_snapshot.set_index("deal_id")["expected_close_at"]
        before = pd.to_datetime(deals["deal_id"].map(prev))
        after = deals["expected_close_at"]
        was_due = before.between(start, end)
        now_due = after.between(start, end)
        out_mask = open_at_end & was_due & (after > end)
        in_mask = open_at_end & now_due & (before > end)
        pushed = (int(out_mask.sum()), total(out_mask))
        pulled = (int(in_mask.sum()), total(in_mask))
    rows = [
        ("opening", int(open_at_start.sum()), total(open_at_start)),
        ("new", int(new.sum()), total(new)),
        ("won", -int(won.sum()), -total(won)),
        ("lost", -int(lost.sum()), -total(lost)),
        ("pushed_out", *pushed),
        ("pulled_in", *pulled),
        ("closing", int(open_at_end.sum()), total(open_at_end)),
    ]
    return pd.DataFrame(rows, columns=["step", "deals", "amount"])


def pipeline_snapshot(deals: pd.DataFrame) -> pd.DataFrame:
    """Open deals and their expected close date, kept with the report for next month."""
    if "expected_close_at" not in deals.columns:
        return pd.DataFrame(columns=["deal_id", "expected_close_at"])
    open_deals = deals[deals["status"] == "open"]
    return open_deals[["deal_id", "expected_close_at"]].sort_values("deal_id")


FINDING_KEY = ("kind", "dimension", "value", "stage", "metric")


def compare_findings(current: list[dict], previous: list[dict] | None) -> pd.DataFrame:
    """Findings of this month against last month's ``summary.json`` findings.

    Returns
    -------
    DataFrame
        ``status | kind | severity | dimension | value | stage | metric | evidence``;
        status new (not there last month), persisting, or resolved (gone this month).
        Without a previous summary every finding is new.
    """

    def key(f: dict) -> tuple:
        return tuple(f.get(k) for k in FINDING_KEY)

    before = {key(f): f for f in (previous or [])}
    now = {key(f): f for f in current}
    rows = []
    for k, f in now.items():
        rows.append({"status": "persisting" if k in before else "new", **f})
    for k, f in before.items():
        if k not in now:
            rows.append({"status": "resolved", **f})
    columns = ["status", "kind", "severity", "dimension", "value", "stage", "metric", "evidence"]
    frame = pd.DataFrame(rows, columns=columns) if rows else pd.DataFrame(columns=columns)
    order = {"new": 0, "persisting": 1, "resolved": 2}
    if len(frame):
        frame = frame.assign(_o=frame["status"].map(order)).sort_values(
            ["_o", "severity", "kind"], ascending=[True, False, True], kind="stable"
        )
        frame = frame.drop(columns="_o")
    return frame[columns].reset_index(drop=True)


def trend_months(month: str, n: int = 12) -> tuple[pd.Timestamp, pd.Timestamp]:
    """Start and end of the ``n`` months ending with ``month`` (for trend charts)."""
    return month_bounds(shift_month(month, -(n - 1)))[0], month_bounds(month)[1]


def headline(kpis: pd.DataFrame) -> dict[str, dict]:
    """Company-level KPIs of the month for summary.json and the batch index."""
    company = kpis[kpis["level"] == "company"].set_index("metric")
    out = {}
    for metric in ("won_revenue", "won_deals", "new_deals", "win_rate", "activities"):
        if metric not in company.index:
            continue
        row = company.loc[metric]
        out[metric] = {
            "value": None if pd.isna(row["value"]) else float(row["value"]),
            "n": int(row["n"]),
            "ci_low": None if pd.isna(row["ci_low"]) else float(row["ci_low"]),
            "ci_high": None if pd.isna(row["ci_high"]) else float(row["ci_high"]),
            "unit": row["value_unit"],
        }
    return out


def _format_value(value: float, unit: str) -> str:
    if pd.isna(value):
        return ""
    if unit == "share":
        return f"{value:.1%}"
    if unit == "currency":
        return f"{value:,.0f}"
    return f"{value:,.0f}" if float(value).is_integer() else f"{value:,.1f}"


def kpi_view(
    kpis: pd.DataFrame, levels: tuple[str, ...] = ("company", "department")
) -> pd.DataFrame:
    """The KPI table a steering committee reads: chosen levels, values formatted by unit.

    Returns
    -------
    DataFrame
        ``level | unit | metric | this_month | n | interval | last_month | change |
        last_year | target | vs_target`` as display text (rates as percentages).
    """
    shown = kpis[kpis["level"].isin(levels)].reset_index(drop=True)
    out = shown[["level", "unit", "metric"]].copy()
    units = shown["value_unit"]
    out["this_month"] = [_format_value(v, u) for v, u in zip(shown["value"], units, strict=True)]
    out["n"] = shown["n"]
    out["interval"] = [
        "" if pd.isna(lo) else f"{_format_value(lo, u)}–{_format_value(hi, u)}"
        for lo, hi, u in zip(shown["ci_low"], shown["ci_high"], units, strict=True)
    ]
    for column in ("last_month", "change", "last_year", "target", "vs_target"):
        out[column] = [_format_value(v, u) for v, u in zip(shown[column], units, strict=True)]
    return out


@takes_pilot
def trend_rates(
    deals: pd.DataFrame, stage_events: pd.DataFrame, config, month: str, n: int = 12
) -> pd.DataFrame:
    """Stage rates and dwell by creation month for the ``n`` months up to ``month``.

    Returns
    -------
    DataFrame
        :func:`playbook.steps.stages.cohort_rates` rows (monthly cohorts) within the window.
    """
    from playbook.steps.stages import cohort_rates

    start, end = trend_months(month, n)
    window = deals[deals["created_at"].between(start, end)]
    if window.empty:
        return pd.DataFrame(columns=["cohort", "from", "to", "rate", "immature_cohort"])
    events = stage_events[stage_events["deal_id"].isin(window["deal_id"])]
    import warnings

    from playbook.stats import SmallSampleWarning

    with warnings.catch_warnings():
        # Small monthly cohorts are expected here; their intervals show it.
        warnings.simplefilter("ignore", SmallSampleWarning)
        return cohort_rates(window, events, config, freq="M", as_of=end)


# --- units too small or too quiet for findings ------------------------------------------------

#: Fewest deals (created up to the month's end) a unit needs for the month's findings;
#: below it no slice of a stage could pass the bottleneck test's own minimum anyway.
MIN_UNIT_DEALS = 30


@dataclass(frozen=True)
class UnitCoverage:
    """How much a unit's data hold for ``month``: what its report can say.

    ``deals`` were created up to the month's end, ``new`` in the month, ``closed`` won or
    lost in the month.
    """

    month: str
    deals: int
    new: int
    closed: int
    min_deals: int = MIN_UNIT_DEALS

    @property
    def enough(self) -> bool:
        """Enough deals for the month's findings (bottlenecks, handoffs, alerts)."""
        return self.deals >= self.min_deals

    @property
    def key(self) -> str:
        """The sentence that describes the unit (an :mod:`playbook.i18n` key)."""
        if self.deals == 0:
            return "unit_empty"
        if not self.enough:
            return "unit_too_small"
        if self.new == 0 and self.closed == 0:
            return "unit_quiet_month"
        return "unit_coverage"

    @property
    def findings_key(self) -> str:
        """The sentence that opens the findings section (an :mod:`playbook.i18n` key)."""
        return "findings_scope" if self.enough else "findings_not_analysed"

    @property
    def kind(self) -> str:
        """``note`` when the report is complete, ``warn`` when a part of it says nothing."""
        return "note" if self.key == "unit_coverage" else "warn"

    @property
    def values(self) -> dict:
        return {
            "month": self.month,
            "deals": f"{self.deals:,}",
            "new": f"{self.new:,}",
            "closed": f"{self.closed:,}",
            "min": self.min_deals,
        }


def unit_coverage(deals: pd.DataFrame, month: str, min_deals: int = MIN_UNIT_DEALS) -> UnitCoverage:
    """Count what a unit's deals (cut at the month's end) hold for ``month``."""
    start, end = month_bounds(month)
    created = deals["created_at"]
    closed = deals["closed_at"] if "closed_at" in deals else pd.Series(pd.NaT, index=deals.index)
    resolved = deals["status"].astype(str).isin(["won", "lost"])
    return UnitCoverage(
        month=month,
        deals=int((created <= end).sum()),
        new=int(created.between(start, end).sum()),
        closed=int((closed.between(start, end) & resolved).sum()),
        min_deals=min_deals,
    )


@dataclass
class MonthFindings:
    """The month's findings and alerts; ``analysed`` is false when the unit had too few deals."""

    findings: list
    alerts: pd.DataFrame
    analysed: bool


def month_findings(
    data, coverage: UnitCoverage, *, language: str, other_label: str
) -> MonthFindings:
    """Bottlenecks and handoff findings (with alerts) of a unit, when it has enough deals.

    Parameters
    ----------
    data : the unit's :class:`playbook.workspace.dataset.Dataset`, cut at the month's end.
    coverage : :func:`unit_coverage` of the same data; below ``min_deals`` nothing is
        analysed and the result says so (``analysed`` false, no findings, no alerts).
    """
    from playbook.steps import handoff, stages
    from playbook.steps.handoff.alerts import ALERT_COLUMNS

    if not coverage.enough:
        return MonthFindings([], pd.DataFrame(columns=ALERT_COLUMNS), False)
    bottlenecks = stages.find_bottlenecks(
        data.deals, data.stage_events, data.config, language=language
    )
    handoffs = handoff.analyse(
        data.deals,
        data.stage_events,
        data.config,
        data.activities,
        data.reps,
        data.outcomes,
        language=language,
        other_label=other_label,
    )
    return MonthFindings(bottlenecks + handoffs.findings, handoffs.alerts, True)


def findings_change(found: MonthFindings, previous: list[dict] | None) -> pd.DataFrame:
    """:func:`compare_findings` of the month's findings; empty when nothing was analysed
    (last month's findings are then neither resolved nor persisting: nobody looked)."""
    if not found.analysed:
        return compare_findings([], None)
    return compare_findings([f.to_summary() for f in found.findings], previous)
