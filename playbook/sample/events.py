"""``stage_events.csv``: every stage a deal entered, with the CRM's quirks — regressions
(negotiation -> proposal -> negotiation), repeated entries, and raw stage names that vary."""

from __future__ import annotations

import numpy as np
import pandas as pd

from playbook.sample.clock import END, fmt_times, secs
from playbook.sample.company import Company
from playbook.sample.deals import Deals
from playbook.sample.draws import cdf
from playbook.sample.funnel import Funnel
from playbook.sample.shape import RAW_STAGE_WEIGHTS, RAW_STAGES

#: (stage, stage gone back to, share of stays): negotiation -> proposal -> negotiation, ...
REGRESSIONS = ((3, 2, 0.03), (2, 1, 0.01))
REPEAT_SHARE = 0.02  # the same stage saved again a little later


class _Rows:
    """Event rows (deal index, stage index, time, sequence within the deal), added in parts."""

    def __init__(self) -> None:
        self.deal, self.stage, self.time, self.seq = [], [], [], []

    def add(self, deal: np.ndarray, stage: int, time: np.ndarray, seq: int) -> None:
        self.deal.append(deal)
        self.stage.append(np.full(deal.size, stage))
        self.time.append(time)
        self.seq.append(np.full(deal.size, seq))

    def arrays(self):
        return tuple(np.concatenate(x) for x in (self.deal, self.stage, self.time, self.seq))


def stage_event_table(
    rng: np.random.Generator, company: Company, deals: Deals, funnel: Funnel, language: str
) -> pd.DataFrame:
    """``stage_events.csv``, sorted by deal, time and sequence."""
    deal, stage, time, seq = _stage_events(rng, funnel)
    names = _raw_names(rng, stage, language)
    order = np.lexsort((seq, secs(time), deal))
    return pd.DataFrame(
        {
            "deal_id": deals.ids[deal[order]],
            "stage": names[order],
            "entered_at": fmt_times(time[order]),
            "owner_id": company.ids[deals.owner[deal[order]]],
        }
    )


def _stage_events(rng: np.random.Generator, funnel: Funnel):
    """Event rows (deal index, stage index, time, sequence), unsorted."""
    entry, leave, skipped = funnel.entry, funnel.leave, funnel.skipped
    n = len(entry)
    rows = _Rows()
    reached = np.isfinite(entry)
    for s in range(5):
        sel = np.flatnonzero(reached[:, s] & ~skipped[:, s])
        rows.add(sel, s, entry[sel, s], 10 * s)
    # Observed end of each stage's stay (the export end for the current stage of open deals).
    stay_end = np.where(np.isfinite(leave), np.minimum(leave, END - 1e-3), np.nan)
    for s, back, share in REGRESSIONS:
        u = rng.random(n)
        a, b = np.sort(rng.uniform(0.15, 0.85, (n, 2)), axis=1).T
        span = stay_end[:, s] - entry[:, s]
        sel = np.flatnonzero(reached[:, s] & ~skipped[:, s] & (span > 1.0) & (u < share))
        for stage, frac, seq in ((back, a, 10 * s + 1), (s, b, 10 * s + 2)):
            rows.add(sel, stage, entry[sel, s] + frac[sel] * span[sel], seq)
    for s in range(4):
        u = rng.random(n)
        off = rng.uniform(0.01, 0.2, n)
        span = stay_end[:, s] - entry[:, s]
        sel = np.flatnonzero(reached[:, s] & ~skipped[:, s] & (span > 0.5) & (u < REPEAT_SHARE))
        rows.add(sel, s, entry[sel, s] + np.minimum(off[sel] * span[sel], 2.0), 10 * s + 5)
    return rows.arrays()


def _raw_names(rng: np.random.Generator, stage: np.ndarray, language: str) -> np.ndarray:
    """The CRM's name of each event's stage, drawn from the stage's usual and rarer labels."""
    names = np.empty(stage.size, dtype=object)
    u = rng.random(stage.size)
    for s, (raw, share) in enumerate(zip(RAW_STAGES[language], RAW_STAGE_WEIGHTS, strict=True)):
        sel = stage == s
        labels = np.array(raw, dtype=object)
        weights = np.array(share)
        names[sel] = labels[np.searchsorted(cdf(weights), u[sel], side="right")]
    return names
