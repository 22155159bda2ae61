"""Each deal's walk through the funnel lead -> intent -> proposal -> negotiation -> signed.

At each stage a deal dwells a gamma-distributed time, then advances or is lost; the chance to
advance is the base rate shifted by its owner, its drivers and the plantings. Deals whose next
step would fall after the export are still open (censored). A few skip intent or proposal,
some are created already qualified, and a few are forgotten (open, no activity).
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import TYPE_CHECKING

import numpy as np

from playbook.sample import bottleneck, pilot, pilot_territory, slow_team, territory
from playbook.sample.clock import END, Calendar
from playbook.sample.company import Company
from playbook.sample.draws import expit, logit
from playbook.sample.options import Options
from playbook.sample.shape import (
    BASE_ADVANCE,
    CONTACT_LOGIT,
    DWELL_MEAN_DAYS,
    DWELL_SHAPE,
    REGIONS,
    SIZE_LOGIT,
)
from playbook.sample.top_performers import LUCKY_LOGIT, LUCKY_STAGES

if TYPE_CHECKING:
    from playbook.sample.deals import Deals

STALE_SHARE = 0.025  # forgotten at lead or intent: open, no activity
INSTANT_SHARE = 0.03  # created already qualified: lead and intent the same second
SKIP_SHARE = 0.03  # of the deals at intent or at proposal skip that stage
SAME_SECOND_SIGNED = 0.04  # of the signatures logged the second negotiation opens


@dataclass(frozen=True)
class Funnel:
    """Where every deal went. Times in days since origin; stage columns are lead .. signed
    (``entry``) or lead .. negotiation (``leave``: when it left or will leave the stage,
    past the export for open deals)."""

    first_contact: np.ndarray
    contact_hours: np.ndarray
    entry: np.ndarray
    leave: np.ndarray
    skipped: np.ndarray
    #: 0 open, 1 won, 2 lost
    status: np.ndarray
    closed: np.ndarray
    #: stage index where a lost deal was lost, else -1
    lost_stage: np.ndarray
    #: stage index of each deal's last stage
    current: np.ndarray
    #: forgotten deals and the stage (lead or intent) where they were forgotten
    stale: np.ndarray
    stale_stage: np.ndarray

    @property
    def won(self) -> np.ndarray:
        return self.status == 1


def walk(
    rng: np.random.Generator, cal: Calendar, company: Company, deals: Deals, options: Options
) -> Funnel:
    """First contact, then every deal's path through the stages (all draws from ``rng``)."""
    first_contact = slow_team.first_contact(rng, cal, deals.created, company.is_slow[deals.owner])
    return _Walk(rng, cal, company, deals, options, first_contact).run()


class _Walk:
    """The funnel's arrays, filled stage by stage."""

    def __init__(self, rng, cal, company, deals, options, first_contact) -> None:
        self.rng, self.cal, self.company = rng, cal, company
        self.deals, self.options = deals, options
        n = len(deals)
        self.first_contact = first_contact
        self.contact_hours = (first_contact - deals.created) * 24.0
        self.entry = np.full((n, 5), np.nan)
        self.entry[:, 0] = deals.created
        self.leave = np.full((n, 4), np.nan)
        self.skipped = np.zeros((n, 5), bool)
        self.status = np.zeros(n, np.int8)
        self.closed = np.full(n, np.nan)
        self.lost_stage = np.full(n, -1, np.int64)
        self.current = np.zeros(n, np.int64)
        # Drawn once for every deal before the walk.
        stale_u = rng.random(n)
        self.stale_stage = rng.integers(0, 2, n)
        self.stale = stale_u < STALE_SHARE
        self.instant = rng.random(n) < INSTANT_SHARE
        self.skip_u = rng.random((n, 5))

    def run(self) -> Funnel:
        alive = np.ones(len(self.deals), bool)
        for s in range(4):
            alive = self.stage(s, alive)
        self.status[alive] = 1
        self.closed[alive] = self.entry[alive, 4]
        self.current[alive] = 4
        return Funnel(
            self.first_contact,
            self.contact_hours,
            self.entry,
            self.leave,
            self.skipped,
            self.status,
            self.closed,
            self.lost_stage,
            self.current,
            self.stale,
            self.stale_stage,
        )

    def stage(self, s: int, alive: np.ndarray) -> np.ndarray:
        """Deals ``alive`` at stage ``s`` leave it; returns those that entered the next one."""
        n = len(self.deals)
        dwell = self.rng.gamma(DWELL_SHAPE, DWELL_MEAN_DAYS[s] / DWELL_SHAPE, n)
        u = self.rng.random(n)
        zero = self.rng.random(n)
        p, dwell = self.chance(s, dwell)
        adv = u < p
        forced = self.forced(s, alive)
        adv = adv | forced
        if s == 3:  # some signatures logged the second negotiation opens
            dwell = np.where(adv & (zero < SAME_SECOND_SIGNED), 0.0, dwell)
        dwell = np.where(forced, 0.0, dwell)
        exit_ = self.exit_times(s, dwell, alive & ~forced)
        return self.record(s, alive, adv, exit_)

    def chance(self, s: int, dwell: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
        """Each deal's chance to advance past stage ``s``, and its dwell there, with the
        drivers and plantings applied."""
        deals, on = self.deals, self.options.on
        lg = logit(BASE_ADVANCE[s]) + self.company.logit[deals.owner]
        if s == 0:
            lg = (
                lg
                + np.asarray(SIZE_LOGIT)[deals.size]
                + CONTACT_LOGIT * np.log1p(self.contact_hours / 24)
            )
        if s == bottleneck.STAGE and on[bottleneck.NAME]:
            lg, dwell = bottleneck.slow_down(lg, dwell, deals.segment)
        if s in LUCKY_STAGES:
            lg = lg + LUCKY_LOGIT * deals.lucky
        if self.options.variant:
            lg = lg + pilot_territory.logit_shift(s, deals.region)
        if s == territory.WEAK_STAGE and on[territory.NAME]:
            weak = deals.region == REGIONS.index(territory.WEAK_REGION)
            lg = lg + territory.logit_shift(BASE_ADVANCE[s]) * weak
        p = expit(lg)
        if s == pilot.STAGE and on[pilot.NAME]:
            p = pilot.lift(p, deals.pilot_group)
        return p, dwell

    def forced(self, s: int, alive: np.ndarray) -> np.ndarray:
        """Deals that pass stage ``s`` at once: created qualified, or skipping it."""
        if s == 0:
            return self.instant
        if s in (1, 2):  # a few deals skip intent or proposal (lead -> proposal, ...)
            forced = self.skip_u[:, s] < SKIP_SHARE
            self.skipped[:, s] = forced & alive
            return forced
        return np.zeros(len(self.deals), bool)

    def exit_times(self, s: int, dwell: np.ndarray, may_stall: np.ndarray) -> np.ndarray:
        """When each deal leaves stage ``s`` (inf: forgotten there, never leaves)."""
        start = self.first_contact if s == 0 else self.entry[:, s]
        exit_ = self.cal.office_time(start, start + dwell, self.rng)
        exit_ = np.where(dwell > 0, exit_, start)
        if s == 0:
            exit_ = np.where(self.instant, self.deals.created, exit_)
        forgotten = may_stall & self.stale & (self.stale_stage == s)
        return np.where(forgotten, np.inf, exit_)

    def record(self, s: int, alive: np.ndarray, adv: np.ndarray, exit_: np.ndarray):
        """Write the stay at stage ``s``; returns the deals that entered the next stage."""
        observed = exit_ < END
        self.leave[:, s] = np.where(alive, exit_, np.nan)
        self.current[alive] = s
        go = alive & adv & observed
        lose = alive & ~adv & observed
        self.entry[go, s + 1] = exit_[go]
        self.status[lose] = 2
        self.closed[lose] = exit_[lose]
        self.lost_stage[lose] = s
        return go
