"""The ``bottleneck`` planting of the sample company (:mod:`playbook.sample`).

One segment (:data:`SEGMENT`, also the report's focus) advances proposal -> negotiation at
:data:`RATE` instead of the base rate, dwells :data:`DWELL` times longer at proposal, and its
proposal losses are mostly "price too high".
"""

from __future__ import annotations

from typing import Any

import numpy as np

from playbook.sample.draws import logit
from playbook.sample.observed import Observed
from playbook.sample.shape import BASE_ADVANCE, LOST_REASONS, LOST_REASONS_ZH, SEGMENTS

NAME = "bottleneck"
SEGMENT = "Manufacturing"
STAGE = 2  # proposal -> negotiation
RATE = 0.30
DWELL = 2.5
REASON = 0  # "price too high" at proposal
REASON_P = 0.7


def in_segment(segment: np.ndarray) -> np.ndarray:
    """The deals of the bottleneck segment (segment codes -> mask)."""
    return segment == SEGMENTS.index(SEGMENT)


def slow_down(lg: np.ndarray, dwell: np.ndarray, segment: np.ndarray):
    """The proposal stage's logit and dwell with the segment's deals held back."""
    bn = in_segment(segment)
    lg = np.where(bn, lg + logit(RATE) - logit(BASE_ADVANCE[STAGE]), lg)
    dwell = np.where(bn, dwell * DWELL, dwell)
    return lg, dwell


def truth(observed: Observed, segment: np.ndarray, zh: bool) -> dict[str, Any]:
    """The planting's entry in ``truth.json``."""
    bn = in_segment(segment)
    reason = LOST_REASONS[STAGE][REASON][0]
    return {
        "dimension": "segment",
        "value": SEGMENT,
        "segment": SEGMENT,
        "stage": "proposal",
        "to": "negotiation",
        "rate": RATE,
        "baseline": BASE_ADVANCE[STAGE],
        "dwell_factor": DWELL,
        "lost_reason": LOST_REASONS_ZH[reason] if zh else reason,
        "observed": {
            "rate": observed.rate(STAGE, bn),
            "baseline": observed.rate(STAGE, ~bn),
            "median_dwell_days": observed.median_dwell(STAGE, bn),
            "baseline_median_dwell_days": observed.median_dwell(STAGE, ~bn),
        },
    }
