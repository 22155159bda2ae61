"""Step 1, the journey: how deals really move through the funnel.

Every function takes the canonical ``deals`` and ``stage_events`` frames and the
pilot config, and returns a tidy frame. The rules, applied the same way everywhere:

* Events are ordered by time; events of one deal at the same timestamp are
  ordered by funnel order (deterministic). Unknown stages, events without a
  time, events of unknown deals and (with an explicit ``as_of``) events after
  ``as_of`` are left out and logged.
* Consecutive events at the same stage are one visit. Entering a stage again
  after leaving it is a *repeat*; moving to an earlier stage a *regression*;
  jumping over stages a *skip*.
* A won deal has reached the last stage at ``closed_at`` even when the CRM has
  no event for it. A deal without any event entered the first stage at
  ``created_at``. Both inferred visits are flagged ``inferred``.
* A deal's *furthest* stage is the highest stage it ever visited. For counts
  per stage it has *advanced* past every earlier stage it entered; it is *lost*
  (or *open*) at its furthest stage. Re-opened deals are read by their final
  status: only the last state counts.
* ``funnel.skip_counts_as_passed``: when True a deal has entered (and advanced
  past) every stage below its furthest one, including stages before its first
  recorded event; when False only stages with a recorded visit count as entered.
* Open deals are censored at ``as_of`` (default: the latest timestamp in the
  data): never losses. Dwell in a stage is the total time over all visits; the
  dwell of an open deal still in the stage is censored, and dwell medians are
  Kaplan–Meier estimates.

Preparing the event log (:func:`prepare`, about 6 s for 10 million events) is
the costly part; every function also takes ``journey=``, a :func:`prepare` result
for the same frames, config and ``as_of``, to do it once for several metrics.
"""

from __future__ import annotations

from playbook.steps.journey.events import DAY_NS, LOST, OPEN, STATUSES, WON
from playbook.steps.journey.index import JourneyData, aggregate, prepare, resolve
from playbook.steps.journey.monitor import flows, phase_summary, stage_monitor, variants
from playbook.steps.journey.tracks import build_tracks, deal_paths, deal_stages

__all__ = [
    "DAY_NS",
    "LOST",
    "OPEN",
    "STATUSES",
    "WON",
    "phase_summary",
    "JourneyData",
    "prepare",
    "resolve",
    "aggregate",
    "build_tracks",
    "deal_paths",
    "deal_stages",
    "stage_monitor",
    "variants",
    "flows",
]
