"""``outcomes.csv``: what happened after each signature — go-live (sometimes delayed),
complaints, renewal, upsell and NPS; delays bring complaints and cost renewals."""

from __future__ import annotations

import numpy as np
import pandas as pd

from playbook.sample.clock import END, Calendar, fmt_times
from playbook.sample.deals import Deals
from playbook.sample.funnel import Funnel
from playbook.sample.shape import PRODUCT_GO_LIVE_DAYS


def outcome_table(
    rng: np.random.Generator, cal: Calendar, deals: Deals, funnel: Funnel
) -> pd.DataFrame:
    """One row per won deal."""
    idx = np.flatnonzero(funnel.won)
    m = idx.size
    c = funnel.closed[idx]
    planned = c + np.asarray(PRODUCT_GO_LIVE_DAYS, dtype=float)[deals.product[idx]]
    delayed = rng.random(m) < 0.2
    go_live = planned + np.where(delayed, rng.uniform(10, 40, m), rng.uniform(-5, 5, m))
    go_live = cal.shift(go_live, rng)
    live = go_live < END
    complaints = np.where(live, rng.poisson(np.where(delayed, 1.1, 0.3)), 0)
    term = np.where(rng.random(m) < 0.4, 182.0, 365.0)
    renewal = c + term
    due = renewal < END
    p_renew = np.clip(0.88 - 0.2 * delayed - 0.08 * np.minimum(complaints, 3), 0.05, 0.99)
    renewed = rng.random(m) < p_renew
    upsell = go_live + rng.uniform(30, 200, m)
    has_upsell = live & (rng.random(m) < 0.15) & (upsell < END)
    responded = live & (rng.random(m) < 0.6)
    nps = np.clip(np.round(rng.normal(8.0 - 2.0 * delayed - 0.8 * complaints, 1.5)), 0, 10)
    tf = np.array(["false", "true"], dtype=object)
    return pd.DataFrame(
        {
            "deal_id": deals.ids[idx],
            "go_live_at": fmt_times(np.where(live, go_live, np.nan)),
            "delayed": np.where(live, tf[delayed.astype(int)], ""),
            "complaints": complaints.astype(np.int64),
            "renewed": np.where(due, tf[renewed.astype(int)], ""),
            "renewal_at": fmt_times(renewal),
            "upsell_at": fmt_times(np.where(has_upsell, upsell, np.nan)),
            "nps": pd.array(np.where(responded, nps, np.nan), dtype="Float64").astype("Int64"),
        }
    )
