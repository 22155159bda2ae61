"""The prepared journey index: every deal's stage visits as integer codes, built once and
shared by the steps."""

from __future__ import annotations

import logging
from dataclasses import dataclass

import numpy as np
import pandas as pd

from playbook.stats import km_quantiles
from playbook.workspace.config import PilotConfig

logger = logging.getLogger(__name__)


DAY_NS = 86_400 * 10**9


NAT = np.iinfo(np.int64).min


STATUSES = ("open", "won", "lost")


OPEN, WON, LOST = 0, 1, 2


EXITS = ("advance", "skip", "regress", "won", "lost", "open")


@dataclass(frozen=True)
class JourneyData:
    """Per-visit, per-deal and per-deal-stage arrays that every journey metric reads.

    Built by :func:`prepare`. Times are int64 nanoseconds (naive local time);
    ``D`` deals (rows of ``deals``, in its order), ``K`` stages, ``V`` visits
    sorted by deal, then time, then funnel order.
    """

    stage_ids: tuple[str, ...]
    windows: np.ndarray  # (K,) window_days per stage
    skip_counts_as_passed: bool
    as_of: pd.Timestamp
    deals: pd.DataFrame  # the deals analysed (created by as_of), input order
    # visits (V,)
    v_deal: np.ndarray
    v_stage: np.ndarray
    v_enter: np.ndarray
    v_leave: np.ndarray
    v_inferred: np.ndarray
    v_censored: np.ndarray
    # deals (D,)
    status: np.ndarray  # 0 open, 1 won, 2 lost
    furthest: np.ndarray  # -1 when the deal has no visit
    end_stage: np.ndarray
    first_visit: np.ndarray
    n_visits: np.ndarray
    start_ns: np.ndarray  # min(created_at, first event)
    end_ns: np.ndarray  # closing time (closed deals) or as_of (open deals)
    # deal x stage (D, K)
    visits: np.ndarray
    first_enter: np.ndarray
    dwell: np.ndarray  # total days in the stage (0 when not visited)
    dwell_censored: np.ndarray
    entered: np.ndarray
    advanced: np.ndarray
    lost: np.ndarray
    open: np.ndarray
    days: np.ndarray  # days from first entry to advance / loss / as_of; NaN when not visited
    mature: np.ndarray

    @property
    def n_stages(self) -> int:
        return len(self.stage_ids)

    @property
    def n_deals(self) -> int:
        return len(self.status)


def _ns(values: pd.Series) -> np.ndarray:
    """Datetime-like values as int64 nanoseconds (NaT -> int64 min)."""
    s = pd.to_datetime(values, errors="coerce")
    if getattr(s.dt, "tz", None) is not None:
        s = s.dt.tz_localize(None)
    return s.to_numpy(dtype="datetime64[ns]").view(np.int64)


def _require(frame: pd.DataFrame, columns: list[str], name: str) -> None:
    missing = [c for c in columns if c not in frame.columns]
    if missing:
        raise ValueError(
            f"{name} is missing column(s) {', '.join(missing)}; "
            f"it has {', '.join(map(str, frame.columns))}"
        )


def _to_datetime(ns: np.ndarray) -> np.ndarray:
    return ns.view("datetime64[ns]")


def _codes(values: pd.Series, categories) -> np.ndarray:
    """Position of each value in ``categories`` (-1 when absent), fast for categoricals."""
    if isinstance(values.dtype, pd.CategoricalDtype):
        cats = values.cat.categories
        codes = values.cat.codes.to_numpy().astype(np.int64)
        if cats.equals(pd.Index(categories)):
            return codes
        pos = pd.Index(categories).get_indexer(cats)
        return np.where(codes >= 0, pos[codes], -1)
    return pd.Categorical(values, categories=categories).codes.astype(np.int64)


def _deal_rows(deal_ids: pd.Series, event_ids: pd.Series) -> np.ndarray:
    """Row of ``deals`` each event belongs to (-1 when none), checking ids are unique.

    When both columns are categoricals over the same categories, no string is hashed.
    """
    if (
        isinstance(deal_ids.dtype, pd.CategoricalDtype)
        and isinstance(event_ids.dtype, pd.CategoricalDtype)
        and not deal_ids.isna().any()
        and event_ids.cat.categories.equals(deal_ids.cat.categories)
    ):
        dc = deal_ids.cat.codes.to_numpy().astype(np.int64)
        counts = np.bincount(dc, minlength=len(deal_ids.cat.categories))
        if len(dc) and counts.max() > 1:
            dup = deal_ids.cat.categories[np.flatnonzero(counts > 1)[:5]]
            raise ValueError(f"deals.deal_id must be unique; repeated: {', '.join(map(str, dup))}")
        row_of = np.full(len(counts), -1, dtype=np.int64)
        row_of[dc] = np.arange(len(dc))
        ec = event_ids.cat.codes.to_numpy().astype(np.int64)
        return np.where(ec >= 0, row_of[ec], -1)
    index = pd.Index(
        deal_ids.to_numpy(dtype=object)
        if isinstance(deal_ids.dtype, pd.CategoricalDtype)
        else deal_ids
    )
    if not index.is_unique:
        dup = index[index.duplicated()].unique()[:5]
        raise ValueError(f"deals.deal_id must be unique; repeated: {', '.join(map(str, dup))}")
    return _codes(event_ids, index)


def _sort_events(
    d: np.ndarray, t: np.ndarray, c: np.ndarray, n_deals: int, n_stages: int
) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """Events sorted by deal, time, then funnel order.

    One int64 key sort when deal, time (at the coarsest unit that loses nothing) and
    stage fit in 63 bits; a three-key lexsort otherwise.
    """
    if not len(t):
        return d, t, c
    tmin = int(t.min())
    span = int(t.max()) - tmin
    for unit in (10**9, 10**6, 10**3, 1):
        if unit == 1 or not np.any((t - tmin) % unit):
            break
    span_u = span // unit + 1
    bits = (
        max(n_deals - 1, 1).bit_length() + span_u.bit_length() + max(n_stages - 1, 1).bit_length()
    )
    if bits <= 63:
        key = (d * span_u + (t - tmin) // unit) * n_stages + c
        if np.any(key[1:] < key[:-1]):
            key.sort()
        c = key % n_stages
        key //= n_stages
        t = (key % span_u) * unit + tmin
        return key // span_u, t, c
    times, rank = np.unique(t, return_inverse=True)
    span_u = len(times)
    bits = (
        max(n_deals - 1, 1).bit_length() + span_u.bit_length() + max(n_stages - 1, 1).bit_length()
    )
    if bits > 63:
        order = np.lexsort((c, t, d))
        return d[order], t[order], c[order]
    key = (d * span_u + rank.ravel()) * n_stages + c
    key.sort()
    c = key % n_stages
    key //= n_stages
    t = times[key % span_u]
    return key // span_u, t, c


def _next_higher(v_deal: np.ndarray, v_stage: np.ndarray, rows: np.ndarray) -> np.ndarray:
    """For each visit index in ``rows``: the next visit of the same deal at a higher stage.

    Returns ``len(v_deal)`` where there is none. Iterates only over the rare visits
    not followed directly by a higher stage (regressions, repeats).
    """
    V = len(v_deal)
    out = np.full(len(rows), V, dtype=np.int64)
    if not V or not len(rows):
        return out
    # the common case, read off shifted arrays: the very next visit is higher
    direct = np.zeros(V, dtype=bool)
    direct[:-1] = (v_deal[1:] == v_deal[:-1]) & (v_stage[1:] > v_stage[:-1])
    hit0 = direct[rows]
    del direct
    out[hit0] = rows[hit0] + 1
    pending = np.flatnonzero(~hit0)
    del hit0
    base = rows[pending]
    base_stage = v_stage[base]
    base_deal = v_deal[base]
    cand = base + 1
    live = np.arange(len(pending))
    while len(live):
        c = cand[live]
        ok = c < V
        c_ok = np.minimum(c, V - 1)
        ok &= v_deal[c_ok] == base_deal[live]
        hit = ok & (v_stage[c_ok] > base_stage[live])
        out[pending[live[hit]]] = c[hit]
        live = live[ok & ~hit]
        cand[live] += 1
    return out


def prepare(
    deals: pd.DataFrame, stage_events: pd.DataFrame, config: PilotConfig, as_of=None
) -> JourneyData:
    """Order, clean and index the event log once; every journey metric starts here.

    Parameters
    ----------
    deals : DataFrame
        Canonical deals (deal_id, created_at, status, closed_at, ...).
    stage_events : DataFrame
        Canonical stage events (deal_id, stage as a funnel stage id, entered_at).
    config : PilotConfig
        Supplies the funnel order, ``window_days`` and ``skip_counts_as_passed``.
    as_of : datetime-like, optional
        Analysis date; default the latest timestamp in the data. With an earlier
        date the data are read as they stood then (later events and deals left
        out, deals closed later are open).

    Returns
    -------
    JourneyData

    Raises
    ------
    ValueError
        When a required column is missing, deal ids repeat, a status is not
        open/won/lost, or no event matches any deal.
    """
    _require(deals, ["deal_id", "created_at", "status"], "deals")
    _require(stage_events, ["deal_id", "stage", "entered_at"], "stage_events")
    ids = tuple(config.funnel.ids)
    K = len(ids)
    windows = np.array([s.window_days for s in config.funnel.stages], dtype=float)

    created = _ns(deals["created_at"])
    closed = _ns(deals["closed_at"]) if "closed_at" in deals else np.full(len(deals), NAT)
    ev_t = _ns(stage_events["entered_at"])

    def _max(a: np.ndarray) -> int:
        return int(a.max()) if len(a) else NAT  # NaT is int64 min: never the maximum

    if as_of is None:
        as_of_ns = max(_max(created), _max(closed), _max(ev_t))
        if as_of_ns == NAT:
            raise ValueError("as_of cannot be inferred: the data hold no timestamp; pass as_of")
        explicit = False
    else:
        as_of_ns = pd.Timestamp(as_of).value
        explicit = True
    as_of_ts = pd.Timestamp(as_of_ns)

    if explicit and (created > as_of_ns).any():
        keep = created <= as_of_ns  # NaT (int64 min) is kept
        deals = deals.loc[keep]
        created, closed = created[keep], closed[keep]
    D = len(deals)

    status = _codes(deals["status"], list(STATUSES))
    if (status < 0).any():
        bad = sorted({str(v) for v in pd.Series(deals["status"]).to_numpy()[status < 0]})[:5]
        raise ValueError(f"deals.status must be open, won or lost; found {', '.join(bad)}")
    status = status.astype(np.int8)
    if explicit:
        reopened = (status != OPEN) & (closed > as_of_ns)
        status[reopened] = OPEN
    closed = np.where(status == OPEN, NAT, closed)

    ev_deal = _deal_rows(deals["deal_id"], stage_events["deal_id"])
    ev_stage = _codes(stage_events["stage"], list(ids))
    n_events = len(stage_events)
    if n_events and (ev_deal >= 0).sum() == 0 and D:
        raise ValueError(
            "no stage_events.deal_id matches a deals.deal_id (e.g. "
            f"{stage_events['deal_id'].iloc[0]!r} vs {deals['deal_id'].iloc[0]!r}); "
            "check both columns hold the same ids with the same type"
        )
    valid = (ev_deal >= 0) & (ev_stage >= 0) & (ev_t != NAT) & (ev_t <= as_of_ns)
    if not valid.all():
        logger.info(
            "left out %d of %d stage events (unknown deal %d, unknown stage %d, no time %d, "
            "after as_of %d)",
            int((~valid).sum()),
            n_events,
            int((ev_deal < 0).sum()),
            int((ev_stage < 0).sum()),
            int((ev_t == NAT).sum()),
            int(((ev_t > as_of_ns) & (ev_t != NAT)).sum()),
        )
    d, t, c = _sort_events(ev_deal[valid], ev_t[valid], ev_stage[valid], D, K)
    del ev_deal, ev_stage, ev_t, valid

    # inferred visits: first stage at created_at for deals without events,
    # last stage at closing for won deals whose track does not end there
    has = np.zeros(D, dtype=bool)
    has[d] = True
    last_code = np.full(D, -1, dtype=np.int64)
    last_t = np.full(D, NAT, dtype=np.int64)
    if len(d):
        ends = np.flatnonzero(np.r_[d[1:] != d[:-1], True])
        last_code[d[ends]] = c[ends]
        last_t[d[ends]] = t[ends]
    need_lead = ~has & (created != NAT)
    lead_t = created
    base_t = np.where(has, last_t, np.where(created != NAT, created, NAT))
    sign_t = np.where(closed != NAT, np.maximum(closed, base_t), base_t)
    won = status == WON
    need_sign = won & (last_code != K - 1) & (sign_t != NAT)
    new_d = np.r_[np.flatnonzero(need_lead), np.flatnonzero(need_sign)]
    new_t = np.r_[lead_t[need_lead], sign_t[need_sign]]
    new_c = np.r_[
        np.zeros(need_lead.sum(), dtype=np.int64), np.full(need_sign.sum(), K - 1, dtype=np.int64)
    ]
    inferred = np.zeros(len(d), dtype=bool)
    if len(new_d):
        o = np.lexsort((new_c, new_d))
        new_d, new_t, new_c = new_d[o], new_t[o], new_c[o]
        pos = np.searchsorted(d, new_d, side="right")
        d = np.insert(d, pos, new_d)
        t = np.insert(t, pos, new_t)
        c = np.insert(c, pos, new_c)
        inferred = np.insert(inferred, pos, True)
        logger.info(
            "inferred %d first-stage and %d last-stage visits",
            int(need_lead.sum()),
            int(need_sign.sum()),
        )
    del has, last_code, last_t, base_t, sign_t, need_lead, need_sign, new_d, new_t, new_c

    # one visit per run of events at the same stage
    keep = np.r_[True, (d[1:] != d[:-1]) | (c[1:] != c[:-1])] if len(d) else np.zeros(0, bool)
    if keep.all():
        v_deal, v_stage, v_enter, v_inferred = d, c, t, inferred
    else:
        v_deal, v_stage, v_enter, v_inferred = d[keep], c[keep], t[keep], inferred[keep]
    del d, c, t, inferred
    V = len(v_deal)
    first = np.r_[True, v_deal[1:] != v_deal[:-1]] if V else np.zeros(0, bool)
    last = np.r_[first[1:], True] if V else np.zeros(0, bool)
    starts = np.flatnonzero(first)
    start_deal = v_deal[starts]

    end_ns = np.full(D, as_of_ns, dtype=np.int64)
    last_enter = np.full(D, NAT, dtype=np.int64)
    last_enter[v_deal[last]] = v_enter[last]
    closed_end = np.where(closed != NAT, np.maximum(closed, last_enter), last_enter)
    end_ns = np.where(status == OPEN, as_of_ns, closed_end)
    v_leave = np.empty(V, dtype=np.int64)
    if V:
        v_leave[:-1] = v_enter[1:]
        v_leave[last] = end_ns[v_deal[last]]
    v_censored = last & (status[v_deal] == OPEN)
    v_dwell = (v_leave - v_enter) / DAY_NS
    del first

    furthest = np.full(D, -1, dtype=np.int64)
    end_stage = np.full(D, -1, dtype=np.int64)
    first_visit = np.full(D, -1, dtype=np.int64)
    n_visits = np.zeros(D, dtype=np.int64)
    if V:
        furthest[start_deal] = np.maximum.reduceat(v_stage, starts)
        end_stage[v_deal[last]] = v_stage[last]
        first_visit[start_deal] = starts
        n_visits[start_deal] = np.diff(np.r_[starts, V])
    first_enter_deal = np.full(D, NAT, dtype=np.int64)
    first_enter_deal[start_deal] = v_enter[starts]
    start_ns = np.where(
        created == NAT,
        first_enter_deal,
        np.where(first_enter_deal == NAT, created, np.minimum(created, first_enter_deal)),
    )

    # deal x stage
    key = v_deal * K + v_stage  # int64
    visits = np.bincount(key, minlength=D * K).astype(np.int32).reshape(D, K)
    visited = visits > 0
    dwell = np.bincount(key, weights=v_dwell, minlength=D * K).reshape(D, K)
    del v_dwell
    dwell_censored = np.zeros(D * K, dtype=bool)
    dwell_censored[key[v_censored]] = True
    dwell_censored = dwell_censored.reshape(D, K)
    idx_type = np.int32 if V < 2**31 - 1 else np.int64
    first_idx = np.full(D * K, V, dtype=idx_type)
    np.minimum.at(first_idx, key, np.arange(V, dtype=idx_type))
    first_idx = first_idx.reshape(D, K)
    del key
    first_enter = np.where(visited, np.r_[v_enter, NAT][first_idx], NAT)

    stage = np.arange(K)[None, :]
    if config.funnel.skip_counts_as_passed:
        entered = stage <= furthest[:, None]
    else:
        entered = visited
    advanced = entered & ((furthest[:, None] > stage) | ((stage == K - 1) & won[:, None]))
    rest = entered & ~advanced
    lost = rest & (status == LOST)[:, None]
    open_ = rest & (status == OPEN)[:, None]
    del rest

    # days from first entry to the outcome at each visited stage: to the first later
    # visit to a higher stage (advanced), to the closing (lost, won at the last stage),
    # to as_of (open)
    days = np.full((D, K), np.nan)
    sel = first_idx[:, : K - 1] < V
    r = first_idx[:, : K - 1][sel]
    del first_idx
    nxt = _next_higher(v_deal, v_stage, r)
    t_adv = np.where(nxt < V, v_enter[np.minimum(nxt, V - 1)], v_enter[r])
    del nxt
    t_adv -= v_enter[r]
    del r
    days[:, : K - 1][sel] = t_adv / DAY_NS
    del t_adv, sel
    ends = lost | (advanced & (stage == K - 1))
    rows, cols = np.nonzero(ends & visited)
    days[rows, cols] = (end_ns[rows] - first_enter[rows, cols]) / DAY_NS
    rows, cols = np.nonzero(open_)
    days[rows, cols] = (as_of_ns - first_enter[rows, cols]) / DAY_NS
    del rows, cols, ends
    np.maximum(days, 0, out=days)
    mature = advanced | lost | (open_ & (days > windows[None, :]))

    return JourneyData(
        stage_ids=ids,
        windows=windows,
        skip_counts_as_passed=config.funnel.skip_counts_as_passed,
        as_of=as_of_ts,
        deals=deals,
        v_deal=v_deal.astype(np.int32) if D < 2**31 else v_deal,
        v_stage=v_stage.astype(np.int8),
        v_enter=v_enter,
        v_leave=v_leave,
        v_inferred=v_inferred,
        v_censored=v_censored,
        status=status,
        furthest=furthest,
        end_stage=end_stage,
        first_visit=first_visit,
        n_visits=n_visits,
        start_ns=start_ns,
        end_ns=end_ns,
        visits=visits,
        first_enter=first_enter,
        dwell=dwell,
        dwell_censored=dwell_censored,
        entered=entered,
        advanced=advanced,
        lost=lost,
        open=open_,
        days=days,
        mature=mature,
    )


def resolve(
    deals: pd.DataFrame,
    stage_events: pd.DataFrame,
    config: PilotConfig,
    as_of=None,
    journey: JourneyData | None = None,
) -> JourneyData:
    """``journey`` when given (checked against ``config``), else :func:`prepare` of the frames.

    Raises
    ------
    ValueError
        When ``journey`` was prepared with another funnel or skip rule.
    """
    if journey is None:
        return prepare(deals, stage_events, config, as_of)
    if (
        tuple(config.funnel.ids) != journey.stage_ids
        or config.funnel.skip_counts_as_passed != journey.skip_counts_as_passed
    ):
        raise ValueError(
            "journey was prepared with another funnel (stage ids or skip rule) than "
            "config; prepare it again with this config"
        )
    if as_of is not None and pd.Timestamp(as_of) != journey.as_of:
        raise ValueError(
            f"journey was prepared as of {journey.as_of}, not {pd.Timestamp(as_of)}; "
            "prepare it again or drop as_of"
        )
    return journey


def aggregate(
    journey: JourneyData, group: np.ndarray | None = None, n_groups: int = 1, dwell: bool = True
) -> pd.DataFrame:
    """Per (group, stage) counts and dwell quantiles from prepared data.

    Parameters
    ----------
    journey : JourneyData
    group : ndarray of int, optional
        Group code (0..n_groups-1) of each deal; deals with a negative code are left out.
    n_groups : int
    dwell : bool
        Estimate the dwell quantiles (NaN columns when False; counts only, faster).

    Returns
    -------
    DataFrame
        Columns ``group | stage (int code) | entered | advanced | lost | open | mature_n |
        immature | skipped | repeated | median_dwell_days | p90_dwell_days``, one row
        per group and stage, groups then stages in order.
    """
    j = journey
    D, K = j.n_deals, j.n_stages
    g = np.zeros(D, dtype=np.int64) if group is None else np.asarray(group, dtype=np.int64)
    inc = g >= 0
    size = n_groups * K
    # one code per deal and stage: outcome (5) x skipped (2) x repeated (2), then one bincount
    outcome = np.full((D, K), 4, dtype=np.int64)
    outcome[j.open & ~j.mature] = 3
    outcome[j.open & j.mature] = 2
    outcome[j.lost] = 1
    outcome[j.advanced] = 0
    visited = j.visits > 0
    outcome *= 4
    outcome += 2 * (~visited & (j.furthest[:, None] > np.arange(K)[None, :]))
    outcome += j.visits > 1
    cell = np.where(inc, g, 0)[:, None] * K + np.arange(K)[None, :]
    outcome += cell * 20
    codes = outcome.ravel() if inc.all() else outcome[inc].ravel()
    counts = np.bincount(codes, minlength=size * 20).reshape(size, 5, 4)
    del codes
    del outcome
    by_outcome = counts.sum(axis=2)
    out = pd.DataFrame(
        {
            "group": np.repeat(np.arange(n_groups), K),
            "stage": np.tile(np.arange(K), n_groups),
            "entered": by_outcome[:, :4].sum(axis=1),
            "advanced": by_outcome[:, 0],
            "lost": by_outcome[:, 1],
            "open": by_outcome[:, 2] + by_outcome[:, 3],
            "mature_n": by_outcome[:, :3].sum(axis=1),
            "immature": by_outcome[:, 3],
            "skipped": counts[:, :, 2:].sum(axis=(1, 2)),
            "repeated": counts[:, :, [1, 3]].sum(axis=(1, 2)),
        }
    )
    q = np.full((size, 2), np.nan)
    if dwell:
        m = visited & inc[:, None]
        q = km_quantiles(
            j.dwell[m], ~j.dwell_censored[m], cell[m], size, (0.5, 0.9), resolution=1 / 24
        )
    out["median_dwell_days"] = q[:, 0]
    out["p90_dwell_days"] = q[:, 1]
    return out
