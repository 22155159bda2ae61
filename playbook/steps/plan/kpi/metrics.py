"""The KPIs of step 5: what each measures, how it is aggregated, how it reads."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

import pandas as pd

#: Activity types that count as a real sales contact (call attempts and emails do not);
#: the same as :data:`playbook.steps.handoff.CONTACT_TYPES`, so step 3 and step 5 agree.
CONTACT_TYPES = ("call", "meeting", "demo")
#: Activity types that count as a customer meeting.
MEETING_TYPES = ("meeting", "demo", "visit")
LEVELS = ("company", "department", "individual")


@dataclass(frozen=True)
class Metric:
    """One KPI: what it measures and how it is aggregated.

    ``kind`` is rate (``column`` successes over ``denominator`` trials), mean,
    median (of ``column`` over deals where it is known) or sum. ``better`` says
    which direction is good (for thresholds and plans). A rate with a ``reference``
    column is the rate minus the reference's rate over the same trials (observed −
    expected), with the rate's interval shifted by the reference.
    """

    name: str
    dimension: str  # revenue | activity | customer
    metric_type: str  # result | process | behaviour
    kind: str  # rate | mean | median | sum
    column: str
    denominator: str | None = None
    unit: str = "share"
    better: str = "higher"
    reference: str | None = None


METRICS: tuple[Metric, ...] = (
    Metric("won_revenue", "revenue", "result", "sum", "won_amount", "won", unit="currency"),
    Metric("win_rate", "revenue", "result", "rate", "won", "resolved"),
    # what the company wins on the same deals, and the win rate against it (like deals)
    Metric("expected_win_rate", "revenue", "result", "rate", "expected_won", "resolved"),
    Metric(
        "win_rate_vs_expected",
        "revenue",
        "result",
        "rate",
        "won",
        "resolved",
        reference="expected_won",
    ),
    Metric("avg_won_amount", "revenue", "result", "mean", "won_amount_known", unit="currency"),
    Metric("open_pipeline", "revenue", "process", "sum", "open_amount", "is_open", unit="currency"),
    Metric(
        "first_contact_hours",
        "activity",
        "behaviour",
        "median",
        "first_contact_hours",
        unit="hours",
        better="lower",
    ),
    Metric("first_contact_sla", "activity", "process", "rate", "sla_met", "sla_known"),
    Metric(
        "sales_activities_per_deal",
        "activity",
        "behaviour",
        "mean",
        "sales_activities",
        unit="count",
    ),
    Metric("meetings_per_deal", "activity", "behaviour", "mean", "meetings", unit="count"),
    Metric("record_completeness", "activity", "behaviour", "rate", "filled", "applicable"),
    Metric("renewal_rate", "customer", "result", "rate", "renewed_n", "renewal_due"),
    Metric("nps", "customer", "result", "mean", "nps", unit="score"),
    Metric(
        "complaints_per_customer",
        "customer",
        "result",
        "mean",
        "complaints",
        unit="count",
        better="lower",
    ),
    Metric("on_time_go_live", "customer", "process", "rate", "on_time", "go_live_known"),
)
_BY_NAME = {m.name: m for m in METRICS}

KPI_COLUMNS = [
    "dimension",
    "level",
    "scope",
    "metric",
    "label",
    "metric_type",
    "current_value",
    "n",
    "ci_low",
    "ci_high",
    "spread_low",
    "spread_high",
    "unit",
    "suppressed",
]


def _chosen(metrics: Sequence[str] | None) -> list[Metric]:
    if metrics is None:
        return list(METRICS)
    unknown = [m for m in metrics if m not in _BY_NAME]
    if unknown:
        raise ValueError(
            f"metrics names unknown KPI(s) {', '.join(unknown)}; known: {', '.join(_BY_NAME)}"
        )
    return [_BY_NAME[m] for m in metrics]


def _describe(frame: pd.DataFrame, language: str) -> pd.DataFrame:
    """``frame`` with each metric's dimension, type, unit and label (in ``language``)."""
    from playbook.i18n import TEXT

    meta = pd.DataFrame(
        [
            {
                "metric": m.name,
                "dimension": m.dimension,
                "metric_type": m.metric_type,
                "unit": m.unit,
                "label": TEXT.get(f"kpi_{m.name}", {}).get(language, m.name),
            }
            for m in METRICS
        ]
    )
    return frame.merge(meta, on="metric", how="left")


#: How a value of each unit is written (shares as percentages); other units: 2 decimals.
_FORMATS = {"share": "{:.1%}", "currency": "{:,.0f}", "hours": "{:.1f}"}


def _format(value: float, unit: str) -> str:
    if pd.isna(value):
        return ""
    return _FORMATS.get(unit, "{:.2f}").format(float(value))
