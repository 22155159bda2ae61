"""Step 5's SLA proposal: compliance today, and what it would be at other thresholds."""

from __future__ import annotations

import math
from collections.abc import Sequence

import numpy as np
import pandas as pd

from playbook.stats import wilson_interval
from playbook.steps.plan.kpi.facts import business_hours
from playbook.steps.prepared import takes_pilot
from playbook.workspace.calendar import DAY_NS
from playbook.workspace.config import PilotConfig

#: Default thresholds at which SLA compliance is shown (first contact: business hours;
#: proposal review: business days).
FIRST_CONTACT_THRESHOLDS = (1.0, 2.0, 4.0, 8.0, 24.0, 48.0)
PROPOSAL_REVIEW_THRESHOLDS = (3.0, 5.0, 10.0, 15.0, 20.0)


def _compliance_rows(
    sla: str,
    hours: np.ndarray,
    elapsed: np.ndarray,
    thresholds: Sequence[float],
    current: float,
    unit: str,
    confidence: float,
) -> list[dict]:
    """Compliance at each threshold: met when done within it; missed when done later or
    still pending beyond it; pending within it is unknown (left out)."""
    done = ~np.isnan(hours)
    rows = []
    for thr in sorted({*map(float, thresholds), float(current)}):
        met = done & (hours <= thr)
        missed = (done & (hours > thr)) | (~done & (elapsed > thr))
        n = int((met | missed).sum())
        k = int(met.sum())
        lo, hi = wilson_interval(k, n, confidence) if n else (math.nan, math.nan)
        rows.append(
            {
                "sla": sla,
                "threshold": thr,
                "unit": unit,
                "current": bool(np.isclose(thr, current)),
                "n": n,
                "compliant": k,
                "compliance": k / n if n else math.nan,
                "ci_low": lo,
                "ci_high": hi,
                "pending": int((~done & ~(elapsed > thr)).sum()),
            }
        )
    return rows


@takes_pilot
def sla_proposal(
    facts: pd.DataFrame,
    config: PilotConfig,
    *,
    deals: pd.DataFrame | None = None,
    stage_events: pd.DataFrame | None = None,
    journey=None,
    first_contact_thresholds: Sequence[float] = FIRST_CONTACT_THRESHOLDS,
    proposal_review_thresholds: Sequence[float] = PROPOSAL_REVIEW_THRESHOLDS,
    proposal_stage: str = "proposal",
    confidence: float = 0.95,
) -> pd.DataFrame:
    """Current SLA compliance, and what it would be at other thresholds.

    ``first_contact``: business hours from lead creation to the first real sales
    contact (:func:`deal_facts`), against ``sla.first_contact_hours``.
    ``proposal_review``: business days from first entering ``proposal_stage`` to the
    next stage or the loss, against ``sla.proposal_review_business_days``; needs
    ``deals`` and ``stage_events`` (or a prepared ``journey``). Both follow the
    definitions of step 3 (:mod:`playbook.steps.handoff`), so current compliance matches it.
    A case still waiting is a miss once it has waited longer than the threshold, and
    unknown (``pending``, left out) before.

    Returns
    -------
    DataFrame
        ``sla | threshold | unit | current | n | compliant | compliance | ci_low |
        ci_high | pending``; ``current`` marks the configured threshold.
    """
    rows: list[dict] = []
    if facts["first_contact_hours"].notna().any():
        rows += _compliance_rows(
            "first_contact",
            facts["first_contact_hours"].to_numpy(dtype=float),
            facts["elapsed_hours"].to_numpy(dtype=float),
            first_contact_thresholds,
            float(config.sla.first_contact_hours),
            "business hours",
            confidence,
        )
    if (journey is not None or (deals is not None and stage_events is not None)) and (
        proposal_stage in config.funnel.ids
    ):
        rows += _proposal_review(
            config,
            deals,
            stage_events,
            journey,
            proposal_stage,
            proposal_review_thresholds,
            confidence,
        )
    columns = [
        "sla",
        "threshold",
        "unit",
        "current",
        "n",
        "compliant",
        "compliance",
        "ci_low",
        "ci_high",
        "pending",
    ]
    return pd.DataFrame(rows, columns=columns)


def _proposal_review(
    config: PilotConfig,
    deals: pd.DataFrame | None,
    stage_events: pd.DataFrame | None,
    journey,
    stage: str,
    thresholds: Sequence[float],
    confidence: float,
) -> list[dict]:
    from playbook.steps.journey import resolve

    j = resolve(deals, stage_events, config, None, journey)
    s = j.stage_ids.index(stage)
    nat = np.iinfo(np.int64).min
    rows = np.flatnonzero((j.visits[:, s] > 0) & (j.first_enter[:, s] != nat))
    start = j.first_enter[rows, s]
    days = j.days[rows, s]
    done = (j.advanced[rows, s] | j.lost[rows, s]) & np.isfinite(days)
    as_of = pd.Timestamp(j.as_of).value
    stop = np.where(done, start + np.round(np.nan_to_num(days) * DAY_NS).astype(np.int64), as_of)
    day_hours = max(float(config.calendar.end_hour - config.calendar.start_hour), 1e-9)
    bdays = (
        business_hours(start.view("datetime64[ns]"), stop.view("datetime64[ns]"), config.calendar)
        / day_hours
    )
    return _compliance_rows(
        "proposal_review",
        np.where(done, bdays, np.nan),
        np.where(done, np.nan, bdays),
        thresholds,
        float(config.sla.proposal_review_business_days),
        "business days",
        confidence,
    )
