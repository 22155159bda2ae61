"""The company roll-up a monthly batch writes beside its index: ``<YYYY-MM>.company.json``
and the section of ``<YYYY-MM>.html`` that shows it.

The merging itself is :func:`playbook.steps.monthly.merge_units` (pure); this module
writes its result and words it for the page.
"""

from __future__ import annotations

import json
from typing import TYPE_CHECKING

from playbook.i18n import TEXT, t
from playbook.report import format_kpi
from playbook.steps.monthly import merge_units

if TYPE_CHECKING:
    from playbook.report.batch import BatchResult

#: The KPIs shown on the page, in this order (all of them are in the JSON).
SHOWN_KPIS = (
    "new_deals",
    "won_deals",
    "lost_deals",
    "win_rate",
    "won_revenue",
    "average_deal",
    "activities",
    "meetings",
    "renewal_rate",
)

_KPI_KEYS = {"average_deal": "kpi_avg_won_amount"}


def company_rollup(batch: BatchResult) -> dict:
    """The batch's units merged (:func:`playbook.steps.monthly.merge_units`), with the
    reason each missing unit is missing."""
    rollup = merge_units(
        [{"unit": u.unit, "ok": u.ok, "counts": u.counts} for u in batch.units],
        batch.expected_units,
        unassigned_deals=batch.unassigned_deals,
    )
    failed = {u.unit for u in batch.units if not u.ok}
    rollup["missing_why"] = {
        unit: "failed" if unit in failed else "not run" for unit in rollup["missing"]
    }
    return {"month": batch.month, **{k: v for k, v in rollup.items() if k != "month"}}


def write_company(batch: BatchResult) -> dict:
    """Write ``<YYYY-MM>.company.json`` (atomically) and return the roll-up."""
    rollup = company_rollup(batch)
    path = batch.base / f"{batch.month}.company.json"
    tmp = path.with_suffix(".tmp")
    tmp.write_text(json.dumps(rollup, ensure_ascii=False, indent=1), encoding="utf-8")
    tmp.replace(path)
    return rollup


def _kpi_label(metric: str, language: str) -> str:
    key = _KPI_KEYS.get(metric, f"kpi_{metric}")
    return t(key, language) if key in TEXT else metric


def _interval(low, high) -> str:
    return "" if low is None else f"{low:.1%}–{high:.1%}"


def company_section(rollup: dict, month: str, language: str) -> dict:
    """What the index page shows of the roll-up: sentences, KPI rows and stage rows."""
    totals = rollup["totals"]
    notes = []
    if rollup["complete"]:
        notes.append(t("company_complete", language, units=len(rollup["units"])))
    elif rollup["missing"]:
        notes.append(
            t(
                "company_missing",
                language,
                missing=", ".join(rollup["missing"]),
                file=f"{month}.company.json",
            )
        )
    if rollup["unassigned_deals"]:
        notes.append(t("company_unassigned", language, n=f"{rollup['unassigned_deals']:,}"))
    if rollup["complete"]:
        status = totals["status"]
        notes.append(
            t(
                "company_deals",
                language,
                deals=f"{totals['deals']:,}",
                **{k: f"{v:,}" for k, v in status.items()},
            )
        )
    kpis = rollup["kpis"] or {}
    return {
        "title": t("company_title", language),
        "complete": rollup["complete"],
        "notes": notes,
        "not_merged": t("company_not_merged", language),
        "kpi_headers": [t(k, language) for k in ("col_metric", "col_this_month", "col_n")],
        "kpis": [
            (_kpi_label(m, language), format_kpi(kpis[m], m), f"{kpis[m]['n']:,}")
            for m in SHOWN_KPIS
            if m in kpis
        ],
        "stage_headers": [
            t(k, language)
            for k in (
                "col_from",
                "col_to",
                "col_entered",
                "col_advanced",
                "col_lost",
                "col_open",
                "col_mature_n",
                "col_rate",
                "col_interval",
            )
        ],
        "stages": [
            (
                s["from"],
                s["to"],
                *(f"{s[c]:,}" for c in ("entered", "advanced", "lost", "open", "mature_n")),
                "–" if s["rate"] is None else f"{s['rate']:.1%}",
                _interval(s["ci_low"], s["ci_high"]),
            )
            for s in rollup["stages"] or []
        ],
    }
