"""Step 5, the KPI system: result, process and behaviour metrics at three levels.

Everything starts from one frame of per-deal facts (:func:`deal_facts`); each
metric of :data:`METRICS` is then aggregated for the company, per department
(sales team, never over fewer than ``min_group_size`` reps) and per rep, with
its denominator and a 95% interval:

* ``rate`` metrics (win rate, SLA compliance, record completeness, renewal rate)
  pool successes over trials, Wilson interval;
* ``mean`` metrics (activities per deal, NPS) average per deal, t interval;
* ``median`` metrics (first-contact hours) take the median with its
  distribution-free order-statistic interval;
* ``sum`` metrics (won revenue, open pipeline) are totals, without interval.

Response times run on the business-hours clock of ``config.calendar``
(working days, office hours, holidays and make-up days), as the SLAs of
``pilot.yml`` are meant. :func:`sla_proposal` shows current compliance and the
compliance the data would have at other thresholds, so an SLA can be set where
it bites; :func:`incentive_candidates` gives the spread of behaviour and process
metrics across reps, so HR can size incentive thresholds.
"""

from __future__ import annotations

import logging
import math
from collections.abc import Sequence
from dataclasses import dataclass

import numpy as np
import pandas as pd
from scipy import stats as _st

from playbook.stats import wilson_interval
from playbook.steps.intake import deal_completeness
from playbook.workspace.config import PilotConfig
from playbook.workspace.privacy import people_groups, pool_small_groups

logger = logging.getLogger(__name__)

__all__ = [
    "CONTACT_TYPES",
    "MEETING_TYPES",
    "METRICS",
    "Metric",
    "business_hours",
    "deal_facts",
    "kpi_by_rep",
    "kpi_table",
    "kpi_matrix",
    "incentive_candidates",
    "incentive_view",
    "incentive_values",
    "sla_proposal",
    "median_interval",
    "correlation_interval",
]

#: Activity types that count as a real sales contact (call attempts and emails do not);
#: the same as :data:`playbook.steps.handoff.CONTACT_TYPES`, so step 3 and step 5 agree.
CONTACT_TYPES = ("call", "meeting", "demo")
#: Activity types that count as a customer meeting.
MEETING_TYPES = ("meeting", "demo", "visit")
#: Default thresholds at which SLA compliance is shown (first contact: business hours;
#: proposal review: business days).
FIRST_CONTACT_THRESHOLDS = (1.0, 2.0, 4.0, 8.0, 24.0, 48.0)
PROPOSAL_REVIEW_THRESHOLDS = (3.0, 5.0, 10.0, 15.0, 20.0)
LEVELS = ("company", "department", "individual")
DAY_NS = 86_400 * 10**9
HOUR_NS = 3_600 * 10**9


@dataclass(frozen=True)
class Metric:
    """One KPI: what it measures and how it is aggregated.

    ``kind`` is rate (``column`` successes over ``denominator`` trials), mean,
    median (of ``column`` over deals where it is known) or sum. ``better`` says
    which direction is good (for thresholds and plans). A rate with a ``reference``
    column is the rate minus the reference's rate over the same trials (observed −
    expected), with the rate's interval shifted by the reference.
    """

    name: str
    dimension: str  # revenue | activity | customer
    metric_type: str  # result | process | behaviour
    kind: str  # rate | mean | median | sum
    column: str
    denominator: str | None = None
    unit: str = "share"
    better: str = "higher"
    reference: str | None = None


METRICS: tuple[Metric, ...] = (
    Metric("won_revenue", "revenue", "result", "sum", "won_amount", "won", unit="currency"),
    Metric("win_rate", "revenue", "result", "rate", "won", "resolved"),
    # what the company wins on the same deals, and the win rate against it (like deals)
    Metric("expected_win_rate", "revenue", "result", "rate", "expected_won", "resolved"),
    Metric(
        "win_rate_vs_expected",
        "revenue",
        "result",
        "rate",
        "won",
        "resolved",
        reference="expected_won",
    ),
    Metric("avg_won_amount", "revenue", "result", "mean", "won_amount_known", unit="currency"),
    Metric("open_pipeline", "revenue", "process", "sum", "open_amount", "is_open", unit="currency"),
    Metric(
        "first_contact_hours",
        "activity",
        "behaviour",
        "median",
        "first_contact_hours",
        unit="hours",
        better="lower",
    ),
    Metric("first_contact_sla", "activity", "process", "rate", "sla_met", "sla_known"),
    Metric(
        "sales_activities_per_deal",
        "activity",
        "behaviour",
        "mean",
        "sales_activities",
        unit="count",
    ),
    Metric("meetings_per_deal", "activity", "behaviour", "mean", "meetings", unit="count"),
    Metric("record_completeness", "activity", "behaviour", "rate", "filled", "applicable"),
    Metric("renewal_rate", "customer", "result", "rate", "renewed_n", "renewal_due"),
    Metric("nps", "customer", "result", "mean", "nps", unit="score"),
    Metric(
        "complaints_per_customer",
        "customer",
        "result",
        "mean",
        "complaints",
        unit="count",
        better="lower",
    ),
    Metric("on_time_go_live", "customer", "process", "rate", "on_time", "go_live_known"),
)
_BY_NAME = {m.name: m for m in METRICS}

KPI_COLUMNS = [
    "dimension",
    "level",
    "scope",
    "metric",
    "label",
    "metric_type",
    "current_value",
    "n",
    "ci_low",
    "ci_high",
    "spread_low",
    "spread_high",
    "unit",
    "suppressed",
]


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


def _as_of(deals: pd.DataFrame, activities: pd.DataFrame | None, as_of) -> pd.Timestamp:
    if as_of is not None:
        return pd.Timestamp(as_of)
    stamps = [deals["created_at"].max()]
    if "closed_at" in deals:
        stamps.append(deals["closed_at"].max())
    if activities is not None and len(activities):
        stamps.append(activities["at"].max())
    stamps = [s for s in stamps if pd.notna(s)]
    if not stamps:
        raise ValueError("as_of cannot be inferred: the data hold no timestamp; pass as_of")
    return pd.Timestamp(max(stamps))


def _rep_attribute(owner: pd.Series, reps: pd.DataFrame | None, column: str) -> np.ndarray:
    if reps is None or column not in reps.columns:
        return np.full(len(owner), "unknown", dtype=object)
    mapping = dict(zip(reps["rep_id"].astype(str), reps[column].astype(object), strict=False))
    return owner.astype(str).map(mapping).fillna("unknown").astype(str).to_numpy(dtype=object)


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
    as_of_ts = _as_of(deals, activities, as_of)
    n = len(deals)
    owner = deals["owner_id"].astype(str)
    status = deals["status"].astype(str).to_numpy()
    won = status == "won"
    resolved = np.isin(status, ["won", "lost"])
    amount = deals["amount"].to_numpy(dtype=float) if "amount" in deals else np.full(n, np.nan)
    # Without any amount, revenue KPIs are unknown (NaN, left out), never a sum of zeros.
    no_amounts = 0.0 if np.isfinite(amount).any() else np.nan
    out = pd.DataFrame(
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
    expected = np.full(n, np.nan)
    if isinstance(expected_won, pd.Series):
        expected = expected_won.reindex(out["deal_id"]).to_numpy(dtype=float)
    elif expected_won is not None:
        expected = np.asarray(expected_won, dtype=float)
        if len(expected) != n:
            raise ValueError(f"expected_won holds {len(expected)} values for {n} deals")
    out_expected = np.where(resolved, expected, np.nan)
    # first contact and activity counts
    first = np.full(n, np.iinfo(np.int64).min)
    sales_acts = np.full(n, np.nan)
    meetings = np.full(n, np.nan)
    if activities is not None:
        row = pd.Index(out["deal_id"]).get_indexer(activities["deal_id"].astype(str))
        known = row >= 0
        types = activities["type"].astype(str).to_numpy()
        if "team" in activities.columns:
            sales = activities["team"].astype(str).to_numpy() == "sales"
        elif "actor_id" in activities.columns:
            sales = (
                activities["actor_id"].astype(str).to_numpy()
                == owner.to_numpy()[np.maximum(row, 0)]
            )
        else:
            sales = np.ones(len(activities), dtype=bool)
        sel = known & sales
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
            # a lead that moved past the first stage before any logged contact was contacted
            first_stage = config.funnel.ids[0]
            later = stage_events[stage_events["stage"].astype(str) != first_stage]
            srow = pd.Index(out["deal_id"]).get_indexer(later["deal_id"].astype(str))
            moved = pd.Series(_ns(later["entered_at"])[srow >= 0]).groupby(srow[srow >= 0]).min()
            idx = moved.index.to_numpy()
            cur = first[idx]
            nat = np.iinfo(np.int64).min
            first[idx] = np.where((cur == nat) | (moved.to_numpy() < cur), moved.to_numpy(), cur)
        created_ns = _ns(out["created_at"])
        has = first != np.iinfo(np.int64).min
        first = np.where(has, np.maximum(first, created_ns), first)
    has_contact = first != np.iinfo(np.int64).min
    first_at = pd.Series(first).where(has_contact).astype("float64")
    first_dt = pd.to_datetime(first_at.to_numpy(dtype="float64"), unit="ns")
    out["first_contact_at"] = first_dt
    out["first_contact_hours"] = np.where(
        has_contact, business_hours(out["created_at"], first_dt, config.calendar), np.nan
    )
    closed = deals["closed_at"].to_numpy() if "closed_at" in deals else np.full(n, np.nan)
    end = pd.Series(pd.to_datetime(closed)).where(status != "open", as_of_ts)
    end = end.fillna(as_of_ts)
    out["elapsed_hours"] = business_hours(out["created_at"], end, config.calendar)
    sla = float(config.sla.first_contact_hours)
    if activities is None:
        out["sla_met"] = np.nan
        out["sla_known"] = np.nan
    else:
        met = has_contact & (out["first_contact_hours"].to_numpy() <= sla)
        missed = (has_contact & ~met) | (~has_contact & (out["elapsed_hours"].to_numpy() > sla))
        out["sla_met"] = met.astype(float)
        out["sla_known"] = (met | missed).astype(float)
    out["sales_activities"] = sales_acts
    out["meetings"] = meetings
    # record completeness
    if stage_events is not None:
        comp = deal_completeness(deals, stage_events, activities)
        out["filled"] = comp["filled"].to_numpy(dtype=float)
        out["applicable"] = comp["applicable"].to_numpy(dtype=float)
    else:
        out["filled"] = np.nan
        out["applicable"] = np.nan
    # customer outcomes
    for column in ("renewal_due", "renewed_n", "nps", "complaints", "on_time", "go_live_known"):
        out[column] = np.nan
    if outcomes is not None and len(outcomes):
        oc = outcomes.drop_duplicates("deal_id", keep="last").set_index(
            outcomes.drop_duplicates("deal_id", keep="last")["deal_id"].astype(str)
        )
        idx = oc.index.get_indexer(out["deal_id"])
        hit = idx >= 0

        def take(column: str) -> np.ndarray:
            if column not in oc.columns:
                return np.full(n, np.nan)
            values = pd.array(oc[column]).astype("Float64").to_numpy(dtype=float, na_value=np.nan)
            return np.where(hit, values[np.maximum(idx, 0)], np.nan)

        renewed = take("renewed")
        out["renewal_due"] = np.where(hit & won, (~np.isnan(renewed)).astype(float), 0.0)
        out["renewed_n"] = np.where(hit & won, np.nan_to_num(renewed), 0.0)
        out["nps"] = take("nps")
        out["complaints"] = np.where(won, take("complaints"), np.nan)
        delayed = take("delayed")
        out["go_live_known"] = np.where(hit & won, (~np.isnan(delayed)).astype(float), 0.0)
        out["on_time"] = np.where(hit & won, np.nan_to_num(1.0 - delayed), 0.0)
    elif outcomes is not None:
        for column in ("renewal_due", "renewed_n", "go_live_known", "on_time"):
            out[column] = 0.0
    out["expected_won"] = out_expected
    return out


# --- intervals ---------------------------------------------------------------------------------


def median_interval(values, confidence: float = 0.95) -> tuple[float, float, float]:
    """Median with its distribution-free (binomial order-statistic) interval.

    Returns
    -------
    (median, low, high)
        NaN when there are no values; the interval is NaN below 3 values.
    """
    x = np.sort(np.asarray(values, dtype=float))
    x = x[~np.isnan(x)]
    n = len(x)
    if n == 0:
        return math.nan, math.nan, math.nan
    med = float(np.median(x))
    if n < 3:
        return med, math.nan, math.nan
    alpha = 1 - confidence
    lo = int(_st.binom.ppf(alpha / 2, n, 0.5))
    hi = int(_st.binom.isf(alpha / 2, n, 0.5))
    lo = max(lo - 1, 0)
    hi = min(hi, n - 1)
    return med, float(x[lo]), float(x[hi])


def correlation_interval(x, y, confidence: float = 0.95) -> tuple[float, float, float, float, int]:
    """Pearson correlation with its Fisher-z interval and two-sided p-value.

    Pairs with a missing value are left out.

    Returns
    -------
    (r, low, high, p_value, n)
        NaN where fewer than 4 pairs remain or a variable is constant.
    """
    a = np.asarray(x, dtype=float)
    b = np.asarray(y, dtype=float)
    ok = ~(np.isnan(a) | np.isnan(b))
    a, b = a[ok], b[ok]
    n = int(len(a))
    if n < 4 or np.std(a) == 0 or np.std(b) == 0:
        return math.nan, math.nan, math.nan, math.nan, n
    r = float(np.corrcoef(a, b)[0, 1])
    r = min(max(r, -0.999999), 0.999999)
    z = math.atanh(r)
    half = float(_st.norm.ppf(0.5 + confidence / 2)) / math.sqrt(n - 3)
    t = r * math.sqrt((n - 2) / (1 - r * r))
    p = float(2 * _st.t.sf(abs(t), n - 2))
    return r, math.tanh(z - half), math.tanh(z + half), p, n


def _mean_interval(mean, sd, n, confidence: float) -> tuple[np.ndarray, np.ndarray]:
    n = np.asarray(n, dtype=float)
    with np.errstate(invalid="ignore", divide="ignore"):
        crit = _st.t.ppf(0.5 + confidence / 2, np.maximum(n - 1, 1))
        half = crit * np.asarray(sd, dtype=float) / np.sqrt(n)
    half = np.where(n >= 2, half, np.nan)
    return mean - half, mean + half


# --- aggregation -------------------------------------------------------------------------------


def _aggregate(
    facts: pd.DataFrame, key: pd.Series, metrics: Sequence[Metric], confidence: float
) -> pd.DataFrame:
    """Each metric per value of ``key``: value, n, ci_low, ci_high (tidy)."""
    frames = []
    groups = facts.groupby(key.to_numpy(), sort=True)
    for m in metrics:
        if m.column not in facts or facts[m.column].isna().all():
            continue
        if m.kind == "rate":
            if m.denominator not in facts or facts[m.denominator].isna().all():
                continue
            if m.reference and (m.reference not in facts or facts[m.reference].isna().all()):
                continue
            sums = {"s": (m.column, "sum"), "n": (m.denominator, "sum")}
            if m.reference:
                sums["r"] = (m.reference, "sum")
            agg = groups.agg(**sums)
            low, high = wilson_interval(agg["s"].to_numpy(), agg["n"].to_numpy(), confidence)
            with np.errstate(invalid="ignore", divide="ignore"):
                value = np.where(agg["n"] > 0, agg["s"] / agg["n"], np.nan)
                if m.reference:
                    shift = np.where(agg["n"] > 0, agg["r"] / agg["n"], np.nan)
                    value, low, high = value - shift, low - shift, high - shift
            frame = pd.DataFrame(
                {"value": value, "n": agg["n"].to_numpy(), "ci_low": low, "ci_high": high},
                index=agg.index,
            )
        elif m.kind == "mean":
            agg = groups[m.column].agg(["mean", "std", "count"])
            low, high = _mean_interval(
                agg["mean"].to_numpy(), agg["std"].to_numpy(), agg["count"].to_numpy(), confidence
            )
            frame = pd.DataFrame(
                {"value": agg["mean"].to_numpy(), "n": agg["count"].to_numpy()},
                index=agg.index,
            )
            frame["ci_low"], frame["ci_high"] = low, high
        elif m.kind == "median":
            rows = {
                g: (*median_interval(v.to_numpy(), confidence), int(v.notna().sum()))
                for g, v in groups[m.column]
            }
            frame = pd.DataFrame.from_dict(
                rows, orient="index", columns=["value", "ci_low", "ci_high", "n"]
            )
        else:  # sum
            agg = groups.agg(value=(m.column, "sum"), n=(m.denominator or m.column, "count"))
            if m.denominator:
                agg["n"] = groups[m.denominator].sum()
            frame = agg[["value", "n"]].copy()
            frame["ci_low"] = np.nan
            frame["ci_high"] = np.nan
        frame = frame.rename_axis("scope").reset_index()
        frame.insert(1, "metric", m.name)
        frames.append(frame)
    if not frames:
        return pd.DataFrame(columns=["scope", "metric", "value", "n", "ci_low", "ci_high"])
    out = pd.concat(frames, ignore_index=True)
    out["n"] = out["n"].fillna(0).astype(np.int64)
    return out


def _describe(frame: pd.DataFrame, language: str) -> pd.DataFrame:
    from playbook.i18n import TEXT

    meta = pd.DataFrame(
        [
            {
                "metric": m.name,
                "dimension": m.dimension,
                "metric_type": m.metric_type,
                "unit": m.unit,
                "label": TEXT.get(f"kpi_{m.name}", {}).get(language, m.name),
            }
            for m in METRICS
        ]
    )
    return frame.merge(meta, on="metric", how="left")


def kpi_by_rep(
    facts: pd.DataFrame,
    *,
    metrics: Sequence[str] | None = None,
    confidence: float = 0.95,
    language: str = "en",
    min_group_size: int = 1,
    other: str = "other teams",
) -> pd.DataFrame:
    """Every KPI per rep (the individual level), with its n and interval.

    Parameters
    ----------
    facts : DataFrame
        :func:`deal_facts`.
    metrics : list of str, optional
        Names from :data:`METRICS`; default all that the data support.
    min_group_size, other : int, str
        The ``team`` column names a team only when :func:`kpi_table` may show it:
        smaller teams read ``other`` (or nothing when even the pool is too small), so
        averaging a team's rows cannot give a hidden team figure.

    Returns
    -------
    DataFrame
        ``owner_id | team | role | dimension | metric | label | metric_type | value | n |
        ci_low | ci_high | unit``.
    """
    chosen = _chosen(metrics)
    out = _aggregate(facts, facts["owner_id"], chosen, confidence).rename(
        columns={"scope": "owner_id"}
    )
    attrs = facts.drop_duplicates("owner_id").set_index("owner_id")[["team", "role"]]
    shown = people_groups(attrs["team"], attrs.index.to_series(), min_group_size, other)
    attrs = attrs.assign(team=shown.to_numpy())
    out = out.join(attrs, on="owner_id")
    out = _describe(out, language)
    return out[
        [
            "owner_id",
            "team",
            "role",
            "dimension",
            "metric",
            "label",
            "metric_type",
            "value",
            "n",
            "ci_low",
            "ci_high",
            "unit",
        ]
    ]


def _chosen(metrics: Sequence[str] | None) -> list[Metric]:
    if metrics is None:
        return list(METRICS)
    unknown = [m for m in metrics if m not in _BY_NAME]
    if unknown:
        raise ValueError(
            f"metrics names unknown KPI(s) {', '.join(unknown)}; known: {', '.join(_BY_NAME)}"
        )
    return [_BY_NAME[m] for m in metrics]


def kpi_table(
    facts: pd.DataFrame,
    *,
    min_group_size: int = 5,
    metrics: Sequence[str] | None = None,
    confidence: float = 0.95,
    language: str = "en",
    other: str = "other teams",
) -> pd.DataFrame:
    """The KPI system: revenue / activity / customer × company / department / individual.

    Company rows pool every deal. Department rows pool the deals of each sales team
    (``facts.team``); teams with fewer than ``min_group_size`` reps are merged into
    ``other`` with complementary suppression (:func:`playbook.workspace.privacy.pool_small_groups`),
    and a pool still too small is shown as suppressed. The individual level is the
    typical rep: the median of the reps' own values (reps with at least one
    observation), its order-statistic interval, and the interquartile range across
    reps in ``spread_low``/``spread_high``.

    Parameters
    ----------
    facts : DataFrame
        :func:`deal_facts`.
    min_group_size : int
        Fewest reps a department or the individual-level summary may describe.
    metrics : list of str, optional
        Names from :data:`METRICS`; default all the data support.
    confidence : float
        Interval coverage.
    language : {"en", "zh"}
        Language of the ``label`` column.
    other : str
        Name of the pooled department.

    Returns
    -------
    DataFrame
        ``dimension | level | scope | metric | label | metric_type | current_value | n |
        ci_low | ci_high | spread_low | spread_high | unit | suppressed``, in the order of
        :data:`METRICS`, then level. ``n`` is the metric's denominator (deals,
        renewals due, …) except at the individual level, where it counts reps.
    """
    chosen = _chosen(metrics)
    frames = []
    company = _aggregate(facts, pd.Series("company", index=facts.index), chosen, confidence)
    company["level"] = "company"
    frames.append(company)
    sizes = facts.groupby("team")["owner_id"].nunique()
    mapping = pool_small_groups(sizes, min_group_size, other)
    team = facts["team"].map(mapping)
    dept = _aggregate(facts, team, chosen, confidence)
    pooled_sizes = facts.groupby(team)["owner_id"].nunique()
    small = dept["scope"].map(pooled_sizes) < min_group_size
    dept["suppressed"] = small.to_numpy()
    dept.loc[small, ["value", "ci_low", "ci_high"]] = np.nan
    dept["level"] = "department"
    frames.append(dept)
    per_rep = _aggregate(facts, facts["owner_id"], chosen, confidence)
    per_rep = per_rep[per_rep["n"] > 0]
    rows = []
    for name, values in per_rep.groupby("metric", sort=False)["value"]:
        v = values.dropna().to_numpy()
        med, lo, hi = median_interval(v, confidence)
        suppressed = len(v) < min_group_size
        q1, q3 = np.quantile(v, [0.25, 0.75]) if len(v) else (np.nan, np.nan)
        rows.append(
            {
                "scope": "median rep",
                "metric": name,
                "value": np.nan if suppressed else med,
                "n": len(v),
                "ci_low": np.nan if suppressed else lo,
                "ci_high": np.nan if suppressed else hi,
                "spread_low": np.nan if suppressed else q1,
                "spread_high": np.nan if suppressed else q3,
                "suppressed": suppressed,
            }
        )
    individual = pd.DataFrame(rows)
    individual["level"] = "individual"
    frames.append(individual)
    out = pd.concat([f for f in frames if len(f)], ignore_index=True)
    for column in ("spread_low", "spread_high"):
        if column not in out:
            out[column] = np.nan
    if "suppressed" not in out:
        out["suppressed"] = False
    out["suppressed"] = out["suppressed"].astype("boolean").fillna(False).astype(bool)
    out = _describe(out, language).rename(columns={"value": "current_value"})
    order = {m.name: i for i, m in enumerate(METRICS)}
    out["_m"] = out["metric"].map(order)
    out["_l"] = out["level"].map({lv: i for i, lv in enumerate(LEVELS)})
    out = out.sort_values(["_m", "_l", "scope"], kind="stable").drop(columns=["_m", "_l"])
    return out[KPI_COLUMNS].reset_index(drop=True)


def _format(value: float, unit: str) -> str:
    if pd.isna(value):
        return ""
    if unit == "share":
        return f"{100 * value:.1f}%"
    if unit == "currency":
        return f"{value:,.0f}"
    if unit == "hours":
        return f"{value:.1f}"
    return f"{value:.2f}"


def kpi_matrix(table: pd.DataFrame, language: str = "en") -> pd.DataFrame:
    """The KPI system as the one-page table a steering committee reads.

    One row per KPI; a column for the company, one per department, and one for the
    typical rep. Cells read ``value (95% interval)``, the typical rep's
    ``median (p25–p75 of reps)``; suppressed cells read as suppressed.

    Parameters
    ----------
    table : DataFrame
        :func:`kpi_table`.

    Returns
    -------
    DataFrame
        ``dimension | metric_type | label | <company> | <each department> | <median
        rep>``, values as text in the report language.
    """
    from playbook.i18n import t

    if not len(table):
        return pd.DataFrame(columns=["dimension", "metric_type", "label"])
    hidden = t("cap_suppressed", language)
    company = t("kpi_level_company", language)
    typical = t("kpi_median_rep", language)

    def cell(r) -> str:
        if bool(r.suppressed):
            return hidden
        v = _format(r.current_value, r.unit)
        if r.level == "individual":
            lo, hi = _format(r.spread_low, r.unit), _format(r.spread_high, r.unit)
        else:
            lo, hi = _format(r.ci_low, r.unit), _format(r.ci_high, r.unit)
        return f"{v} ({lo}–{hi})" if lo and hi else v

    data = table.assign(
        cell=[cell(r) for r in table.itertuples(index=False)],
        column=np.where(
            table["level"] == "company",
            company,
            np.where(table["level"] == "individual", typical, table["scope"].astype(str)),
        ),
    )
    departments = list(dict.fromkeys(table.loc[table["level"] == "department", "scope"]))
    wide = data.pivot_table(
        index="metric", columns="column", values="cell", aggfunc="first", sort=False
    )
    wide = wide.reindex(columns=[company, *map(str, departments), typical]).fillna("")
    meta = table.drop_duplicates("metric").set_index("metric")
    out = pd.DataFrame(
        {
            "dimension": [
                t(f"kpi_dimension_{meta.at[m, 'dimension']}", language) for m in wide.index
            ],
            "metric_type": [
                t(f"kpi_type_{meta.at[m, 'metric_type']}", language) for m in wide.index
            ],
            "label": [meta.at[m, "label"] for m in wide.index],
        }
    )
    for column in wide.columns:
        out[column] = wide[column].to_numpy()
    return out


def incentive_candidates(
    by_rep: pd.DataFrame,
    *,
    metric_types: Sequence[str] = ("behaviour", "process"),
    outcome: str = "win_rate",
    min_reps: int = 5,
    min_n: int = 10,
    confidence: float = 0.95,
) -> pd.DataFrame:
    """Behaviour and process metrics that could enter an incentive scheme, with their spread.

    For each metric: the distribution of the reps' values (reps with at least
    ``min_n`` observations), so thresholds can be sized (a threshold at the p75 pays
    a quarter of the reps), and its correlation with ``outcome`` across reps (Fisher-z
    interval): a metric unrelated to results rewards activity, not selling.

    Parameters
    ----------
    by_rep : DataFrame
        :func:`kpi_by_rep`.
    metric_types : sequence of str
        Which metric types are candidates.
    outcome : str
        The result metric to correlate with.
    min_reps : int
        Fewer reps than this: the distribution is suppressed (privacy).
    min_n : int
        A rep's value counts when it rests on at least this many observations.

    Returns
    -------
    DataFrame
        ``metric | label | metric_type | dimension | better | reps | mean | p10 | p25 |
        median | p75 | p90 | r_outcome | r_ci_low | r_ci_high | r_p_value | unit |
        suppressed``.
    """
    usable = by_rep[by_rep["n"] >= min_n]
    result = usable[usable["metric"] == outcome].set_index("owner_id")["value"]
    rows = []
    for m in METRICS:
        if m.metric_type not in metric_types:
            continue
        sub = usable[usable["metric"] == m.name]
        values = sub["value"].dropna()
        if not len(values):
            continue
        suppressed = len(values) < min_reps
        q = np.quantile(values, [0.1, 0.25, 0.5, 0.75, 0.9])
        paired = sub.set_index("owner_id")["value"]
        r, lo, hi, p, _ = correlation_interval(
            paired.to_numpy(), result.reindex(paired.index).to_numpy(), confidence
        )
        row = {
            "metric": m.name,
            "label": sub["label"].iloc[0],
            "metric_type": m.metric_type,
            "dimension": m.dimension,
            "better": m.better,
            "reps": int(len(values)),
            "mean": float(values.mean()),
            "p10": q[0],
            "p25": q[1],
            "median": q[2],
            "p75": q[3],
            "p90": q[4],
            "r_outcome": r,
            "r_ci_low": lo,
            "r_ci_high": hi,
            "r_p_value": p,
            "unit": m.unit,
            "suppressed": suppressed,
        }
        if suppressed:
            for k in ("mean", "p10", "p25", "median", "p75", "p90"):
                row[k] = np.nan
        rows.append(row)
    columns = [
        "metric",
        "label",
        "metric_type",
        "dimension",
        "better",
        "reps",
        "mean",
        "p10",
        "p25",
        "median",
        "p75",
        "p90",
        "r_outcome",
        "r_ci_low",
        "r_ci_high",
        "r_p_value",
        "unit",
        "suppressed",
    ]
    return pd.DataFrame(rows, columns=columns)


def incentive_view(candidates: pd.DataFrame) -> pd.DataFrame:
    """:func:`incentive_candidates` for display: the distribution in each metric's unit.

    Returns
    -------
    DataFrame
        ``label | metric_type | better | reps | p10 | p25 | median | p75 | p90 | r_outcome |
        r_ci_low | r_ci_high``; quantiles as text (percentages for shares), ``better``
        as an arrow (↑ higher is better, ↓ lower is better).
    """
    out = candidates.copy()
    for column in ("p10", "p25", "median", "p75", "p90"):
        out[column] = [
            _format(v, u) for v, u in zip(candidates[column], candidates["unit"], strict=True)
        ]
    out["better"] = np.where(candidates["better"] == "lower", "↓", "↑")
    columns = ["label", "metric_type", "better", "reps", "p10", "p25", "median", "p75", "p90"]
    return out[[*columns, "r_outcome", "r_ci_low", "r_ci_high"]].reset_index(drop=True)


def incentive_values(
    by_rep: pd.DataFrame,
    candidates: pd.DataFrame,
    *,
    min_n: int = 10,
) -> pd.DataFrame:
    """The per-rep values behind :func:`incentive_candidates` (for distribution plots).

    Returns
    -------
    DataFrame
        ``metric | label | unit | value`` for every candidate metric that is not
        suppressed; one row per rep (no rep id: the figure shows a distribution).
    """
    shown = candidates.loc[~candidates["suppressed"], "metric"]
    sub = by_rep[(by_rep["n"] >= min_n) & by_rep["metric"].isin(shown)]
    return sub[["metric", "label", "unit", "value"]].dropna().reset_index(drop=True)


# --- SLA proposal ------------------------------------------------------------------------------


def _compliance_rows(
    sla: str,
    hours: np.ndarray,
    elapsed: np.ndarray,
    thresholds: Sequence[float],
    current: float,
    unit: str,
    confidence: float,
) -> list[dict]:
    """Compliance at each threshold: met when done within it; missed when done later or
    still pending beyond it; pending within it is unknown (left out)."""
    done = ~np.isnan(hours)
    rows = []
    for thr in sorted({*map(float, thresholds), float(current)}):
        met = done & (hours <= thr)
        missed = (done & (hours > thr)) | (~done & (elapsed > thr))
        n = int((met | missed).sum())
        k = int(met.sum())
        lo, hi = wilson_interval(k, n, confidence) if n else (math.nan, math.nan)
        rows.append(
            {
                "sla": sla,
                "threshold": thr,
                "unit": unit,
                "current": bool(np.isclose(thr, current)),
                "n": n,
                "compliant": k,
                "compliance": k / n if n else math.nan,
                "ci_low": lo,
                "ci_high": hi,
                "pending": int((~done & ~(elapsed > thr)).sum()),
            }
        )
    return rows


def sla_proposal(
    facts: pd.DataFrame,
    config: PilotConfig,
    *,
    deals: pd.DataFrame | None = None,
    stage_events: pd.DataFrame | None = None,
    journey=None,
    first_contact_thresholds: Sequence[float] = FIRST_CONTACT_THRESHOLDS,
    proposal_review_thresholds: Sequence[float] = PROPOSAL_REVIEW_THRESHOLDS,
    proposal_stage: str = "proposal",
    confidence: float = 0.95,
) -> pd.DataFrame:
    """Current SLA compliance, and what it would be at other thresholds.

    ``first_contact``: business hours from lead creation to the first real sales
    contact (:func:`deal_facts`), against ``sla.first_contact_hours``.
    ``proposal_review``: business days from first entering ``proposal_stage`` to the
    next stage or the loss, against ``sla.proposal_review_business_days``; needs
    ``deals`` and ``stage_events`` (or a prepared ``journey``). Both follow the
    definitions of step 3 (:mod:`playbook.steps.handoff`), so current compliance matches it.
    A case still waiting is a miss once it has waited longer than the threshold, and
    unknown (``pending``, left out) before.

    Returns
    -------
    DataFrame
        ``sla | threshold | unit | current | n | compliant | compliance | ci_low |
        ci_high | pending``; ``current`` marks the configured threshold.
    """
    rows: list[dict] = []
    if facts["first_contact_hours"].notna().any():
        rows += _compliance_rows(
            "first_contact",
            facts["first_contact_hours"].to_numpy(dtype=float),
            facts["elapsed_hours"].to_numpy(dtype=float),
            first_contact_thresholds,
            float(config.sla.first_contact_hours),
            "business hours",
            confidence,
        )
    if (journey is not None or (deals is not None and stage_events is not None)) and (
        proposal_stage in config.funnel.ids
    ):
        rows += _proposal_review(
            config,
            deals,
            stage_events,
            journey,
            proposal_stage,
            proposal_review_thresholds,
            confidence,
        )
    columns = [
        "sla",
        "threshold",
        "unit",
        "current",
        "n",
        "compliant",
        "compliance",
        "ci_low",
        "ci_high",
        "pending",
    ]
    return pd.DataFrame(rows, columns=columns)


def _proposal_review(
    config: PilotConfig,
    deals: pd.DataFrame | None,
    stage_events: pd.DataFrame | None,
    journey,
    stage: str,
    thresholds: Sequence[float],
    confidence: float,
) -> list[dict]:
    from playbook.steps.journey import resolve

    j = resolve(deals, stage_events, config, None, journey)
    s = j.stage_ids.index(stage)
    nat = np.iinfo(np.int64).min
    rows = np.flatnonzero((j.visits[:, s] > 0) & (j.first_enter[:, s] != nat))
    start = j.first_enter[rows, s]
    days = j.days[rows, s]
    done = (j.advanced[rows, s] | j.lost[rows, s]) & np.isfinite(days)
    as_of = pd.Timestamp(j.as_of).value
    stop = np.where(done, start + np.round(np.nan_to_num(days) * DAY_NS).astype(np.int64), as_of)
    day_hours = max(float(config.calendar.end_hour - config.calendar.start_hour), 1e-9)
    bdays = (
        business_hours(start.view("datetime64[ns]"), stop.view("datetime64[ns]"), config.calendar)
        / day_hours
    )
    return _compliance_rows(
        "proposal_review",
        np.where(done, bdays, np.nan),
        np.where(done, np.nan, bdays),
        thresholds,
        float(config.sla.proposal_review_business_days),
        "business days",
        confidence,
    )
