"""The ``slow_team`` planting of the sample company (:mod:`playbook.sample`).

One sales team (:data:`TEAM`) makes first contact days, not hours, after a lead is created.
Lead -> intent conversion falls with the first-contact delay for everyone
(:data:`playbook.sample.shape.CONTACT_LOGIT`), so that team's leads convert worse.
"""

from __future__ import annotations

from typing import Any

import numpy as np

from playbook.sample.clock import END, Calendar
from playbook.sample.observed import Observed, median
from playbook.sample.shape import CONTACT_LOGIT

NAME = "slow_team"
TEAM = "East-2"
FAST_CONTACT_HOURS = 2.5  # median clock hours to first contact (before business-hour shift)
SLOW_CONTACT_HOURS = 60.0


def first_contact(
    rng: np.random.Generator, cal: Calendar, created: np.ndarray, slow: np.ndarray
) -> np.ndarray:
    """When each deal's owner first reached the lead (days since origin, in office hours).

    Both delays are drawn for every deal, so the stream is the same with the planting off.
    """
    n = len(created)
    fast = rng.lognormal(np.log(FAST_CONTACT_HOURS), 0.9, n)
    slow_h = rng.lognormal(np.log(SLOW_CONTACT_HOURS), 0.45, n)
    delay_h = np.where(slow, slow_h, fast)
    return cal.shift(created + delay_h / 24.0, rng)


def truth(
    observed: Observed,
    rep_ids: list[str],
    team_of: np.ndarray,
    deal_team: np.ndarray,
    first_contact: np.ndarray,
    contact_hours: np.ndarray,
) -> dict[str, Any]:
    """The planting's entry in ``truth.json``."""
    st = deal_team == TEAM
    contacted = first_contact < END
    return {
        "team": TEAM,
        "reps": [rep_ids[i] for i in np.flatnonzero(team_of == TEAM)],
        "stage": "lead",
        "to": "intent",
        "median_first_contact_hours": SLOW_CONTACT_HOURS,
        "baseline_median_first_contact_hours": FAST_CONTACT_HOURS,
        "contact_logit_per_log1p_day": CONTACT_LOGIT,
        "observed": {
            "median_first_contact_hours": median(contact_hours[st & contacted]),
            "baseline_median_first_contact_hours": median(contact_hours[~st & contacted]),
            "rate": observed.rate(0, st),
            "baseline": observed.rate(0, ~st),
        },
    }
