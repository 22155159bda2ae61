"""Sleeping leads: deals handed over and never touched within the SLA."""

from __future__ import annotations

import numpy as np
import pandas as pd

from playbook.stats import (
    wilson_interval,
)
from playbook.steps.handoff.base import (
    _deal_rows,
    _dt,
    _last,
    _require,
)
from playbook.steps.handoff.contacts import deal_frame
from playbook.steps.journey import OPEN, JourneyData, resolve
from playbook.workspace.calendar import DAY_NS, NAT, to_ns
from playbook.workspace.config import PilotConfig

SLEEPING_COLUMNS = [
    "deal_id",
    "owner_id",
    "team",
    "stage",
    "amount",
    "created_at",
    "last_touch_at",
    "idle_days",
    "sleeping",
]


def sleeping_leads(
    deals: pd.DataFrame,
    stage_events: pd.DataFrame,
    activities: pd.DataFrame,
    config: PilotConfig,
    reps: pd.DataFrame | None = None,
    *,
    as_of=None,
    journey: JourneyData | None = None,
    other_label: str = "other teams",
) -> pd.DataFrame:
    """Open deals and how long each has been idle as of the analysis date.

    A deal's last touch is its latest activity (any type, any team), stage change or
    creation; it is *sleeping* when idle for more than ``config.sleeping_lead_days``.

    Returns
    -------
    DataFrame
        One row per open deal: ``deal_id | owner_id | team | stage (current stage id) |
        amount | created_at | last_touch_at | idle_days | sleeping``.
    """
    _require(activities, ["deal_id", "at"], "activities")
    j = resolve(deals, stage_events, config, as_of, journey)
    base = deal_frame(j.deals, config, reps, other_label=other_label)
    D = j.n_deals
    as_of_ns = j.as_of.value
    idx = _deal_rows(base["deal_id"], activities["deal_id"])
    at = to_ns(activities["at"])
    ok = (idx >= 0) & (at != NAT) & (at <= as_of_ns)
    last = np.maximum(_last(idx[ok], at[ok], D), to_ns(base["created_at"]))
    last = np.maximum(last, _last(j.v_deal, j.v_enter, D))
    rows = np.flatnonzero(j.status == OPEN)
    idle = (as_of_ns - last[rows]) / DAY_NS
    stage = j.end_stage[rows]
    out = base.iloc[rows][["deal_id", "owner_id", "team", "amount", "created_at"]]
    out = out.reset_index(drop=True)
    out.insert(3, "stage", pd.Categorical.from_codes(stage, categories=list(j.stage_ids)))
    out["last_touch_at"] = _dt(last[rows])
    out["idle_days"] = idle
    out["sleeping"] = idle > config.sleeping_lead_days
    return out


def sleeping_rates(sleeping: pd.DataFrame, by: str = "team") -> pd.DataFrame:
    """Share of open deals that are sleeping, per slice, with Wilson intervals.

    Returns
    -------
    DataFrame
        ``<by> | open | sleeping | share | ci_low | ci_high | sleeping_amount``, highest
        share first; ``sleeping_amount`` is NaN when the data has no amounts.
    """
    columns = [by, "open", "sleeping", "share", "ci_low", "ci_high", "sleeping_amount"]
    if not len(sleeping) or by not in sleeping or sleeping[by].isna().all():
        return pd.DataFrame(columns=columns)
    out = (
        sleeping.assign(sleeping_amount=sleeping["amount"].where(sleeping["sleeping"], 0.0))
        .groupby(by, observed=True, sort=True)
        .agg(
            open=("deal_id", "size"),
            sleeping=("sleeping", "sum"),
            sleeping_amount=("sleeping_amount", "sum"),
        )
        .reset_index()
    )
    if not sleeping["amount"].notna().any():
        out["sleeping_amount"] = np.nan  # no amounts in the data: unknown, not zero
    out["share"] = out["sleeping"] / out["open"]
    low, high = wilson_interval(out["sleeping"].to_numpy(), out["open"].to_numpy())
    out["ci_low"], out["ci_high"] = low, high
    out = out.sort_values(["share", by], ascending=[False, True], kind="stable")
    return out[columns].reset_index(drop=True)


def sleeping_list(sleeping: pd.DataFrame) -> pd.DataFrame:
    """The sleeping deals, largest amount first (unknown amounts last), then longest idle."""
    out = sleeping[sleeping["sleeping"]].drop(columns="sleeping")
    return out.sort_values(
        ["amount", "idle_days"], ascending=[False, False], na_position="last", kind="stable"
    ).reset_index(drop=True)
