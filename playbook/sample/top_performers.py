"""The ``top_performers`` planting of the sample company (:mod:`playbook.sample`).

Seven reps (one per team, plus one) convert better at every stage (logit :data:`LOGIT`), hold
more discovery meetings (:data:`MEETING_FACTOR`) and score about :data:`SCORE_LIFT` higher on
:data:`COMPETENCIES`; two other reps are one-off big winners with a single lucky quarter
(:data:`LUCKY_QUARTER`: better odds at :data:`LUCKY_STAGES`, bigger deals).
"""

from __future__ import annotations

from typing import Any

import numpy as np

from playbook.sample.observed import share
from playbook.sample.pilot import CONTROL_TEAMS, PILOT_TEAMS
from playbook.sample.shape import STAGES, TEAMS

NAME = "top_performers"
LOGIT = 0.6
SCORE_LIFT = 1.0
COMPETENCIES = ["needs_discovery", "value_proposition"]
MEETING_FACTOR = 1.5
LUCKY_QUARTER = "2026Q2"
LUCKY_LOGIT = 1.3
LUCKY_AMOUNT = 2.0
LUCKY_STAGES = (1, 2, 3)  # intent, proposal, negotiation


def pick_strong(rng: np.random.Generator, team_of: np.ndarray, regional: np.ndarray) -> list[int]:
    """One strong converter per team, plus one more from a regional team outside the pilot
    (so pilot and control arms hold the same number of strong converters)."""
    top = []
    for team, _, _ in TEAMS:
        members = np.flatnonzero(team_of == team)
        top.append(int(rng.choice(members)))
    arms = np.isin(team_of, PILOT_TEAMS + CONTROL_TEAMS)
    extra_pool = np.setdiff1d(np.flatnonzero(regional & ~arms), top)
    top.append(int(rng.choice(extra_pool)))
    return sorted(top)


def truth(
    rep_ids: list[str],
    top: list[int],
    logit_lift: float,
    strong_deal: np.ndarray,
    status: np.ndarray,
) -> dict[str, Any]:
    """The planting's entry in ``truth.json`` (``status``: 0 open, 1 won, 2 lost)."""
    closed = status > 0
    won, lost = status == 1, status == 2
    return {
        "reps": [rep_ids[i] for i in top],
        "competencies": list(COMPETENCIES),
        "score_lift": SCORE_LIFT,
        "logit_lift": logit_lift,
        "meeting_factor": MEETING_FACTOR,
        "observed": {
            "win_rate": share(won[strong_deal & closed], lost[strong_deal & closed]),
            "baseline_win_rate": share(won[~strong_deal & closed], lost[~strong_deal & closed]),
        },
    }


def one_off_truth(rep_ids: list[str], lucky: list[int]) -> list[dict[str, Any]]:
    """The one-off winners' entries in ``truth.json``."""
    return [
        {
            "rep_id": rep_ids[i],
            "quarter": LUCKY_QUARTER,
            "logit_lift": LUCKY_LOGIT,
            "stages": [STAGES[k] for k in LUCKY_STAGES],
            "amount_factor": LUCKY_AMOUNT,
        }
        for i in lucky
    ]
