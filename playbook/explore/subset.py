"""Cutting the prepared journey to a slice of deals, by array indexing only.

The explorer prepares the journey once (:func:`playbook.steps.journey.prepare`); every filter
change cuts it with :func:`subset_journey` instead of re-reading and re-sorting events.
"""

from __future__ import annotations

import dataclasses
from typing import Any

import numpy as np

from playbook.steps.journey import JourneyData

__all__ = ["subset_journey"]

# JourneyData fields by shape: per visit, per deal, per deal and stage; the rest are shared.
_VISIT_FIELDS = ("v_stage", "v_enter", "v_leave", "v_inferred", "v_censored")
_DEAL_FIELDS = ("status", "furthest", "end_stage", "n_visits", "start_ns", "end_ns")
_CELL_FIELDS = (
    "visits",
    "first_enter",
    "dwell",
    "dwell_censored",
    "entered",
    "advanced",
    "lost",
    "open",
    "days",
    "mature",
)
_SHARED_FIELDS = ("stage_ids", "windows", "skip_counts_as_passed", "as_of")
_SPECIAL_FIELDS = ("deals", "v_deal", "first_visit")


def subset_journey(j: JourneyData, mask: np.ndarray) -> JourneyData:
    """The prepared journey of the deals selected by ``mask``, by array indexing only.

    Every per-deal, per-visit and per-deal-and-stage array of ``j`` is cut to the selected
    deals; ``as_of`` and the funnel stay the same. The result equals
    :func:`playbook.steps.journey.prepare` of the selected deals and their events with
    ``as_of=j.as_of``, so every journey and stage function gives the same answer with
    ``journey=subset_journey(j, mask)`` as on the filtered frames, without re-reading events.

    Parameters
    ----------
    j : JourneyData
        A :func:`playbook.steps.journey.prepare` result.
    mask : ndarray of bool
        One entry per deal of ``j`` (``j.deals`` order).

    Returns
    -------
    JourneyData
        The selected deals' journey. A ``ValueError`` says when ``mask`` has the wrong
        length, or when ``JourneyData`` gained a field this function does not know how to
        cut (update :data:`_DEAL_FIELDS` and friends).
    """
    mask = np.asarray(mask, dtype=bool)
    if mask.shape != (j.n_deals,):
        raise ValueError(f"mask must have one entry per deal ({j.n_deals}); got {mask.shape}")
    known = {*_VISIT_FIELDS, *_DEAL_FIELDS, *_CELL_FIELDS, *_SHARED_FIELDS, *_SPECIAL_FIELDS}
    unknown = [f.name for f in dataclasses.fields(j) if f.name not in known]
    if unknown:
        raise ValueError(
            f"JourneyData has field(s) {', '.join(unknown)} that subset_journey does not cut; "
            "add them to playbook/explore/subset.py"
        )
    new_row = np.cumsum(mask) - 1
    keep_visit = mask[j.v_deal]
    new_visit = np.cumsum(keep_visit) - 1
    first = j.first_visit[mask]
    values: dict[str, Any] = {name: getattr(j, name) for name in _SHARED_FIELDS}
    values["deals"] = j.deals.loc[mask]
    values["v_deal"] = new_row[j.v_deal[keep_visit]].astype(j.v_deal.dtype)
    values["first_visit"] = np.where(first >= 0, new_visit[np.maximum(first, 0)], -1)
    for name in _VISIT_FIELDS:
        values[name] = getattr(j, name)[keep_visit]
    for name in (*_DEAL_FIELDS, *_CELL_FIELDS):
        values[name] = getattr(j, name)[mask]
    return JourneyData(**values)
