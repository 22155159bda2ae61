"""The journey at a glance: the stage monitor, the most common paths, flows between stages,
phases."""

from __future__ import annotations

import numpy as np
import pandas as pd

from playbook.steps.journey.events import LOST, OPEN, WON
from playbook.steps.journey.index import JourneyData, aggregate, resolve
from playbook.steps.journey.tables import over_journey
from playbook.steps.journey.tracks import _path_keys, _stage_cat, deal_stages
from playbook.steps.prepared import takes_pilot
from playbook.workspace.config import PilotConfig


@takes_pilot
@over_journey
def stage_monitor(j: JourneyData) -> pd.DataFrame:
    """Per stage: how many deals entered, advanced, were lost, are still open, and dwell.

    Returns
    -------
    DataFrame
        ``stage | entered | advanced | lost | open | skipped | repeated |
        median_dwell_days | p90_dwell_days``, one row per funnel stage in order.
        ``entered = advanced + lost + open`` (each deal once per stage). For the last
        stage ``advanced`` counts won deals. ``skipped`` counts deals that passed the
        stage without an event there (they are in ``entered`` only when
        ``skip_counts_as_passed``); ``repeated`` deals entered it more than once.
        Dwell quantiles are Kaplan–Meier estimates (to the second) over deals that
        visited the stage, open deals still there censored; NaN when the curve does not
        fall that far.
    """
    out = aggregate(j)
    out.insert(0, "stage", _stage_cat(out.pop("stage").to_numpy(), j.stage_ids))
    return out.drop(columns=["group", "mature_n", "immature"])


@takes_pilot
def variants(
    deals: pd.DataFrame,
    stage_events: pd.DataFrame,
    config: PilotConfig,
    n: int = 10,
    as_of=None,
    *,
    journey: JourneyData | None = None,
) -> pd.DataFrame:
    """The most common stage paths and how deals on them ended.

    Parameters
    ----------
    n : int
        Number of paths to return (most common first; ties by path text).

    Returns
    -------
    DataFrame
        ``path | deals | share | won | lost | open | won_share``; ``share`` is of all
        deals with a path, ``won_share`` of the deals on that path.
    """
    if n < 1:
        raise ValueError(f"n must be a positive number of paths; got {n!r}")
    j = resolve(deals, stage_events, config, as_of, journey)
    inverse, texts = _path_keys(j)
    has = j.n_visits > 0
    P = len(texts)
    counts = np.bincount(inverse[has], minlength=P)
    by_status = [np.bincount(inverse[has & (j.status == s)], minlength=P) for s in range(3)]
    total = counts.sum()
    out = pd.DataFrame(
        {
            "path": texts,
            "deals": counts,
            "won": by_status[WON],
            "lost": by_status[LOST],
            "open": by_status[OPEN],
        }
    )
    out = out[out["deals"] > 0]
    out["share"] = out["deals"] / total if total else np.nan
    out["won_share"] = out["won"] / out["deals"]
    out = out.sort_values(["deals", "path"], ascending=[False, True], kind="stable").head(n)
    return out[["path", "deals", "share", "won", "lost", "open", "won_share"]].reset_index(
        drop=True
    )


@takes_pilot
@over_journey
def flows(j: JourneyData) -> pd.DataFrame:
    """Moves between stages for a journey map (Sankey-style), exits included.

    Returns
    -------
    DataFrame
        ``source | target | kind | transitions | deals``. ``source``/``target`` are stage
        ids, or "start" (source of a deal's first visit) and "won" / "lost" / "open"
        (targets of its last visit). ``kind`` is entry, advance, skip, regress, won, lost
        or open. ``transitions`` counts moves; ``deals`` counts distinct deals making them.
        Ordered by source, then target, in funnel order.
    """
    K = j.n_stages
    V = len(j.v_deal)
    # node codes: 0 start, 1..K stages, K+1 won, K+2 lost, K+3 open
    N = K + 4
    src_parts, dst_parts, deal_parts = [], [], []
    if V:
        first = np.r_[True, j.v_deal[1:] != j.v_deal[:-1]]
        last = np.r_[first[1:], True]
        st = j.v_stage.astype(np.int64) + 1
        src_parts += [np.zeros(first.sum(), np.int64), st[:-1][~last[:-1]], st[last]]
        exit_node = np.array([K + 3, K + 1, K + 2])[j.status[j.v_deal[last]]]
        dst_parts += [st[first], st[1:][~last[:-1]], exit_node]
        v_deal = j.v_deal.astype(np.int64)
        deal_parts += [v_deal[first], v_deal[:-1][~last[:-1]], v_deal[last]]
    src = np.concatenate(src_parts) if src_parts else np.zeros(0, np.int64)
    dst = np.concatenate(dst_parts) if dst_parts else np.zeros(0, np.int64)
    dl = np.concatenate(deal_parts) if deal_parts else np.zeros(0, np.int64)
    pair = src * N + dst
    transitions = np.bincount(pair, minlength=N * N)
    # a deal makes the same move twice only if it visits some stage twice
    again = (j.visits > 1).any(axis=1)[dl]
    distinct = np.ones(len(pair), dtype=bool)
    distinct[again] = ~pd.Series(dl[again] * (N * N) + pair[again]).duplicated().to_numpy()
    n_deals = np.bincount(pair[distinct], minlength=N * N)
    nz = np.flatnonzero(transitions)
    s, t = np.divmod(nz, N)
    names = ["start", *j.stage_ids, "won", "lost", "open"]
    kind = np.select(
        [s == 0, t == K + 1, t == K + 2, t == K + 3, t == s + 1, t > s + 1],
        ["entry", "won", "lost", "open", "advance", "skip"],
        "regress",
    )
    return pd.DataFrame(
        {
            "source": np.array(names, dtype=object)[s],
            "target": np.array(names, dtype=object)[t],
            "kind": kind,
            "transitions": transitions[nz],
            "deals": n_deals[nz],
        }
    )


@takes_pilot
def phase_summary(
    deals: pd.DataFrame,
    stage_events: pd.DataFrame,
    activities: pd.DataFrame | None,
    config: PilotConfig,
    as_of=None,
    *,
    journey: JourneyData | None = None,
) -> pd.DataFrame:
    """The journey by phase (awareness → … → execution), stages and activities on one time line.

    Each phase of ``config.phases`` owns some stages and activity types. A deal is in
    a phase when it entered one of its stages (by the skip rule) or had one of its
    activities; time is measured from the deal's creation.

    Returns
    -------
    DataFrame
        ``phase | stages | activity_types | deals | activities |
        median_days_from_created | top_activity_types``, one row per configured phase
        in journey order. ``median_days_from_created`` is the median over deals of the
        first moment in the phase (first stage entry or first activity); negative
        when marketing touches precede the lead's creation. ``activities`` is NaN and
        ``top_activity_types`` empty without an activities table.
    """
    from playbook.workspace.config import PHASES

    per_stage = deal_stages(deals, stage_events, config, as_of, journey=journey)
    per_stage = per_stage[["deal_id", "stage", "first_entered_at"]].rename(
        columns={"first_entered_at": "at"}
    )
    per_stage["stage"] = per_stage["stage"].astype(str)
    created = pd.Series(
        deals["created_at"].to_numpy(), index=deals["deal_id"].astype(str).to_numpy()
    )
    acts = None
    if activities is not None and len(activities):
        acts = activities[["deal_id", "at", "type"]].copy()
        acts["deal_id"] = acts["deal_id"].astype(str)
        acts["type"] = acts["type"].astype(str)
    rows = []
    for phase in [p for p in PHASES if p in config.phases]:
        spec = config.phases[phase]
        moments = [per_stage.loc[per_stage["stage"].isin(spec.stages), ["deal_id", "at"]]]
        n_activities, top = np.nan, ""
        if acts is not None:
            mine = acts[acts["type"].isin(spec.activity_types)]
            n_activities = len(mine)
            counts = mine["type"].value_counts()
            top = ", ".join(f"{t} ({n:,})" for t, n in counts.head(3).items())
            moments.append(mine[["deal_id", "at"]])
        moment = pd.concat(moments, ignore_index=True).dropna(subset=["at"])
        first = moment.groupby("deal_id", sort=False)["at"].min()
        days = (first - created.reindex(first.index).to_numpy()).dt.total_seconds() / 86400
        rows.append(
            {
                "phase": phase,
                "stages": ", ".join(spec.stages),
                "activity_types": ", ".join(spec.activity_types),
                "deals": int(first.size),
                "activities": n_activities,
                "median_days_from_created": float(days.median()) if len(days) else np.nan,
                "top_activity_types": top,
            }
        )
    return pd.DataFrame(rows)
