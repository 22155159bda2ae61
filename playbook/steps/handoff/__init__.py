"""Step 3, handoffs and SLAs: marketing → sales → customer success.

Conversion is often lost between teams: leads wait days for a first call, proposal
reviews stall, customer success arrives after the signature. This module measures
those handoffs. The rules, applied the same way everywhere:

* **Analysis date** (``as_of``): the latest timestamp in deals, stage events and
  activities, unless given. Open deals are censored there, never failures.
* **First real sales contact**: the earliest activity of a contact type (call,
  meeting, demo) by the sales team (``team == "sales"``; where the team is missing,
  an actor listed in ``reps``). A missed call (``call_attempt``) is not a contact:
  attempts are counted separately. A contact logged before the lead was created
  counts as immediate (0 hours) and is flagged ``contact_before_created``. A lead
  that moved past the first stage before any logged contact was worked, so it counts
  as contacted when it moved (``contact_inferred``; left out where its real response
  time matters). A lead without contact is censored at its close or at ``as_of``.
* **Clocks**: ``hours`` is wall-clock time; ``business_hours`` follows the working
  calendar of ``pilot.yml`` (:class:`playbook.workspace.calendar.BusinessClock`: working week,
  office hours, holidays, make-up days 调休). SLAs are measured in business time;
  a business day is one day of office hours.
* **SLA states**: *met* (the next step came within the limit), *breached* (it came
  late, or has not come and the limit has passed), *pending* (not yet, still within
  the limit) and *ended* (the deal closed within the limit without the step).
  Compliance = met / (met + breached), with a Wilson interval; pending and ended
  deals are left out. An *overdue* breach is one on an open deal still waiting:
  those become alerts.
* **Credible differences**: slices (team, source, rep) are compared with the rest
  of the company by one-sided tests with Benjamini–Hochberg adjustment across all
  slices compared, as for stage-rate bottlenecks (:mod:`playbook.steps.stages`). Time to
  first contact uses a log-rank test (censoring-aware) computed for every slice in
  one pass (:func:`logrank_vs_rest`).
* **Teams** come from ``reps``; teams with fewer than ``min_group_size`` reps are
  pooled, so no team figure describes fewer people than that.

Every function is pure (frames in, frames out). :func:`analyse` runs the whole step
once and returns a :class:`HandoffAnalysis` for the notebook.
"""

from __future__ import annotations

import logging
from collections.abc import Sequence
from dataclasses import dataclass, field

import numpy as np
import pandas as pd

from playbook.findings import Finding, rank
from playbook.stats import (
    cumulative_incidence,
    km_quantiles,
    wilson_interval,
)
from playbook.steps.adjust import fit_mix_model
from playbook.steps.handoff.base import (
    _BIG,
    ATTEMPT_TYPES,
    CONTACT_TYPES,
    KICKOFF_TYPES,
    RESPONSE_DIMENSIONS,
    _aligned,
    _codes,
    _deal_rows,
    _downstream,
    _dt,
    _first,
    _language,
    _last,
    _num,
    _pct,
    _require,
    _sales_mask,
    _status,
    _t,
    _type_in,
    analysis_date,
    deal_teams,
    safe_teams,
)
from playbook.steps.handoff.customer_success import cs_handoff, cs_view
from playbook.steps.handoff.findings import (
    SLICE_COLUMNS,
    find_sleeping_leads,
    find_slow_handoffs,
    logrank_vs_rest,
    slow_handoff_tests,
)
from playbook.steps.handoff.sla import (
    breach_list,
    breaches_by_owner,
    sla_compliance,
    sla_events_known,
    sla_status,
)
from playbook.steps.journey import OPEN, WON, JourneyData, resolve
from playbook.workspace.calendar import DAY_NS, HOUR_NS, NAT, BusinessClock, to_ns
from playbook.workspace.config import PilotConfig

logger = logging.getLogger(__name__)

__all__ = [
    "CONTACT_TYPES",
    "ATTEMPT_TYPES",
    "KICKOFF_TYPES",
    "HandoffAnalysis",
    "analysis_date",
    "deal_teams",
    "safe_teams",
    "deal_frame",
    "first_contacts",
    "response_times",
    "contact_curves",
    "sla_events_known",
    "sla_status",
    "sla_compliance",
    "breaches_by_owner",
    "breach_list",
    "sleeping_leads",
    "sleeping_rates",
    "sleeping_list",
    "conversion_by_response",
    "late_contact_cost",
    "source_reach",
    "cs_handoff",
    "cs_view",
    "logrank_vs_rest",
    "slow_handoff_tests",
    "find_slow_handoffs",
    "find_sleeping_leads",
    "alerts",
    "findings_table",
    "localise_values",
    "analyse",
]


# --- first contact ---------------------------------------------------------------------------


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


# --- sleeping leads --------------------------------------------------------------------------


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


# --- what slowness costs ---------------------------------------------------------------------


def _inferred(contacts: pd.DataFrame) -> np.ndarray:
    if "contact_inferred" in contacts:
        return contacts["contact_inferred"].to_numpy(dtype=bool)
    return np.zeros(len(contacts), dtype=bool)


def _bucket_labels(edges: np.ndarray) -> list[str]:
    def f(x: float) -> str:
        return f"{x:g}"

    labels = [f"<{f(edges[1])}"]
    labels += [f"{f(a)}–{f(b)}" for a, b in zip(edges[1:-1], edges[2:], strict=True)]
    return [*labels, f"≥{f(edges[-1])}", "none"]


def conversion_by_response(
    contacts: pd.DataFrame,
    journey: JourneyData,
    config: PilotConfig,
    *,
    edges: Sequence[float] | None = None,
) -> pd.DataFrame:
    """Lead conversion by business hours to first contact, with Wilson intervals.

    Conversion is censoring-aware: ``rate`` = advanced past the first stage / deals whose
    outcome there is known (advanced, lost, or open longer than the stage's
    ``window_days``); ``win_rate`` = won / resolved (won or lost) deals. Leads whose contact
    time is inferred (``contact_inferred``: they moved on before any logged contact) are
    left out: their real response time is unknown and they advanced by definition.

    Parameters
    ----------
    edges : bucket edges in business hours; default 0, 1, 4 hours, 1, 3, 5 business days.

    Returns
    -------
    DataFrame
        ``bucket | lo_hours | hi_hours | leads | n | advanced | rate | ci_low | ci_high |
        resolved | won | win_rate | win_ci_low | win_ci_high``; the last bucket, ``none``,
        holds leads without any recorded sales contact.
    """
    _aligned(contacts, journey)
    j = journey
    if edges is None:
        hpd = BusinessClock.from_config(config.calendar).hours_per_day
        edges = (0.0, 1.0, 4.0, hpd, 3 * hpd, 5 * hpd)
    e = np.asarray(edges, dtype=float)
    B = len(e)
    contacted = contacts["contacted"].to_numpy()
    time = contacts["business_hours"].to_numpy()
    code = np.where(contacted, np.searchsorted(e[1:], time, side="right"), B)
    keep = ~_inferred(contacts)
    code = code[keep]
    adv = j.advanced[keep, 0]
    mat = j.mature[keep, 0]
    won = j.status[keep] == WON
    resolved = j.status[keep] != OPEN

    def count(mask: np.ndarray) -> np.ndarray:
        return np.bincount(code, weights=mask.astype(float), minlength=B + 1).astype(np.int64)

    n, a, r, w = count(mat), count(adv & mat), count(resolved), count(won)
    low, high = wilson_interval(a, n)
    wlow, whigh = wilson_interval(w, r)
    with np.errstate(invalid="ignore", divide="ignore"):
        out = pd.DataFrame(
            {
                "bucket": pd.Categorical(_bucket_labels(e), categories=_bucket_labels(e)),
                "lo_hours": np.r_[e, np.nan],
                "hi_hours": np.r_[e[1:], np.inf, np.nan],
                "leads": np.bincount(code, minlength=B + 1),
                "n": n,
                "advanced": a,
                "rate": np.where(n > 0, a / n, np.nan),
                "ci_low": low,
                "ci_high": high,
                "resolved": r,
                "won": w,
                "win_rate": np.where(r > 0, w / r, np.nan),
                "win_ci_low": wlow,
                "win_ci_high": whigh,
            }
        )
    return out


def late_contact_cost(
    contacts: pd.DataFrame, journey: JourneyData, config: PilotConfig
) -> dict[str, float]:
    """Leads (and revenue) lost because first contact came after the SLA.

    Compares the lead conversion of leads contacted within ``sla.first_contact_hours``
    business hours with that of leads contacted later or not yet after that long; the
    shortfall times the late leads is the number of leads lost, valued at the company's
    conversion from the next stage to won times the average won amount. Descriptive: slow
    and fast leads may differ in other ways too. Inferred contacts are left out.

    Returns
    -------
    dict
        ``within_n, within_rate, late_n, late_rate, lost_leads, lost_won, lost_amount,
        downstream, avg_amount`` (NaN where a group is empty; ``lost_amount`` NaN when the
        data has no amounts, ``lost_won`` the won deals the lost leads stand for).
    """
    _aligned(contacts, journey)
    j = journey
    sla = config.sla.first_contact_hours
    time = contacts["business_hours"].to_numpy()
    contacted = contacts["contacted"].to_numpy()
    mat = j.mature[:, 0] & ~_inferred(contacts)
    adv = j.advanced[:, 0] & mat
    within = contacted & (time <= sla) & mat
    late = (time > sla) & mat
    wn, ln = int(within.sum()), int(late.sum())
    wr = adv[within].sum() / wn if wn else np.nan
    lr = adv[late].sum() / ln if ln else np.nan
    down, avg = _downstream(j)
    lost = max(wr - lr, 0.0) * ln if wn and ln else np.nan
    amounts = (
        j.deals["amount"][j.status == WON] if "amount" in j.deals else pd.Series([], dtype=float)
    )
    value = avg if amounts.notna().any() else np.nan  # no amount known: not worth "1" each
    return {
        "within_n": wn,
        "within_rate": float(wr),
        "late_n": ln,
        "late_rate": float(lr),
        "lost_leads": float(lost),
        "lost_won": float(lost * down),
        "lost_amount": float(lost * down * value),
        "downstream": down,
        "avg_amount": avg,
    }


# --- lead quality back to marketing ----------------------------------------------------------


def source_reach(journey: JourneyData, by: str = "source") -> pd.DataFrame:
    """How far each source's leads get: share reaching each later stage, with intervals.

    Censoring-aware by windows: for stage k a lead counts when it reached k, is closed, or
    is older than the sum of ``window_days`` of the stages before k (time enough to get
    there); younger open leads are left out of that stage's denominator.

    Returns
    -------
    DataFrame
        ``<by> | stage | leads | n | reached | share | ci_low | ci_high``, stages after the
        first; ``stage`` is the stage id.
    """
    j = journey
    columns = [by, "stage", "leads", "n", "reached", "share", "ci_low", "ci_high"]
    if by not in j.deals.columns or j.deals[by].isna().all():
        return pd.DataFrame(columns=columns)
    codes, uniques = _codes(j.deals[by])
    keep = codes >= 0
    G, K = len(uniques), j.n_stages
    age = (j.as_of.value - j.start_ns) / DAY_NS
    need = np.r_[0.0, np.cumsum(j.windows)[:-1]]
    frames = []
    for k in range(1, K):
        reached = j.entered[:, k] & keep
        eligible = (reached | (j.status != OPEN) | (age >= need[k])) & keep
        n = np.bincount(codes[keep], weights=eligible[keep], minlength=G).astype(np.int64)
        r = np.bincount(codes[keep], weights=reached[keep], minlength=G).astype(np.int64)
        low, high = wilson_interval(r, n)
        with np.errstate(invalid="ignore", divide="ignore"):
            rate = np.where(n > 0, r / n, np.nan)
        frames.append(
            pd.DataFrame(
                {
                    by: uniques.astype(str),
                    "stage": j.stage_ids[k],
                    "leads": np.bincount(codes[keep], minlength=G),
                    "n": n,
                    "reached": r,
                    "share": rate,
                    "ci_low": low,
                    "ci_high": high,
                }
            )
        )
    out = pd.concat(frames, ignore_index=True)
    out["stage"] = pd.Categorical(out["stage"], categories=list(j.stage_ids))
    return out[columns]


# --- alerts and display ----------------------------------------------------------------------

ALERT_COLUMNS = ["kind", "severity", "owner_id", "deal_id", "reason", "action", "sla", "amount"]


def _severity(ratio: np.ndarray, amount: np.ndarray, top: float) -> np.ndarray:
    big = np.nan_to_num(amount, nan=-np.inf) >= top
    return (1 + (ratio >= 2) + ((ratio >= 2) & big)).astype(np.int64)


def alerts(
    sla: pd.DataFrame,
    sleeping: pd.DataFrame | None,
    config: PilotConfig,
    language: str | None = None,
) -> pd.DataFrame:
    """Actionable alerts: overdue SLA steps on open deals, and sleeping deals.

    Severity 1; 2 when twice over the limit (or idle twice the threshold); 3 when moreover
    the deal's amount is in the top 10% of open deals.

    Returns
    -------
    DataFrame
        ``kind (sla_breach | sleeping_lead) | severity | owner_id | deal_id | reason | action
        | sla | amount``; reason and action are sentences in the report language.
    """
    language = _language(language, config)
    frames = []
    open_amounts = []
    if sleeping is not None and len(sleeping):
        open_amounts.append(sleeping["amount"].to_numpy(dtype=float))
    overdue = sla[sla["overdue"].astype(bool)] if len(sla) else sla
    if len(overdue):
        open_amounts.append(overdue["amount"].to_numpy(dtype=float))
    pool = np.concatenate(open_amounts) if open_amounts else np.array([])
    pool = pool[~np.isnan(pool)]
    top = float(np.quantile(pool, 0.9)) if len(pool) else np.inf
    if len(overdue):
        names = overdue["sla"].astype(str).to_numpy()
        start = pd.Series(overdue["start_at"]).dt.strftime("%Y-%m-%d %H:%M").to_numpy()
        reasons, actions = [], []
        for name, el, lim, st in zip(
            names, overdue["elapsed"], overdue["limit"], start, strict=True
        ):
            key = name if name in ("first_contact", "proposal_review") else "custom"
            reasons.append(
                _t(
                    f"handoff_alert_{key}",
                    language,
                    sla=name,
                    elapsed=_num(el),
                    limit=_num(lim),
                    start=st,
                )
            )
            actions.append(_t(f"handoff_action_{key}", language))
        frames.append(
            pd.DataFrame(
                {
                    "kind": "sla_breach",
                    "severity": _severity(
                        (overdue["elapsed"] / overdue["limit"]).to_numpy(),
                        overdue["amount"].to_numpy(dtype=float),
                        top,
                    ),
                    "owner_id": overdue["owner_id"].astype(str).to_numpy(),
                    "deal_id": overdue["deal_id"].to_numpy(),
                    "reason": reasons,
                    "action": actions,
                    "sla": names,
                    "amount": overdue["amount"].to_numpy(dtype=float),
                }
            )
        )
    if sleeping is not None and len(sleeping):
        sl = sleeping[sleeping["sleeping"]]
        last = pd.Series(sl["last_touch_at"]).dt.strftime("%Y-%m-%d").to_numpy()
        stage = [config.stage_label(str(s), language) if pd.notna(s) else "–" for s in sl["stage"]]
        reasons = [
            _t("handoff_alert_sleeping", language, days=f"{d:.0f}", last=lt, stage=st)
            for d, lt, st in zip(sl["idle_days"], last, stage, strict=True)
        ]
        frames.append(
            pd.DataFrame(
                {
                    "kind": "sleeping_lead",
                    "severity": _severity(
                        (sl["idle_days"] / config.sleeping_lead_days).to_numpy(),
                        sl["amount"].to_numpy(dtype=float),
                        top,
                    ),
                    "owner_id": sl["owner_id"].astype(str).to_numpy(),
                    "deal_id": sl["deal_id"].to_numpy(),
                    "reason": reasons,
                    "action": _t("handoff_action_sleeping", language),
                    "sla": np.nan,
                    "amount": sl["amount"].to_numpy(dtype=float),
                }
            )
        )
    if not frames:
        return pd.DataFrame(columns=ALERT_COLUMNS)
    out = pd.concat(frames, ignore_index=True)
    return out.sort_values(
        ["severity", "amount"], ascending=[False, False], na_position="last", kind="stable"
    ).reset_index(drop=True)


def findings_table(findings: Sequence[Finding]) -> pd.DataFrame:
    """Findings as a table for the report: ``severity | dimension | value | observed |
    baseline | n | p_value | evidence``."""
    columns = ["severity", "dimension", "value", "observed", "baseline", "n", "p_value", "evidence"]
    return pd.DataFrame([{c: getattr(f, c) for c in columns} for f in findings], columns=columns)


def localise_values(frame: pd.DataFrame, language: str) -> pd.DataFrame:
    """A copy for display in the report language.

    SLA ids, units, states, dimension names, customer-success metrics, alert kinds, the
    ``none`` bucket and the ``all`` slice become labels; the lead ``source`` column is
    renamed ``lead_source`` (so its header never reads as another table's ``source``).
    """
    from playbook.i18n import TEXT

    out = frame.copy()
    prefixes = {
        "sla": "handoff_sla_",
        "unit": "handoff_unit_",
        "state": "handoff_state_",
        "dimension": "handoff_dim_",
        "metric": "handoff_metric_",
        "bucket": "handoff_bucket_",
        "kind": "handoff_kind_",
        "value": "handoff_",
    }
    for col, prefix in prefixes.items():
        if col not in out.columns:
            continue
        values = out[col].astype(object)
        keys = {v: f"{prefix}{v}" for v in pd.unique(values.dropna())}
        if col == "value":
            keys = {v: k for v, k in keys.items() if v == "all"}
        labels = {v: TEXT[k][language] for v, k in keys.items() if k in TEXT}
        out[col] = values.map(labels).fillna(values) if labels else values
    return out.rename(columns={"source": "lead_source"})


# --- the whole step --------------------------------------------------------------------------


@dataclass
class HandoffAnalysis:
    """Everything step 3 shows, computed once by :func:`analyse`.

    Frames are empty (with their columns) when the table they need is missing; ``notes``
    then says what could not be measured and why. ``measured`` tells which parts ran.
    """

    as_of: pd.Timestamp
    language: str
    measured: dict[str, bool]
    contacts: pd.DataFrame
    response: pd.DataFrame
    response_by_owner: pd.DataFrame
    curves: pd.DataFrame
    sla: pd.DataFrame
    compliance: pd.DataFrame
    compliance_by_team: pd.DataFrame
    breaches: pd.DataFrame
    owner_breaches: pd.DataFrame
    sleeping: pd.DataFrame
    sleeping_by_team: pd.DataFrame
    sleeping_by_owner: pd.DataFrame
    sleeping_top: pd.DataFrame
    conversion: pd.DataFrame
    cost: dict
    cost_text: str
    sources: pd.DataFrame
    cs: pd.DataFrame
    cs_table: pd.DataFrame
    slices: pd.DataFrame
    findings: list[Finding]
    findings_table: pd.DataFrame
    alerts: pd.DataFrame
    kpis: dict[str, dict]
    intro: str = ""
    notes: list[tuple[str, str]] = field(default_factory=list)
    sla_labels: dict[str, str] = field(default_factory=dict)
    highlight: list[str] = field(default_factory=list)


def _share_kpi(successes: float, n: float) -> dict:
    lo, hi = wilson_interval(successes, n) if n else (None, None)
    return {
        "value": successes / n if n else None,
        "n": int(n),
        "ci_low": lo,
        "ci_high": hi,
        "unit": "share",
    }


def analyse(
    deals: pd.DataFrame,
    stage_events: pd.DataFrame,
    config: PilotConfig,
    activities: pd.DataFrame | None = None,
    reps: pd.DataFrame | None = None,
    outcomes: pd.DataFrame | None = None,
    *,
    language: str | None = None,
    as_of=None,
    other_label: str = "other teams",
    alpha: float = 0.05,
) -> HandoffAnalysis:
    """Run step 3 on a dataset: first contact, SLAs, sleeping leads, cost, sources, CS.

    Missing optional tables never raise: ``activities`` missing leaves out first contact,
    the first-contact SLA, activity-based custom SLAs, sleeping leads and the response-time
    views; ``outcomes`` missing leaves out go-live, delay, complaint, renewal and upsell;
    ``reps`` missing leaves out the team views. Each gap is a sentence in ``notes``.

    Parameters
    ----------
    language : report language of notes, evidence and alerts; default ``config.language``.
    as_of : analysis date; default the latest timestamp in deals, stage events, activities.
    other_label : name of the pool of teams smaller than ``config.min_group_size``.
    alpha : false discovery rate of the findings.

    Returns
    -------
    HandoffAnalysis
    """
    from playbook.steps.journey import prepare

    language = _language(language, config)
    if activities is not None and not len(activities):
        activities = None
    if as_of is None:
        as_of = analysis_date(deals, stage_events, activities)
    j = prepare(deals, stage_events, config, as_of=as_of)
    d = j.deals
    notes: list[tuple[str, str]] = []
    has_acts = activities is not None
    has_reps = reps is not None and "team" in reps.columns and reps["team"].notna().any()
    if not has_acts:
        notes.append(("warn", _t("handoff_no_activities", language)))
    if not has_reps:
        notes.append(("warn", _t("handoff_no_reps", language)))
    if outcomes is None or not len(outcomes):
        notes.append(("warn", _t("handoff_no_outcomes", language)))
    if "proposal" not in j.stage_ids:
        notes.append(("note", _t("handoff_no_proposal_stage", language)))
    for name, event, known in sla_events_known(config, activities):
        notes.append(
            ("warn", _t("handoff_sla_unknown_event", language, name=name, event=event, known=known))
        )

    contacted_any = False
    if has_acts:
        contacts = first_contacts(
            d, activities, config, reps, as_of=as_of, other_label=other_label, journey=j
        )
        contacted_any = bool((contacts["contacted"] & ~contacts["contact_inferred"]).any())
        if not contacted_any:
            types = ", ".join(sorted({str(x) for x in pd.unique(activities["type"].dropna())}))
            notes.append(
                (
                    "warn",
                    _t(
                        "handoff_no_contacts",
                        language,
                        types=", ".join(CONTACT_TYPES),
                        found=types or "–",
                    ),
                )
            )
        if "team" not in activities.columns:
            notes.append(("note", _t("handoff_no_team_column", language)))
        inferred = int(contacts["contact_inferred"].sum())
        if inferred:
            notes.append(
                (
                    "note",
                    _t(
                        "handoff_contact_inferred",
                        language,
                        n=f"{inferred:,}",
                        share=_pct(inferred / max(len(d), 1)),
                    ),
                )
            )
        before = int(contacts["contact_before_created"].sum())
        if before:
            notes.append(("note", _t("handoff_contact_before_created", language, n=f"{before:,}")))
        silent = int(
            (~pd.Index(d["deal_id"]).isin(pd.Index(activities["deal_id"].astype(object)))).sum()
        )
        if silent:
            notes.append(
                (
                    "note",
                    _t(
                        "handoff_deals_without_activity",
                        language,
                        n=f"{silent:,}",
                        share=_pct(silent / max(len(d), 1)),
                    ),
                )
            )
    else:
        contacts = deal_frame(d, config, reps, other_label=other_label)

    measured = {
        "first_contact": contacted_any,
        "sleeping": has_acts,
        "teams": has_reps,
        "outcomes": outcomes is not None and len(outcomes) > 0,
    }
    sla_base = contacts if contacted_any else contacts.drop(columns="contacted", errors="ignore")
    # Each team view counts the people behind its own rows (open deals, an SLA's deals).
    sla = safe_teams(
        sla_status(sla_base, config, j, activities),
        config.min_group_size,
        other_label,
        within="sla",
    )
    compliance = sla_compliance(sla)
    by_team = sla_compliance(sla, "team")
    if contacted_any:
        response = response_times(contacts, RESPONSE_DIMENSIONS)
        by_owner = response_times(contacts, ["owner_id"])
        curves = contact_curves(contacts, "team" if has_reps else "source")
        conversion = conversion_by_response(contacts, j, config)
        cost = late_contact_cost(contacts, j, config)
        model = fit_mix_model(j, config, stages=j.stage_ids[:1])
        model = model if model.adjusted_for else None
        slices = slow_handoff_tests(contacts, j, config, alpha=alpha, model=model)
        slow = find_slow_handoffs(
            contacts, j, config, alpha=alpha, language=language, tests=slices, model=model
        )
    else:
        empty = contacts.iloc[:0].assign(contacted=False, business_hours=0.0, hours=0.0, attempts=0)
        response = by_owner = response_times(empty, [])
        curves = contact_curves(empty)
        conversion = pd.DataFrame(columns=["bucket", "n", "rate", "ci_low", "ci_high"])
        cost, slices, slow = {}, pd.DataFrame(columns=SLICE_COLUMNS), []
    if has_acts:
        sleeping = safe_teams(
            sleeping_leads(
                d, stage_events, activities, config, reps, journey=j, other_label=other_label
            ),
            config.min_group_size,
            other_label,
        )
        sleep_findings = find_sleeping_leads(sleeping, config, alpha=alpha, language=language)
    else:
        sleeping = pd.DataFrame(
            columns=[
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
        )
        sleep_findings = []
    findings = rank([*slow, *sleep_findings])
    cs = cs_handoff(d, config, activities, outcomes, as_of=as_of)

    currency = f" {config.currency}" if config.currency else ""
    if cost and np.isfinite(cost.get("lost_leads", np.nan)):
        cost_text = _t(
            "handoff_cost",
            language,
            sla=_num(config.sla.first_contact_hours),
            within=_pct(cost["within_rate"]),
            within_n=f"{cost['within_n']:,}",
            late=_pct(cost["late_rate"]),
            late_n=f"{cost['late_n']:,}",
            lost=f"{cost['lost_leads']:,.0f}",
            amount=f"{cost['lost_amount']:,.0f}{currency}",
        )
        if not np.isfinite(cost["lost_amount"]):
            cost_text = _t(
                "handoff_cost_no_amounts",
                language,
                sla=_num(config.sla.first_contact_hours),
                within=_pct(cost["within_rate"]),
                within_n=f"{cost['within_n']:,}",
                late=_pct(cost["late_rate"]),
                late_n=f"{cost['late_n']:,}",
                lost=f"{cost['lost_leads']:,.0f}",
                won=f"{cost['lost_won']:,.1f}",
            )
    elif contacted_any:
        cost_text = _t("handoff_cost_unknown", language)
    else:
        cost_text = _t("handoff_no_data", language)

    kpis: dict[str, dict] = {}
    for name, key in (("first_contact", "first_contact_sla"), ("proposal_review", "proposal_sla")):
        row = compliance[compliance["sla"].astype(str) == name]
        if len(row) and row["n"].iloc[0] > 0:
            kpis[key] = _share_kpi(float(row["met"].iloc[0]), float(row["n"].iloc[0]))
    if contacted_any:
        med = km_quantiles(contacts["business_hours"], contacts["contacted"], q=(0.5,))[0, 0]
        kpis["first_contact_median_business_hours"] = {
            "value": None if np.isnan(med) else float(med),
            "n": int(len(contacts)),
            "unit": "hours",
        }
        if np.isfinite(cost.get("lost_leads", np.nan)):
            kpis["late_contact_lost_leads"] = {
                "value": cost["lost_leads"],
                "n": int(cost["late_n"]),
                "unit": "deals",
            }
    if has_acts and len(sleeping):
        kpis["sleeping_share"] = _share_kpi(float(sleeping["sleeping"].sum()), float(len(sleeping)))

    labels = {
        str(s): _t(f"handoff_sla_{s}", language)
        if str(s) in ("first_contact", "proposal_review")
        else str(s)
        for s in (sla["sla"].cat.categories if len(sla) else [])
    }
    highlight = [f.value for f in slow if f.dimension == "team"]
    logger.info(
        "handoffs as of %s: %d leads, %d SLA rows, %d findings",
        j.as_of,
        len(contacts),
        len(sla),
        len(findings),
    )
    return HandoffAnalysis(
        as_of=j.as_of,
        language=language,
        measured=measured,
        contacts=contacts,
        response=response,
        response_by_owner=by_owner,
        curves=curves,
        sla=sla,
        compliance=compliance,
        compliance_by_team=by_team,
        breaches=breach_list(sla),
        owner_breaches=breaches_by_owner(sla),
        sleeping=sleeping,
        sleeping_by_team=sleeping_rates(sleeping, "team"),
        sleeping_by_owner=sleeping_rates(sleeping, "owner_id"),
        sleeping_top=sleeping_list(sleeping) if len(sleeping) else sleeping,
        conversion=conversion,
        cost=cost,
        cost_text=cost_text,
        sources=source_reach(j, "source"),
        cs=cs,
        cs_table=cs_view(cs, language),
        slices=slices,
        findings=findings,
        findings_table=findings_table(findings),
        alerts=alerts(sla, sleeping, config, language),
        kpis=kpis,
        intro=_t(
            "handoff_measured_as_of",
            language,
            as_of=f"{j.as_of:%Y-%m-%d %H:%M}",
            hours=_num(BusinessClock.from_config(config.calendar).hours_per_day),
        ),
        notes=notes,
        sla_labels=labels,
        highlight=highlight,
    )
