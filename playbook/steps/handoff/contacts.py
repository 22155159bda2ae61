"""First contacts and response times: when each deal was first touched after each handoff."""

from __future__ import annotations

from collections.abc import Sequence

import numpy as np
import pandas as pd

from playbook.stats import (
    cumulative_incidence,
    km_quantiles,
)
from playbook.steps.handoff.base import (
    _BIG,
    ATTEMPT_TYPES,
    CONTACT_TYPES,
    RESPONSE_DIMENSIONS,
    _aligned,
    _codes,
    _deal_rows,
    _dt,
    _first,
    _require,
    _sales_mask,
    _status,
    _type_in,
    deal_teams,
)
from playbook.steps.journey import OPEN, JourneyData
from playbook.steps.prepared import takes_pilot
from playbook.workspace.calendar import HOUR_NS, NAT, BusinessClock, to_ns
from playbook.workspace.config import PilotConfig


def deal_frame(
    deals: pd.DataFrame,
    config: PilotConfig,
    reps: pd.DataFrame | None = None,
    *,
    other_label: str = "other teams",
) -> pd.DataFrame:
    """The deal attributes every handoff view slices by.

    Returns
    -------
    DataFrame
        One row per deal, in ``deals`` order: ``deal_id | owner_id | team | <config.dimensions
        present in deals> | month (of creation, YYYY-MM) | status | amount | created_at``.
        ``team`` is the owner's team from ``reps``, teams with fewer than
        ``config.min_group_size`` reps pooled into ``other_label``.
    """
    _require(deals, ["deal_id", "created_at", "owner_id", "status"], "deals")
    created = to_ns(deals["created_at"])
    out = pd.DataFrame(
        {
            "deal_id": deals["deal_id"].to_numpy(),
            "owner_id": deals["owner_id"].to_numpy(),
            "team": deal_teams(deals["owner_id"], reps, config.min_group_size, other_label)
            .astype("category")
            .to_numpy(),
        }
    )
    for col in config.dimensions:
        if col in deals.columns and col not in out.columns:
            out[col] = deals[col].to_numpy()
    month = _dt(created).astype("datetime64[M]")
    missing = np.isnat(month)
    uniq, inv = np.unique(month[~missing], return_inverse=True)
    codes = np.full(len(month), -1, dtype=np.int64)
    codes[~missing] = inv
    out["month"] = pd.Categorical.from_codes(codes, categories=np.datetime_as_string(uniq))
    out["status"] = pd.Categorical.from_codes(_status(deals), categories=["open", "won", "lost"])
    out["amount"] = deals["amount"].to_numpy(dtype=float) if "amount" in deals else np.nan
    out["created_at"] = _dt(created)
    return out


@takes_pilot
def first_contacts(
    deals: pd.DataFrame,
    activities: pd.DataFrame,
    config: PilotConfig,
    reps: pd.DataFrame | None = None,
    *,
    as_of=None,
    contact_types: Sequence[str] = CONTACT_TYPES,
    attempt_types: Sequence[str] = ATTEMPT_TYPES,
    other_label: str = "other teams",
    journey: JourneyData | None = None,
) -> pd.DataFrame:
    """Lead created → first real sales contact, per deal, in clock and business hours.

    Parameters
    ----------
    deals, activities : canonical frames (activities: deal_id, at, type, team, actor_id).
    config : supplies the working calendar, time zone and ``min_group_size`` (team pooling).
    reps : rep_id → team; optional (no team view without it).
    as_of : analysis date; default the latest timestamp in deals and activities.
    contact_types, attempt_types : activity types that count as contact / attempt.
    other_label : name of the pool of teams with fewer than ``min_group_size`` reps.
    journey : :func:`playbook.steps.journey.prepare` of the same deals (same order), optional.
        When given, a lead that moved past the first stage before any logged sales contact
        counts as contacted when it moved (it was worked; the call was not logged) and is
        flagged ``contact_inferred``.

    Returns
    -------
    DataFrame
        :func:`deal_frame` columns, then ``first_contact_at | first_attempt_at | attempts |
        contacted | contact_before_created | contact_inferred | hours | business_hours``.
        ``attempts`` counts sales attempts before the first contact (all of them when there
        is none).
        ``hours`` / ``business_hours`` run to the first contact when ``contacted``, else to
        the censoring time (the close, or ``as_of`` for open deals).
    """
    _require(activities, ["deal_id", "at", "type"], "activities")
    out = deal_frame(deals, config, reps, other_label=other_label)
    clock = BusinessClock.from_config(config.calendar, config.timezone)
    D = len(deals)
    created = to_ns(deals["created_at"])
    closed = to_ns(deals["closed_at"]) if "closed_at" in deals else np.full(D, NAT)
    status = _status(deals)
    if as_of is None:
        parts = [created, closed, to_ns(activities["at"])]
        as_of_ns = int(max(p.max(initial=NAT) for p in parts))
    else:
        as_of_ns = pd.Timestamp(as_of).value

    idx = _deal_rows(deals["deal_id"], activities["deal_id"])
    at = to_ns(activities["at"])
    valid = (idx >= 0) & (at != NAT) & (at <= as_of_ns)
    sales = valid & _sales_mask(activities, reps)
    contact = sales & _type_in(activities["type"], contact_types)
    attempt = sales & _type_in(activities["type"], attempt_types)
    first = _first(idx[contact], at[contact], D)
    inferred = np.zeros(D, dtype=bool)
    if journey is not None:
        _aligned(out, journey)
        later = journey.v_stage > 0
        moved = _first(journey.v_deal[later], journey.v_enter[later], D)
        inferred = (moved != _BIG) & (moved < first)
        first = np.where(inferred, moved, first)
    contacted = first != _BIG
    first_attempt = _first(idx[attempt], at[attempt], D)
    before_contact = attempt & (at < first[np.maximum(idx, 0)])
    attempts = np.bincount(idx[before_contact], minlength=D)

    horizon = np.where((status == OPEN) | (closed == NAT), as_of_ns, closed)
    end = np.where(contacted, np.maximum(first, created), np.maximum(horizon, created))
    out["first_contact_at"] = _dt(np.where(contacted, first, NAT))
    out["first_attempt_at"] = _dt(np.where(first_attempt != _BIG, first_attempt, NAT))
    out["attempts"] = attempts.astype(np.int64)
    out["contacted"] = contacted
    out["contact_before_created"] = contacted & (first < created) & ~inferred
    out["contact_inferred"] = inferred
    out["hours"] = (end - created) / HOUR_NS
    out["business_hours"] = np.maximum(clock.hours_between(created, end), 0.0)
    return out


def _group_frame(contacts: pd.DataFrame, dim: str) -> tuple[np.ndarray, pd.Index]:
    if dim not in contacts.columns:
        raise ValueError(
            f"cannot slice by {dim!r}: contacts has no such column; "
            f"choose from {', '.join(map(str, contacts.columns))}"
        )
    return _codes(contacts[dim])


def response_times(contacts: pd.DataFrame, by: Sequence[str] = RESPONSE_DIMENSIONS) -> pd.DataFrame:
    """Distribution of time to first contact per slice (Kaplan–Meier: no-contact leads censored).

    Parameters
    ----------
    contacts : :func:`first_contacts` result.
    by : columns to slice by (e.g. team, source, owner_id, month); a missing one is skipped.

    Returns
    -------
    DataFrame
        ``dimension | value | leads | contacted | attempts_per_lead | median_hours |
        p90_hours | median_business_hours | p90_business_hours``; medians and p90 are NaN
        when too few leads were contacted to reach that quantile.
    """
    frames = []
    for dim in by:
        if dim not in contacts.columns or contacts[dim].isna().all():
            continue
        codes, uniques = _group_frame(contacts, dim)
        G = len(uniques)
        keep = codes >= 0
        ev = contacts["contacted"].to_numpy()[keep]
        g = codes[keep]
        qh = km_quantiles(contacts["hours"].to_numpy()[keep], ev, g, G, (0.5, 0.9))
        qb = km_quantiles(contacts["business_hours"].to_numpy()[keep], ev, g, G, (0.5, 0.9))
        leads = np.bincount(g, minlength=G)
        frames.append(
            pd.DataFrame(
                {
                    "dimension": dim,
                    "value": uniques.astype(str),
                    "leads": leads,
                    "contacted": np.bincount(g, weights=ev, minlength=G).astype(np.int64),
                    "attempts_per_lead": np.bincount(
                        g, weights=contacts["attempts"].to_numpy()[keep], minlength=G
                    )
                    / np.maximum(leads, 1),
                    "median_hours": qh[:, 0],
                    "p90_hours": qh[:, 1],
                    "median_business_hours": qb[:, 0],
                    "p90_business_hours": qb[:, 1],
                }
            )
        )
    columns = [
        "dimension",
        "value",
        "leads",
        "contacted",
        "attempts_per_lead",
        "median_hours",
        "p90_hours",
        "median_business_hours",
        "p90_business_hours",
    ]
    return pd.concat(frames, ignore_index=True) if frames else pd.DataFrame(columns=columns)


def contact_curves(
    contacts: pd.DataFrame, by: str = "team", grid: Sequence[float] | None = None
) -> pd.DataFrame:
    """Share of leads contacted within t business hours, per slice (1 − Kaplan–Meier).

    Parameters
    ----------
    grid : business hours at which to evaluate; default 0 .. a little past the slowest
        group's 90th percentile, in 100 steps.

    Returns
    -------
    DataFrame
        ``group | leads | hours | share`` (long form, one row per group and grid point).
    """
    columns = ["group", "leads", "hours", "share"]
    if by not in contacts.columns or not len(contacts) or contacts[by].isna().all():
        return pd.DataFrame(columns=columns)
    codes, uniques = _group_frame(contacts, by)
    keep = codes >= 0
    time = contacts["business_hours"].to_numpy()[keep]
    event = contacts["contacted"].to_numpy()[keep].astype(np.int64)
    G = len(uniques)
    if grid is None:
        p90 = km_quantiles(time, event.astype(bool), codes[keep], G, q=(0.9,))[:, 0]
        top = np.nanmax(p90) if np.isfinite(p90).any() else np.nanmax(time, initial=1.0)
        grid = np.linspace(0.0, max(1.1 * top, 1.0), 101)
    grid = np.asarray(grid, dtype=float)
    ci = cumulative_incidence(time, event, codes[keep], G, grid)
    leads = np.bincount(codes[keep], minlength=G)
    return pd.DataFrame(
        {
            "group": np.repeat(uniques.astype(str), len(grid)),
            "leads": np.repeat(leads, len(grid)),
            "hours": np.tile(grid, G),
            "share": ci[:, :, 1].ravel(),
        }
    )
