"""SLA compliance of handoffs: first contact within N hours, proposal review within N
business days, and any further "from event A to event B within T" the config adds;
breaches per owner. Part of step 3 (:mod:`playbook.steps.handoff`)."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

import numpy as np
import pandas as pd

from playbook.stats import (
    wilson_interval,
)
from playbook.steps.handoff.base import (
    _BIG,
    _SPECIAL_EVENTS,
    _deal_rows,
    _dt,
    _first,
    _type_in,
)
from playbook.steps.journey import OPEN, WON, JourneyData
from playbook.workspace.calendar import DAY_NS, NAT, BusinessClock, to_ns
from playbook.workspace.config import PilotConfig

# --- SLAs ------------------------------------------------------------------------------------

SLA_COLUMNS = [
    "sla",
    "deal_id",
    "owner_id",
    "team",
    "status",
    "amount",
    "start_at",
    "due_at",
    "end_at",
    "elapsed",
    "limit",
    "unit",
    "state",
    "overdue",
]
#: A breach list row: the SLA row led by its owner, without the state (always breached).
BREACH_COLUMNS = [
    "owner_id",
    "team",
    *(c for c in SLA_COLUMNS if c not in ("owner_id", "team", "state")),
]


@dataclass(frozen=True)
class _SlaWindow:
    """One SLA over the deals it applies to: when each deal's clock started, when the next
    step came (NAT if not yet) and until when it could still come (``horizon``)."""

    name: str
    rows: np.ndarray  # rows of ``contacts``
    start: np.ndarray
    end: np.ndarray
    horizon: np.ndarray
    limit_hours: float
    unit: str  # business_hours or business_days


def _sla_rows(
    w: _SlaWindow, clock: BusinessClock, contacts: pd.DataFrame, as_of_ns: int
) -> pd.DataFrame:
    """Per-deal SLA states for one SLA."""
    rows, start, end = w.rows, w.start, w.end
    done = end != NAT
    stop = np.where(done, end, np.maximum(w.horizon, start))
    elapsed_h = np.maximum(clock.hours_between(start, stop), 0.0)
    late = elapsed_h > w.limit_hours + 1e-9
    waiting = w.horizon >= as_of_ns
    state = np.where(
        done,
        np.where(late, "breached", "met"),
        np.where(late, "breached", np.where(waiting, "pending", "ended")),
    )
    status = contacts["status"].to_numpy()[rows]
    factor = clock.hours_per_day if w.unit == "business_days" else 1.0
    return pd.DataFrame(
        {
            "sla": w.name,
            "deal_id": contacts["deal_id"].to_numpy()[rows],
            "owner_id": contacts["owner_id"].to_numpy()[rows],
            "team": contacts["team"].to_numpy()[rows],
            "status": status,
            "amount": contacts["amount"].to_numpy()[rows],
            "start_at": _dt(start),
            "due_at": clock.add_hours(start, np.full(len(start), w.limit_hours)),
            "end_at": _dt(np.where(done, end, NAT)),
            "elapsed": elapsed_h / factor,
            "limit": w.limit_hours / factor,
            "unit": w.unit,
            "state": state,
            "overdue": (~done) & late & (status == "open"),
        }
    )


def _event_times(
    event: str,
    j: JourneyData,
    activities: pd.DataFrame | None,
    act_rows: np.ndarray | None,
    act_ns: np.ndarray | None,
    after: np.ndarray | None = None,
) -> np.ndarray:
    """First time of ``event`` per deal (at or after ``after`` when given); NAT if none."""
    D = j.n_deals
    lower = np.full(D, NAT, dtype=np.int64) if after is None else after
    if event in _SPECIAL_EVENTS:
        created = to_ns(j.deals["created_at"])
        closed = j.end_ns
        t = {
            "created": created,
            "won": np.where(j.status == WON, closed, NAT),
            "closed": np.where(j.status != OPEN, closed, NAT),
        }[event]
        return np.where((t != NAT) & (t >= lower), t, NAT)
    if event in j.stage_ids:
        k = j.stage_ids.index(event)
        sel = (j.v_stage == k) & (j.v_enter >= lower[j.v_deal])
        out = _first(j.v_deal[sel], j.v_enter[sel], D)
    else:
        sel = _type_in(activities["type"], [event]) & (act_rows >= 0) & (act_ns != NAT)
        sel &= act_ns >= lower[np.maximum(act_rows, 0)]
        out = _first(act_rows[sel], act_ns[sel], D)
    return np.where(out == _BIG, NAT, out)


def sla_events_known(
    config: PilotConfig, activities: pd.DataFrame | None
) -> list[tuple[str, str, str]]:
    """Custom SLAs naming an event that is no stage id, activity type or special event.

    Returns
    -------
    list of (sla name, event, known events) for each unknown event.
    """
    types: list[str] = []
    if activities is not None and "type" in activities:
        types = sorted({str(x).strip().lower() for x in pd.unique(activities["type"].dropna())})
    known = set(config.funnel.ids) | set(types) | set(_SPECIAL_EVENTS)
    listed = ", ".join([*_SPECIAL_EVENTS, *config.funnel.ids, *types])
    out = []
    for sla in config.sla.custom:
        for event in (sla.from_event, sla.to_event):
            if event.strip().lower() not in known and event not in known:
                out.append((sla.name, event, listed))
    return out


def _first_contact_window(
    contacts: pd.DataFrame, j: JourneyData, config: PilotConfig
) -> _SlaWindow:
    """Lead created → first real sales contact, every lead; open leads can still be
    contacted until ``as_of``, closed ones until their close."""
    created = to_ns(contacts["created_at"])
    first = to_ns(contacts["first_contact_at"])
    first = np.where(first != NAT, np.maximum(first, created), NAT)
    return _SlaWindow(
        name="first_contact",
        rows=np.arange(len(contacts)),
        start=created,
        end=first,
        horizon=np.where(j.status == OPEN, j.as_of.value, j.end_ns),
        limit_hours=config.sla.first_contact_hours,
        unit="business_hours",
    )


def _proposal_window(j: JourneyData, config: PilotConfig, clock: BusinessClock) -> _SlaWindow:
    """First entry to ``proposal`` → next stage or loss, the deals that visited proposal."""
    p = j.stage_ids.index("proposal")
    rows = np.flatnonzero(j.visits[:, p] > 0)
    start = j.first_enter[rows, p]
    decided = j.advanced[rows, p] | j.lost[rows, p]
    days = j.days[rows, p]
    end = np.where(
        decided & np.isfinite(days),
        start + (np.round(np.nan_to_num(days) * DAY_NS / 1000) * 1000).astype(np.int64),
        NAT,
    )
    return _SlaWindow(
        name="proposal_review",
        rows=rows,
        start=start,
        end=end,
        horizon=np.full(len(rows), j.as_of.value, dtype=np.int64),
        limit_hours=config.sla.proposal_review_business_days * clock.hours_per_day,
        unit="business_days",
    )


def _custom_windows(
    contacts: pd.DataFrame,
    j: JourneyData,
    config: PilotConfig,
    activities: pd.DataFrame | None,
) -> list[_SlaWindow]:
    """Each ``sla.custom`` whose events are known (and, for activity types, logged)."""
    as_of_ns = j.as_of.value
    open_ = j.status == OPEN
    closed = np.where(open_, NAT, j.end_ns)
    act_rows = act_ns = None
    if activities is not None:
        act_rows = _deal_rows(contacts["deal_id"], activities["deal_id"])
        act_ns = to_ns(activities["at"])
        act_ns = np.where(act_ns <= as_of_ns, act_ns, NAT)
    unknown = {(n, e) for n, e, _ in sla_events_known(config, activities)}
    windows = []
    for sla in config.sla.custom:
        events = [
            e if e in j.stage_ids else e.strip().lower() for e in (sla.from_event, sla.to_event)
        ]
        if (sla.name, sla.from_event) in unknown or (sla.name, sla.to_event) in unknown:
            continue
        if activities is None and any(
            e not in j.stage_ids and e not in _SPECIAL_EVENTS for e in events
        ):
            continue
        start_all = _event_times(events[0], j, activities, act_rows, act_ns)
        rows = np.flatnonzero(start_all != NAT)
        start = start_all[rows]
        end = _event_times(events[1], j, activities, act_rows, act_ns, after=start_all)[rows]
        after_close = (~open_[rows]) & (start >= closed[rows])
        horizon = np.where(open_[rows] | after_close, as_of_ns, closed[rows])
        windows.append(
            _SlaWindow(sla.name, rows, start, end, horizon, sla.within_hours, "business_hours")
        )
    return windows


def sla_status(
    contacts: pd.DataFrame,
    config: PilotConfig,
    journey: JourneyData,
    activities: pd.DataFrame | None = None,
) -> pd.DataFrame:
    """Every deal's state for every SLA in the config, in business time.

    * ``first_contact``: lead created → first real sales contact within
      ``sla.first_contact_hours`` business hours (needs ``contacts``);
    * ``proposal_review``: first entry to the ``proposal`` stage → next stage or loss within
      ``sla.proposal_review_business_days`` business days (deals that visited proposal);
    * each ``sla.custom``: first ``from_event`` → first ``to_event`` at or after it within
      ``within_hours`` business hours. Events are stage ids, activity types, or
      ``created`` / ``won`` / ``closed``; an unknown event skips that SLA (see
      :func:`sla_events_known`).

    Parameters
    ----------
    contacts : :func:`first_contacts` of ``journey.deals`` (row-aligned), or a frame with
        deal_id, owner_id, team, status, amount when activities are missing.
    journey : :func:`playbook.steps.journey.prepare` result (supplies ``as_of`` and stage visits).

    Returns
    -------
    DataFrame
        ``sla | deal_id | owner_id | team | status | amount | start_at | due_at | end_at |
        elapsed | limit | unit | state | overdue``; ``unit`` is business_hours or
        business_days, ``state`` met / breached / pending / ended.
    """
    j = journey
    clock = BusinessClock.from_config(config.calendar, config.timezone)
    if len(contacts) != j.n_deals or not np.array_equal(
        contacts["deal_id"].to_numpy(), j.deals["deal_id"].to_numpy()
    ):
        raise ValueError("contacts must be built on journey.deals (same deals, same order)")
    windows = []
    if "contacted" in contacts:
        windows.append(_first_contact_window(contacts, j, config))
    if "proposal" in j.stage_ids:
        windows.append(_proposal_window(j, config, clock))
    windows.extend(_custom_windows(contacts, j, config, activities))
    if not windows:
        return pd.DataFrame(columns=SLA_COLUMNS)
    frames = [_sla_rows(w, clock, contacts, j.as_of.value) for w in windows]
    out = pd.concat(frames, ignore_index=True)
    order = list(dict.fromkeys(out["sla"]))
    out["sla"] = pd.Categorical(out["sla"], categories=order)
    return out


def sla_compliance(sla: pd.DataFrame, by: str | Sequence[str] | None = None) -> pd.DataFrame:
    """SLA compliance (met / decided) with Wilson intervals, per SLA and slice.

    Returns
    -------
    DataFrame
        ``sla | <by> | limit | unit | n | met | breached | pending | overdue | compliance |
        ci_low | ci_high``; ``n`` = met + breached (pending and ended deals are not decided).
    """
    keys = ["sla", *([by] if isinstance(by, str) else list(by or []))]
    base = ["limit", "unit", "n", "met", "breached", "pending", "overdue", "compliance"]
    if not len(sla):
        return pd.DataFrame(columns=[*keys, *base, "ci_low", "ci_high"])
    # a flag per state, counted per slice like the overdue flag
    states = ("met", "breached", "pending")
    frame = sla.assign(**{state: sla["state"].eq(state) for state in states})
    counts = {flag: (flag, "sum") for flag in (*states, "overdue")}
    out = (
        frame.groupby(keys, observed=True, sort=True, dropna=True)
        .agg(limit=("limit", "first"), unit=("unit", "first"), **counts)
        .reset_index()
    )
    out["n"] = out["met"] + out["breached"]
    with np.errstate(invalid="ignore", divide="ignore"):
        out["compliance"] = np.where(out["n"] > 0, out["met"] / out["n"], np.nan)
    low, high = wilson_interval(out["met"].to_numpy(), out["n"].to_numpy())
    out["ci_low"], out["ci_high"] = low, high
    return out[[*keys, *base, "ci_low", "ci_high"]]


def breaches_by_owner(sla: pd.DataFrame) -> pd.DataFrame:
    """SLA breaches per owner, most breaches first within each SLA.

    Returns
    -------
    DataFrame
        ``sla | owner_id | team | n | breached | share | ci_low | ci_high | overdue``;
        ``share`` is the breach share of decided deals, with its Wilson interval.
    """
    columns = ["sla", "owner_id", "team", "n", "breached", "share", "ci_low", "ci_high", "overdue"]
    if not len(sla):
        return pd.DataFrame(columns=columns)
    c = sla_compliance(sla, ["owner_id"])
    team = sla.drop_duplicates("owner_id").set_index("owner_id")["team"]
    c["team"] = c["owner_id"].map(team).to_numpy()
    c["share"] = 1 - c["compliance"]
    c["ci_low"], c["ci_high"] = 1 - c["ci_high"], 1 - c["ci_low"]
    c = c[c["n"] > 0].sort_values(["sla", "breached", "owner_id"], ascending=[True, False, True])
    return c[columns].reset_index(drop=True)


def breach_list(sla: pd.DataFrame) -> pd.DataFrame:
    """Every SLA breach, by owner: the CSV for ``tables/`` (overdue ones are the alerts).

    Returns
    -------
    DataFrame
        Breached rows of :func:`sla_status`, sorted by owner, SLA and start:
        ``owner_id | team | sla | deal_id | status | amount | start_at | due_at | end_at |
        elapsed | limit | unit | overdue``.
    """
    if not len(sla):
        return pd.DataFrame(columns=BREACH_COLUMNS)
    out = sla[sla["state"] == "breached"]
    order = np.lexsort(
        (
            out["start_at"].to_numpy(),
            out["sla"].cat.codes.to_numpy(),
            out["owner_id"].astype(str).to_numpy(),
        )
    )
    return out.iloc[order][BREACH_COLUMNS].reset_index(drop=True)
