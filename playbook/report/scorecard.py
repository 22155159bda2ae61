"""The KPI scorecard (value against target and last period) and what changed since then.

Pure functions over ``summary.json`` dictionaries: this report's, the previous one's
(last month's for a monthly unit, the previous run's otherwise) and company targets.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import Any

#: The KPIs a sales director reads first, in this order; the rest stay on step pages.
SCORECARD_KPIS = (
    "deals",
    "mature_conversion",
    "win_rate",
    "won_revenue",
    "median_cycle_days",
    "first_contact_sla",
    "sleeping_share",
    "open_deals",
    "pilot_lift",
)

#: KPIs where a lower value is better (their moves are judged the other way round).
LOWER_IS_BETTER = frozenset(
    {"median_cycle_days", "sleeping_share", "first_contact_median_business_hours"}
)


def _value(entry: Mapping[str, Any] | None) -> float | None:
    if not entry:
        return None
    value = entry.get("value")
    return None if value is None else float(value)


def scorecard(
    kpis: Mapping[str, Mapping[str, Any]],
    previous: Mapping[str, Mapping[str, Any]] | None = None,
    targets: Mapping[str, float] | None = None,
    names: Sequence[str] = SCORECARD_KPIS,
) -> list[dict[str, Any]]:
    """One row per headline KPI present in ``kpis``.

    Returns
    -------
    list of dict
        ``name, entry`` (the KPI's summary entry: value, n, interval, unit), ``target``,
        ``previous`` (value or None), ``change`` (value - previous) and ``direction``
        (``better``, ``worse``, ``same`` or None when there is nothing to compare).
    """
    previous = previous or {}
    targets = targets or {}
    rows = []
    for name in names:
        entry = kpis.get(name)
        if not entry or entry.get("value") is None:
            continue
        value, before = _value(entry), _value(previous.get(name))
        change = None if before is None else value - before
        rows.append(
            {
                "name": name,
                "entry": dict(entry),
                "target": targets.get(name),
                "previous": before,
                "change": change,
                "direction": _direction(name, change),
                "vs_target": _direction(
                    name, None if targets.get(name) is None else value - targets[name]
                ),
            }
        )
    return rows


def _direction(name: str, change: float | None) -> str | None:
    if change is None:
        return None
    if abs(change) < 1e-9:
        return "same"
    better = change > 0
    if name in LOWER_IS_BETTER:
        better = not better
    return "better" if better else "worse"


def finding_key(finding: Mapping[str, Any]) -> tuple:
    """What makes two months' findings the same problem: kind, slice, stage and metric."""
    return (
        finding.get("kind"),
        finding.get("dimension"),
        str(finding.get("value")),
        finding.get("stage"),
        finding.get("metric"),
    )


def what_changed(
    current: Mapping[str, Any],
    previous: Mapping[str, Any] | None,
    rep_teams: Mapping[str, str] | None = None,
) -> dict[str, Any] | None:
    """New and resolved findings and KPI moves against the previous summary.

    A rep's finding whose team has a finding of the same kind (this month or last) is
    part of that team's and is not listed on its own.

    Returns
    -------
    dict or None
        None without a previous summary; else ``new`` and ``resolved`` (finding
        records) and ``kpi_moves`` (scorecard rows whose value moved).
    """
    if not previous:
        return None
    rep_teams = rep_teams or {}
    team_kinds = {
        (f.get("kind"), f.get("value"))
        for f in [*previous.get("findings", []), *current.get("findings", [])]
        if f.get("dimension") == "team"
    }

    def own(f: Mapping[str, Any]) -> bool:
        team = rep_teams.get(str(f.get("value")))
        return not (f.get("dimension") == "owner_id" and (f.get("kind"), team) in team_kinds)

    before = {finding_key(f): f for f in previous.get("findings", []) if own(f)}
    now = {finding_key(f): f for f in current.get("findings", []) if own(f)}
    moves = [
        row
        for row in scorecard(current.get("kpis", {}), previous.get("kpis", {}))
        if row["direction"] not in (None, "same")
    ]
    return {
        "new": [f for k, f in now.items() if k not in before],
        "resolved": [f for k, f in before.items() if k not in now],
        "kpi_moves": moves,
    }


def company_targets(targets, period_end: str | None) -> dict[str, float]:
    """Company-level targets (``level`` company, ``unit`` all) of the latest period up to
    ``period_end`` (YYYY-MM-DD), by metric; empty without a targets table."""
    if targets is None or not len(targets) or not period_end:
        return {}
    rows = targets[
        (targets["level"].astype(str) == "company")
        & (targets["unit"].astype(str) == "all")
        & (targets["period"].astype(str) <= period_end[:7])
    ]
    if not len(rows):
        return {}
    rows = rows.sort_values("period", kind="stable")
    return {str(m): float(v) for m, v in zip(rows["metric"], rows["target"], strict=True)}
