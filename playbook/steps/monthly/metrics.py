"""The metrics of one month at the three levels (company, department, individual): the
counts behind them per team and rep, summed per level, then the values with their intervals.
"""

from __future__ import annotations

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

#: the level -> the column its units are summed by (None: the whole company)
_LEVEL_KEYS = {"company": None, "department": "team", "individual": "owner"}


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


def _deal_counts(d: pd.DataFrame, start: pd.Timestamp, end: pd.Timestamp) -> pd.DataFrame:
    """Per deal (``d`` with owner and team): created, won or lost in the month, won revenue."""
    in_month = d["created_at"].between(start, end)
    closed = d["closed_at"].between(start, end) if "closed_at" in d else pd.Series(False, d.index)
    won = closed & (d["status"] == "won")
    lost = closed & (d["status"] == "lost")
    amount = d["amount"] if "amount" in d else pd.Series(np.nan, index=d.index)
    return pd.DataFrame(
        {
            "team": d["team"],
            "owner": d["owner"],
            "new_deals": in_month.astype(int),
            "won_deals": won.astype(int),
            "lost_deals": lost.astype(int),
            "won_revenue": amount.where(won, 0.0).fillna(0.0),
        }
    )


def _activity_counts(
    activities: pd.DataFrame | None,
    reps: pd.DataFrame | None,
    start: pd.Timestamp,
    end: pd.Timestamp,
) -> pd.DataFrame:
    """Per activity logged in the month: its actor's team, and whether it was a meeting."""
    if activities is None or not len(activities):
        return pd.DataFrame(columns=["team", "owner", "activities", "meetings"])
    a = activities[activities["at"].between(start, end)]
    owner = a["actor_id"].astype(str) if "actor_id" in a else pd.Series("unknown", index=a.index)
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
    return act


def _renewal_counts(
    outcomes: pd.DataFrame | None,
    d: pd.DataFrame,
    reps: pd.DataFrame | None,
    start: pd.Timestamp,
    end: pd.Timestamp,
) -> pd.DataFrame:
    """Per renewal due in the month (and decided): its deal owner's team, and whether renewed."""
    if outcomes is None or "renewal_at" not in outcomes or "renewed" not in outcomes:
        return pd.DataFrame(columns=["team", "owner", "renewals_due", "renewed"])
    due = outcomes[outcomes["renewal_at"].between(start, end) & outcomes["renewed"].notna()]
    owners = due["deal_id"].map(dict(zip(d["deal_id"], d["owner"], strict=False)))
    return pd.DataFrame(
        {
            "team": team_of(owners, reps),
            "owner": owners,
            "renewals_due": 1,
            "renewed": due["renewed"].astype(bool).astype(int),
        }
    )


def _shown_teams(parts: list[pd.DataFrame], min_group_size: int, other: str) -> dict:
    """Team -> the department it is shown as (``other`` when pooled, NaN when hidden)."""
    if not any(len(p) for p in parts):
        return {}
    rows = pd.concat([p[["team", "owner"]] for p in parts if len(p)], ignore_index=True)
    shown = people_groups(rows["team"], rows["owner"], min_group_size, other)
    return dict(zip(rows["team"], shown, strict=True))


def _level_totals(level: str, parts: list[pd.DataFrame], shown_team: dict) -> pd.DataFrame:
    """The counts summed per unit of ``level`` (index: the unit), zero where none."""
    key = _LEVEL_KEYS[level]
    summed = []
    for part in parts:
        if key is None:
            total = part.drop(columns=["team", "owner"]).sum(numeric_only=True).to_frame().T
            total.index = ["all"]
        elif key == "team":
            shown = part.assign(team=part["team"].map(shown_team))
            total = shown.groupby(key, dropna=True).sum(numeric_only=True)
        else:
            total = part.groupby(key).sum(numeric_only=True)
        summed.append(total)
    table = pd.concat(summed, axis=1).fillna(0)
    for column in ("activities", "meetings", "renewals_due", "renewed"):
        if column not in table:
            table[column] = 0
    return table


def _ratio(
    part: pd.Series, whole: pd.Series
) -> tuple[pd.Series, pd.Series, np.ndarray, np.ndarray]:
    """A share of ``whole`` (NaN where it is 0), its n and Wilson interval."""
    low, high = wilson_interval(part.to_numpy(), whole.to_numpy())
    with np.errstate(invalid="ignore", divide="ignore"):
        return part / whole.replace(0, np.nan), whole, low, high


def _level_metrics(level: str, table: pd.DataFrame) -> list[pd.DataFrame]:
    """One frame per metric: its value, n and interval for each unit of ``table``."""

    def count(column: str) -> tuple:
        return table[column], table[column], None, None

    won = table["won_deals"]
    with np.errstate(invalid="ignore", divide="ignore"):
        values = {
            "won_revenue": (table["won_revenue"], won, None, None),
            "won_deals": count("won_deals"),
            "average_deal": (table["won_revenue"] / won.replace(0, np.nan), won, None, None),
            "new_deals": count("new_deals"),
            "activities": count("activities"),
            "meetings": count("meetings"),
            "win_rate": _ratio(won, won + table["lost_deals"]),
            "lost_deals": count("lost_deals"),
            "renewal_rate": _ratio(table["renewed"], table["renewals_due"]),
        }
    frames = []
    for metric, (value, n, low, high) in values.items():
        dimension, value_unit, _ = METRICS[metric]
        frames.append(
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
    return frames


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
    parts = _month_parts(deals, activities, outcomes, reps, month)
    shown_team = _shown_teams(parts, min_group_size, other)
    rows = []
    for level in LEVELS:
        rows.extend(_level_metrics(level, _level_totals(level, parts, shown_team)))
    return _ordered(pd.concat(rows, ignore_index=True), has_amounts(deals))


def has_amounts(deals: pd.DataFrame) -> bool:
    """Whether the deals carry any amount (without one, revenue is unknown, not zero)."""
    return "amount" in deals and bool(deals["amount"].notna().any())


def _month_parts(deals, activities, outcomes, reps, month: str) -> list[pd.DataFrame]:
    """The month's deal, activity and renewal rows with their owner and team."""
    start, end = month_bounds(month)
    d = deals.assign(owner=deals["owner_id"].astype(str), team=team_of(deals["owner_id"], reps))
    return [
        _deal_counts(d, start, end),
        _activity_counts(activities, reps, start, end),
        _renewal_counts(outcomes, d, reps, start, end),
    ]


#: The company's additive counts of a month, in :func:`month_metrics`'s own columns.
COMPANY_COUNTS = (
    "new_deals",
    "won_deals",
    "lost_deals",
    "won_revenue",
    "activities",
    "meetings",
    "renewals_due",
    "renewed",
)


def company_counts(data, month: str) -> dict[str, float]:
    """The counts behind the company row of :func:`month_metrics`, before any ratio.

    ``data`` is a :class:`playbook.workspace.dataset.Dataset` (or a Pilot): its deals,
    activities, outcomes and reps. Every count is a sum over deals, activities or
    renewals, so the counts of units that split the deals add up to the company's
    (:func:`company_metrics` turns them into the metrics).
    """
    parts = _month_parts(data.deals, data.activities, data.outcomes, data.reps, month)
    table = _level_totals("company", parts, {})
    return {column: float(table[column].iloc[0]) for column in COMPANY_COUNTS}


def company_metrics(counts: dict[str, float], *, amounts: bool = True) -> pd.DataFrame:
    """The company rows of :func:`month_metrics` computed from :func:`company_counts`
    (or their sum over units): the same formulas, intervals and columns."""
    table = pd.DataFrame([{c: counts[c] for c in COMPANY_COUNTS}], index=["all"])
    return _ordered(pd.concat(_level_metrics("company", table), ignore_index=True), amounts)


def _ordered(out: pd.DataFrame, amounts: bool) -> pd.DataFrame:
    """Revenue blanked without amounts; rows by level, unit and the order of METRICS."""
    if not amounts:
        # no amounts in the data: revenue is unknown, not zero
        out.loc[out["metric"].isin(["won_revenue", "average_deal"]), "value"] = np.nan
    order = {m: i for i, m in enumerate(METRICS)}
    out["_o"] = out["metric"].map(order)
    out["_l"] = out["level"].map({lv: i for i, lv in enumerate(LEVELS)})
    out = out.sort_values(["_l", "unit", "_o"], kind="stable").drop(columns=["_o", "_l"])
    return out.reset_index(drop=True)
