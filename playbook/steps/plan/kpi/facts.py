"""Step 5's per-deal facts: one row per deal with everything the KPIs aggregate.

Response times run on the business-hours clock of ``config.calendar`` (:func:`business_hours`),
first contact follows the rules of step 3 (:mod:`playbook.steps.handoff`).
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

import numpy as np
import pandas as pd

from playbook.steps.intake import deal_completeness
from playbook.steps.intake.headline import data_as_of
from playbook.steps.plan.kpi.metrics import CONTACT_TYPES, MEETING_TYPES
from playbook.steps.prepared import takes_pilot
from playbook.workspace.calendar import NAT
from playbook.workspace.config import PilotConfig

#: Facts read from the customer outcomes table (NaN without it).
OUTCOME_COLUMNS = ("renewal_due", "renewed_n", "nps", "complaints", "on_time", "go_live_known")

# --- the business-hours clock ------------------------------------------------------------------


def _ns(values) -> np.ndarray:
    arr = np.asarray(values)
    if np.issubdtype(arr.dtype, np.datetime64):
        return arr.astype("datetime64[ns]").view(np.int64)
    s = pd.to_datetime(pd.Series(values), errors="coerce")
    if getattr(s.dt, "tz", None) is not None:
        s = s.dt.tz_localize(None)
    return s.to_numpy(dtype="datetime64[ns]").view(np.int64)


def business_hours(start, end, calendar=None) -> np.ndarray:
    """Working hours between two times on the pilot's business clock.

    Parameters
    ----------
    start, end : array-like of datetime
        Naive local times (or tz-aware, taken as local); NaT gives NaN.
    calendar : WorkingCalendar, optional
        ``config.calendar``: ``workdays`` (Monday = 0), ``start_hour``, ``end_hour``,
        ``holidays`` and ``extra_workdays`` (ISO dates). Default Monday–Friday 9–18.

    Returns
    -------
    ndarray of float
        Hours of ``end`` minus hours of ``start`` on the clock that only runs in
        office hours of working days; negative when ``end`` precedes ``start``.
    """
    from playbook.workspace.calendar import BusinessClock
    from playbook.workspace.config import WorkingCalendar

    # One business clock for the whole package (step 3 uses the same one).
    clock = BusinessClock.from_config(calendar if calendar is not None else WorkingCalendar())
    return np.asarray(clock.hours_between(start, end), dtype=float)


# --- per-deal facts -----------------------------------------------------------------------------


def _rep_attribute(owner: pd.Series, reps: pd.DataFrame | None, column: str) -> np.ndarray:
    if reps is None or column not in reps.columns:
        return np.full(len(owner), "unknown", dtype=object)
    mapping = dict(zip(reps["rep_id"].astype(str), reps[column].astype(object), strict=False))
    return owner.astype(str).map(mapping).fillna("unknown").astype(str).to_numpy(dtype=object)


@takes_pilot
def deal_facts(
    deals: pd.DataFrame,
    config: PilotConfig,
    *,
    stage_events: pd.DataFrame | None = None,
    activities: pd.DataFrame | None = None,
    outcomes: pd.DataFrame | None = None,
    reps: pd.DataFrame | None = None,
    as_of=None,
    contact_types: Sequence[str] = CONTACT_TYPES,
    meeting_types: Sequence[str] = MEETING_TYPES,
    expected_won: pd.Series | np.ndarray | None = None,
) -> pd.DataFrame:
    """One row per deal with every fact the KPIs aggregate.

    First contact is the first activity of a ``contact_types`` type by the sales
    team (``team == "sales"``; by the deal's owner when there is no team column), or the
    deal's first move past the first stage when that came earlier (someone must have
    talked to the lead); a contact logged before creation counts as immediate. Its delay
    runs on the business clock. These are the rules of step 3 (:mod:`playbook.steps.handoff`).
    A deal without contact misses the SLA once more business hours than the SLA have
    passed (to its close, or ``as_of`` when open); before that it is not yet known
    (``sla_known`` False). Record completeness follows
    :func:`playbook.steps.intake.deal_completeness`.

    Parameters
    ----------
    deals : DataFrame
        Canonical deals.
    config : PilotConfig
        Supplies ``sla.first_contact_hours`` and the business calendar.
    stage_events, activities, outcomes, reps : DataFrame, optional
        Canonical tables; facts that need a missing table are NaN.
    as_of : datetime-like, optional
        Analysis time; default the latest timestamp in deals and activities.
    contact_types, meeting_types : sequence of str
        Activity types counted as a real contact and as a customer meeting.
    expected_won : Series or ndarray, optional
        Each deal's expected chance to be won from its mix
        (:func:`playbook.steps.adjust.expected_wins`),
        indexed by deal id, or an array in the order of ``deals``: the win rate of a rep or
        team can then be read against what the company wins on the same deals.

    Returns
    -------
    DataFrame
        ``deal_id | owner_id | team | role | created_at | status | resolved | won |
        amount | won_amount | won_amount_known | open_amount | is_open | first_contact_at |
        first_contact_hours | elapsed_hours | sla_met | sla_known | sales_activities |
        meetings | filled | applicable | renewal_due | renewed_n | nps | complaints |
        on_time | go_live_known | expected_won``. Booleans used as rate
        numerators/denominators are 0/1 floats; unknown facts are NaN (``expected_won``
        on open deals and without ``expected_won``).
    """
    as_of_ts = (
        pd.Timestamp(as_of) if as_of is not None else data_as_of(deals, activities=activities)
    )
    out = _deal_results(deals, reps)
    status = out["status"].to_numpy()
    expected = _expected_wins(expected_won, out["deal_id"], np.isin(status, ["won", "lost"]))
    contact = _sales_contact(
        out, activities, stage_events, config, as_of_ts, contact_types, meeting_types
    )
    first_contact = _first_contact(out, deals, contact, config, as_of_ts, activities is not None)
    out = out.assign(**first_contact)
    out["sales_activities"] = contact.activities
    out["meetings"] = contact.meetings
    if stage_events is not None:
        comp = deal_completeness(deals, stage_events, activities)
        out["filled"] = comp["filled"].to_numpy(dtype=float)
        out["applicable"] = comp["applicable"].to_numpy(dtype=float)
    else:
        out["filled"] = np.nan
        out["applicable"] = np.nan
    out = out.assign(**_outcome_facts(out["deal_id"], outcomes, status == "won"))
    out["expected_won"] = expected
    return out


def _deal_results(deals: pd.DataFrame, reps: pd.DataFrame | None) -> pd.DataFrame:
    """Who owns each deal, how it ended and what it is worth."""
    n = len(deals)
    owner = deals["owner_id"].astype(str)
    status = deals["status"].astype(str).to_numpy()
    won = status == "won"
    resolved = np.isin(status, ["won", "lost"])
    amount = deals["amount"].to_numpy(dtype=float) if "amount" in deals else np.full(n, np.nan)
    # Without any amount, revenue KPIs are unknown (NaN, left out), never a sum of zeros.
    no_amounts = 0.0 if np.isfinite(amount).any() else np.nan
    return pd.DataFrame(
        {
            "deal_id": deals["deal_id"].astype(str).to_numpy(),
            "owner_id": owner.to_numpy(dtype=object),
            "team": _rep_attribute(owner, reps, "team"),
            "role": _rep_attribute(owner, reps, "role"),
            "created_at": deals["created_at"].to_numpy(),
            "status": status,
            "resolved": resolved.astype(float),
            "won": won.astype(float),
            "amount": amount,
            "won_amount": np.where(won, np.nan_to_num(amount), no_amounts) + no_amounts,
            "won_amount_known": np.where(won, amount, np.nan),
            "open_amount": np.where(status == "open", np.nan_to_num(amount), 0.0) + no_amounts,
            "is_open": (status == "open").astype(float),
        }
    )


def _expected_wins(expected_won, deal_ids: pd.Series, resolved: np.ndarray) -> np.ndarray:
    """Each resolved deal's expected chance to be won (NaN on open deals and without one)."""
    n = len(deal_ids)
    expected = np.full(n, np.nan)
    if isinstance(expected_won, pd.Series):
        expected = expected_won.reindex(deal_ids).to_numpy(dtype=float)
    elif expected_won is not None:
        expected = np.asarray(expected_won, dtype=float)
        if len(expected) != n:
            raise ValueError(f"expected_won holds {len(expected)} values for {n} deals")
    return np.where(resolved, expected, np.nan)


@dataclass(frozen=True)
class _SalesContact:
    """Per deal: the first real sales contact (ns, :data:`NAT` without one) and the counts of
    sales activities and customer meetings (NaN without an activities table)."""

    first: np.ndarray
    activities: np.ndarray
    meetings: np.ndarray


def _sales_contact(
    out: pd.DataFrame,
    activities: pd.DataFrame | None,
    stage_events: pd.DataFrame | None,
    config: PilotConfig,
    as_of_ts: pd.Timestamp,
    contact_types: Sequence[str],
    meeting_types: Sequence[str],
) -> _SalesContact:
    n = len(out)
    first = np.full(n, NAT)
    if activities is None:
        return _SalesContact(first, np.full(n, np.nan), np.full(n, np.nan))
    row = pd.Index(out["deal_id"]).get_indexer(activities["deal_id"].astype(str))
    types = text_values(activities["type"])
    sel = (row >= 0) & _by_sales_team(activities, out["owner_id"].to_numpy(), row)
    sales_acts = np.bincount(row[sel], minlength=n).astype(float)
    meet = sel & np.isin(types, list(meeting_types))
    meetings = np.bincount(row[meet], minlength=n).astype(float)
    at = _ns(activities["at"])
    contact = sel & np.isin(types, list(contact_types)) & (at <= as_of_ts.value)
    if contact.any():
        frame = pd.DataFrame({"row": row[contact], "at": at[contact]})
        earliest = frame.groupby("row")["at"].min()
        first[earliest.index.to_numpy()] = earliest.to_numpy()
    if stage_events is not None and len(stage_events):
        _move_past_first_stage(first, out["deal_id"], stage_events, config)
    created_ns = _ns(out["created_at"])
    # a contact logged before creation counts as immediate
    first = np.where(first != NAT, np.maximum(first, created_ns), first)
    return _SalesContact(first, sales_acts, meetings)


def text_values(values: pd.Series) -> np.ndarray:
    """``values.astype(str).to_numpy()``, worked out once per category when the column is
    categorical: an activity table has millions of rows and a handful of types or teams."""
    if isinstance(values.dtype, pd.CategoricalDtype):
        labels = values.cat.categories.astype(str).to_numpy(dtype=object)
        return np.append(labels, "nan")[values.cat.codes.to_numpy()]  # code -1: missing
    return values.astype(str).to_numpy()


def _by_sales_team(activities: pd.DataFrame, owners: np.ndarray, row: np.ndarray) -> np.ndarray:
    """Activities by the sales team (by the deal's owner when there is no team column)."""
    if "team" in activities.columns:
        return text_values(activities["team"]) == "sales"
    if "actor_id" in activities.columns:
        return text_values(activities["actor_id"]) == owners[np.maximum(row, 0)]
    return np.ones(len(activities), dtype=bool)


def _move_past_first_stage(
    first: np.ndarray, deal_ids: pd.Series, stage_events: pd.DataFrame, config: PilotConfig
) -> None:
    """Set ``first`` (in place) to the deal's first move past the first stage where that
    came before any logged contact: someone must have talked to the lead."""
    first_stage = config.funnel.ids[0]
    later = stage_events[text_values(stage_events["stage"]) != first_stage]
    srow = pd.Index(deal_ids).get_indexer(later["deal_id"].astype(str))
    moved = pd.Series(_ns(later["entered_at"])[srow >= 0]).groupby(srow[srow >= 0]).min()
    idx = moved.index.to_numpy()
    cur = first[idx]
    first[idx] = np.where((cur == NAT) | (moved.to_numpy() < cur), moved.to_numpy(), cur)


def _first_contact(
    out: pd.DataFrame,
    deals: pd.DataFrame,
    contact: _SalesContact,
    config: PilotConfig,
    as_of_ts: pd.Timestamp,
    has_activities: bool,
) -> dict[str, object]:
    """First contact, its delay, the time the deal has had, and the first-contact SLA.

    Without contact the SLA is missed once more business hours than the SLA have passed
    (to the close, or ``as_of`` when open); before that it is not yet known."""
    has_contact = contact.first != NAT
    first_at = pd.Series(contact.first).where(has_contact).astype("float64")
    first_dt = pd.to_datetime(first_at.to_numpy(dtype="float64"), unit="ns")
    hours = np.where(
        has_contact, business_hours(out["created_at"], first_dt, config.calendar), np.nan
    )
    n = len(out)
    status = out["status"].to_numpy()
    closed = deals["closed_at"].to_numpy() if "closed_at" in deals else np.full(n, np.nan)
    end = pd.Series(pd.to_datetime(closed)).where(status != "open", as_of_ts)
    end = end.fillna(as_of_ts)
    elapsed = business_hours(out["created_at"], end, config.calendar)
    columns: dict[str, object] = {
        "first_contact_at": first_dt,
        "first_contact_hours": hours,
        "elapsed_hours": elapsed,
        "sla_met": np.nan,
        "sla_known": np.nan,
    }
    if has_activities:
        sla = float(config.sla.first_contact_hours)
        met = has_contact & (hours <= sla)
        missed = (has_contact & ~met) | (~has_contact & (elapsed > sla))
        columns["sla_met"] = met.astype(float)
        columns["sla_known"] = (met | missed).astype(float)
    return columns


def _outcome_facts(
    deal_ids: pd.Series, outcomes: pd.DataFrame | None, won: np.ndarray
) -> dict[str, object]:
    """Renewal, NPS, complaints and on-time go-live of the won deals' customers."""
    columns: dict[str, object] = dict.fromkeys(OUTCOME_COLUMNS, np.nan)
    if outcomes is None:
        return columns
    if not len(outcomes):
        columns.update(dict.fromkeys(("renewal_due", "renewed_n", "go_live_known", "on_time"), 0.0))
        return columns
    oc = outcomes.drop_duplicates("deal_id", keep="last")
    oc = oc.set_index(oc["deal_id"].astype(str))
    idx = oc.index.get_indexer(deal_ids)
    hit = idx >= 0

    def take(column: str) -> np.ndarray:
        if column not in oc.columns:
            return np.full(len(deal_ids), np.nan)
        values = pd.array(oc[column]).astype("Float64").to_numpy(dtype=float, na_value=np.nan)
        return np.where(hit, values[np.maximum(idx, 0)], np.nan)

    renewed = take("renewed")
    delayed = take("delayed")
    columns.update(
        renewal_due=np.where(hit & won, (~np.isnan(renewed)).astype(float), 0.0),
        renewed_n=np.where(hit & won, np.nan_to_num(renewed), 0.0),
        nps=take("nps"),
        complaints=np.where(won, take("complaints"), np.nan),
        go_live_known=np.where(hit & won, (~np.isnan(delayed)).astype(float), 0.0),
        on_time=np.where(hit & won, np.nan_to_num(1.0 - delayed), 0.0),
    )
    return columns
