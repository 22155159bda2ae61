"""The explorer's summary line: one row per group shown, above the tabs."""

from __future__ import annotations

from typing import Any

import pandas as pd

from playbook.explore.common import Slice
from playbook.i18n import t

SUMMARY_COLUMNS = ["group", "filters", "deals", "reps", "open", "resolved", "win_rate"]
SUMMARY_COLUMNS += ["ci_low", "ci_high", "won_revenue", "median_cycle_days", "note"]
_NUMBERS = ("win_rate", "ci_low", "ci_high", "won_revenue", "median_cycle_days")
_COUNTS = ("deals", "open", "resolved")


def summary_table(slices: list[Slice], kpis: list[dict[str, Any]], language: str) -> pd.DataFrame:
    """One row per group: deals, reps, win rate with its interval, revenue, cycle.

    ``kpis`` holds the headline KPIs of each group that is not suppressed, in order; a
    suppressed group's row says so and shows no number but its reps.
    """
    rows = []
    shown = iter(kpis)
    for s in slices:
        row: dict[str, Any] = {"group": s.label, "filters": s.description, "reps": s.reps}
        if s.suppressed:
            row["note"] = t("explore_suppressed", language)
        else:
            row.update(_kpi_row(next(shown)))
        rows.append(row)
    out = pd.DataFrame(rows).reindex(columns=SUMMARY_COLUMNS)
    for column in _NUMBERS:
        out[column] = pd.to_numeric(out[column], errors="coerce").astype(float)
    for column in _COUNTS:
        out[column] = pd.to_numeric(out[column], errors="coerce").astype("Int64")
    return out


def _kpi_row(kpis: dict[str, Any]) -> dict[str, Any]:
    win = kpis["win_rate"]
    return {
        "deals": kpis["deals"]["value"],
        "open": kpis["open_deals"]["value"],
        "resolved": win["n"],
        "win_rate": win["value"],
        "ci_low": win.get("ci_low"),
        "ci_high": win.get("ci_high"),
        "won_revenue": kpis["won_revenue"]["value"],
        "median_cycle_days": kpis["median_cycle_days"]["value"],
        "note": "",
    }
