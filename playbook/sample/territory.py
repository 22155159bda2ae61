"""The ``weak_territory`` planting of the sample company (:mod:`playbook.sample`).

One region's negotiation stage is weak for every rep who works it, and many of the strong
reps work that region: ranked on raw conversion, they look average; compared with what
their deals would be expected to do (:mod:`playbook.steps.adjust`), they stand out again.

What it plants:

* reps of the regional teams work mostly their home region, and a share of their accounts
  (``CROSS_REGION_SHARE``) lies in the other regions, so that a region's own effect can be
  told apart from the people who work it;
* deals in ``WEAK_REGION`` advance from negotiation to signed at ``WEAK_RATE`` instead of
  the base rate, whoever owns them;
* with ``top_performers`` planted too, nine strong reps instead of seven (lift
  ``STRONG_LOGIT`` at every stage): ``STRONG_IN_REGION`` of them in the weak region's team
  and one in each other team, so they are spread over every region and the key-account
  team.

Not part of the default sample (``playbook sample`` and ``generate()`` without ``plant=``),
whose files keep their bytes: ask for it with ``plant=(*PLANTINGS, "weak_territory")``.
Every random draw it needs comes from its own stream.
"""

from __future__ import annotations

from typing import Any

import numpy as np

NAME = "weak_territory"
WEAK_REGION = "West"
WEAK_STAGE = 3  # negotiation -> signed
WEAK_RATE = 0.15
CROSS_REGION_SHARE = 0.2
STRONG_IN_REGION = 4
#: The strong reps' lift (logit, every stage) in this company: clearly strong, yet the weak
#: region pulls the raw conversion of those who work it back to the team's.
STRONG_LOGIT = 0.8


def strong_reps(
    rng: np.random.Generator, team_of: np.ndarray, rep_region: np.ndarray, default: list[int]
) -> list[int]:
    """Nine strong reps: ``STRONG_IN_REGION`` of the weak region's team, and the default
    pick of every other team (a team's second default pick is dropped)."""
    weak_team = team_of_weak(team_of, rep_region)
    kept, seen = [], set()
    for i in default:
        if team_of[i] != weak_team and team_of[i] not in seen:
            seen.add(team_of[i])
            kept.append(int(i))
    already = [int(i) for i in default if team_of[i] == weak_team]
    pool = np.setdiff1d(np.flatnonzero(team_of == weak_team), already)
    more = rng.choice(pool, size=STRONG_IN_REGION - len(already), replace=False)
    return sorted(kept + already + [int(i) for i in more])


def team_of_weak(team_of: np.ndarray, rep_region: np.ndarray) -> str:
    """The regional team of the weak region."""
    teams = {t for t, r in zip(team_of, rep_region, strict=True) if r == WEAK_REGION}
    return sorted(t for t in teams if t != "Key Accounts")[0]


def cross_region_owners(
    rng: np.random.Generator,
    acc_owner: np.ndarray,
    acc_region: np.ndarray,
    regional: np.ndarray,
    rep_region: np.ndarray,
    regions: list[str],
) -> np.ndarray:
    """Accounts' owners with ``CROSS_REGION_SHARE`` of the regional accounts handed to a rep
    of another region's team (uniformly); key-account owners are kept."""
    out = acc_owner.copy()
    home = np.array([regions.index(r) for r in rep_region])
    u = rng.random(len(acc_owner))
    pick = rng.random(len(acc_owner))
    for r in range(len(regions)):
        elsewhere = np.flatnonzero(regional & (home != r))
        move = (acc_region == r) & regional[acc_owner] & (u < CROSS_REGION_SHARE)
        out[move] = elsewhere[(pick[move] * len(elsewhere)).astype(np.int64)]
    return out


def logit_shift(base_rate: float) -> float:
    """What the weak region adds to the negotiation stage's logit."""
    return float(np.log(WEAK_RATE / (1 - WEAK_RATE)) - np.log(base_rate / (1 - base_rate)))


def truth(
    rep_ids: list[str],
    strong: list[int],
    rep_region: np.ndarray,
    team_of: np.ndarray,
    base_rate: float,
    observed: dict[str, Any],
) -> dict[str, Any]:
    """The planting's entry in ``truth.json``."""
    weak_team = team_of_weak(team_of, rep_region)
    return {
        "dimension": "region",
        "value": WEAK_REGION,
        "stage": "negotiation",
        "to": "signed",
        "rate": WEAK_RATE,
        "baseline": base_rate,
        "cross_region_share": CROSS_REGION_SHARE,
        "strong_reps_in_region": [rep_ids[i] for i in strong if team_of[i] == weak_team],
        "observed": observed,
    }
