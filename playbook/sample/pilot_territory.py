"""The pilot variants of the sample company (:data:`playbook.sample.PILOT_VARIANTS`): pilot and
control groups that differ in territory, without a pre-period.

Every deal of the variant's pilot and control teams is marked, all year long (so ``pilot.yml``
names no ``pilot.start``), the pilot targets negotiation, and the West region's negotiation is
weak for everyone: a naive comparison credits (or blames) the pilot for the territory.
"""

from __future__ import annotations

from typing import Any

import numpy as np

from playbook.sample.draws import logit
from playbook.sample.observed import Observed
from playbook.sample.shape import BASE_ADVANCE, REGIONS, STAGES

#: Pilot variants: (pilot teams, control teams); West converts badly at negotiation.
ARMS = {
    "pilot_territory": (["East-1", "South"], ["North", "West"]),
    "pilot_territory_mirror": (["North", "West"], ["East-1", "South"]),
    "pilot_territory_shared": (["East-1", "North"], ["East-2", "West"]),
}
WEAK_REGION = "West"
WEAK_STAGE = 3  # negotiation -> signed
WEAK_RATE = 0.30


def groups(variant: str, deal_team: np.ndarray) -> np.ndarray:
    """Every deal of the variant's pilot and control teams is marked, all year long."""
    pilot_teams, control_teams = ARMS[variant]
    return np.where(
        np.isin(deal_team, pilot_teams),
        "pilot",
        np.where(np.isin(deal_team, control_teams), "control", ""),
    )


def logit_shift(stage: int, region: np.ndarray) -> np.ndarray | float:
    """Logit shift of the weak region's negotiation (for everyone, pilot or not)."""
    if stage != WEAK_STAGE:
        return 0.0
    shift = logit(WEAK_RATE) - logit(BASE_ADVANCE[WEAK_STAGE])
    return np.where(region == REGIONS.index(WEAK_REGION), shift, 0.0)


def truth(
    variant: str, observed: Observed, pilot_group: np.ndarray, region: np.ndarray
) -> dict[str, Any]:
    """What the variant adds to the pilot's entry in ``truth.json``."""
    s = WEAK_STAGE
    weak = region == REGIONS.index(WEAK_REGION)
    return {
        "variant": variant,
        "start": None,
        "design": "post_only",
        "target_stage": STAGES[s],
        "weak_region": {
            "dimension": "region",
            "value": WEAK_REGION,
            "stage": STAGES[s],
            "to": STAGES[s + 1],
            "rate": WEAK_RATE,
            "baseline": BASE_ADVANCE[s],
            "observed": {"rate": observed.rate(s, weak), "baseline": observed.rate(s, ~weak)},
        },
        "observed_target": {
            "pilot_rate": observed.rate(s, pilot_group == "pilot"),
            "control_rate": observed.rate(s, pilot_group == "control"),
        },
    }
