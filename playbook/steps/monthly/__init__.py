"""The monthly report's metrics: KPI table against last month, last year and targets;
pipeline change; trends; findings new and resolved since last month.

Pure functions over canonical frames (DataFrame in, DataFrame out). The batch that
runs the monthly report for many units unattended is :mod:`playbook.report.batch`.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import pandas as pd

from playbook.stats import wilson_interval
from playbook.steps.intake import team_of
from playbook.workspace.privacy import people_groups

LEVELS = ("company", "department", "individual")
DIMENSIONS = ("revenue", "activity", "customer")

#: metric -> (dimension, unit, kind); kind "sum" adds up, "rate" is a share with an interval.
METRICS = {
    "won_revenue": ("revenue", "currency", "sum"),
    "won_deals": ("revenue", "deals", "sum"),
    "average_deal": ("revenue", "currency", "mean"),
    "new_deals": ("activity", "deals", "sum"),
    "activities": ("activity", "activities", "sum"),
    "meetings": ("activity", "activities", "sum"),
    "win_rate": ("customer", "share", "rate"),
    "lost_deals": ("customer", "deals", "sum"),
    "renewal_rate": ("customer", "share", "rate"),
}


def month_bounds(month: str) -> tuple[pd.Timestamp, pd.Timestamp]:
    """First moment of ``month`` (``YYYY-MM``) and the last moment of it.

    Raises
    ------
    ValueError
        When ``month`` is not ``YYYY-MM``.
    """
    import re

    if not re.fullmatch(r"\d{4}-(0[1-9]|1[0-2])", str(month)):
        raise ValueError(f"month must look like 2026-10; got {month!r}")
    start = pd.Period(month, freq="M").start_time
    end = start + pd.offsets.MonthBegin(1) - pd.Timedelta(microseconds=1)
    return start, end


def shift_month(month: str, months: int) -> str:
    """``month`` moved by ``months`` (negative = earlier), as ``YYYY-MM``."""
    return str(pd.Period(month, freq="M") + months)


def month_metrics(
    deals: pd.DataFrame,
    activities: pd.DataFrame | None,
    outcomes: pd.DataFrame | None,
    reps: pd.DataFrame | None,
    month: str,
    *,
    min_group_size: int = 5,
    other: str = "other teams",
) -> pd.DataFrame:
    """Every metric of :data:`METRICS` for one month at the three levels.

    Counts refer to events in the month: deals created (new), won or lost (closed
    in the month), activities logged, renewals due. ``win_rate`` is won / (won +
    lost) among deals closed in the month; ``renewal_rate`` renewed / renewals due.
    A department describes the reps behind its rows (owners of its deals, its actors):
    teams with fewer than ``min_group_size`` of them are pooled into ``other`` with
    complementary suppression, and a pool still too small has no row
    (:func:`playbook.workspace.privacy.people_groups`).

    Returns
    -------
    DataFrame
        ``level | unit | dimension | metric | value | n | ci_low | ci_high |
        value_unit``; ``unit`` is the company (``"all"``), a team or a rep id.
    """
    start, end = month_bounds(month)
    d = deals.assign(owner=deals["owner_id"].astype(str), team=team_of(deals["owner_id"], reps))
    in_month = d["created_at"].between(start, end)
    closed = d["closed_at"].between(start, end) if "closed_at" in d else pd.Series(False, d.index)
    won = closed & (d["status"] == "won")
    lost = closed & (d["status"] == "lost")
    amount = d["amount"] if "amount" in d else pd.Series(np.nan, index=d.index)
    frame = pd.DataFrame(
        {
            "team": d["team"],
            "owner": d["owner"],
            "new_deals": in_month.astype(int),
            "won_deals": won.astype(int),
            "lost_deals": lost.astype(int),
            "won_revenue": amount.where(won, 0.0).fillna(0.0),
        }
    )
    act = pd.DataFrame(columns=["team", "owner", "activities", "meetings"])
    if activities is not None and len(activities):
        a = activities[activities["at"].between(start, end)]
        owner = (
            a["actor_id"].astype(str) if "actor_id" in a else pd.Series("unknown", index=a.index)
        )
        act = pd.DataFrame(
            {
                "team": team_of(owner, reps),
                "owner": owner,
                "activities": 1,
                "meetings": a["type"].astype(str).isin(["meeting", "demo"]).astype(int),
            }
        )
        if reps is not None:  # only reps' own activities count at the department level
            act = act[act["owner"].isin(set(reps["rep_id"].astype(str)))]
    ren = pd.DataFrame(columns=["team", "owner", "renewals_due", "renewed"])
    if outcomes is not None and "renewal_at" in outcomes and "renewed" in outcomes:
        due = outcomes[outcomes["renewal_at"].between(start, end) & outcomes["renewed"].notna()]
        owners = due["deal_id"].map(dict(zip(d["deal_id"], d["owner"], strict=False)))
        ren = pd.DataFrame(
            {
                "team": team_of(owners, reps),
                "owner": owners,
                "renewals_due": 1,
                "renewed": due["renewed"].astype(bool).astype(int),
            }
        )
    shown_team = _shown_teams([frame, act, ren], min_group_size, other)
    rows = []
    for level in LEVELS:
        key = {"company": None, "department": "team", "individual": "owner"}[level]
        parts = []
        for part in (frame, act, ren):
            if key is None:
                summed = part.drop(columns=["team", "owner"]).sum(numeric_only=True).to_frame().T
                summed.index = ["all"]
            elif key == "team":
                shown = part.assign(team=part["team"].map(shown_team))
                summed = shown.groupby(key, dropna=True).sum(numeric_only=True)
            else:
                summed = part.groupby(key).sum(numeric_only=True)
            parts.append(summed)
        table = pd.concat(parts, axis=1).fillna(0)
        for column in ("activities", "meetings", "renewals_due", "renewed"):
            if column not in table:
                table[column] = 0
        resolved = table["won_deals"] + table["lost_deals"]
        rate_low, rate_high = wilson_interval(table["won_deals"].to_numpy(), resolved.to_numpy())
        ren_low, ren_high = wilson_interval(
            table["renewed"].to_numpy(), table["renewals_due"].to_numpy()
        )
        with np.errstate(invalid="ignore", divide="ignore"):
            values = {
                "won_revenue": (table["won_revenue"], table["won_deals"], None, None),
                "won_deals": (table["won_deals"], table["won_deals"], None, None),
                "average_deal": (
                    table["won_revenue"] / table["won_deals"].replace(0, np.nan),
                    table["won_deals"],
                    None,
                    None,
                ),
                "new_deals": (table["new_deals"], table["new_deals"], None, None),
                "activities": (table["activities"], table["activities"], None, None),
                "meetings": (table["meetings"], table["meetings"], None, None),
                "win_rate": (
                    table["won_deals"] / resolved.replace(0, np.nan),
                    resolved,
                    rate_low,
                    rate_high,
                ),
                "lost_deals": (table["lost_deals"], table["lost_deals"], None, None),
                "renewal_rate": (
                    table["renewed"] / table["renewals_due"].replace(0, np.nan),
                    table["renewals_due"],
                    ren_low,
                    ren_high,
                ),
            }
        for metric, (value, n, low, high) in values.items():
            dimension, value_unit, _ = METRICS[metric]
            rows.append(
                pd.DataFrame(
                    {
                        "level": level,
                        "unit": table.index.astype(str),
                        "dimension": dimension,
                        "metric": metric,
                        "value": np.asarray(value, dtype=float),
                        "n": np.asarray(n, dtype=float).astype(int),
                        "ci_low": np.nan if low is None else np.asarray(low, dtype=float),
                        "ci_high": np.nan if high is None else np.asarray(high, dtype=float),
                        "value_unit": value_unit,
                    }
                )
            )
    out = pd.concat(rows, ignore_index=True)
    if not amount.notna().any():  # no amounts in the data: revenue is unknown, not zero
        out.loc[out["metric"].isin(["won_revenue", "average_deal"]), "value"] = np.nan
    order = {m: i for i, m in enumerate(METRICS)}
    out["_o"] = out["metric"].map(order)
    out["_l"] = out["level"].map({lv: i for i, lv in enumerate(LEVELS)})
    out = out.sort_values(["_l", "unit", "_o"], kind="stable").drop(columns=["_o", "_l"])
    return out.reset_index(drop=True)


def _shown_teams(parts: list[pd.DataFrame], min_group_size: int, other: str) -> dict:
    """Team -> the department it is shown as (``other`` when pooled, NaN when hidden)."""
    if not any(len(p) for p in parts):
        return {}
    rows = pd.concat([p[["team", "owner"]] for p in parts if len(p)], ignore_index=True)
    shown = people_groups(rows["team"], rows["owner"], min_group_size, other)
    return dict(zip(rows["team"], shown, strict=True))


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
