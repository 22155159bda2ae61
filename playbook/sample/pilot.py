"""The ``pilot`` planting of the sample company (:mod:`playbook.sample`).

Deals created from :data:`START` by the pilot teams advance intent -> proposal :data:`LIFT`
more often. Pilot and control groups are always marked (by :func:`groups`, or all year long
by a pilot variant, :mod:`playbook.sample.pilot_territory`); without this planting the pilot
simply has no effect.
"""

from __future__ import annotations

from typing import Any

import numpy as np

from playbook.sample import pilot_territory
from playbook.sample.clock import day
from playbook.sample.observed import Observed
from playbook.sample.shape import BASE_ADVANCE, STAGES

NAME = "pilot"
START = "2026-08-01"
STAGE = 1  # intent -> proposal
LIFT = 0.12
PILOT_TEAMS = ["East-1", "South"]
CONTROL_TEAMS = ["North", "West"]


def groups(created: np.ndarray, deal_team: np.ndarray, variant: str | None) -> np.ndarray:
    """Each deal's pilot group: ``pilot``, ``control`` or empty."""
    in_pilot_window = created >= day(START)
    pilot_team = np.isin(deal_team, PILOT_TEAMS)
    control_team = np.isin(deal_team, CONTROL_TEAMS)
    pilot_group = np.where(
        in_pilot_window & pilot_team,
        "pilot",
        np.where(in_pilot_window & control_team, "control", ""),
    )
    if variant:
        pilot_group = pilot_territory.groups(variant, deal_team)
    return pilot_group


def lift(p: np.ndarray, pilot_group: np.ndarray) -> np.ndarray:
    """The target stage's chance of advancing with the pilot's lift on pilot-group deals."""
    return np.where(pilot_group == "pilot", np.minimum(p + LIFT, 0.98), p)


def config(variant: str | None) -> dict[str, Any]:
    """The ``pilot`` section of the sample's ``pilot.yml``, as the consultant set it."""
    if variant is None:
        return {"start": START, "target_stage": STAGES[STAGE], "expected_lift": 0.1}
    # no start: the groups are marked from the first deal on, so there is no pre-period
    return {"target_stage": STAGES[pilot_territory.WEAK_STAGE], "expected_lift": 0.1}


def truth(
    observed: Observed,
    planted: bool,
    variant: str | None,
    rep_ids: list[str],
    team_of: np.ndarray,
    pilot_group: np.ndarray,
    region: np.ndarray,
) -> dict[str, Any]:
    """The pilot's entry in ``truth.json`` (with the variant's, if one was asked for)."""
    pg = pilot_group
    pilot_teams, control_teams = pilot_territory.ARMS.get(variant, (PILOT_TEAMS, CONTROL_TEAMS))
    out = {
        "start": START,
        "stage": STAGES[STAGE],
        "to": STAGES[STAGE + 1],
        "lift": LIFT if planted else 0.0,
        "baseline": BASE_ADVANCE[STAGE],
        "pilot_teams": list(pilot_teams),
        "control_teams": list(control_teams),
        "pilot_reps": [rep_ids[i] for i in np.flatnonzero(np.isin(team_of, pilot_teams))],
        "control_reps": [rep_ids[i] for i in np.flatnonzero(np.isin(team_of, control_teams))],
        "observed": {
            "pilot_deals": int((pg == "pilot").sum()),
            "control_deals": int((pg == "control").sum()),
            "pilot_rate": observed.rate(STAGE, pg == "pilot"),
            "control_rate": observed.rate(STAGE, pg == "control"),
        },
    }
    if variant:
        out.update(pilot_territory.truth(variant, observed, pg, region))
    return out
